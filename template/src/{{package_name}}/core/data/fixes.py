"""Where to fix a table whose columns differ from its contract, said in plain words.

A column the data has and the contract does not declare (or the reverse) is fixed in one of two
files the team owns: the contract, or the file the table comes from (the SQL of a view, the sample
file of a raw table). The messages name both, so that nobody has to decode pandera's check names.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from .contracts import (
    Table,
)

# The team's contracts, as the project's root sees them: this package is src/<package>/.
CONTRACTS_FILE = Path("src", __name__.partition(".")[0], "core", "data", "contracts.py")
# The check names of quality.SCHEMA_CHECKS that say a column is extra, or missing.
EXTRA = "column not in the contract"
MISSING = "column missing"


def extra_column(where: Origin, column: str) -> str:
    """Return what to do about ``column``, which the table has and its contract does not declare."""
    return (
        f"the {where.kind} {where.table} has a column {column} that the contract {where.contract} "
        f"does not declare: add it to {CONTRACTS_FILE}, or remove it from {where.file}{where.then}"
    )


def missing_column(where: Origin, column: str) -> str:
    """Return what to do about ``column``, which the contract declares and the table lacks."""
    return (
        f"the contract {where.contract} declares a column {column} that the {where.kind} "
        f"{where.table} does not have: add it to {where.file}{where.then}, "
        f"or remove it from {CONTRACTS_FILE}"
    )


@dataclass(frozen=True)
class Origin:
    """A table, its contract's name, and the file the team edits to change its columns."""

    table: str
    contract: str
    raw: bool
    source: Path | None = None  # the view's SQL file, the raw table's sample file; None: unknown

    @classmethod
    def of(cls, table: Table, sources: Mapping[str, Path]) -> Origin:
        """Return the origin of ``table``, its file looked up by name in ``sources``."""
        return cls(table.name, table.contract.__name__, table.is_raw, sources.get(table.name))

    @property
    def kind(self) -> str:
        """What the table is: a raw table, loaded from a file, or a view, built by SQL."""
        return "table" if self.raw else "view"

    @property
    def file(self) -> str:
        """The file the columns come from, or what it is when unknown."""
        if self.source is not None:
            return str(self.source)
        return "its source file" if self.raw else "its SQL file"

    @property
    def then(self) -> str:
        """What brings a change of the file into the warehouse."""
        return " (then `make data`)"


def column_fixes(where: Origin, shape: Sequence[tuple[str, str]]) -> list[str]:
    """Return one message per ``(column, check)`` of ``shape`` naming an extra or missing column."""
    fixes = []
    for column, check in shape:
        if check == EXTRA:
            fixes.append(extra_column(where, column))
        elif check == MISSING:
            fixes.append(missing_column(where, column))
    return fixes
