"""Our intent classifier: tf-idf weighting, and a trained model that survives saving and loading."""

from __future__ import annotations

import numpy as np
import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.classifiers.logistic_regression_classifier import (
    LogisticRegressionClassifier as RasaLogisticRegressionClassifier,
)
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, FEATURE_TYPE_SEQUENCE, INTENT, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from scipy.sparse import csr_matrix
from sklearn.feature_extraction.text import CountVectorizer

from wismo.rasa_nlu import LogisticRegressionClassifier, idf_weights, tf_idf

EXAMPLES = [
    ("hi", "greet"), ("hello there", "greet"), ("hey hey", "greet"),
    ("bye", "goodbye"), ("see you later then", "goodbye"), ("bye bye now", "goodbye"),
    ("where is my order", "order_status"), ("has my order shipped yet", "order_status"),
    ("is my order on its way to me now or is it still in the warehouse", "order_status"),
]


def test_every_message_weighs_the_same_whatever_its_length():
    counts = csr_matrix(np.array([[1, 0, 0, 0], [5, 3, 2, 7]], dtype=float))
    weighted = tf_idf(counts, idf_weights(counts)).toarray()
    assert np.allclose(np.linalg.norm(weighted, axis=1), 1.0)


def test_a_feature_in_every_message_counts_less_than_a_rare_one():
    counts = csr_matrix(np.array([[1, 1], [1, 0], [1, 0]], dtype=float))
    common, rare = idf_weights(counts)
    assert rare > common


def test_repeats_are_damped():
    counts = csr_matrix(np.array([[9, 1]], dtype=float))
    weighted = tf_idf(counts, np.ones(2)).toarray()[0]
    assert weighted[0] / weighted[1] == pytest.approx(1 + np.log(9))


@pytest.fixture
def vectorizer() -> CountVectorizer:
    return CountVectorizer(analyzer="char_wb", ngram_range=(2, 4)).fit([t for t, _ in EXAMPLES])


def _message(text: str, vectorizer: CountVectorizer, intent: str | None = None) -> Message:
    message = Message(data={TEXT: text, **({INTENT: intent} if intent else {})})
    message.add_features(Features(csr_matrix(vectorizer.transform([text])),
                                  FEATURE_TYPE_SENTENCE, TEXT, "test"))
    return message


@pytest.mark.parametrize("config", [{"tf_idf": True, "C": 30}, {}], ids=["tf_idf", "rasa"])
def test_a_saved_model_answers_as_the_trained_one(tmp_path, vectorizer, config):
    storage = LocalModelStorage(tmp_path)
    resource = Resource("intent_classifier")
    context = ExecutionContext(GraphSchema({}), node_name="intent_classifier")
    trained = LogisticRegressionClassifier.create(
        {**LogisticRegressionClassifier.get_default_config(), **config},
        storage, resource, context)
    trained.train(TrainingData([_message(t, vectorizer, i) for t, i in EXAMPLES]))

    loaded = LogisticRegressionClassifier.load(
        {**LogisticRegressionClassifier.get_default_config(), **config},
        storage, resource, context)

    for text in ("hello", "byee", "wheres my order"):
        before = trained.process([_message(text, vectorizer)])[0].get(INTENT)
        after = loaded.process([_message(text, vectorizer)])[0].get(INTENT)
        assert after["name"] == before["name"]
        assert after["confidence"] == pytest.approx(before["confidence"])
    assert trained.process([_message("hello", vectorizer)])[0].get(INTENT)["name"] == "greet"


def test_feature_weights_scale_the_columns_of_the_named_featurizer():
    message = Message(data={TEXT: "hi"})
    message.add_features(Features(csr_matrix([[1.0, 2.0]]), FEATURE_TYPE_SENTENCE, TEXT, "words"))
    message.add_features(Features(csr_matrix([[3.0]]), FEATURE_TYPE_SENTENCE, TEXT, "negations"))
    message.add_features(Features(csr_matrix([[4.0]]), FEATURE_TYPE_SENTENCE, TEXT, "characters"))
    classifier = LogisticRegressionClassifier.create(
        {**LogisticRegressionClassifier.get_default_config(),
         "feature_weights": {"words": 1.5, "characters": 0.5}},
        None, Resource("intent_classifier"),
        ExecutionContext(GraphSchema({}), node_name="intent_classifier"))

    row = classifier._create_X([message]).toarray()[0]

    assert row.tolist() == [1.5, 3.0, 3.0, 2.0]


def test_the_classifier_sees_the_columns_rasa_would_give_it():
    """Our direct placement of sentence features must match Rasa's combining, column for column
    (sparse featurizers in order, then dense ones; sequence features left out)."""
    messages = []
    for text, extra in (("hi", [[0.0, 2.5]]), ("where is it", [[1.0, 0.0]])):
        message = Message(data={TEXT: text})
        words = text.split()
        message.add_features(Features(csr_matrix(np.ones((len(words), 3))),
                                      FEATURE_TYPE_SEQUENCE, TEXT, "words"))
        message.add_features(Features(np.array(extra), FEATURE_TYPE_SENTENCE, TEXT, "dense"))
        message.add_features(Features(csr_matrix([[len(words), 0.0, 1.0]]),
                                      FEATURE_TYPE_SENTENCE, TEXT, "words"))
        message.add_features(Features(csr_matrix([[0.0, 7.0]]), FEATURE_TYPE_SENTENCE, TEXT,
                                      "characters"))
        messages.append(message)
    classifier = LogisticRegressionClassifier.create(
        LogisticRegressionClassifier.get_default_config(), None, Resource("intent_classifier"),
        ExecutionContext(GraphSchema({}), node_name="intent_classifier"))

    ours = classifier._create_X(messages).toarray()
    rasas = RasaLogisticRegressionClassifier._create_X(classifier, messages).toarray()

    assert ours.tolist() == rasas.tolist()
    assert ours[0].tolist() == [1, 0, 1, 0, 7, 0, 2.5]
