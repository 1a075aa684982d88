"""A gradient-boosting classifier's trees, summed directly without the classifier's input step."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.utils._openmp_helpers import _openmp_effective_n_threads


@dataclass(frozen=True)
class BoostedTrees:
    """A HistGradientBoostingClassifier's trees, summed without the classifier's input step.

    The classifier re-encodes its categorical columns with an OrdinalEncoder of its own: on codes
    the pipeline's encoder made, that is the identity, yet it costs two thirds of a single record's
    time. The trees are summed here as ``predict_proba`` sums them after that step. This reads
    scikit-learn's private attributes, pinned by the project's minor version range:
    ``record_scorer`` checks the scores against the pipeline's, and keeps the classifier's way when
    they differ.
    """

    classifier: HistGradientBoostingClassifier
    predictors: tuple[Any, ...]
    bitsets: np.ndarray
    feature_map: np.ndarray

    @classmethod
    def of(cls, classifier: Any) -> BoostedTrees | None:
        """Return the trees of a fitted binary HistGradientBoostingClassifier, else None."""
        if not isinstance(classifier, HistGradientBoostingClassifier):
            return None
        try:
            if classifier.n_trees_per_iteration_ != 1:
                return None
            bitsets, feature_map = classifier._bin_mapper.make_known_categories_bitsets()
            predictors = tuple(tree for trees in classifier._predictors for tree in trees)
        except AttributeError:  # another scikit-learn's internals
            return None
        return cls(classifier, predictors, bitsets, feature_map)

    def scores(self, encoded: np.ndarray) -> np.ndarray:
        """Return the positive class's probability for each encoded row."""
        rows = np.ascontiguousarray(encoded, dtype=np.float64)
        threads = _openmp_effective_n_threads()  # what the thread pool's limit allows
        raw = np.zeros((len(rows), 1), dtype=np.float64, order="F")
        raw += self.classifier._baseline_prediction
        for tree in self.predictors:
            raw[:, 0] += tree.predict(rows, self.bitsets, self.feature_map, threads)
        probabilities: np.ndarray = self.classifier._loss.predict_proba(raw)
        return probabilities[:, 1]
