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
    table,
)
from ..core.data.fixes import (
    Origin,
    column_fixes,
)
from ..core.data.quality import (
    TableReport,
    check_tables,
    references,
    render_json,
)
from ..core.data.sql import (
    SqlError,
    load_views,
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


def fixes(reports: list[TableReport], sql_dir: Path, sample_dir: Path) -> list[str]:
    """Return, for each column a table has and its contract lacks (or the reverse), where to fix it.

    A view's file is its SQL file in ``sql_dir``, a raw table's its file in ``sample_dir``.
    """
    sources = {item.name: sample_dir / item.source for item in TABLES if item.source is not None}
    try:
        sources |= {view.name: view.path for view in load_views(sql_dir)}
    except SqlError:
        # Only the file names are looked up here; `make sql-check` reports the SQL's own error.
        logger.debug("The SQL files cannot be read: the fixes name no SQL file", exc_info=True)
    messages = []
    for report in reports:
        shape = [(violation.column, violation.check) for violation in report.violations]
        messages += column_fixes(Origin.of(table(report.table), sources), shape)
    return messages
