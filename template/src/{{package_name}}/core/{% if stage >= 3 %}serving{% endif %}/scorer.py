"""Score records and frames with the fitted pipeline's own parts, without its ColumnTransformer.

For a few records, a DataFrame and the ColumnTransformer cost more than the model itself; for a
batch's chunk, the ColumnTransformer's pandas work costs a third of the scoring. When the pipeline
has the shape ``core/model/pipeline.py`` builds (an OrdinalEncoder for the categories, the
numbers passed through, then a classifier), ``RecordScorer`` encodes each category with the
encoder's own fitted categories and hands the classifier the same float array the
ColumnTransformer would. Any other pipeline is scored the generic way (``model_input``, then
``predict_proba``), and so is one whose two ways disagree on the check records scored when the
scorer is made.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OrdinalEncoder

from ..model.features import (
    Features,
    model_input,
)
from .boosted_trees import (
    BoostedTrees,
)

logger = logging.getLogger(__name__)

Record = Mapping[str, Any]
# Stands for a category the model has never seen, in the check records.
UNSEEN = "\x00unseen"


@dataclass(frozen=True)
class RecordScorer:
    """Scores records (mappings of column to value) with ``pipeline``.

    ``codes`` holds, per categorical column, each fitted category's code: set, the fast way is
    used; None, the generic way. ``trees``, when set, scores the encoded rows in place of the
    classifier's ``predict_proba``.
    """

    pipeline: Pipeline
    features: Features
    codes: tuple[dict[Any, float], ...] | None = None
    trees: BoostedTrees | None = None

    @property
    def fast(self) -> bool:
        """Whether records skip the DataFrame and the ColumnTransformer."""
        return self.codes is not None

    def scores(self, records: Sequence[Record]) -> np.ndarray:
        """Return the positive class's probability for each record."""
        if self.codes is None:
            return self.generic_scores(records)
        categorical, numeric = self.features.categorical, self.features.numeric
        rows = [
            [
                codes.get(record.get(name), math.nan)
                for name, codes in zip(categorical, self.codes, strict=True)
            ]
            + [_number(record.get(name)) for name in numeric]
            for record in records
        ]
        return self.classify(np.array(rows, dtype=np.float64))

    def frame_scores(self, frame: pd.DataFrame) -> np.ndarray:
        """Return the positive class's probability for each row of ``frame``."""
        if self.codes is None:
            generic: np.ndarray = self.pipeline.predict_proba(model_input(frame, self.features))
            return generic[:, 1]
        encoded = np.empty((len(frame), len(self.features.columns)), dtype=np.float64)
        for index, (name, (categories, known)) in enumerate(
            zip(self.features.categorical, self._lookups, strict=True)
        ):
            # -1 for a category the encoder has not seen or a missing value: NaN, as the encoder.
            found = categories.get_indexer(pd.Index(frame[name], dtype=object))
            encoded[:, index] = np.where(found >= 0, known[found], np.nan)
        offset = len(self.features.categorical)
        for index, name in enumerate(self.features.numeric, start=offset):
            encoded[:, index] = frame[name].to_numpy(dtype=np.float64, na_value=np.nan)
        return self.classify(encoded)

    @cached_property
    def _lookups(self) -> tuple[tuple[pd.Index, np.ndarray], ...]:
        """Per categorical column, its fitted categories and their codes (built once)."""
        return tuple(
            (
                pd.Index(list(codes), dtype=object),
                np.fromiter(codes.values(), dtype=np.float64, count=len(codes)),
            )
            for codes in self.codes or ()
        )

    def classify(self, encoded: np.ndarray) -> np.ndarray:
        """Return the positive class's probability for rows encoded as the pipeline encodes them."""
        if self.trees is not None:
            return self.trees.scores(encoded)
        probabilities: np.ndarray = self.pipeline.steps[-1][1].predict_proba(encoded)
        return probabilities[:, 1]

    def generic_scores(self, records: Sequence[Record]) -> np.ndarray:
        """Return the scores the whole pipeline gives, through a DataFrame."""
        frame = pd.DataFrame.from_records(list(records), columns=self.features.columns)
        scores: np.ndarray = self.pipeline.predict_proba(model_input(frame, self.features))[:, 1]
        return scores


def _number(value: Any) -> float:
    return math.nan if value is None else float(value)


def record_scorer(pipeline: Pipeline, features: Features) -> RecordScorer:
    """Return the fastest scorer that gives ``pipeline``'s own scores.

    The fastest way (categories encoded here, the trees summed directly) is tried first, then the
    encoding alone with the classifier's ``predict_proba``; the first whose scores agree with the
    pipeline's on the check records, as records and as a frame, is used, else the generic way.
    """
    codes = _category_codes(pipeline, features)
    generic = RecordScorer(pipeline, features)
    if codes is None:
        logger.info("The pipeline is not the template's shape: records are scored generically")
        return generic
    records = check_records(features, codes)
    expected = generic.scores(records)
    frame = pd.DataFrame.from_records(records, columns=features.columns)
    trees = BoostedTrees.of(pipeline.steps[-1][1])
    candidates = [RecordScorer(pipeline, features, codes)]
    if trees is not None:
        candidates.insert(0, RecordScorer(pipeline, features, codes, trees))
    for fast in candidates:
        try:
            agree = all(
                np.allclose(scores, expected, rtol=0, atol=1e-12)
                for scores in (fast.scores(records), fast.frame_scores(frame))
            )
        except (AttributeError, TypeError, ValueError):  # another scikit-learn's internals
            agree = False
        if agree:
            return fast
        logger.warning(
            "Fast scores (%s) differ from the pipeline's on the check records: not used",
            "trees summed directly" if fast.trees is not None else "categories encoded here",
        )
    return generic


def check_records(features: Features, codes: Sequence[Mapping[Any, float]]) -> list[dict[str, Any]]:
    """Return records that cover every category, an unseen one, missing values and extremes."""
    numbers = (0.0, 1.0, None, 1e9, -1e9, 0.5)
    longest = max((len(column) for column in codes), default=0) + 2
    records = []
    for row in range(max(longest, len(numbers))):
        record: dict[str, Any] = {}
        for name, column in zip(features.categorical, codes, strict=True):
            values = [*column, UNSEEN, None]
            record[name] = values[row % len(values)]
        for offset, name in enumerate(features.numeric):
            record[name] = numbers[(row + offset) % len(numbers)]
        records.append(record)
    return records


def _category_codes(pipeline: Pipeline, features: Features) -> tuple[dict[Any, float], ...] | None:
    """Return each category's code when the pipeline is the template's shape, else None."""
    encoder = _fitted_encoder(pipeline, features)
    unknown_is_missing = (
        encoder is not None
        and encoder.handle_unknown == "use_encoded_value"
        and _is_nan(encoder.unknown_value)
        and _is_nan(encoder.encoded_missing_value)
        and np.dtype(encoder.dtype) == np.float64
    )
    if encoder is None or not unknown_is_missing:
        return None
    return tuple(
        {value: float(code) for code, value in enumerate(column) if not _is_missing(value)}
        for column in encoder.categories_
    )


def _fitted_encoder(pipeline: Pipeline, features: Features) -> OrdinalEncoder | None:
    """Return the fitted OrdinalEncoder of a pipeline of the template's shape, else None.

    The shape: a ColumnTransformer with an OrdinalEncoder on the categorical features, then the
    numeric ones passed through, nothing else kept; then a classifier with ``predict_proba``.
    """
    steps = pipeline.steps if isinstance(pipeline, Pipeline) else []
    if len(steps) != 2:  # noqa: PLR2004
        return None
    prepare, classifier = steps[0][1], steps[1][1]
    shaped = (
        isinstance(prepare, ColumnTransformer)
        and hasattr(classifier, "predict_proba")
        and prepare.remainder == "drop"
        and not prepare.sparse_output_
        and len(prepare.transformers) == 2  # noqa: PLR2004
    )
    if not shaped:
        return None
    (encoded, encoder_spec, categorical), (_, passed, numeric) = prepare.transformers
    same_columns = list(categorical) == list(features.categorical) and list(numeric) == list(
        features.numeric
    )
    if passed != "passthrough" or not isinstance(encoder_spec, OrdinalEncoder) or not same_columns:
        return None
    encoder: OrdinalEncoder = prepare.named_transformers_[encoded]
    return encoder


def _is_nan(value: Any) -> bool:
    return isinstance(value, float) and math.isnan(value)


def _is_missing(value: Any) -> bool:
    return value is None or _is_nan(value)
