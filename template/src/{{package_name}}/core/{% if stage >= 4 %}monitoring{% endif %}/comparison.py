"""A window made comparable with the reference, and what a run concludes from the comparison.

Pure logic: ``jobs/monitor.py`` reads the window, the reference and the labels, and hands them
here to be typed as the model receives them, scored where they have no score, and reported by
segment; the run's alerts and the facts its report states are gathered here too.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from ..model.features import (
    Features,
    model_input,
)
from .drift import (
    DriftResult,
)
from .performance import (
    PerformanceConfig,
    PerformanceResult,
)
from .report import (
    Alert,
    drift_alerts,
    performance_alerts,
)
from .segment_results import (
    SegmentResult,
)
from .segments import (
    SegmentsConfig,
    segment_report,
)

logger = logging.getLogger(__name__)

SCORE = "score"
# Columns a window carries besides the features: the log's and the batch's own.
KNOWN_COLUMNS = frozenset(
    {
        SCORE,
        "prediction",
        "model_name",
        "model_version",
        "run_id",
        "request_id",
        "predicted_at",
        "batch_id",
    }
)
# Scores of the positive class for the rows of a frame of model inputs: a pipeline's predict_proba.
Predict = Callable[[pd.DataFrame], np.ndarray[Any, Any]]


class MonitorError(RuntimeError):
    """The monitor cannot run: a window's column is missing, or a value has the wrong type."""


def typed(frame: pd.DataFrame, features: Features, where: str) -> pd.DataFrame:
    """Return ``frame`` with its features typed as the model receives them.

    Raises:
        MonitorError: a feature is missing, or a numeric one holds text; names ``where``.
    """
    missing = [name for name in features.columns if name not in frame.columns]
    if missing:
        raise MonitorError(
            f"{where} has no column {', '.join(map(repr, missing))}, which the model reads "
            f"(columns: {', '.join(map(str, frame.columns))})"
        )
    try:
        model_frame = model_input(frame, features)
    except (TypeError, ValueError) as error:
        raise MonitorError(
            f"{where}: a numeric feature holds a value that is not a number ({error})"
        ) from None
    others = frame[[name for name in frame.columns if name not in features.columns]]
    return pd.concat([model_frame, others], axis=1)


class Scorer:
    """Adds the model's scores to a frame that has none, loading the model once, if ever."""

    def __init__(self, load: Callable[[], Predict], features: Features, model: str) -> None:
        """Score with what ``load`` returns, on ``features``; ``model`` names it in the log."""
        self.load = load
        self.features = features
        self.model = model
        self._predict: Predict | None = None

    def scored(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Return ``frame``, with a score column when it had none."""
        if SCORE in frame.columns:
            return frame
        if self._predict is None:
            logger.info("Scoring with %s (no score column)", self.model)
            self._predict = self.load()
        scores = self._predict(model_input(frame, self.features))[:, 1]
        return frame.assign(**{SCORE: scores})


def ignored_columns(window: pd.DataFrame, features: Features, *others: str) -> list[str]:
    """Return the window's columns that are neither features, known columns nor ``others``."""
    known = {*features.columns, *others, *KNOWN_COLUMNS}
    return [str(name) for name in window.columns if name not in known]


def window_facts(window: pd.DataFrame, spec: str, kind: str, ignored: list[str]) -> dict[str, Any]:
    """Return what the report says of the window: its spec, kind, size, and the models it holds."""
    versions = window.get("model_version")
    return {
        "spec": spec,
        "kind": kind,
        "rows": len(window),
        "ignored_columns": ignored,
        "model_versions": [] if versions is None else sorted(map(str, versions.unique())),
    }


def without_key(
    current: pd.DataFrame, spec: str, config: PerformanceConfig, holdout: dict[str, float]
) -> PerformanceResult | None:
    """Return the skipped comparison of a window that has no key to join labels on, else None."""
    if config.key in current.columns:
        return None
    return PerformanceResult(
        config.metric,
        0,
        holdout.get(config.metric),
        tolerance=config.tolerance,
        skipped=f"window {spec!r} has no {config.key!r} column to join labels on",
    )


def by_segment(
    current: pd.DataFrame, labelled: pd.DataFrame | None, config: SegmentsConfig
) -> SegmentResult:
    """Report the window by segment: with the labels' metric when labels have arrived.

    With labels, the segments are those of the labelled rows; without, of the whole window, and
    their mean scores are compared.
    """
    if labelled is not None and len(labelled):
        labels = labelled["label"].to_numpy(dtype=bool)
        return segment_report(labelled, labelled[SCORE].to_numpy(dtype="float64"), labels, config)
    return segment_report(current, current[SCORE].to_numpy(dtype="float64"), None, config)


def run_alerts(
    drift: DriftResult, performance: PerformanceResult | None, segments: SegmentResult | None
) -> list[Alert]:
    """Return every alert a run raises: drift, performance, then the segments'."""
    return [
        *drift_alerts(drift),
        *performance_alerts(performance),
        *(Alert("segments", text) for text in (segments.alerts if segments else [])),
    ]
