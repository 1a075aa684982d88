"""Check the SQL views without running them.

Every table and column a view reads must exist, and each view's columns must be its contract's.
"""

from __future__ import annotations

from pathlib import Path

from ..core.data.contracts import (
    TABLES,
    sql_types,
)
from ..core.data.sql import (
    SqlError,
    check_views,
    load_views,
)


def check(sql_dir: Path) -> list[str]:
    """Return one message per problem in the SQL files (empty when all is well)."""
    try:
        views = load_views(sql_dir)
    except SqlError as error:
        return [str(error)]
    raw = {table.name: sql_types(table.contract) for table in TABLES if table.is_raw}
    contracts = {
        table.name: list(sql_types(table.contract)) for table in TABLES if not table.is_raw
    }
    names = {table.name: table.contract.__name__ for table in TABLES}
    problems = check_views(views, raw, contracts, names)
    missing = sorted(set(contracts) - {view.name for view in views})
    problems += [
        f"{sql_dir}: no SQL file builds view {name!r}, which has a contract" for name in missing
    ]
    return problems
