"""Performance and bias by segment, and the disparity between segments.

Per segment of each configured column: its volume, its mean score and, where labels exist, the
model's metric and label rate.

Pure logic: the model card calls :func:`segment_report` on the champion's holdout, the monitor on a
window of predictions. The per-segment metrics are fairlearn's ``MetricFrame``, one per column:
each column is reported on its own, not crossed with the others.

A segment smaller than ``min_size`` is reported but never alerts: on a few rows a metric is noise.
A metric a segment cannot have is reported as null (``None``), never as a number: ROC AUC and
average precision need both classes, so a segment whose labels are all one class has neither.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from itertools import pairwise
from typing import Literal

import numpy as np
import pandas as pd
from fairlearn.metrics import MetricFrame, count
from pydantic import Field, model_validator

from ..model.training import (
    ConfigError,
    StrictModel,
    evaluate,
)
from .segment_results import (
    ColumnSegments,
    Segment,
    SegmentResult,
)

# What core/model/training.evaluate returns, so a segment's metric reads like the holdout's.
SegmentMetric = Literal[
    "roc_auc",
    "average_precision",
    "log_loss",
    "brier",
    "accuracy",
    "f1",
    "precision",
    "recall",
    "positive_rate",
]
# Metrics that are undefined on a segment whose labels are all one class.
NEEDS_BOTH_CLASSES = frozenset({"roc_auc", "average_precision"})
MISSING = "missing"
# The values of a banded column below its first edge, or at or above its last.
OUT_OF_BANDS = "out of bands"
SCORE_MEAN = "score_mean"


class SegmentsError(ConfigError):
    """The segments configuration is invalid, or does not fit the frame it is applied to."""


class SegmentsConfig(StrictModel):
    """The ``segments:`` block of ``configs/monitoring.yaml``."""

    columns: list[str] = Field(description="Columns whose values are the segments (plan, country).")
    bands: dict[str, list[float]] = Field(
        default_factory=dict,
        description="Numeric columns cut into bands by increasing edges (age: [18, 30, 65, 101]).",
    )
    min_size: int = Field(ge=1, description="Segments smaller than this are reported, never alert.")
    max_disparity: float = Field(ge=0, description="Largest allowed gap between segments' metric.")
    metric: SegmentMetric

    @model_validator(mode="after")
    def _check_bands(self) -> SegmentsConfig:
        """Refuse edges that are not increasing, and a column both listed and banded."""
        for column, edges in self.bands.items():
            increasing = all(a < b for a, b in pairwise(edges))
            if len(edges) < 2 or not increasing:  # noqa: PLR2004  (a band needs two edges)
                raise ValueError(
                    f"bands.{column}: edges {edges} must be at least two numbers, each larger than "
                    "the one before (e.g. [18, 30, 45, 65, 101])"
                )
        both = sorted(set(self.columns) & set(self.bands))
        if both:
            raise ValueError(
                f"{', '.join(both)} is in both columns and bands: list it in one of them "
                "(bands for a numeric column cut into bands)"
            )
        return self

    @property
    def segment_columns(self) -> list[str]:
        """Every column reported by segment: the listed ones, then the banded ones."""
        return [*self.columns, *self.bands]


def segment_report(
    frame: pd.DataFrame, scores: np.ndarray, labels: np.ndarray | None, config: SegmentsConfig
) -> SegmentResult:
    """Report ``scores`` (and ``labels``, when given) by segment of each column of ``config``.

    Raises:
        SegmentsError: a configured column is not in ``frame``, a banded column is not numeric,
            or ``scores`` or ``labels`` do not have a value per row.
    """
    missing = [name for name in config.segment_columns if name not in frame.columns]
    if missing:
        raise SegmentsError(
            f"segment column(s) {', '.join(missing)} not in the data (columns: "
            f"{', '.join(map(str, frame.columns))}): fix segments.columns or segments.bands"
        )
    for name, values in (("scores", scores), ("labels", labels)):
        if values is not None and len(values) != len(frame):
            raise SegmentsError(f"{len(values)} {name} for {len(frame)} rows: one per row")
    labelled = labels is not None
    compared = config.metric if labelled else SCORE_MEAN
    columns = []
    for name in config.segment_columns:
        groups = _groups(frame[name], config.bands.get(name), name)
        segments = _segments(groups, scores, labels, config)
        columns.append(_compare(name, compared, segments, config))
    return SegmentResult(config.metric, labelled, config.min_size, config.max_disparity, columns)


def _groups(values: pd.Series, edges: list[float] | None, name: str) -> pd.Series:
    """Return each row's segment name: its value as text, or its band; ``missing`` for no value."""
    if edges is None:
        text = values.astype(object).where(values.notna(), MISSING).astype(str)
        return text.str.strip()
    if not pd.api.types.is_numeric_dtype(values):
        raise SegmentsError(f"bands.{name}: column {name} is {values.dtype}, not numeric")
    labels = [_band(low, high) for low, high in pairwise(edges)]
    cut = pd.cut(values.astype("float64"), bins=edges, right=False, labels=labels)
    groups = cut.astype(object).where(cut.notna(), OUT_OF_BANDS)
    return groups.where(values.notna(), MISSING).astype(str)


def _band(low: float, high: float) -> str:
    """Name the band [low, high): "18-29" for whole numbers, "0.5-1.5" otherwise."""
    if float(low).is_integer() and float(high).is_integer():
        return f"{int(low)}-{int(high) - 1}"
    return f"{low:g}-{high:g}"


def _segments(
    groups: pd.Series,
    scores: np.ndarray,
    labels: np.ndarray | None,
    config: SegmentsConfig,
) -> list[Segment]:
    """Return the segments of ``groups``, in the order their names sort (bands by their edges)."""
    metrics: dict[str, Callable[[np.ndarray, np.ndarray], float]] = {
        "volume": count,
        SCORE_MEAN: lambda _, predicted: float(np.mean(predicted)),
    }
    if labels is not None:
        metrics["metric"] = _metric(config.metric)
        metrics["positive_rate"] = lambda actual, _: float(np.mean(actual))
    # Without labels, the scores stand in for y_true: no metric then reads it.
    actual = scores if labels is None else np.asarray(labels, dtype=bool)
    frame = MetricFrame(
        metrics=metrics,
        y_true=actual,
        y_pred=np.asarray(scores, dtype="float64"),
        sensitive_features=groups.to_numpy(),
    )
    rows: dict[str, dict[str, float]] = {
        str(name): {str(key): float(value) for key, value in row.items()}
        for name, row in frame.by_group.to_dict(orient="index").items()
    }
    order = sorted(rows, key=lambda name: (name in (MISSING, OUT_OF_BANDS), _key(name)))
    return [
        Segment(
            name=name,
            volume=int(rows[name]["volume"]),
            score_mean=rows[name][SCORE_MEAN],
            metric=_defined(rows[name].get("metric")),
            positive_rate=_defined(rows[name].get("positive_rate")),
            small=rows[name]["volume"] < config.min_size,
        )
        for name in order
    ]


def _metric(name: str) -> Callable[[np.ndarray, np.ndarray], float]:
    """Return the segment metric ``name`` of ``training.evaluate``; NaN where it is undefined."""

    def compute(actual: np.ndarray, predicted: np.ndarray) -> float:
        if name in NEEDS_BOTH_CLASSES and len(np.unique(actual)) < 2:  # noqa: PLR2004
            return math.nan
        return evaluate(predicted, actual)[name]

    return compute


def _compare(
    column: str, compared: str, segments: list[Segment], config: SegmentsConfig
) -> ColumnSegments:
    """Return the column's disparity among segments of ``min_size`` rows or more, and its alert."""
    values = {
        segment.name: segment.score_mean if compared == SCORE_MEAN else segment.metric
        for segment in segments
        if not segment.small
    }
    known = {name: value for name, value in values.items() if value is not None}
    if len(known) < 2:  # noqa: PLR2004  (a disparity needs two segments)
        return ColumnSegments(column, compared, segments, None, None)
    low = min(known, key=known.__getitem__)
    high = max(known, key=known.__getitem__)
    disparity = known[high] - known[low]
    alert = None
    if disparity > config.max_disparity:
        alert = (
            f"{column}: {compared} ranges from {known[low]:.4f} ({low}) to {known[high]:.4f} "
            f"({high}), a disparity of {disparity:.4f} above max_disparity {config.max_disparity}"
        )
    return ColumnSegments(column, compared, segments, disparity, alert)


def _key(name: str) -> tuple[float, str]:
    """Sort a band by its lower edge ("18-29" before "30-44"), any other name by its text."""
    head = name.split("-", 1)[0]
    try:
        return (float(head), name)
    except ValueError:
        return (math.inf, name)


def _defined(value: float | None) -> float | None:
    """Return ``value``, or None when it is absent or undefined (NaN)."""
    return None if value is None or math.isnan(value) else value
