"""Promotion: whether a challenger replaces the champion, and why.

The rule is in ``configs/train.yaml``: both models are scored on the same holdout, and the
challenger must beat the champion by a minimum improvement; with no champion yet, it must reach an
absolute floor. The decision carries its reasons, which the registry keeps as tags.
"""

from __future__ import annotations

from dataclasses import dataclass

from .training import (
    PromotionRule,
)


@dataclass(frozen=True)
class Decision:
    """A promotion decision and its reasons."""

    promote: bool
    reason: str
    metric: str
    challenger_score: float
    champion_score: float | None

    def tags(self) -> dict[str, str]:
        """Return the decision as registry tags, for the challenger's version."""
        tags = {
            "promotion.decision": "promoted" if self.promote else "rejected",
            "promotion.reason": self.reason,
            "promotion.metric": self.metric,
            "promotion.challenger_score": f"{self.challenger_score:.6f}",
        }
        if self.champion_score is not None:
            tags["promotion.champion_score"] = f"{self.champion_score:.6f}"
        return tags


def decide(rule: PromotionRule, challenger_score: float, champion_score: float | None) -> Decision:
    """Apply ``rule`` to the two holdout scores (``champion_score`` None: no champion yet)."""
    metric = rule.metric
    if champion_score is None:
        if challenger_score >= rule.floor:
            reason = f"first champion: {metric} {challenger_score:.4f} >= floor {rule.floor:.4f}"
            return Decision(True, reason, metric, challenger_score, None)
        reason = f"no champion, and {metric} {challenger_score:.4f} < floor {rule.floor:.4f}"
        return Decision(False, reason, metric, challenger_score, None)
    gain = challenger_score - champion_score
    if gain >= rule.min_improvement:
        reason = (
            f"{metric} {challenger_score:.4f} beats the champion's {champion_score:.4f} "
            f"by {gain:+.4f} >= {rule.min_improvement:.4f}"
        )
        return Decision(True, reason, metric, challenger_score, champion_score)
    reason = (
        f"{metric} {challenger_score:.4f} vs the champion's {champion_score:.4f}: "
        f"gain {gain:+.4f} < {rule.min_improvement:.4f}"
    )
    return Decision(False, reason, metric, challenger_score, champion_score)
