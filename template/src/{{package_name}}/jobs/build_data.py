"""Build the warehouse: load the raw source files, then build the SQL views in dependency order.

Every raw table is checked before anything is written, against its contract, its minimum row count
and its references to other raw tables: a broken export stops the build with a report, and the
warehouse keeps its previous tables and views.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pa_csv

from ..core.data.contracts import (
    TABLES,
    Table,
    sql_types,
)
from ..core.data.fixes import (
    Origin,
    column_fixes,
)
from ..core.data.quality import (
    TableReport,
    check_tables,
)
from ..core.data.sql import (
    build_order,
    load_views,
)
from ..io.csv_files import (
    failed_line,
)
from ..io.warehouse import (
    Warehouse,
)

logger = logging.getLogger(__name__)

ARROW_TYPES = {
    "VARCHAR": pa.string(),
    "BIGINT": pa.int64(),
    "DOUBLE": pa.float64(),
    "BOOLEAN": pa.bool_(),
    "DATE": pa.date32(),
}


class SourceError(ValueError):
    """A raw source file is missing, unreadable, or breaks its contract."""

    def __init__(self, message: str, reports: list[TableReport] | None = None) -> None:
        """Keep the contract reports of the tables that failed, for the caller to print."""
        super().__init__(message)
        self.reports = reports or []


def read_source(table: Table, sample_dir: Path, setting: str = "SAMPLE_DIR") -> pa.Table:
    """Read a raw table's CSV file, every column of it, with the column types of its contract.

    A column the contract does not name is read too, so that the contract check refuses it by name.
    ``setting`` is the variable that sets ``sample_dir``, named when a file is missing.

    Raises:
        SourceError: the file is missing or empty, or a value cannot be read as its column's type;
            the message ends with the line, ``(line N)``, where Arrow can tell it.
    """
    assert table.source is not None  # noqa: S101  (only raw tables have a source)
    path = sample_dir / table.source
    if not path.is_file():
        raise SourceError(
            f"{path}: source file of table {table.name!r} not found: put it there, or point "
            f"{setting} at the folder that holds it"
        )
    columns = sql_types(table.contract)
    types = {name: ARROW_TYPES[sql_type] for name, sql_type in columns.items()}
    options = pa_csv.ConvertOptions(column_types=types, strings_can_be_null=True)
    try:
        return pa_csv.read_csv(path, convert_options=options)
    except pa.ArrowInvalid as error:
        message, line = failed_line(path, options, str(error))
        raise SourceError(
            f"{path}: table {table.name!r}: {_explain(message, path, columns)}{line}"
        ) from None


def _explain(message: str, path: Path, columns: dict[str, str]) -> str:
    """Name the column and the value in Arrow's "In CSV column #N" messages.

    Arrow gives the column's position only, and its own name for the type.
    """
    match = re.search(r"CSV column #(\d+): (.*)", message)
    if match is None:
        return message
    with path.open(encoding="utf-8") as source:
        header = source.readline().strip().split(",")
    position = int(match.group(1))
    name = header[position] if position < len(header) else f"#{position}"
    value = re.search(r"CSV conversion error to .*: invalid value (.*)$", match.group(2))
    if value is None or name not in columns:
        return f"column {name!r}: {match.group(2)}"
    return (
        f"column {name!r}: {value.group(1)} is not a {columns[name]}; "
        "fix the value, or the column's type in its contract"
    )


def build(
    warehouse: Warehouse, sample_dir: Path, sql_dir: Path, sample_setting: str = "SAMPLE_DIR"
) -> list[str]:
    """Load every raw table and build every view; return the names built, in order.

    ``sample_setting`` is the variable that sets ``sample_dir``, for errors.

    Raises:
        SourceError: a source file is missing, unreadable or breaks its contract; then nothing
            is written.
        SqlError: a SQL file is invalid or reads an unknown table.
        WarehouseError: the warehouse refused a table or a view; then nothing is written.
    """
    raw = [table for table in TABLES if table.is_raw]
    views = build_order(load_views(sql_dir), {table.name for table in raw})
    loaded = {table.name: read_source(table, sample_dir, sample_setting) for table in raw}
    reports = check_tables(raw, {name: rows.to_pandas() for name, rows in loaded.items()})
    failing = [report for report in reports if not report.ok]
    if failing:
        names = ", ".join(report.table for report in failing)
        sources = {table.name: sample_dir / table.source for table in raw if table.source}
        fixes = []
        for report in failing:
            where = Origin.of(next(t for t in raw if t.name == report.table), sources)
            fixes += column_fixes(where, [(item.column, item.check) for item in report.violations])
        raise SourceError(
            f"raw table(s) {names} break their contracts: nothing was written, "
            "the warehouse keeps its previous tables and views"
            + "".join(f"\n  To fix: {fix}" for fix in fixes),
            reports,
        )
    with warehouse.transaction():
        for table in raw:
            rows = loaded[table.name].select(list(sql_types(table.contract)))
            logger.info("Loading %s (%d rows)", table.name, rows.num_rows)
            warehouse.write_table(table.name, rows)
        for view in views:
            logger.info("Building view %s from %s", view.name, view.path)
            warehouse.create_view(view.name, view.to_dialect(warehouse.dialect))
    return [*(table.name for table in raw), *(view.name for view in views)]
