"""Data contracts: one pandera model per raw table and per SQL view.

Each contract is the single source of truth for its table: the column types the raw files are loaded
with, the checks ``make data-check`` runs, the column list the SQL check expects, and the data
dictionary in the docs. Later stages validate training input, API requests and batch input with the
same contracts.

A contract's docstring describes the table; each ``Field`` has a ``description`` for the dictionary.
Checks that span a whole table or several tables (a minimum row count, a column whose values must
exist in another table) are declared with the table, in ``TABLES``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import pandas as pd
import pandera.pandas as pa
from pandera import extensions
from pandera.typing import Series

PLANS = ["basic", "standard", "premium"]
COUNTRIES = ["US", "GB", "DE", "FR"]
ISO_DATE = "%Y-%m-%d"


@extensions.register_check_method(statistics=["date_format"])  # type: ignore[untyped-decorator]
def calendar_date(values: pd.Series, *, date_format: str) -> pd.Series:
    """Check that each value is a day of the calendar written exactly in ``date_format``.

    A pattern alone lets through `2024-02-30`, which the staging view then cannot cast.
    """
    parsed = pd.to_datetime(values, format=date_format, errors="coerce")
    # Formatting the parsed day back must give the text: this refuses `2024-2-3` as well.
    same: pd.Series = parsed.dt.strftime(date_format).eq(values).fillna(value=False).astype(bool)
    return same


class Contract(pa.DataFrameModel):
    """Settings shared by every contract."""

    class Config:
        """Validation settings: exact columns, coerced to their declared types."""

        strict = True
        coerce = True


# Raw tables: as delivered by the sources, before any cleaning.


class Customers(Contract):
    """Customers as exported by the billing system: one row per customer, with the churn label."""

    customer_id: Series[str] = pa.Field(
        unique=True, str_matches=r"^C\d+$", description="Customer key."
    )
    signup_date: Series[str] = pa.Field(calendar_date=ISO_DATE, description="Signup day, as text.")
    plan: Series[str] = pa.Field(description="Subscription plan, free text as typed by sales.")
    country: Series[str] = pa.Field(description="Billing country, free text.")
    age: Series[pd.Int64Dtype] = pa.Field(
        nullable=True, ge=18, le=100, description="Age in years; missing when not given."
    )
    monthly_fee: Series[float] = pa.Field(gt=0, description="Monthly fee in USD.")
    churned: Series[int] = pa.Field(isin=[0, 1], description="1 if the customer left in the month.")


class Activity(Contract):
    """App activity: one row per customer and day with at least one session."""

    customer_id: Series[str] = pa.Field(str_matches=r"^C\d+$", description="Customer key.")
    activity_date: Series[str] = pa.Field(calendar_date=ISO_DATE, description="Day, as text.")
    sessions: Series[int] = pa.Field(ge=1, description="Sessions that day.")
    minutes: Series[float] = pa.Field(
        nullable=True, ge=0, description="Minutes in the app that day; missing when not reported."
    )
    support_tickets: Series[int] = pa.Field(ge=0, description="Support tickets opened that day.")

    class Config:
        """One row per customer and day."""

        unique: ClassVar[list[str]] = ["customer_id", "activity_date"]


# Views: built by the SQL in sql/, in the warehouse.


class StgCustomers(Contract):
    """Customers with typed dates and normalised plan and country."""

    customer_id: Series[str] = pa.Field(unique=True, description="Customer key.")
    signup_date: Series[pd.Timestamp] = pa.Field(description="Signup day.")
    plan: Series[str] = pa.Field(isin=PLANS, description="Subscription plan.")
    country: Series[str] = pa.Field(isin=COUNTRIES, description="Billing country, ISO 3166 code.")
    age: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=18, le=100, description="Age in years.")
    monthly_fee: Series[float] = pa.Field(gt=0, description="Monthly fee in USD.")
    churned: Series[bool] = pa.Field(description="Whether the customer left in the month.")


class StgActivity(Contract):
    """Activity with typed dates; unreported minutes counted as zero."""

    customer_id: Series[str] = pa.Field(description="Customer key.")
    activity_date: Series[pd.Timestamp] = pa.Field(description="Day.")
    sessions: Series[int] = pa.Field(ge=1, description="Sessions that day.")
    minutes: Series[float] = pa.Field(ge=0, description="Minutes in the app that day.")
    support_tickets: Series[int] = pa.Field(ge=0, description="Support tickets opened that day.")

    class Config:
        """One row per customer and day."""

        unique: ClassVar[list[str]] = ["customer_id", "activity_date"]


class CustomerFeatures(Contract):
    """The model's input: one row per customer, features over the last 90 days, and the label."""

    customer_id: Series[str] = pa.Field(unique=True, description="Customer key.")
    plan: Series[str] = pa.Field(isin=PLANS, description="Subscription plan.")
    country: Series[str] = pa.Field(isin=COUNTRIES, description="Billing country, ISO 3166 code.")
    age: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=18, le=100, description="Age in years.")
    monthly_fee: Series[float] = pa.Field(gt=0, description="Monthly fee in USD.")
    tenure_days: Series[int] = pa.Field(ge=0, description="Days from signup to the snapshot.")
    sessions_90d: Series[int] = pa.Field(ge=0, description="Sessions in the last 90 days.")
    minutes_90d: Series[float] = pa.Field(ge=0, description="Minutes in the last 90 days.")
    tickets_90d: Series[int] = pa.Field(ge=0, description="Support tickets in the last 90 days.")
    days_since_last_activity: Series[pd.Int64Dtype] = pa.Field(
        nullable=True, ge=0, description="Days from the last active day to the snapshot."
    )
    churned: Series[bool] = pa.Field(description="Label: whether the customer left in the month.")


@dataclass(frozen=True)
class Table:
    """A table of the warehouse and its contract."""

    name: str
    contract: type[Contract]
    source: Path | None = None  # the sample file a raw table is loaded from; None for a view
    # The fewest rows the table may hold: a header-only export fails instead of loading nothing.
    # Set 0 for a table that may be empty.
    min_rows: int = 1
    # Columns whose every value must exist in a column of another table: {"column": "table.column"}.
    references: Mapping[str, str] = field(default_factory=dict)

    @property
    def is_raw(self) -> bool:
        """Whether the table is loaded from a source rather than built by SQL."""
        return self.source is not None


# Every table of the warehouse, raw tables first. A new source table or view gets its contract above
# and its entry here; `make sql-check` fails for a view without one.
TABLES: tuple[Table, ...] = (
    Table("customers", Customers, Path("customers.csv")),
    Table(
        "activity",
        Activity,
        Path("activity.csv"),
        references={"customer_id": "customers.customer_id"},
    ),
    Table("stg_customers", StgCustomers),
    Table("stg_activity", StgActivity),
    Table("customer_features", CustomerFeatures),
)


def table(name: str) -> Table:
    """Return the table called ``name``.

    Raises:
        KeyError: no table of that name has a contract.
    """
    for candidate in TABLES:
        if candidate.name == name:
            return candidate
    known = ", ".join(item.name for item in TABLES)
    raise KeyError(
        f"no contract for table {name!r} (known: {known}); add it to TABLES in contracts.py"
    )


# The SQL type of each pandera dtype the contracts use: the types raw files are loaded with, and the
# schema the SQL check resolves columns against.
SQL_TYPES = {
    "str": "VARCHAR",
    "string": "VARCHAR",
    "string[pyarrow]": "VARCHAR",
    "int64": "BIGINT",
    "Int64": "BIGINT",
    "float64": "DOUBLE",
    "bool": "BOOLEAN",
    "datetime64[ns]": "DATE",
}


def sql_types(contract: type[Contract]) -> dict[str, str]:
    """Return each column of ``contract`` with its SQL type, in contract order."""
    types = {}
    for name, column in contract.to_schema().columns.items():
        dtype = str(column.dtype)
        if dtype not in SQL_TYPES:
            raise TypeError(
                f"{contract.__name__}.{name}: no SQL type for dtype {dtype}; add it to SQL_TYPES"
            )
        types[str(name)] = SQL_TYPES[dtype]
    return types
