"""Performance against labels: the labels joined to predictions, the metric against the holdout's.

Pure logic: ``jobs/monitor.py`` reads the labels table (``PerformanceConfig`` says where) and the
champion's holdout metrics, as its training run recorded them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from pydantic import Field

from ..model.training import (
    Metric,
    StrictModel,
    evaluate,
)


class LabelsError(ValueError):
    """The labels cannot be joined: a column is missing, or a key has more than one label."""


class PerformanceConfig(StrictModel):
    """Where the labels are, and how much the metric may drop below the champion's holdout."""

    labels_table: str = Field(min_length=1, description="The table or view holding the labels.")
    key: str = Field(min_length=1, description="The column joining labels to predictions.")
    label: str = Field(min_length=1)
    metric: Metric
    tolerance: float = Field(ge=0, le=1, description="The drop below the holdout's metric allowed.")


def join_labels(
    window: pd.DataFrame, labels: pd.DataFrame, config: PerformanceConfig
) -> pd.DataFrame:
    """Return the window's rows that have a label, with the label as column ``label``.

    Rows without a label (not yet known) are left out; so are labels that are missing.

    Raises:
        LabelsError: the window or the labels lack the key, the labels lack the label column,
            or a key has more than one label; the message names the column or the keys.
    """
    key, label = config.key, config.label
    if key not in window.columns:
        raise LabelsError(f"the window has no column {key!r}, the key labels are joined on")
    for name in (key, label):
        if name not in labels.columns:
            raise LabelsError(f"the labels table {config.labels_table!r} has no column {name!r}")
    present = labels.loc[labels[label].notna(), [key, label]]
    duplicated = present[key][present[key].duplicated()].astype(str).unique()
    if len(duplicated):
        shown = ", ".join(duplicated[:5]) + (", ..." if len(duplicated) > 5 else "")  # noqa: PLR2004
        raise LabelsError(
            f"the labels table {config.labels_table!r} has {len(duplicated)} key(s) with more "
            f"than one label ({key}: {shown}): a key must have one label; deduplicate the table "
            "or point labels_table at a view that does"
        )
    keyed = present.rename(columns={label: "label"}).astype({key: str})
    return window.astype({key: str}).merge(keyed, on=key, how="inner", validate="many_to_one")


@dataclass(frozen=True)
class PerformanceResult:
    """The champion's metric on the labelled window against its holdout metric."""

    metric: str
    labelled_rows: int
    holdout: float | None
    current: float | None = None
    tolerance: float = 0.0
    metrics: dict[str, float] = field(default_factory=dict)
    skipped: str = ""  # why no comparison was made, if none was

    @property
    def drop(self) -> float | None:
        """How much the metric fell below the holdout's (negative: it rose)."""
        if self.current is None or self.holdout is None:
            return None
        return self.holdout - self.current

    @property
    def alert(self) -> bool:
        """Whether the metric dropped by more than the tolerance."""
        return self.drop is not None and self.drop > self.tolerance

    def to_dict(self) -> dict[str, Any]:
        """Return the result as JSON values."""
        return {
            "alert": self.alert,
            "metric": self.metric,
            "labelled_rows": self.labelled_rows,
            "holdout": self.holdout,
            "current": self.current,
            "drop": self.drop,
            "tolerance": self.tolerance,
            "metrics": self.metrics,
            "skipped": self.skipped or None,
        }


def check_performance(
    labelled: pd.DataFrame, holdout: dict[str, float], config: PerformanceConfig
) -> PerformanceResult:
    """Compare the metric on ``labelled`` (columns ``score`` and ``label``) with the holdout's.

    ``holdout`` is the champion's holdout metrics, as its run recorded them. Without both classes
    among the labels, no comparison is made, and the result says why.
    """
    metric = config.metric
    reference = holdout.get(metric)
    base = PerformanceResult(metric, len(labelled), reference, tolerance=config.tolerance)
    if reference is None:
        return _skipped(base, f"the champion's run recorded no holdout {metric}")
    labels = labelled["label"].to_numpy(dtype=bool)
    if len(np.unique(labels)) < 2:  # noqa: PLR2004  (both classes)
        return _skipped(base, f"{len(labels)} labelled row(s), not both classes: no {metric}")
    metrics = evaluate(labelled["score"].to_numpy(dtype=np.float64), labels)
    return PerformanceResult(
        metric, len(labelled), reference, metrics[metric], config.tolerance, metrics
    )


def _skipped(base: PerformanceResult, reason: str) -> PerformanceResult:
    """Return ``base`` marked as not compared, for ``reason``."""
    return PerformanceResult(base.metric, base.labelled_rows, base.holdout, skipped=reason)
