"""The model's input: its columns, the frame it reads, and made-up rows of it.

Pure logic, used wherever the model trains or predicts: the same :func:`model_input` prepares its
frame for training, the API, batch scoring and monitoring, so they cannot disagree on the features.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ..data.contracts import (
    Contract,
    sql_types,
)


@dataclass(frozen=True)
class Features:
    """The model's input columns, from the contract of the table it trains on."""

    categorical: tuple[str, ...]
    numeric: tuple[str, ...]

    @property
    def columns(self) -> list[str]:
        """Every input column, in the order the pipeline reads them."""
        return [*self.categorical, *self.numeric]


def model_input(frame: pd.DataFrame, features: Features) -> pd.DataFrame:
    """Return the model's input columns with the types the pipeline expects.

    Numbers become float64, with NaN for a missing value (the model handles missing values);
    categories stay text.
    """
    prepared = frame[features.columns].copy()
    for name in features.numeric:
        prepared[name] = prepared[name].astype("float64")
    for name in features.categorical:
        prepared[name] = prepared[name].astype(object)
    return prepared


def synthetic_example(contract: type[Contract], features: Features, rows: int) -> pd.DataFrame:
    """Return ``rows`` made-up rows of the model's input, each value within the contract's checks.

    What a model records as its input example (which an image's smoke test scores), derived from
    the contract alone: no real row, someone's data, ships with the model. A column with allowed
    values takes them in turn; a number is spread within its bounds (whole for an integer column);
    other text is made up.
    """
    columns = contract.to_schema().columns
    types = sql_types(contract)
    data: dict[str, list[object]] = {}
    for name in features.columns:
        checks = {check.name: check.statistics for check in columns[name].checks}
        allowed = checks.get("isin", {}).get("allowed_values")
        if allowed:
            data[name] = [allowed[row % len(allowed)] for row in range(rows)]
        elif name in features.categorical:
            data[name] = [f"example-{row + 1}" for row in range(rows)]
        else:
            whole = types[name] != "DOUBLE"
            data[name] = [_within(checks, (row + 1) / (rows + 1), whole) for row in range(rows)]
    return model_input(pd.DataFrame(data), features)


def _within(checks: dict[str, dict[str, float]], share: float, whole: bool) -> float:
    """Return a number inside the bounds ``checks`` set, ``share`` of the way between them.

    Without an upper bound, the number is the lower bound plus ``share`` times 100.
    """
    low = next((checks[name][key] for name, key in _LOWER if name in checks), None)
    high = next((checks[name][key] for name, key in _UPPER if name in checks), None)
    base = 0.0 if low is None else float(low)
    span = 100.0 if high is None else float(high) - base
    if low is None and high is not None:
        base = float(high) - span
    value = base + share * span
    return float(round(value)) if whole else round(value, 2)


# The checks that bound a number from below and from above, and the statistic holding the bound.
_LOWER = (
    ("greater_than_or_equal_to", "min_value"),
    ("greater_than", "min_value"),
    ("in_range", "min_value"),
)
_UPPER = (
    ("less_than_or_equal_to", "max_value"),
    ("less_than", "max_value"),
    ("in_range", "max_value"),
)
