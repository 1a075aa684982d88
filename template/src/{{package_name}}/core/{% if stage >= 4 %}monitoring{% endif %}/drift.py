"""Data drift: how far a window of live data has moved from the model's reference sample.

Pure logic on two frames. Per feature, a test chosen by the feature's type and the window's size,
as the established drift tools choose them:

- numeric, small window: two-sample Kolmogorov-Smirnov, drifted when its p-value is below the
  threshold;
- numeric, large window: Wasserstein distance normed by the reference's standard deviation,
  drifted above the threshold (a p-value on a million rows flags differences nobody cares about);
- categorical, small window: chi-square of the window's category counts against the reference's
  shares, drifted when its p-value is below the threshold;
- categorical, large window: Jensen-Shannon distance between the two category distributions.

Each test reads the present values only. Two more findings are kept apart, as their own: a rise
of the missing-value rate, and categories the reference never had. The model's score is tested
like a numeric feature, and the share of drifted features is compared with its limit.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field
from scipy import stats
from scipy.spatial import distance

Test = Literal["ks", "wasserstein", "chi_square", "jensen_shannon", "none"]
# A normed Wasserstein distance divides by the reference's spread: a constant reference has none.
MIN_SPREAD = 0.001
# Unseen categories a report names, at most (the most frequent first).
SHOWN_CATEGORIES = 10


class DriftInputError(ValueError):
    """A frame cannot be compared: it is empty, or a column is missing or not of its type."""


class DriftConfig(BaseModel):
    """The thresholds of the drift tests (the ``drift:`` block of ``configs/monitoring.yaml``)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    small_window_rows: int = Field(
        default=1000, ge=1, description="Up to this many rows, the p-value tests are used."
    )
    ks_p_value: float = Field(default=0.05, gt=0, lt=1)
    chi_square_p_value: float = Field(default=0.05, gt=0, lt=1)
    wasserstein: float = Field(default=0.1, gt=0, description="Normed Wasserstein distance.")
    jensen_shannon: float = Field(default=0.1, gt=0, le=1)
    missing_rate_rise: float = Field(
        default=0.05, gt=0, le=1, description="Rise of the missing share, in points of 1."
    )
    unseen_share: float = Field(
        default=0.01, ge=0, lt=1, description="Share of rows with unseen categories allowed."
    )
    max_drifted_share: float = Field(
        default=0.3, ge=0, le=1, description="Share of drifted features that raises the alert."
    )


@dataclass(frozen=True)
class FeatureDrift:
    """One column's comparison: its distribution test, and its other findings.

    ``drifted`` is the distribution test's verdict; ``flagged`` adds the missing-rate rise and
    the unseen categories. ``statistic`` is a p-value for ``ks`` and ``chi_square`` (drifted
    below ``threshold``), a distance for the others (drifted above); NaN when no test could run
    (``test`` is ``none``: a side has no value present).
    """

    column: str
    kind: Literal["numeric", "categorical"]
    test: Test
    statistic: float
    threshold: float
    drifted: bool
    missing_reference: float
    missing_current: float
    missing_rose: bool
    unseen: dict[str, int] = field(default_factory=dict)
    unseen_share: float = 0.0
    unseen_flagged: bool = False

    @property
    def flagged(self) -> bool:
        """Whether any finding holds: the distribution, the missing rate or unseen categories."""
        return self.drifted or self.missing_rose or self.unseen_flagged

    def findings(self) -> list[str]:
        """Return each finding as a sentence, for the report."""
        found = []
        if self.drifted:
            relation = "<" if self.test in ("ks", "chi_square") else ">"
            found.append(
                f"distribution: {self.test} {self.statistic:.4g} {relation} {self.threshold:g}"
            )
        if self.missing_rose:
            found.append(
                f"missing values: {100 * self.missing_reference:.1f}% in the reference, "
                f"{100 * self.missing_current:.1f}% now"
            )
        if self.unseen_flagged:
            names = ", ".join(repr(name) for name in self.unseen)
            found.append(
                f"unseen categories in {100 * self.unseen_share:.1f}% of the rows: {names}"
            )
        return found

    def to_dict(self) -> dict[str, Any]:
        """Return the comparison as JSON values (NaN becomes null)."""
        return {
            "kind": self.kind,
            "test": self.test,
            "statistic": _finite(self.statistic),
            "threshold": self.threshold,
            "drifted": self.drifted,
            "missing_reference": self.missing_reference,
            "missing_current": self.missing_current,
            "missing_rose": self.missing_rose,
            "unseen": self.unseen,
            "unseen_share": self.unseen_share,
            "unseen_flagged": self.unseen_flagged,
            "flagged": self.flagged,
            "findings": self.findings(),
        }


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
    features = {name: _categorical(name, reference, current, config, small) for name in categorical}
    features |= {name: _numeric(name, reference, current, config, small) for name in numeric}
    ordered = {name: features[name] for name in current.columns if name in features}
    score = None
    if score_column is not None and score_column in reference and score_column in current:
        score = _numeric(score_column, reference, current, config, small)
    return DriftResult(ordered, score, len(reference), len(current), config.max_drifted_share)


def _numbers(frame: pd.DataFrame, name: str) -> np.ndarray:
    """Return a column as float64, NaN for a missing value."""
    try:
        values: np.ndarray = frame[name].to_numpy(dtype=np.float64, na_value=np.nan)
    except (TypeError, ValueError):
        raise DriftInputError(f"column {name!r} is numeric in the model but holds text") from None
    return values


def _numeric(
    name: str, reference: pd.DataFrame, current: pd.DataFrame, config: DriftConfig, small: bool
) -> FeatureDrift:
    """Compare a numeric column: Kolmogorov-Smirnov (small window) or normed Wasserstein."""
    ref_all, cur_all = _numbers(reference, name), _numbers(current, name)
    ref, cur = ref_all[~np.isnan(ref_all)], cur_all[~np.isnan(cur_all)]
    missing = _missing(name, ref_all, cur_all, config, "numeric")
    if not len(ref) or not len(cur):
        return missing
    if small:
        p_value = float(stats.ks_2samp(ref, cur).pvalue)
        return _with_test(missing, "ks", p_value, config.ks_p_value, p_value < config.ks_p_value)
    spread = max(float(np.std(ref)), MIN_SPREAD)
    statistic = wasserstein(ref, cur) / spread
    return _with_test(
        missing, "wasserstein", statistic, config.wasserstein, statistic > config.wasserstein
    )


def wasserstein(reference: np.ndarray, current: np.ndarray) -> float:
    """Return the Wasserstein distance between two samples without missing values.

    The area between their empirical distribution functions, as SciPy's
    ``wasserstein_distance`` computes it, in a fifth of its time on a million values: one sort of
    each sample, then a merge of the two sorted runs, which tells each step's side without a
    search.
    """
    both = np.concatenate((np.sort(current), np.sort(reference)))
    order = np.argsort(both, kind="stable")  # two sorted runs: a linear merge
    points = both[order]
    from_current = order < len(current)
    current_cdf = np.cumsum(from_current)[:-1] / len(current)
    reference_cdf = np.cumsum(~from_current)[:-1] / len(reference)
    return float(np.dot(np.abs(reference_cdf - current_cdf), np.diff(points)))


def _categorical(
    name: str, reference: pd.DataFrame, current: pd.DataFrame, config: DriftConfig, small: bool
) -> FeatureDrift:
    """Compare a categorical column: chi-square (small window) or Jensen-Shannon distance."""
    ref_counts = reference[name].value_counts(dropna=True)
    cur_counts = current[name].value_counts(dropna=True)
    ref_missing = _share(len(reference) - int(ref_counts.sum()), len(reference))
    cur_missing = _share(len(current) - int(cur_counts.sum()), len(current))
    result = _missing_verdict(name, "categorical", ref_missing, cur_missing, config)
    if not len(ref_counts) or not len(cur_counts):
        return result
    known = ref_counts.index
    seen = cur_counts.reindex(known, fill_value=0).to_numpy(dtype=np.float64)
    others = cur_counts[~cur_counts.index.isin(known)]
    unseen_share = float(others.sum()) / len(current)
    unseen = {str(key): int(count) for key, count in others.head(SHOWN_CATEGORIES).items()}
    expected_shares = ref_counts.to_numpy(dtype=np.float64) / float(ref_counts.sum())
    test: Test
    if small:
        # The window's present, known values against the reference's shares of them.
        total = seen.sum()
        if total == 0:  # every value present is unseen: that finding says it
            statistic, drifted, test, threshold = math.nan, False, "none", 0.0
        else:
            statistic = float(stats.chisquare(seen, expected_shares * total).pvalue)
            test, threshold = "chi_square", config.chi_square_p_value
            drifted = statistic < threshold
    else:
        # Unseen categories count as one more category, absent from the reference.
        current_shares = np.append(seen, float(others.sum()))
        statistic = float(
            distance.jensenshannon(np.append(expected_shares, 0.0), current_shares, base=2)
        )
        test, threshold = "jensen_shannon", config.jensen_shannon
        drifted = statistic > threshold
    return FeatureDrift(
        column=name,
        kind="categorical",
        test=test,
        statistic=statistic,
        threshold=threshold,
        drifted=drifted,
        missing_reference=ref_missing,
        missing_current=cur_missing,
        missing_rose=result.missing_rose,
        unseen=unseen,
        unseen_share=unseen_share,
        unseen_flagged=unseen_share > config.unseen_share,
    )


def _share(part: int, whole: int) -> float:
    """Return ``part`` of ``whole``, 0 for nothing."""
    return part / whole if whole else 0.0


def _missing(
    name: str,
    reference: np.ndarray,
    current: np.ndarray,
    config: DriftConfig,
    kind: Literal["numeric", "categorical"],
) -> FeatureDrift:
    """Return the missing-rate finding of a column, without a distribution test yet."""
    ref_missing = _share(int(np.isnan(reference).sum()), len(reference))
    cur_missing = _share(int(np.isnan(current).sum()), len(current))
    return _missing_verdict(name, kind, ref_missing, cur_missing, config)


def _missing_verdict(
    name: str,
    kind: Literal["numeric", "categorical"],
    ref_missing: float,
    cur_missing: float,
    config: DriftConfig,
) -> FeatureDrift:
    """Return a column's comparison with its missing-rate finding and no test."""
    return FeatureDrift(
        column=name,
        kind=kind,
        test="none",
        statistic=math.nan,
        threshold=0.0,
        drifted=False,
        missing_reference=ref_missing,
        missing_current=cur_missing,
        missing_rose=cur_missing - ref_missing > config.missing_rate_rise,
    )


def _with_test(
    base: FeatureDrift, test: Test, statistic: float, threshold: float, drifted: bool
) -> FeatureDrift:
    """Return ``base`` with a distribution test's outcome."""
    return replace(base, test=test, statistic=statistic, threshold=threshold, drifted=drifted)


def _finite(value: float) -> float | None:
    """Return ``value``, or None for NaN (JSON has no NaN)."""
    return None if math.isnan(value) else value
