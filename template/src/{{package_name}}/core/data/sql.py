"""The SQL views in sql/: what each one reads, the order to build them in, and a static check.

One file is one view, named after the file (``sql/features/customer_features.sql`` builds
``customer_features``). The views are written in DuckDB's dialect and transpiled by sqlglot to the
warehouse's. What a view reads, and so the build order, comes from its SQL, never from a list kept
by hand. The static check resolves every column against the contracts before anything runs, so a
typo is reported with its file and column instead of failing half-way through a build.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from graphlib import CycleError, TopologicalSorter
from pathlib import Path
from typing import cast

import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel, OptimizeError, ParseError, SchemaError, UnsupportedError
from sqlglot.optimizer.qualify import qualify

from .fixes import (
    EXTRA,
    MISSING,
    Origin,
    column_fixes,
)

SOURCE_DIALECT = "duckdb"
# One part of a table or view name (catalog.schema.table): letters, digits, '_' and '-' (BigQuery's
# project ids have hyphens), starting with a letter or '_'. A name is built from its parts, never
# parsed as SQL: what a batch is given to read cannot smuggle a function call or a subquery in.
NAME_PART = re.compile(r"[A-Za-z_][A-Za-z0-9_-]{0,127}")
NAME_PARTS = 3


class SqlError(ValueError):
    """A SQL file cannot be parsed, reads an unknown table or column, or breaks its contract."""


@dataclass(frozen=True)
class View:
    """A view: its name, the file it comes from, its SQL and the tables it reads."""

    name: str
    path: Path
    sql: str
    reads: frozenset[str]

    def to_dialect(self, dialect: str) -> str:
        """Return the view's SELECT in ``dialect``.

        Raises:
            SqlError: the SQL uses something ``dialect`` has no equivalent for.
        """
        try:
            return sqlglot.transpile(
                self.sql, read=SOURCE_DIALECT, write=dialect, unsupported_level=ErrorLevel.RAISE
            )[0]
        except UnsupportedError as error:
            raise SqlError(f"{self.path}: cannot be written in {dialect}'s SQL: {error}") from None


def table_name(name: str) -> exp.Table:
    """Return the table or view ``name`` (``table``, ``schema.table`` or ``catalog.schema.table``).

    Raises:
        SqlError: ``name`` is not one to three dot-separated parts, each matching ``NAME_PART``;
            the message names it.
    """
    parts = name.split(".")
    if len(parts) > NAME_PARTS or not all(NAME_PART.fullmatch(part) for part in parts):
        raise SqlError(
            f"{name!r} is not a table or view name: expected table, schema.table or "
            "catalog.schema.table, each part letters, digits, '_' or '-', starting with a letter "
            "or '_'"
        )
    *qualifiers, table = parts
    catalog, schema = [None] * (NAME_PARTS - 1 - len(qualifiers)) + qualifiers
    return exp.table_(table, db=schema, catalog=catalog)


def select_all(table: str, dialect: str) -> str:
    """Return ``select * from table`` in ``dialect``, the name quoted only where it needs to be.

    Left unquoted, a name resolves the way the warehouse stores it (Snowflake upper-cases it).

    Raises:
        SqlError: ``table`` is not a table or view name (see :func:`table_name`).
    """
    return exp.select("*").from_(table_name(table)).sql(dialect=dialect)


def parse_view(path: Path) -> View:
    """Read one SQL file into a view.

    Raises:
        SqlError: the file is not a single SELECT statement.
    """
    sql = path.read_text(encoding="utf-8")
    try:
        statements = sqlglot.parse(sql, read=SOURCE_DIALECT)
    except ParseError as error:
        raise SqlError(f"{path}: not valid SQL: {error}") from None
    if len(statements) != 1 or not isinstance(statements[0], exp.Query):
        raise SqlError(f"{path}: a view file holds exactly one SELECT statement")
    tree = statements[0]
    ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
    reads = frozenset(table.name for table in tree.find_all(exp.Table) if table.name not in ctes)
    return View(name=path.stem, path=path, sql=sql.strip(), reads=reads)


def load_views(sql_dir: Path) -> list[View]:
    """Read every ``*.sql`` file below ``sql_dir``.

    Raises:
        SqlError: a file is invalid, or two files define the same view.
    """
    views: dict[str, View] = {}
    for path in sorted(sql_dir.rglob("*.sql")):
        view = parse_view(path)
        if view.name in views:
            raise SqlError(f"{path}: view {view.name!r} is also defined by {views[view.name].path}")
        views[view.name] = view
    return list(views.values())


def build_order(views: list[View], raw_tables: set[str]) -> list[View]:
    """Return the views in an order where each comes after every view it reads.

    Raises:
        SqlError: a view reads a table that is neither raw nor a view, or views read each other in
            a cycle.
    """
    by_name = {view.name: view for view in views}
    for view in views:
        unknown = sorted(view.reads - raw_tables - by_name.keys())
        if unknown:
            raise SqlError(f"{view.path}: reads unknown table(s) {', '.join(unknown)}")
    graph = {view.name: view.reads & by_name.keys() for view in views}
    try:
        order = list(TopologicalSorter(graph).static_order())
    except CycleError as error:
        raise SqlError(f"views read each other in a cycle: {' -> '.join(error.args[1])}") from None
    return [by_name[name] for name in order]


def check_views(
    views: list[View],
    raw_schemas: dict[str, dict[str, str]],
    contracts: dict[str, list[str]],
    contract_names: Mapping[str, str] | None = None,
) -> list[str]:
    """Resolve every column of every view, and compare each view's columns with its contract.

    Args:
        views: the views, in any order.
        raw_schemas: each raw table's columns and SQL types.
        contracts: each view's contract columns, in order.
        contract_names: each view's contract class, for the messages (default: "of <view>").

    Returns:
        One message per problem, naming the file and the column; empty when all is well.
    """
    try:
        ordered = build_order(views, set(raw_schemas))
    except SqlError as error:
        return [str(error)]
    schema: dict[str, dict[str, str]] = {
        name: dict(columns) for name, columns in raw_schemas.items()
    }
    problems = []
    failed: set[str] = set()
    for view in ordered:
        broken = sorted(view.reads & failed)
        if broken:
            problems.append(
                f"{view.path}: not checked: it reads {', '.join(broken)}, which has errors"
            )
            failed.add(view.name)
            continue
        tree = sqlglot.parse_one(view.sql, read=SOURCE_DIALECT)
        try:
            qualified = qualify(
                tree,
                schema=cast(dict[str, object], schema),
                dialect=SOURCE_DIALECT,
                validate_qualify_columns=True,
            )
        except (OptimizeError, SchemaError) as error:
            problems.append(f"{view.path}: {error}")
            failed.add(view.name)
            continue
        assert isinstance(qualified, exp.Query)  # noqa: S101  (qualify keeps the statement's kind)
        columns = [projection.alias_or_name for projection in qualified.selects]
        schema[view.name] = dict.fromkeys(columns, "UNKNOWN")
        expected = contracts.get(view.name)
        if expected is None:
            problems.append(
                f"{view.path}: view {view.name!r} has no contract in core/data/contracts.py"
            )
        elif columns != expected:
            name = (contract_names or {}).get(view.name, f"of {view.name}")
            where = Origin(view.name, name, raw=False, source=view.path)
            shape = [(column, MISSING) for column in expected if column not in columns]
            shape += [(column, EXTRA) for column in columns if column not in expected]
            problems += column_fixes(where, shape) or [
                f"{view.path}: the view {view.name} has the columns of the contract {name} in "
                f"another order: select them in the contract's order ({', '.join(expected)})"
            ]
    return problems
