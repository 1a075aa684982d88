"""Monitoring: its configuration, performance against labels, and the report of a run.

Pure logic: ``jobs/monitor.py`` reads the window, the reference and the labels, and writes what
this module assembles. The report's JSON has a stable schema (``SCHEMA_VERSION``), documented in
``docs/monitoring/index.md``: scheduled jobs and alerting read it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from prometheus_client import CollectorRegistry, Gauge
from pydantic import BaseModel, ConfigDict, Field

from ..model.training import (
    ConfigError,
    Metric,
    evaluate,
)
from .drift import (
    DriftResult,
)
from .drift_statistics import (
    DriftConfig,
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


class LabelsError(ValueError):
    """The labels cannot be joined: a column is missing, or a key has more than one label."""


class StrictModel(BaseModel):
    """A configuration block: unknown keys and wrong types are errors, and it cannot change."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class PerformanceConfig(StrictModel):
    """Where the labels are, and how much the metric may drop below the champion's holdout."""

    labels_table: str = Field(min_length=1, description="The table or view holding the labels.")
    key: str = Field(min_length=1, description="The column joining labels to predictions.")
    label: str = Field(min_length=1)
    metric: Metric
    tolerance: float = Field(ge=0, le=1, description="The drop below the holdout's metric allowed.")


class MonitoringConfig(StrictModel):
    """The monitoring configuration, ``configs/monitoring.yaml``."""

    window: str = Field(min_length=1, description="The default window (see io/windows.py).")
    drift: DriftConfig
    performance: PerformanceConfig | None = None
    segments: SegmentsConfig | None = None


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
    """Return the run's report: the JSON ``report.json`` holds, with its Markdown summary."""
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
    report["summary"] = summary(report)
    return report


def summary(report: dict[str, Any]) -> str:
    """Return a short Markdown text of ``report``, for an issue's body or a job's summary."""
    model = report["model"]
    name = f"{model['name']} version {model['version']}" if model else "the champion"
    window = report["window"]
    lines = [f"## Monitoring: {report['status']}", ""]
    lines.append(
        f"Window `{window.get('spec')}` ({window.get('rows', 0)} rows) against the reference of "
        f"{name}, {report['generated_at']}."
    )
    lines.append("")
    if report["error"]:
        lines += [f"The run could not complete: {report['error']}", ""]
    for alert in report["alerts"]:
        lines.append(f"- **{alert['kind']}**: {alert['message']}")
    if not report["alerts"] and not report["error"]:
        lines.append("No alert.")
    drift = report["drift"]
    if drift is not None:
        lines += [
            "",
            f"Drifted features: {len(drift['drifted_features'])} of {len(drift['features'])} "
            f"({', '.join(drift['drifted_features']) or 'none'}).",
        ]
    performance = report["performance"]
    if performance is not None and performance["current"] is not None:
        lines.append(
            f"{performance['metric']}: {performance['current']:.4f} on "
            f"{performance['labelled_rows']} labelled rows (holdout {performance['holdout']:.4f})."
        )
    elif performance is not None:
        lines.append(f"Performance not compared: {performance['skipped']}.")
    return "\n".join(lines) + "\n"


def metrics_registry(report: dict[str, Any], timestamp: float) -> CollectorRegistry:
    """Return the run's Prometheus metrics: its alerts by kind, drifted share and time."""
    registry = CollectorRegistry()
    raised = {alert["kind"] for alert in report["alerts"]}
    alert = Gauge(
        "monitoring_alert",
        "Whether the last monitoring run raised an alert of this kind (1) or not (0).",
        ["kind"],
        registry=registry,
    )
    for kind in ALERT_KINDS:
        alert.labels(kind=kind).set(1 if kind in raised else 0)
    share = Gauge(
        "monitoring_drifted_feature_share",
        "The share of features with a drift finding in the last monitoring run.",
        registry=registry,
    )
    share.set(report["drift"]["drifted_share"] if report["drift"] else 0.0)
    last = Gauge(
        "monitoring_last_run_timestamp_seconds",
        "When the last monitoring run that completed finished (Unix time).",
        registry=registry,
    )
    last.set(timestamp)
    return registry
