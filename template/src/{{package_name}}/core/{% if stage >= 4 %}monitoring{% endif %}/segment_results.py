"""The report of segments: each column's segments, the disparity between them, and its alert.

What :func:`~.segments.segment_report` returns, as JSON (the monitoring report's ``segments``) and
as Markdown (the model card and the monitoring page).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Segment:
    """One segment of a column: its rows, mean score and (with labels) metric and label rate."""

    name: str
    volume: int
    score_mean: float
    metric: float | None
    positive_rate: float | None
    small: bool


@dataclass(frozen=True)
class ColumnSegments:
    """The segments of one column, and the gap between the largest ones' ``compared`` values."""

    column: str
    compared: str
    segments: list[Segment]
    disparity: float | None
    alert: str | None


@dataclass(frozen=True)
class SegmentResult:
    """Every configured column's segments, and the alerts their disparities raise."""

    metric: str
    labelled: bool
    min_size: int
    max_disparity: float
    columns: list[ColumnSegments]

    @property
    def alerts(self) -> list[str]:
        """One message per column whose disparity is above ``max_disparity``."""
        return [column.alert for column in self.columns if column.alert]

    def to_dict(self) -> dict[str, Any]:
        """Return the result as JSON-ready values (an undefined metric is None)."""
        return {
            "metric": self.metric,
            "labelled": self.labelled,
            "min_size": self.min_size,
            "max_disparity": self.max_disparity,
            "columns": {
                column.column: {
                    "compared": column.compared,
                    "disparity": column.disparity,
                    "segments": [
                        {
                            "segment": segment.name,
                            "volume": segment.volume,
                            "score_mean": segment.score_mean,
                            self.metric: segment.metric,
                            "positive_rate": segment.positive_rate,
                            "below_min_size": segment.small,
                        }
                        for segment in column.segments
                    ],
                }
                for column in self.columns
            },
            "alerts": self.alerts,
        }

    def to_markdown(self) -> str:
        """Return a table per column, then the alerts (or that there are none)."""
        lines: list[str] = []
        for column in self.columns:
            header = ["segment", "rows", "mean score"]
            if self.labelled:
                header += [self.metric, "positive rate"]
            lines += [f"**`{column.column}`**", "", "| " + " | ".join(header) + " |"]
            lines.append("| --- " * len(header) + "|")
            for segment in column.segments:
                rows = f"{segment.volume:,}" + (" (small)" if segment.small else "")
                cells = [segment.name, rows, f"{segment.score_mean:.4f}"]
                if self.labelled:
                    cells += [_number(segment.metric), _number(segment.positive_rate)]
                lines.append("| " + " | ".join(cells) + " |")
            gap = "n/a" if column.disparity is None else f"{column.disparity:.4f}"
            lines += ["", f"Disparity of {column.compared}: {gap}.", ""]
        lines.append(
            f"Segments under {self.min_size:,} rows are marked small and never alert; n/a is a "
            "metric the segment cannot have (ROC AUC needs both classes). An alert is raised when "
            f"the disparity exceeds {self.max_disparity}."
        )
        lines += ["", *(f"- **Alert**: {alert}" for alert in self.alerts)] if self.alerts else []
        return "\n".join(lines).rstrip("\n")


def _number(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4f}"
