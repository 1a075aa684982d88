"""One feature's drift: its distribution test and verdict, missing-rate rise, unseen categories."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

Test = Literal["ks", "wasserstein", "chi_square", "jensen_shannon", "none"]


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


def _finite(value: float) -> float | None:
    """Return ``value``, or None for NaN (JSON has no NaN)."""
    return None if math.isnan(value) else value
