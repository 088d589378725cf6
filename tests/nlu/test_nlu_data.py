"""The NLU training data keeps its contract: intent names, sizes, entities and regexes.

No training here (bench/nlu_eval.py measures quality); these checks are fast.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from rasa.shared.nlu.training_data.loading import load_data

ROOT = Path(__file__).resolve().parents[2]
WISMO = ["order_status", "delivery_eta", "delivery_delay", "package_missing", "tracking_link",
         "change_address", "cancel_order", "return_refund", "damaged_or_wrong_item",
         "human_handoff", "stop_notifications", "subscribe_updates"]
SMALL_TALK = ["greet", "goodbye", "affirm", "deny", "thank_you", "bot_challenge", "out_of_scope"]
ENTITIES = {"order_number", "email", "postal_code", "tracking_number"}
# Regexes that are features only, not entities (data/nlu/lexicon.yml).
FEATURE_PATTERNS = {"keyboard_mash", "no_words"}


@pytest.fixture(scope="module")
def data():
    return load_data(str(ROOT / "data" / "nlu"))


# Messages the training data must never contain: the set the NLU figures are measured on,
# and two written blind (by someone who never saw data/nlu/) on 2026-11-24.
HOLDOUTS = ("holdout.yml", "unseen_2026_11.yml", "unseen_2026_11b.yml")


@pytest.fixture(scope="module", params=HOLDOUTS)
def holdout(request):
    return load_data(str(ROOT / "tests" / "nlu" / request.param))


def test_exactly_the_contract_intents(data):
    assert set(data.intents) == set(WISMO + SMALL_TALK + ["inform"])
    assert "nlu_fallback" not in data.intents


def test_enough_examples_per_intent(data):
    counts = Counter(e.get("intent") for e in data.intent_examples)
    assert all(counts[i] >= 40 for i in WISMO), counts
    assert counts["inform"] >= 60
    assert all(counts[i] >= 20 for i in SMALL_TALK), counts


def test_no_message_is_taught_as_two_intents(data):
    intents = defaultdict(set)
    for e in data.intent_examples:
        intents[e.get("text").strip().lower()].add(e.get("intent"))
    assert {t: i for t, i in intents.items() if len(i) > 1} == {}


def test_only_contract_entities(data, holdout):
    assert data.entities <= ENTITIES
    assert holdout.entities <= ENTITIES


def test_affirm_and_deny_have_no_digits(data):
    for e in data.intent_examples:
        if e.get("intent") in ("affirm", "deny"):
            assert not re.search(r"\d", e.get("text")), e.get("text")


def _patterns(data):
    found = defaultdict(list)
    for regex in data.regex_features:
        found[regex["name"]].append(re.compile(regex["pattern"], re.IGNORECASE))
    return found


def test_a_regex_per_entity_and_every_annotated_value_matches_one(data, holdout):
    patterns = _patterns(data)
    assert set(patterns) == ENTITIES | FEATURE_PATTERNS
    for example in data.entity_examples + holdout.entity_examples:
        for entity in example.get("entities"):
            value = example.get("text")[entity["start"]:entity["end"]]
            assert any(p.fullmatch(value) or p.search(value) for p in patterns[entity["entity"]]), (
                entity["entity"], value)


def test_holdout_messages_are_not_in_the_training_data(data, holdout):
    taught = {e.get("text").strip().lower() for e in data.intent_examples}
    assert [e.get("text") for e in holdout.intent_examples
            if e.get("text").strip().lower() in taught] == []
    assert set(holdout.intents) <= set(data.intents)


def test_keyboard_mash_matches_mashing_and_no_real_customer_word(data):
    mash = _patterns(data)["keyboard_mash"]
    for typed in ("asdfgh", "jjjjjj", "qwqwqw", "xcvbnm", "hjkl", "zzzzz"):
        assert any(p.search(typed) for p in mash), typed
    asked = [e.get("text") for e in data.intent_examples
             if e.get("intent") not in ("out_of_scope", "inform")]
    assert [t for t in asked if any(p.search(t) for p in mash)] == []


def test_word_lists_do_not_contradict_each_other(data):
    lists = {t["name"]: {w.lower() for w in t["elements"]} for t in data.lookup_tables}
    assert {"greeting_word", "farewell_word", "thanks_word", "yes_word", "no_word"} <= set(lists)
    assert lists["yes_word"] & lists["no_word"] == set()
    assert lists["thanks_word"] & (lists["yes_word"] | lists["no_word"]) == set()
