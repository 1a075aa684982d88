"""The drift tests of one column, chosen by its type and the window's size, and their thresholds.

As the established drift tools choose them:

- numeric, small window: two-sample Kolmogorov-Smirnov, drifted when its p-value is below the
  threshold;
- numeric, large window: Wasserstein distance normed by the reference's standard deviation,
  drifted above the threshold (a p-value on a million rows flags differences nobody cares about);
- categorical, small window: chi-square of the window's category counts against the reference's
  shares, drifted when its p-value is below the threshold;
- categorical, large window: Jensen-Shannon distance between the two category distributions.

Each test reads the present values only. Two more findings are kept apart, as their own: a rise
of the missing-value rate, and categories the reference never had.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field
from scipy import stats
from scipy.spatial import distance

from .feature_drift import (
    FeatureDrift,
    Test,
)

# A normed Wasserstein distance divides by the reference's spread: a constant reference has none.
MIN_SPREAD = 0.001
# Unseen categories a report names, at most (the most frequent first).
SHOWN_CATEGORIES = 10


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


def numeric_drift(
    name: str, reference: np.ndarray, current: np.ndarray, config: DriftConfig, small: bool
) -> FeatureDrift:
    """Compare a numeric column (NaN for a missing value): Kolmogorov-Smirnov or Wasserstein.

    Kolmogorov-Smirnov on a small window, the normed Wasserstein distance on a large one.
    """
    ref, cur = reference[~np.isnan(reference)], current[~np.isnan(current)]
    missing = _missing(name, reference, current, config, "numeric")
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


def categorical_drift(
    name: str, reference: pd.Series, current: pd.Series, config: DriftConfig, small: bool
) -> FeatureDrift:
    """Compare a categorical column: chi-square (small window) or Jensen-Shannon distance."""
    ref_counts = reference.value_counts(dropna=True)
    cur_counts = current.value_counts(dropna=True)
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
