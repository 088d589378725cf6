"""What the trained model understands beyond its examples.

Words it knows only from the word lists (data/nlu/lexicon.yml): none of them is in any
training example (the first test checks), so the model can only get them right through the
list's feature; that is what lets a shop teach the bot a word by adding it to a list.

Negations: the same request with and without "don't" goes to opposite intents (opting out
of updates vs opting in), in sentences that are not training examples either.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from rasa.core.agent import Agent
from rasa.shared.nlu.training_data.loading import load_data

ROOT = Path(__file__).resolve().parents[2]

ONLY_IN_WORD_LISTS = [
    ("terve", "greet"), ("jambo", "greet"),
    ("tot ziens", "goodbye"), ("addio", "goodbye"),
    ("kiitos", "thank_you"), ("mahalo", "thank_you"), ("asante", "thank_you"),
    ("evet", "affirm"),
    ("niet", "deny"), ("hayır", "deny"),
]

NEGATED_AND_NOT = [
    ("please don't message me about this parcel", "stop_notifications"),
    ("please message me about this parcel", "subscribe_updates"),
    ("i do not want delivery alerts on whatsapp", "stop_notifications"),
    ("i want delivery alerts on whatsapp", "subscribe_updates"),
    ("no more emails about my order, thanks", "stop_notifications"),
    ("more emails about my order would be good", "subscribe_updates"),
]


def _taught() -> list[str]:
    return [e.get("text").lower() for e in load_data(str(ROOT / "data" / "nlu")).intent_examples]


def test_the_words_are_not_in_the_examples():
    taught = " ".join(_taught())
    assert [w for w, _ in ONLY_IN_WORD_LISTS if w in taught] == []


def test_the_negation_sentences_are_not_examples():
    assert [t for t, _ in NEGATED_AND_NOT if t in _taught()] == []


@pytest.fixture(scope="module")
def parse(model: Path):
    agent = Agent.load(str(model))
    return lambda text: asyncio.run(agent.parse_message(text))


@pytest.mark.e2e
@pytest.mark.parametrize(("text", "intent"), ONLY_IN_WORD_LISTS)
def test_a_listed_word_is_understood_without_examples(parse, text, intent):
    assert parse(text)["intent"]["name"] == intent


@pytest.mark.e2e
@pytest.mark.parametrize("text", ["🫠", "!!!!", "🌵🌵", "qwqwqwqw", "zxcvbnmlk"])
def test_emoji_punctuation_and_mashing_are_out_of_scope(parse, text):
    assert parse(text)["intent"]["name"] in ("out_of_scope", "nlu_fallback")


@pytest.mark.e2e
@pytest.mark.parametrize(("text", "intent"), NEGATED_AND_NOT)
def test_a_negation_turns_an_opt_in_into_an_opt_out(parse, text, intent):
    """Right, or at worst a clarifying question: never the opposite of what was asked."""
    assert parse(text)["intent"]["name"] in (intent, "nlu_fallback")


@pytest.mark.e2e
def test_most_negations_are_understood_outright(parse):
    right = [t for t, intent in NEGATED_AND_NOT if parse(t)["intent"]["name"] == intent]
    assert len(right) >= len(NEGATED_AND_NOT) - 1, right
