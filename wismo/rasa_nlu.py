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
`feature_weights` scales each featurizer's columns (by its `alias`) after that:
a message has five times more character n-grams than words, so without it the
character block outweighs the words and the word lists.

Bags of words cannot tell "send me updates" from "don't send me updates". The
NegationFeaturizer marks the words inside a negation ("don't | send me updates",
up to the end of the clause) so the classifier learns "send, negated" apart from
"send, affirmed".
"""

from __future__ import annotations

import json
import logging
from typing import Any

import numpy as np
import scipy.sparse
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.logistic_regression_classifier import (
    LogisticRegressionClassifier as RasaLogisticRegressionClassifier,
)
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.featurizers.sparse_featurizer.sparse_featurizer import SparseFeaturizer
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.nlu.constants import (
    FEATURE_TYPE_SENTENCE,
    INTENT,
    INTENT_RANKING_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from scipy.sparse import csr_matrix
from sklearn.preprocessing import normalize

NO_INTENT: dict[str, Any] = {"name": None, "confidence": 0.0}
IDF_FILE = "idf.npy"
VOCABULARY_FILE = "polar_words.json"
# Part of the training cache's key for the NegationFeaturizer: change it whenever the features
# it makes change, or Rasa reuses a vocabulary trained by the old code.
NEGATION_FEATURES_VERSION = "2: every word, 'not_' when negated"

# Words that open a negation, or close the one they stand in ("don't" is tokenised "don"
# "t"); punctuation between two words, or a word that starts a new clause, closes it too.
NEGATORS = frozenset({
    "no", "not", "never", "nor", "none", "nothing", "without", "cannot", "nah", "nope",
    "stop", "dont", "don", "doesnt", "doesn", "didnt", "didn", "isnt", "isn", "wasnt",
    "wasn", "arent", "aren", "wont", "won", "cant", "couldnt", "couldn", "shouldnt",
    "shouldn", "wouldnt", "wouldn", "havent", "haven", "hasnt", "hasn", "dnt",
})
CLAUSE_BREAKS = frozenset({"but", "and", "so", "then", "however", "though", "although"})
PUNCTUATION = frozenset(".,!?;:")

logger = logging.getLogger(__name__)


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True
)
class LogisticRegressionClassifier(RasaLogisticRegressionClassifier):
    """Rasa's logistic regression intent classifier, safe on featureless messages."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Rasa's defaults (raw counts, C=1) plus the options of ours."""
        return {**RasaLogisticRegressionClassifier.get_default_config(),
                "tf_idf": False, "C": 1.0, "feature_weights": {}}

    def __init__(self, config: dict[str, Any], name: str, model_storage: ModelStorage,
                 resource: Resource) -> None:
        super().__init__(config, name, model_storage, resource)
        self.clf.set_params(C=float(self.config["C"]))
        self.idf: np.ndarray | None = None

    def _create_X(self, messages: list[Message]) -> csr_matrix:  # noqa: N802 (Rasa's name)
        counts = sentence_matrix(messages)
        features = counts if self.idf is None else tf_idf(counts, self.idf)
        weights = self.config["feature_weights"]
        if weights and messages:
            features = scale_columns(features, _column_weights(messages[0], weights))
        return features

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


def sentence_features(message: Message) -> list[Features]:
    """The text's sentence-level features in the classifier's column order (Rasa's: the
    sparse ones, then the dense ones, each in the order the featurizers ran)."""
    sentence = [f for f in message.features
                if f.attribute == TEXT and f.type == FEATURE_TYPE_SENTENCE]
    return [f for f in sentence if f.is_sparse()] + [f for f in sentence if f.is_dense()]


def sentence_matrix(messages: list[Message]) -> csr_matrix:
    """One row per message: the columns Rasa's classifier builds with a deep copy and two
    stacks per featurizer (a third of the NLU's time per parse), placed directly."""
    data, rows, columns, width = [], [], [], 0
    for row, message in enumerate(messages):
        offset = 0
        for feature in sentence_features(message):
            block = scipy.sparse.coo_matrix(feature.features)
            data.append(block.data)
            rows.append(np.full(block.nnz, row))
            columns.append(block.col + offset)
            offset += block.shape[1]
        width = max(width, offset)
    if not data:
        return csr_matrix((len(messages), width))
    return csr_matrix((np.concatenate(data), (np.concatenate(rows), np.concatenate(columns))),
                      shape=(len(messages), width))


def _column_weights(message: Message, weights: dict[str, float]) -> np.ndarray:
    """One weight per column of the classifier's input, by the alias of the featurizer that
    made it."""
    return np.concatenate([np.full(f.features.shape[-1], float(weights.get(f.origin, 1.0)))
                           for f in sentence_features(message)])


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
    return normalize(scale_columns(weighted, idf), norm="l2", copy=False).tocsr()


def scale_columns(matrix: csr_matrix, factors: np.ndarray) -> csr_matrix:
    """Each column times its factor, touching only the stored values: a message has a few
    hundred among ~30,000 columns, and a diagonal matrix product built all of them per parse."""
    scaled = csr_matrix(matrix, dtype=np.float64, copy=True)
    scaled.data *= factors[scaled.indices]
    return scaled


def negated(words: list[str], gaps: list[str]) -> list[bool]:
    """Which words stand inside a negation: after a negator, up to the end of its clause
    or the next negator ("don't stop | sending": two negations cancel).

    `words` are the lowercased tokens; `gaps[i]` is the text between word i-1 and word i.
    """
    inside, flags, previous = False, [], ""
    for word, gap in zip(words, gaps, strict=True):
        if PUNCTUATION.intersection(gap) or word in CLAUSE_BREAKS:
            inside = False
        flags.append(inside)
        if word in NEGATORS or (word == "t" and previous == "can"):  # "can't" is "can" "t"
            inside = not inside  # "don't stop sending": two negations cancel
        previous = word
    return flags


def marked_words(message: Message) -> list[str]:
    """Per token of the text: the word, as "not_<word>" when a negation covers it."""
    tokens: list[Token] = message.get(TOKENS_NAMES[TEXT]) or []
    text = message.get(TEXT) or ""
    words = [t.text.lower() for t in tokens]
    gaps = [text[(tokens[i - 1].end if i else 0):t.start] for i, t in enumerate(tokens)]
    return [f"not_{w}" if flag else w for w, flag in zip(words, negated(words, gaps), strict=True)]


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True
)
class NegationFeaturizer(SparseFeaturizer, GraphComponent):
    """One feature per word as seen in training, negated ("not_send") or not ("send").

    The plain word features are shared by "send me updates" and "don't send me updates";
    these let the classifier weigh the affirmed and the negated word apart.
    """

    @classmethod
    def required_components(cls) -> list[type]:
        """The tokens, with their positions, come from a tokenizer."""
        return [Tokenizer]

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        """Nothing to check: the only option is Rasa's featurizer `alias`."""

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> str:
        """Rasa's training cache keys on config and data, not on our code: add its version."""
        return NEGATION_FEATURES_VERSION

    def __init__(self, config: dict[str, Any], model_storage: ModelStorage,
                 resource: Resource, execution_context: ExecutionContext,
                 vocabulary: list[str] | None = None) -> None:
        super().__init__(execution_context.node_name, config)
        self._model_storage = model_storage
        self._resource = resource
        self.vocabulary = {word: i for i, word in enumerate(vocabulary or [])}

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> NegationFeaturizer:
        """An untrained featurizer (no vocabulary yet)."""
        return cls(config, model_storage, resource, execution_context)

    def train(self, training_data: TrainingData) -> Resource:
        """The vocabulary: every word, negated or not, of the training examples."""
        words = {w for example in training_data.training_examples for w in marked_words(example)}
        self.vocabulary = {word: i for i, word in enumerate(sorted(words))}
        with self._model_storage.write_to(self._resource) as model_dir:
            (model_dir / VOCABULARY_FILE).write_text(json.dumps(sorted(words)))
        return self._resource

    @classmethod
    def load(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> NegationFeaturizer:
        """The featurizer with the vocabulary it was trained with."""
        vocabulary = None
        try:
            with model_storage.read_from(resource) as model_dir:
                vocabulary = json.loads((model_dir / VOCABULARY_FILE).read_text())
        except (ValueError, OSError):
            logger.debug("No negation vocabulary for %s: it was never trained.", resource.name)
        return cls(config, model_storage, resource, execution_context, vocabulary)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Features for the training examples, as for messages at prediction time."""
        self.process(training_data.training_examples)
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        """Adds the affirmed/negated word features to each tokenised text (in place)."""
        if not self.vocabulary:
            return messages
        for message in messages:
            if message.get(TOKENS_NAMES[TEXT]) is None:
                continue
            columns = [self.vocabulary.get(w) for w in marked_words(message)]
            rows = [row for row, column in enumerate(columns) if column is not None]
            cols = [columns[row] for row in rows]
            present = sorted(set(cols))
            size = len(self.vocabulary)
            sequence = scipy.sparse.coo_matrix(
                (np.ones(len(rows)), (rows, cols)), shape=(len(columns), size))
            sentence = scipy.sparse.coo_matrix(
                (np.ones(len(present)), ([0] * len(present), present)), shape=(1, size))
            self.add_features_to_message(sequence, sentence, TEXT, message)
        return messages
