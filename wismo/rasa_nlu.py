"""Rasa NLU components of our own (the only module here that imports Rasa's NLU).

Rasa 3.6's LogisticRegressionClassifier crashes on a message that yields no
features: an empty message, only spaces, or only emoji. Customers send those,
and the whole turn must not fail, so such messages get no intent and the
FallbackClassifier after it turns them into `nlu_fallback` (a clarifying
question) like any other message the model is unsure about.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
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

NO_INTENT: dict[str, Any] = {"name": None, "confidence": 0.0}


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True
)
class LogisticRegressionClassifier(RasaLogisticRegressionClassifier):
    """Rasa's logistic regression intent classifier, safe on featureless messages."""

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
