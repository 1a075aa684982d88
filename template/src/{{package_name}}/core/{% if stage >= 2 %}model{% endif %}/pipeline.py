"""The model: its parameters and its scikit-learn pipeline.

This file is the team's: change the estimator, its preprocessing and its parameters here (and the
``model:`` block of ``configs/train.yaml`` with them). ``copier update`` leaves it as you wrote it.
Whatever the pipeline, it takes the frame that ``model_input`` (in ``core/model/features.py``)
prepares, and must offer ``predict_proba``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from pydantic import BaseModel, ConfigDict, Field
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OrdinalEncoder

if TYPE_CHECKING:
    from .features import (
        Features,
    )


class ModelParams(BaseModel):
    """The gradient-boosting classifier's parameters (scikit-learn's names).

    Strict, like the rest of the configuration: an unknown key or a wrong type is an error.
    """

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    learning_rate: float = Field(gt=0, le=1)
    max_iter: int = Field(ge=1)
    max_leaf_nodes: int = Field(ge=2)
    min_samples_leaf: int = Field(ge=1)
    l2_regularization: float = Field(ge=0)


def build_pipeline(features: Features, params: ModelParams, seed: int) -> Pipeline:
    """Return the untrained pipeline: categories encoded as integers, then gradient boosting."""
    encode = OrdinalEncoder(
        handle_unknown="use_encoded_value", unknown_value=np.nan, encoded_missing_value=np.nan
    )
    prepare = ColumnTransformer(
        [
            ("categorical", encode, list(features.categorical)),
            ("numeric", "passthrough", list(features.numeric)),
        ],
        verbose_feature_names_out=False,
    )
    classifier = HistGradientBoostingClassifier(
        categorical_features=list(range(len(features.categorical))),
        early_stopping=False,
        random_state=seed,
        **params.model_dump(),
    )
    return Pipeline([("prepare", prepare), ("classifier", classifier)])
