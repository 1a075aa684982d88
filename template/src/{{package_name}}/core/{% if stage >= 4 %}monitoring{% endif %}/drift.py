"""Data drift: how far a window of live data has moved from the model's reference sample.

Pure logic on two frames: each feature is compared with its test (``drift_statistics.py``), the
model's score like a numeric feature, and the share of drifted features with its limit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .drift_statistics import (
    DriftConfig,
    categorical_drift,
    numeric_drift,
)
from .feature_drift import (
    FeatureDrift,
)


class DriftInputError(ValueError):
    """A frame cannot be compared: it is empty, or a column is missing or not of its type."""


@dataclass(frozen=True)
class DriftResult:
    """Every feature's comparison, the score's, and the verdict on the share of drifted ones."""

    features: dict[str, FeatureDrift]
    score: FeatureDrift | None
    reference_rows: int
    current_rows: int
    max_drifted_share: float

    @property
    def drifted_features(self) -> list[str]:
        """The features with a finding, in column order."""
        return [name for name, result in self.features.items() if result.flagged]

    @property
    def drifted_share(self) -> float:
        """The share of features with a finding."""
        return len(self.drifted_features) / len(self.features) if self.features else 0.0

    @property
    def alert(self) -> bool:
        """Whether to alert: too many features drifted, or the score did."""
        score_drifted = self.score is not None and self.score.flagged
        return self.drifted_share > self.max_drifted_share or score_drifted

    def to_dict(self) -> dict[str, Any]:
        """Return the result as JSON values."""
        return {
            "alert": self.alert,
            "reference_rows": self.reference_rows,
            "current_rows": self.current_rows,
            "drifted_share": self.drifted_share,
            "max_drifted_share": self.max_drifted_share,
            "drifted_features": self.drifted_features,
            "score": None if self.score is None else self.score.to_dict(),
            "features": {name: result.to_dict() for name, result in self.features.items()},
        }


def drift_report(  # noqa: PLR0913  (keyword-only: the frames, their columns, the thresholds)
    reference: pd.DataFrame,
    current: pd.DataFrame,
    *,
    categorical: Sequence[str],
    numeric: Sequence[str],
    config: DriftConfig,
    score_column: str | None = "score",
) -> DriftResult:
    """Compare ``current`` with ``reference``, column by column.

    The score is compared when ``score_column`` is a column of both frames. Other columns of
    ``current`` are not read.

    Raises:
        DriftInputError: a frame is empty, a column is missing from one, or a numeric column
            holds text; the message names the column.
    """
    for side, frame in (("reference", reference), ("window", current)):
        if frame.empty:
            raise DriftInputError(f"the {side} has no rows: nothing to compare")
        missing = [name for name in (*categorical, *numeric) if name not in frame.columns]
        if missing:
            raise DriftInputError(
                f"the {side} has no column {', '.join(map(repr, missing))}: every feature of "
                "the model must be in both"
            )
    small = len(current) <= config.small_window_rows
    features = {
        name: categorical_drift(name, reference[name], current[name], config, small)
        for name in categorical
    }
    features |= {
        name: numeric_drift(name, _numbers(reference, name), _numbers(current, name), config, small)
        for name in numeric
    }
    ordered = {name: features[name] for name in current.columns if name in features}
    score = None
    if score_column is not None and score_column in reference and score_column in current:
        ref, cur = _numbers(reference, score_column), _numbers(current, score_column)
        score = numeric_drift(score_column, ref, cur, config, small)
    return DriftResult(ordered, score, len(reference), len(current), config.max_drifted_share)


def _numbers(frame: pd.DataFrame, name: str) -> np.ndarray:
    """Return a column as float64, NaN for a missing value."""
    try:
        values: np.ndarray = frame[name].to_numpy(dtype=np.float64, na_value=np.nan)
    except (TypeError, ValueError):
        raise DriftInputError(f"column {name!r} is numeric in the model but holds text") from None
    return values
