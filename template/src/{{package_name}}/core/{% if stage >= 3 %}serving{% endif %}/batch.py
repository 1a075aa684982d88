"""Batch scoring of one chunk: validate each record, predict the valid ones, quarantine the rest.

Pure logic on a chunk in memory; ``jobs/predict_batch.py`` reads the chunks and writes the outputs,
so another engine (Spark, say) can reuse this module unchanged. Every input row comes out either
predicted or quarantined with its reason: none is dropped.

Records are checked with the feature table's contract, without the label and without uniqueness:
a batch checks each record on its own (types, missing values, ranges, categories), while keys
are unique by the warehouse's own checks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors
from sklearn.pipeline import Pipeline

from ..data.contracts import (
    Contract,
)
from ..model.features import (
    Features,
    model_input,
)
from .scorer import (
    RecordScorer,
)

THRESHOLD = 0.5


@dataclass(frozen=True)
class ModelInfo:
    """Which model scored a row: written with every prediction."""

    name: str
    version: str
    run_id: str


def record_schema(contract: type[Contract], target: str) -> pa.DataFrameSchema:
    """Return the checks each input record must pass: the contract, without label or uniqueness.

    Columns the contract does not have are dropped rather than refused.
    """
    schema = contract.to_schema()
    if target in schema.columns:
        schema = schema.remove_columns([target])
    schema = schema.update_columns({name: {"unique": False} for name in schema.columns})
    schema.unique = None
    schema.strict = "filter"  # other columns (the label, say) may come along: they are left out
    return schema


@dataclass(frozen=True)
class ServingModel:
    """A loaded model and which registered version it is."""

    pipeline: Pipeline
    info: ModelInfo


@dataclass(frozen=True)
class ScoringSpec:
    """What scoring a chunk needs besides the chunk: checks, features, model and time."""

    schema: pa.DataFrameSchema
    features: Features
    id_column: str
    model: ServingModel
    scorer: RecordScorer
    predicted_at: datetime


@dataclass(frozen=True)
class Scored:
    """One chunk's outcome: its predictions and its quarantined rows (with their reasons)."""

    predictions: pd.DataFrame
    quarantine: pd.DataFrame


def split_valid(
    chunk: pd.DataFrame, schema: pa.DataFrameSchema
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return the chunk's valid rows, typed by ``schema``, and its invalid rows with their reasons.

    Invalid rows keep their values as text (a value that broke its type must survive) and gain a
    ``reason`` column naming each failed check, such as ``age: less_than_or_equal_to(100) (300)``.
    Rows are set aside until the rest validates: a value that cannot be converted also makes its
    column's other checks error, and those errors go once the row is out.
    """
    frame = chunk.reset_index(drop=True)
    reasons: dict[int, list[str]] = {}
    remaining = frame
    while True:
        try:
            good = schema.validate(remaining, lazy=True)
            break
        except SchemaErrors as errors:
            cases = errors.failure_cases
        described = (
            cases["column"].map(str)
            + ": "
            + cases["check"].map(str)
            + " ("
            + cases["failure_case"].map(str)
            + ")"
        )
        located = cases["index"].notna()
        if not located.any():  # nothing a row explains (a missing column): no row can be read
            reason = "; ".join(described)
            for index in remaining.index:
                reasons.setdefault(int(index), []).append(reason)
            good = remaining.iloc[0:0]
            break
        for index, text in zip(cases.loc[located, "index"], described[located], strict=True):
            reasons.setdefault(int(index), []).append(text)
        remaining = remaining.drop(index=cases.loc[located, "index"].astype(int).unique())
    bad = sorted(reasons)
    return good, _quarantined(frame.loc[bad], ["; ".join(reasons[index]) for index in bad])


def _quarantined(rows: pd.DataFrame, reasons: list[str]) -> pd.DataFrame:
    """Return ``rows`` as text, with their reasons."""
    text = rows.astype("string").astype(object).where(rows.notna(), None)
    return text.assign(reason=pd.Series(reasons, index=rows.index, dtype=object))


def keyless_rows(chunk: pd.DataFrame, key: str) -> list[int]:
    """Return the positions of the rows of ``chunk`` without a key: null, or blank text.

    A chunk without the key column has none here: the contract quarantines such a chunk whole.
    """
    if key not in chunk.columns:
        return []
    values = chunk[key]
    blank = values.astype("string").str.strip().eq("").fillna(value=False)
    missing = values.isna().to_numpy(dtype=bool) | blank.to_numpy(dtype=bool)
    return [int(position) for position in np.flatnonzero(missing)]


def score_chunk(chunk: pd.DataFrame, spec: ScoringSpec) -> Scored:
    """Validate ``chunk``, predict its valid rows and return both outcomes."""
    good, bad = split_valid(chunk, spec.schema)
    scores = spec.scorer.frame_scores(good) if len(good) else np.empty(0, dtype=np.float64)
    info = spec.model.info
    # The features as the model received them, as the prediction log holds them: monitoring
    # compares a batch's inputs with the model's reference.
    inputs = (
        model_input(good, spec.features)
        if len(good)
        else pd.DataFrame({name: [] for name in spec.features.columns})
    )
    predictions = pd.DataFrame(
        {
            spec.id_column: good[spec.id_column].astype(str).to_numpy() if len(good) else [],
            **{name: inputs[name].to_numpy() for name in spec.features.columns},
            "score": scores,
            "prediction": scores >= THRESHOLD,
            "model_name": info.name,
            "model_version": info.version,
            "run_id": info.run_id,
            # UTC, without a time zone in pandas (the Parquet column declares UTC).
            "predicted_at": pd.Timestamp(spec.predicted_at).tz_convert(None),
        }
    )
    return Scored(predictions, bad)
