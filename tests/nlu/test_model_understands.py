"""The trained model recognises words it knows only from the word lists (data/nlu/lexicon.yml).

None of these words is in any training example (the first test checks), so the model can only
get them right through the list's feature: that is what lets a shop teach the bot a word by
adding it to a list.
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


def test_the_words_are_not_in_the_examples():
    taught = " ".join(e.get("text").lower()
                      for e in load_data(str(ROOT / "data" / "nlu")).intent_examples)
    assert [w for w, _ in ONLY_IN_WORD_LISTS if w in taught] == []


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
