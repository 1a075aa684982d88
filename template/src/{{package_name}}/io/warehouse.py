"""The warehouse: run a query, write a table, build a view.

One small interface, so that the jobs never depend on the engine: DuckDB, embedded in a file, is the
default; other engines implement the same three operations.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa


class WarehouseError(RuntimeError):
    """The warehouse cannot be reached or used; the message names the setting to change."""


# The tables and views of the schema in use, in the engines that have an information schema.
TABLE_NAMES = (
    "select table_name from information_schema.tables where table_schema = current_schema()"
)


class Warehouse(ABC):
    """A SQL warehouse that the data jobs read from and write to."""

    dialect: str
    # Where the tables are, without secrets (a file, a schema, a dataset): recorded with runs.
    location: str = ""

    @abstractmethod
    def query(self, sql: str) -> pd.DataFrame:
        """Run a query and return its rows."""

    @abstractmethod
    def query_arrow(self, sql: str) -> pa.Table:
        """Run a query and return its rows as an Arrow table."""

    def iter_arrow(self, sql: str, rows: int) -> Iterator[pa.RecordBatch]:
        """Run a query and yield its rows in batches of at most ``rows``.

        This default fetches the whole result first; engines that can stream override it.
        """
        yield from self.query_arrow(sql).to_batches(max_chunksize=rows)

    def table_names(self) -> list[str] | None:
        """Return the names of the tables and views, sorted; None where the engine cannot list them.

        Errors about a missing table list these, so that a misspelt name is seen at once.
        """
        return None

    @abstractmethod
    def write_table(self, name: str, rows: pa.Table) -> None:
        """Create or replace table ``name`` with ``rows``, in one transaction."""

    @abstractmethod
    def create_view(self, name: str, select: str) -> None:
        """Create or replace view ``name`` as ``select`` (in the warehouse's dialect)."""

    @abstractmethod
    def transaction(self) -> AbstractContextManager[None]:
        """Group writes: all of them are kept, or none when the block raises."""

    @abstractmethod
    def close(self) -> None:
        """Release the connection."""

    def __enter__(self) -> Warehouse:
        """Use the warehouse in a ``with`` block, which closes it."""
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Close the warehouse at the end of the ``with`` block."""
        self.close()


class DuckDBWarehouse(Warehouse):
    """A DuckDB database in one file."""

    dialect = "duckdb"

    def __init__(
        self, path: Path, *, read_only: bool = False, setting: str = "WAREHOUSE_PATH"
    ) -> None:
        """Open (or create) the file at ``path``; ``setting`` is named in errors."""
        if read_only and not path.exists():
            raise WarehouseError(
                f"the warehouse file {path} does not exist: run `make data` to build it, "
                f"or point {setting} at an existing file"
            )
        path.parent.mkdir(parents=True, exist_ok=True)
        self.location = str(path)
        try:
            self._connection = duckdb.connect(str(path), read_only=read_only)
        except duckdb.Error as error:
            raise WarehouseError(
                f"cannot open the warehouse file {path} ({error}); check {setting}"
            ) from None

    def query(self, sql: str) -> pd.DataFrame:
        """Run a query and return its rows."""
        frame: pd.DataFrame = self._fetch(sql, duckdb.DuckDBPyRelation.df)
        return frame

    def query_arrow(self, sql: str) -> pa.Table:
        """Run a query and return its rows as an Arrow table."""
        table: pa.Table = self._fetch(sql, duckdb.DuckDBPyRelation.to_arrow_table)
        return table

    def _fetch(self, sql: str, fetch: Callable[[duckdb.DuckDBPyRelation], Any]) -> Any:
        """Run ``sql`` and fetch its result with ``fetch``; errors say how to build the tables."""
        try:
            return fetch(self._connection.sql(sql))
        except duckdb.Error as error:
            raise WarehouseError(f"{error}; run `make data` to build the warehouse") from None

    def iter_arrow(self, sql: str, rows: int) -> Iterator[pa.RecordBatch]:
        """Run a query and stream its rows in batches of at most ``rows``: memory stays flat."""
        reader: pa.RecordBatchReader = self._fetch(
            sql, lambda relation: relation.to_arrow_reader(rows)
        )
        yield from reader

    def table_names(self) -> list[str]:
        """Return the names of the tables and views of the current schema, sorted."""
        return sorted(self.query(TABLE_NAMES)["table_name"])

    def write_table(self, name: str, rows: pa.Table) -> None:
        """Create or replace table ``name`` with ``rows`` (one statement, so atomic)."""
        self._connection.register("_incoming", rows)
        try:
            # Names come from the contracts, never from input: quoting them is enough.
            self._connection.execute(
                f'create or replace table "{name}" as select * from _incoming'  # noqa: S608
            )
        except duckdb.Error as error:
            raise WarehouseError(f"cannot write table {name!r}: {error}") from None
        finally:
            self._connection.unregister("_incoming")

    def create_view(self, name: str, select: str) -> None:
        """Create or replace view ``name`` as ``select``."""
        try:
            self._connection.execute(f'create or replace view "{name}" as {select}')
        except duckdb.Error as error:
            raise WarehouseError(f"cannot build view {name!r}: {error}") from None

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Group writes: all of them are kept, or none when the block raises."""
        self._connection.begin()
        try:
            yield
        except BaseException:
            self._connection.rollback()
            raise
        self._connection.commit()

    def close(self) -> None:
        """Release the connection."""
        self._connection.close()


def connect(path: Path, *, read_only: bool = False, setting: str = "WAREHOUSE_PATH") -> Warehouse:
    """Open the project's warehouse; ``setting`` names the setting to change when it fails."""
    return DuckDBWarehouse(path, read_only=read_only, setting=setting)


def missing_table(warehouse: Warehouse, name: str) -> str | None:
    """Return why table or view ``name`` cannot be read, or None when it is there.

    The answer lists what the warehouse has, and says to run `make data` only when it has nothing.
    None, too, where the engine cannot list its tables (then the query's own error speaks).
    """
    names = warehouse.table_names()
    if names is None or name in names or "." in name:  # a qualified name is the user's choice
        return None
    where = f" ({warehouse.location})" if warehouse.location else ""
    if not names:
        return f"the warehouse{where} has no tables or views yet: run `make data` to build it"
    return f"{name!r} is not a table or view of the warehouse{where}; it has: {', '.join(names)}"
