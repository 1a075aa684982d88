"""Data quality: validate tables against their contracts and summarise the violations.

Every violation is counted, not just the first: a report lists, per table, column and check, how
many values fail and a few of them, so that a broken export is diagnosed in one run. Besides each
contract's column checks, a table must hold a minimum number of rows, and the columns it declares as
references must hold only values that exist in the referenced table.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field

import pandas as pd
from pandera.errors import SchemaErrors

from .contracts import (
    TABLES,
    Contract,
    Table,
)

EXAMPLES = 5
TABLE = "(table)"  # the column of a violation that concerns the whole table
# pandera's names for checks of the table's shape, in words that say what to fix.
SCHEMA_CHECKS = {
    "column_in_schema": "column not in the contract",
    "column_in_dataframe": "column missing",
    "multiple_fields_uniqueness": "unique together",
}


class ContractError(ValueError):
    """An entry of ``TABLES`` references a table or a column that does not exist."""


@dataclass(frozen=True)
class Violation:
    """Values of one column that fail one check of a table's contract."""

    table: str
    column: str
    check: str
    failing: int
    examples: list[str]


@dataclass(frozen=True)
class TableReport:
    """The result of checking one table."""

    table: str
    rows: int
    violations: list[Violation] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether every row passes every check."""
        return not self.violations


def check_table(name: str, frame: pd.DataFrame, contract: type[Contract]) -> TableReport:
    """Validate ``frame`` against ``contract`` and return every violation, grouped."""
    return validate(name, frame, contract)[1]


def validate(
    name: str, frame: pd.DataFrame, contract: type[Contract]
) -> tuple[pd.DataFrame | None, TableReport]:
    """Validate ``frame`` against ``contract``.

    Returns:
        The frame with the contract's column types (None when it fails), and the report.
    """
    try:
        checked = contract.validate(frame, lazy=True)
    except SchemaErrors as errors:
        return None, TableReport(name, len(frame), summarise(name, errors.failure_cases))
    return checked, TableReport(name, len(frame))


def minimum_rows(table: Table) -> int:
    """Return the fewest rows ``table`` may hold."""
    # contracts.py is the team's: a project generated before tables declared it gets the default.
    return int(getattr(table, "min_rows", 1))


def references(table: Table) -> dict[str, tuple[str, str]]:
    """Return each referencing column of ``table`` with the table and column it references.

    Raises:
        ContractError: a reference is not written ``table.column``, or names a column or a table
            that has no contract.
    """
    declared: Mapping[str, str] = getattr(table, "references", {})  # see minimum_rows
    contracts = {candidate.name: candidate.contract for candidate in TABLES}
    resolved = {}
    for column, target in declared.items():
        where = f"TABLES (contracts.py), table {table.name!r}: the reference {column!r}: {target!r}"
        other, dot, other_column = target.partition(".")
        if not (other and dot and other_column):
            raise ContractError(f"{where} is not written 'table.column'")
        if column not in table.contract.to_schema().columns:
            raise ContractError(f"{where}: {table.name!r} has no column {column!r}")
        if other not in contracts:
            raise ContractError(f"{where}: no table {other!r} (known: {', '.join(contracts)})")
        if other_column not in contracts[other].to_schema().columns:
            raise ContractError(f"{where}: {other!r} has no column {other_column!r}")
        resolved[column] = (other, other_column)
    return resolved


def check_tables(tables: Sequence[Table], frames: Mapping[str, pd.DataFrame]) -> list[TableReport]:
    """Check each of ``tables``: its contract, its minimum row count and its references.

    ``frames`` holds the rows of each table, by name. A reference to a table absent from ``frames``
    is not checked here: the build checks references between raw tables, ``make data-check`` all.
    Nor is one whose column is missing from the data: the contract check reports the column.

    Raises:
        ContractError: a table's references name a table or a column that does not exist.
    """
    reports = []
    for table in tables:
        frame = frames[table.name]
        violations = check_table(table.name, frame, table.contract).violations
        violations += check_rows(table.name, len(frame), minimum_rows(table))
        for column, (other, other_column) in references(table).items():
            target = frames.get(other)
            if target is not None and column in frame and other_column in target:
                violations += check_reference(
                    table.name, frame[column], other, target[other_column]
                )
        reports.append(TableReport(table.name, len(frame), violations))
    return reports


def check_rows(name: str, rows: int, minimum: int) -> list[Violation]:
    """Return a violation when table ``name`` has fewer than ``minimum`` rows."""
    if rows >= minimum:
        return []
    noun = "row" if minimum == 1 else "rows"
    return [Violation(name, TABLE, f"at least {minimum} {noun}", 1, [f"{rows} rows"])]


def check_reference(name: str, values: pd.Series, other: str, known: pd.Series) -> list[Violation]:
    """Return a violation for the ``values`` of table ``name`` absent from ``other``'s ``known``.

    Missing values are the contract's concern (``nullable``), not the reference's.
    """
    unknown = values[values.notna() & ~values.isin(known)]
    if unknown.empty:
        return []
    examples = [str(value) for value in dict.fromkeys(unknown)][:EXAMPLES]
    check = f"exists in {other}.{known.name}"
    return [Violation(name, str(values.name), check, len(unknown), examples)]


def summarise(name: str, failure_cases: pd.DataFrame) -> list[Violation]:
    """Group pandera's failure cases by column and check, in words that say what to fix."""
    cases = failure_cases.assign(
        column=failure_cases["column"].fillna(TABLE).astype(str),
        check=failure_cases["check"].astype(str),
        failure_case=failure_cases["failure_case"].map(_example),
    )
    # A column missing from, or extra to, the contract: pandera names the schema as the column.
    shape = cases["check"].isin(["column_in_schema", "column_in_dataframe"])
    cases.loc[shape, "column"] = cases.loc[shape, "failure_case"]
    # A key of several columns: one failure per column and row, shown as one per row.
    key = cases["check"] == "multiple_fields_uniqueness"
    if key.any():
        cases = pd.concat([cases[~key], _join_key(cases[key])], ignore_index=True)
    cases["check"] = cases["check"].replace(SCHEMA_CHECKS)
    violations = []
    for (column, check), group in cases.groupby(["column", "check"], sort=True):
        examples = list(dict.fromkeys(group["failure_case"]))[:EXAMPLES]
        violations.append(Violation(name, str(column), str(check), len(group), examples))
    return violations


def _example(value: object) -> str:
    """Show a failing value as the file holds it; a missing one as `null`.

    A whole number is shown without a decimal part (``12``, not ``12.0``): pandas stores the
    integers of a column with missing values as floats.
    """
    if value is None or value is pd.NA:
        return "null"
    if isinstance(value, float):
        if math.isnan(value):
            return "null"
        if value.is_integer():
            return str(int(value))
    return str(value)


def _join_key(cases: pd.DataFrame) -> pd.DataFrame:
    """Turn the failure cases of a several-column key into one case per row: `C1, 2025-01-01`."""
    rows = cases.groupby("index", sort=True)
    return pd.DataFrame(
        {
            "column": rows["column"].agg(", ".join),
            "check": "multiple_fields_uniqueness",
            "failure_case": rows["failure_case"].agg(", ".join),
        }
    ).reset_index(drop=True)


def render_text(reports: list[TableReport]) -> str:
    """Return the reports as a table for the terminal."""
    lines = []
    for report in reports:
        status = "ok" if report.ok else f"{len(report.violations)} failing check(s)"
        lines.append(f"{report.table}: {report.rows} rows, {status}")
        for violation in report.violations:
            examples = ", ".join(violation.examples)
            lines.append(
                f"  {violation.column:<26} {violation.check:<40} {violation.failing:>8} failing  "
                f"e.g. {examples}"
            )
    return "\n".join(lines) + "\n"


def render_json(reports: list[TableReport]) -> str:
    """Return the reports as JSON, for CI artefacts and other tools."""
    payload = {
        "ok": all(report.ok for report in reports),
        "tables": [asdict(report) | {"ok": report.ok} for report in reports],
    }
    return json.dumps(payload, indent=2) + "\n"
