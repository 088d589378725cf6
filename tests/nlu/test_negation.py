"""Negated words: which words a negation covers, and the features the featurizer gives them."""

from __future__ import annotations

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from wismo.rasa_nlu import NegationFeaturizer, marked_words


def _negated(text: str) -> list[str]:
    """The negated words of a text, tokenised as the pipeline does ("don't" is "don" "t")."""
    message = Message(data={TEXT: text})
    WhitespaceTokenizer(WhitespaceTokenizer.get_default_config()).process([message])
    return [w.removeprefix("not_") for w in marked_words(message) if w.startswith("not_")]


@pytest.mark.parametrize(("text", "words"), [
    ("don't send me updates", ["t", "send", "me", "updates"]),
    ("please do not text me about deliveries", ["text", "me", "about", "deliveries"]),
    ("send me updates", []),
    ("no more texts, thanks", ["more", "texts"]),
    ("stop the emails but keep the texts", ["the", "emails"]),
    ("i never got it. where is it", ["got", "it"]),
    ("please don't stop sending me the emails", ["t", "stop"]),
    ("i can't stand these texts", ["stand", "these", "texts"]),
    ("can you text me", []),
])
def test_a_negation_covers_the_rest_of_its_clause_unless_negated_again(text, words):
    assert _negated(text) == words


@pytest.fixture
def parts(tmp_path):
    storage = LocalModelStorage(tmp_path)
    resource = Resource("negations")
    context = ExecutionContext(GraphSchema({}), node_name="negations")
    tokenizer = WhitespaceTokenizer(WhitespaceTokenizer.get_default_config())
    return storage, resource, context, tokenizer


def _messages(tokenizer: WhitespaceTokenizer, *texts: str) -> list[Message]:
    messages = [Message(data={TEXT: t}) for t in texts]
    tokenizer.process(messages)
    return messages


def _sentence_words(featurizer: NegationFeaturizer, message: Message) -> set[str]:
    names = {i: w for w, i in featurizer.vocabulary.items()}
    _, sentence = message.get_sparse_features(TEXT)
    return {names[i] for i in sentence.features.nonzero()[1]}


def test_a_trained_featurizer_tells_negated_words_from_affirmed_ones(parts):
    storage, resource, context, tokenizer = parts
    featurizer = NegationFeaturizer.create({"alias": "negations"}, storage, resource, context)
    featurizer.train(TrainingData(_messages(
        tokenizer, "don't send me updates", "send me updates", "no texts please")))

    assert set(featurizer.vocabulary) == {
        "don", "not_t", "not_send", "not_me", "not_updates", "send", "me", "updates",
        "no", "not_texts", "not_please"}
    negative, positive = _messages(tokenizer, "please don't send texts", "send texts")
    featurizer.process([negative, positive])
    assert _sentence_words(featurizer, negative) == {"don", "not_t", "not_send", "not_texts"}
    assert _sentence_words(featurizer, positive) == {"send"}
    sequence, _ = negative.get_sparse_features(TEXT)
    assert sequence.features.shape == (5, 11)  # please don t send texts


def test_a_loaded_featurizer_has_the_trained_vocabulary(parts):
    storage, resource, context, tokenizer = parts
    trained = NegationFeaturizer.create({"alias": "negations"}, storage, resource, context)
    trained.train(TrainingData(_messages(tokenizer, "do not call me", "never again")))

    loaded = NegationFeaturizer.load({"alias": "negations"}, storage, resource, context)

    assert loaded.vocabulary == trained.vocabulary
    message, = _messages(tokenizer, "please do not call")
    loaded.process([message])
    assert _sentence_words(loaded, message) == {"do", "not", "not_call"}
