"""Monitoring: its configuration, the alerts of a run, and its report.

Pure logic: ``jobs/monitor.py`` reads the window, the reference and the labels, and writes what
this module assembles (``io/monitoring_outputs.py``, with its metrics). The report's JSON has a
stable schema (``SCHEMA_VERSION``), documented in ``docs/monitoring/index.md``: scheduled jobs and
alerting read it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import Field

from ..model.training import (
    ConfigError,
    StrictModel,
)
from .drift import (
    DriftResult,
)
from .drift_statistics import (
    DriftConfig,
)
from .performance import (
    PerformanceConfig,
    PerformanceResult,
)
from .segments import (
    SegmentsConfig,
)

SCHEMA_VERSION = 1
AlertKind = Literal["drift", "performance", "segments"]
ALERT_KINDS: tuple[AlertKind, ...] = ("drift", "performance", "segments")
Status = Literal["ok", "alert", "error"]


class MonitoringConfigError(ConfigError):
    """The monitoring configuration is missing, is not YAML, or has a bad key or value."""


class MonitoringConfig(StrictModel):
    """The monitoring configuration, ``configs/monitoring.yaml``."""

    window: str = Field(min_length=1, description="The default window (see io/windows.py).")
    drift: DriftConfig
    performance: PerformanceConfig | None = None
    segments: SegmentsConfig | None = None


@dataclass(frozen=True)
class Alert:
    """One alert of a run: its kind and what raised it."""

    kind: AlertKind
    message: str


def drift_alerts(result: DriftResult) -> list[Alert]:
    """Return the drift alert of ``result``, if it raises one."""
    if not result.alert:
        return []
    reasons = []
    if result.score is not None and result.score.flagged:
        reasons.append(
            "the score's distribution moved (" + "; ".join(result.score.findings()) + ")"
        )
    if result.drifted_share > result.max_drifted_share:
        reasons.append(
            f"{len(result.drifted_features)} of {len(result.features)} features drifted "
            f"({100 * result.drifted_share:.0f}% > {100 * result.max_drifted_share:.0f}%): "
            + ", ".join(result.drifted_features)
        )
    return [Alert("drift", "; ".join(reasons))]


def performance_alerts(result: PerformanceResult | None) -> list[Alert]:
    """Return the performance alert of ``result``, if it raises one."""
    if result is None or not result.alert or result.drop is None:
        return []
    return [
        Alert(
            "performance",
            f"{result.metric} {result.current:.4f} on {result.labelled_rows} labelled rows, "
            f"{result.drop:.4f} below the holdout's {result.holdout:.4f} (tolerance "
            f"{result.tolerance:g})",
        )
    ]


@dataclass(frozen=True)
class RunFacts:
    """What a monitoring run compared: the model, the window, and when."""

    model: dict[str, str] | None
    window: dict[str, Any]
    generated_at: str  # ISO 8601, UTC


def build_report(  # noqa: PLR0913  (a report has this many parts)
    facts: RunFacts,
    *,
    drift: DriftResult | None,
    performance: PerformanceResult | None,
    segments: dict[str, Any] | None,
    alerts: list[Alert],
    error: str | None = None,
) -> dict[str, Any]:
    """Return the run's report: the JSON ``report.json`` holds (its summary is a page's)."""
    status: Status = "error" if error is not None else ("alert" if alerts else "ok")
    report: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "status": status,
        "generated_at": facts.generated_at,
        "model": facts.model,
        "window": facts.window,
        "drift": None if drift is None else drift.to_dict(),
        "performance": None if performance is None else performance.to_dict(),
        "segments": segments,
        "alerts": [{"kind": alert.kind, "message": alert.message} for alert in alerts],
        "error": error,
    }
    return report
