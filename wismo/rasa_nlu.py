"""Rasa NLU components of our own (the only module here that imports Rasa's NLU).

Rasa 3.6's LogisticRegressionClassifier crashes on a message that yields no
features, such as an empty message or one made only of spaces. Customers send those,
and the whole turn must not fail, so such messages get no intent and the
FallbackClassifier after it turns them into `nlu_fallback` (a clarifying
question) like any other message the model is unsure about.

Rasa's classifier also fits raw counts with a fixed regularisation (C=1). A long
message then has hundreds of character n-grams while "ciao" has a handful, so
short messages get weak, badly ranked scores. With `tf_idf: true` the counts are
damped (1 + log tf), weighted by inverse document frequency and scaled to unit
length before the regression; `C` sets the regularisation (docs/benchmarks.md).
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.logistic_regression_classifier import (
    LogisticRegressionClassifier as RasaLogisticRegressionClassifier,
)
from rasa.shared.nlu.constants import (
    FEATURE_TYPE_SENTENCE,
    INTENT,
    INTENT_RANKING_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from scipy.sparse import csr_matrix, diags
from sklearn.preprocessing import normalize

NO_INTENT: dict[str, Any] = {"name": None, "confidence": 0.0}
IDF_FILE = "idf.npy"

logger = logging.getLogger(__name__)


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True
)
class LogisticRegressionClassifier(RasaLogisticRegressionClassifier):
    """Rasa's logistic regression intent classifier, safe on featureless messages."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Rasa's defaults (raw counts, C=1) plus the two options of ours."""
        return {**RasaLogisticRegressionClassifier.get_default_config(),
                "tf_idf": False, "C": 1.0}

    def __init__(self, config: dict[str, Any], name: str, model_storage: ModelStorage,
                 resource: Resource) -> None:
        super().__init__(config, name, model_storage, resource)
        self.clf.set_params(C=float(self.config["C"]))
        self.idf: np.ndarray | None = None

    def _create_X(self, messages: list[Message]) -> csr_matrix:  # noqa: N802 (Rasa's name)
        counts = super()._create_X(messages)
        return counts if self.idf is None else tf_idf(counts, self.idf)

    def train(self, training_data: TrainingData) -> Resource:
        """Fit the idf weights on the training counts, then the regression on the weighted ones."""
        self.idf = None
        if self.config["tf_idf"]:
            counts, _ = self._create_training_matrix(training_data)
            if counts.shape[0]:
                self.idf = idf_weights(counts)
        return super().train(training_data)

    def persist(self) -> None:
        """Rasa's file for the regression, plus the idf weights beside it."""
        super().persist()
        if self.idf is not None:
            with self._model_storage.write_to(self._resource) as model_dir:
                np.save(model_dir / IDF_FILE, self.idf)

    @classmethod
    def load(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> LogisticRegressionClassifier:
        """Rasa's loading, plus the idf weights when the model was trained with them."""
        component = super().load(config, model_storage, resource, execution_context, **kwargs)
        if component.config["tf_idf"]:
            try:
                with model_storage.read_from(resource) as model_dir:
                    component.idf = np.load(model_dir / IDF_FILE)
            except (ValueError, OSError):
                logger.debug("No idf weights for %s: it was never trained.", resource.name)
        return component

    def process(self, messages: list[Message]) -> list[Message]:
        usable = []
        for message in messages:
            if _has_features(message):
                usable.append(message)
            else:
                message.set(INTENT, dict(NO_INTENT), add_to_output=True)
                message.set(INTENT_RANKING_KEY, [], add_to_output=True)
        if usable:
            super().process(usable)
        return messages


def _has_features(message: Message) -> bool:
    """Any non-empty sentence-level feature of the text (cheap: no feature combining)."""
    return any(
        f.attribute == TEXT and f.type == FEATURE_TYPE_SENTENCE
        and (not f.is_sparse() or f.features.nnz > 0)
        for f in message.features
    )


def idf_weights(counts: csr_matrix) -> np.ndarray:
    """Smoothed inverse document frequency per feature column (as scikit-learn computes it)."""
    n = counts.shape[0]
    df = np.bincount(counts.nonzero()[1], minlength=counts.shape[1])
    return np.log((1 + n) / (1 + df)) + 1.0


def tf_idf(counts: csr_matrix, idf: np.ndarray) -> csr_matrix:
    """Damped counts (1 + log tf) times idf, each row scaled to unit length."""
    weighted = csr_matrix(counts, dtype=np.float64, copy=True)
    weighted.eliminate_zeros()
    weighted.data = 1.0 + np.log(weighted.data)
    return normalize(weighted @ diags(idf), norm="l2", copy=False).tocsr()
