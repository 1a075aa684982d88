"""The API's request model, derived from the data contract of the table the model trains on.

Each input column becomes a field with the contract's type, nullability, range and categories, so
the API refuses what the contract refuses, with a message per field, before the model sees it.
A change to the contract changes the API with it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, create_model

from ..data.contracts import (
    Contract,
    sql_types,
)


def _json_number(value: Any) -> Any:
    """Refuse what JSON Schema's number refuses but pydantic's lax mode would convert."""
    if isinstance(value, bool | str):
        message = f"expected a number, got {type(value).__name__} {value!r}"
        raise ValueError(message)
    return value


def _json_boolean(value: Any) -> Any:
    """Refuse anything but true and false, which pydantic's lax mode would convert."""
    if not isinstance(value, bool):
        message = f"expected true or false, got {value!r}"
        raise ValueError(message)
    return value


# Each SQL type's field type, and what refuses the values JSON Schema refuses but pydantic's lax
# mode would convert: 3 and 3.0 are an integer, "3" and true are not.
PYTHON_TYPES: dict[str, tuple[type, Callable[[Any], Any] | None]] = {
    "VARCHAR": (str, None),
    "BIGINT": (int, _json_number),
    "DOUBLE": (float, _json_number),
    "BOOLEAN": (bool, _json_boolean),
}
BOUNDS = {
    "greater_than": "gt",
    "greater_than_or_equal_to": "ge",
    "less_than": "lt",
    "less_than_or_equal_to": "le",
}


class RecordBase(BaseModel):
    """A record to score: exactly the contract's input columns (the label and others refused)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def record_model(contract: type[Contract], target: str, id_column: str) -> type[RecordBase]:
    """Return the pydantic model of one input record of ``contract``.

    The label is left out; the key is optional (echoed back with the prediction when given).
    """
    schema = contract.to_schema()
    types = sql_types(contract)
    fields: dict[str, Any] = {}
    for name, column in schema.columns.items():
        if name == target:
            continue
        base, exact = PYTHON_TYPES.get(types[str(name)], (str, None))
        annotation: Any = base
        bounds: dict[str, Any] = {}
        for check in column.checks:
            if check.name == "isin":
                annotation = Literal[tuple(check.statistics["allowed_values"])]
            elif check.name in BOUNDS:
                bounds[BOUNDS[check.name]] = next(iter(check.statistics.values()))
        if types[str(name)] == "DOUBLE":
            bounds["allow_inf_nan"] = False
        # The bounds go on the value's type, not on the field: an optional field's schema then
        # reads "a number within the bounds, or null". The exactness check wraps them.
        if bounds:
            annotation = Annotated[annotation, Field(**bounds)]
        if exact is not None:
            annotation = Annotated[annotation, BeforeValidator(exact)]
        details: dict[str, Any] = {"description": column.description}
        if column.nullable or name == id_column:
            annotation = annotation | None
            details["default"] = None
        fields[str(name)] = (annotation, Field(**details))
    model: type[RecordBase] = create_model(
        f"{contract.__name__}Record", __base__=RecordBase, **fields
    )
    return model
