"""Check every table and view of the warehouse against its contract, and report.

Each table is checked against its contract, its minimum row count, and its references to other
tables. The report goes to the log as a table (table, column, check, failing count, examples) and to
``reports/data-check.json``; the job fails when any check fails.
"""

from __future__ import annotations

import logging
from pathlib import Path

from ..core.data.contracts import (
    TABLES,
)
from ..core.data.quality import (
    TableReport,
    check_tables,
    references,
    render_json,
)
from ..core.data.sql import (
    select_all,
)
from ..io.files import (
    write_atomically,
)
from ..io.warehouse import (
    Warehouse,
)

logger = logging.getLogger(__name__)


def check(warehouse: Warehouse, names: list[str] | None = None) -> list[TableReport]:
    """Check the tables called ``names`` (default: all); read the tables they reference too."""
    tables = [table for table in TABLES if names is None or table.name in names]
    needed = {table.name for table in tables}
    needed |= {other for table in tables for other, _ in references(table).values()}
    frames = {}
    for name in sorted(needed):
        frames[name] = warehouse.query(select_all(name, warehouse.dialect))
        logger.debug(
            "Checking %s: %d rows, columns %s", name, len(frames[name]), list(frames[name].columns)
        )
    return check_tables(tables, frames)


def write_report(reports: list[TableReport], reports_dir: Path) -> Path:
    """Write the JSON report atomically and return its path."""
    return write_atomically(reports_dir / "data-check.json", render_json(reports))
