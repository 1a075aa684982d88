"""Training: its configuration, the features of a contract, the split, the fit and its metrics.

Pure logic, no side effects: ``jobs/train.py`` reads the data and records the run. The model's
input is :func:`~.features.model_input` (``core/model/features.py``), the pipeline the team's
``core/model/pipeline.py``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sklearn.metrics import (
    accuracy_score,
    average_precision_score,
    brier_score_loss,
    f1_score,
    log_loss,
    precision_score,
    recall_score,
    roc_auc_score,
)
from sklearn.pipeline import Pipeline

from ..data.contracts import (
    Contract,
    sql_types,
)
from .features import (
    Features,
    model_input,
)
from .pipeline import (
    ModelParams,
    build_pipeline,
)

Metric = Literal["roc_auc", "average_precision", "f1", "accuracy"]
# Splits are keyed on a hash of each row's id, in buckets of 1/10,000.
# skops, MLflow's safe format for scikit-learn models, loads only the types it is told to trust.
# These are the ones a fitted ColumnTransformer + HistGradientBoosting pipeline holds beyond
# skops' defaults: reviewed, all from the standard library or scikit-learn. A model of other
# types adds its own here once reviewed (saving the model fails until it does).
SKOPS_TRUSTED_TYPES = [
    "functools.partial",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn.utils.validation.check_array",
]
BUCKETS = 10_000


class ConfigError(ValueError):
    """A configuration is missing, is not YAML, or has a bad key or value (``io/configs.py``)."""


class StrictModel(BaseModel):
    """A configuration block: unknown keys and wrong types are errors, and it cannot change."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class PromotionRule(StrictModel):
    """How a challenger replaces the champion."""

    metric: Metric
    min_improvement: float = Field(ge=0, description="Gain over the champion's holdout score.")
    floor: float = Field(ge=0, le=1, description="Score the first champion must reach.")


class ClassNames(StrictModel):
    """What the target's two classes are called where people read them (figures, the model card)."""

    # The defaults are the names the figures carried before configs/train.yaml named them: a
    # configuration from then draws the figures it committed, and `model-card --check` passes.
    negative: str = Field(default="stays", min_length=1, description="The target's false class.")
    positive: str = Field(default="churns", min_length=1, description="The target's true class.")


class TrainConfig(StrictModel):
    """The training configuration, ``configs/train.yaml``."""

    experiment: str = Field(min_length=1)
    model_name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    table: str = Field(min_length=1, description="The view the model trains on.")
    target: str = Field(min_length=1)
    # The team's names for the target's classes, in configs/train.yaml; a configuration without them
    # (from before they existed) reads the names its figures were drawn with.
    classes: ClassNames = ClassNames()
    id_column: str = Field(min_length=1, description="The key: never a feature; keys the split.")
    seed: int = Field(ge=0, lt=10**16)
    holdout_fraction: float = Field(gt=0, lt=1)
    reference_sample_size: int = Field(ge=1)
    model: ModelParams
    promotion: PromotionRule


def invalid(path: Path, what: str, problem: ValidationError, block: str | None = None) -> str:
    """Return the message for a configuration that ``problem`` refused: each key and its error."""
    where = () if block is None else (block,)
    problems = [
        f"{'.'.join(str(part) for part in (*where, *item['loc'])) or '(top level)'}: {item['msg']}"
        for item in problem.errors()
    ]
    return f"{path}: invalid {what}:\n  " + "\n  ".join(problems)


def features_of(contract: type[Contract], config: TrainConfig) -> Features:
    """Return the input columns: every column of ``contract`` but the key and the target.

    Text columns are categorical; numbers (nullable or not) are numeric.

    Raises:
        ConfigError: the key or the target is not a column of the contract.
    """
    columns = sql_types(contract)
    for role, name in (("id_column", config.id_column), ("target", config.target)):
        if name not in columns:
            raise ConfigError(
                f"{role} {name!r} is not a column of {contract.__name__} "
                f"(columns: {', '.join(columns)})"
            )
    categorical: list[str] = []
    numeric: list[str] = []
    for name, sql_type in columns.items():
        if name not in (config.id_column, config.target):
            (categorical if sql_type == "VARCHAR" else numeric).append(name)
    return Features(tuple(categorical), tuple(numeric))


def holdout_mask(ids: pd.Series, fraction: float, seed: int) -> np.ndarray:
    """Return True for the rows of the holdout.

    A row's side depends only on its id and the seed, so a customer stays on the same side as the
    data grows, and two models compared on "the holdout" of the same data see the same rows.
    """
    hashes = pd.util.hash_pandas_object(
        ids.astype(str), index=False, hash_key=f"{seed:016d}"
    ).to_numpy()
    mask: np.ndarray = (hashes % BUCKETS) < round(fraction * BUCKETS)
    return mask


def evaluate(scores: np.ndarray, labels: np.ndarray, threshold: float = 0.5) -> dict[str, float]:
    """Return the metrics of the predicted probabilities ``scores`` against ``labels``."""
    predicted = scores >= threshold
    return {
        "roc_auc": float(roc_auc_score(labels, scores)),
        "average_precision": float(average_precision_score(labels, scores)),
        "log_loss": float(log_loss(labels, scores, labels=[False, True])),
        "brier": float(brier_score_loss(labels, scores)),
        "accuracy": float(accuracy_score(labels, predicted)),
        "f1": float(f1_score(labels, predicted, zero_division=0)),
        "precision": float(precision_score(labels, predicted, zero_division=0)),
        "recall": float(recall_score(labels, predicted, zero_division=0)),
        "positive_rate": float(np.mean(labels)),
    }


def dataset_digest(frame: pd.DataFrame) -> str:
    """Return a SHA-256 of ``frame``'s column names, types and values, whatever the row order."""
    digest = hashlib.sha256()
    digest.update(repr([(str(name), str(dtype)) for name, dtype in frame.dtypes.items()]).encode())
    rows = np.sort(pd.util.hash_pandas_object(frame, index=False).to_numpy())
    digest.update(rows.tobytes())
    return digest.hexdigest()


@dataclass(frozen=True)
class FitResult:
    """A trained pipeline, its metrics, and what it was trained on."""

    pipeline: Pipeline
    features: Features
    train_metrics: dict[str, float]
    holdout_metrics: dict[str, float]
    holdout_scores: np.ndarray
    train_rows: int
    holdout_rows: int
    digest: str


def fit(frame: pd.DataFrame, features: Features, config: TrainConfig) -> FitResult:
    """Split ``frame`` (validated by its contract), train the pipeline and score both sides.

    The pipeline's input is :func:`model_input`; the target is read as a boolean.

    Raises:
        ConfigError: a side of the split is empty, or holds a single class.
    """
    train, holdout = split(frame, config)
    for side, rows in (("training", train), ("holdout", holdout)):
        if rows[config.target].nunique() < 2:  # noqa: PLR2004  (both classes)
            raise ConfigError(
                f"the {side} set has {len(rows)} rows and not both classes of {config.target!r}: "
                "add data or change holdout_fraction"
            )
    pipeline = build_pipeline(features, config.model, config.seed)
    labels = train[config.target].to_numpy(dtype=bool)
    pipeline.fit(model_input(train, features), labels)
    train_scores = pipeline.predict_proba(model_input(train, features))[:, 1]
    holdout_scores = pipeline.predict_proba(model_input(holdout, features))[:, 1]
    return FitResult(
        pipeline=pipeline,
        features=features,
        train_metrics=evaluate(train_scores, labels),
        holdout_metrics=evaluate(holdout_scores, holdout[config.target].to_numpy(dtype=bool)),
        holdout_scores=holdout_scores,
        train_rows=len(train),
        holdout_rows=len(holdout),
        digest=dataset_digest(frame),
    )


def split(frame: pd.DataFrame, config: TrainConfig) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return the training and holdout rows of ``frame``, each in id order."""
    ordered = frame.sort_values(config.id_column, kind="stable", ignore_index=True)
    in_holdout = holdout_mask(ordered[config.id_column], config.holdout_fraction, config.seed)
    return ordered[~in_holdout], ordered[in_holdout]


def reference_sample(frame: pd.DataFrame, config: TrainConfig) -> pd.DataFrame:
    """Return the seeded sample of the training data that monitoring compares live data with."""
    size = min(config.reference_sample_size, len(frame))
    return frame.sample(n=size, random_state=config.seed).sort_values(config.id_column)
