"""The report of segments: each column's segments, the disparity between them, and its alert.

What :func:`~.segments.segment_report` returns, and as JSON (the monitoring report's ``segments``);
``pages/segment_tables.py`` writes it as Markdown.
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
