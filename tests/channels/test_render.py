"""Replies shaped for text-only channels and provider size limits (pure functions)."""

from __future__ import annotations

import pytest

from channels.render import button_options, chosen_option, numbered, split_text

OPTIONS = [("Where is my order?", "/order_status"), ("Talk to a person", "/human_handoff")]


def test_short_text_is_one_piece_and_blank_text_none():
    assert split_text("  Your order shipped.  ", 160) == ["Your order shipped."]
    assert split_text("   ", 160) == []


def test_long_text_splits_at_paragraphs_first():
    text = "First paragraph here.\n\nSecond paragraph here.\n\nThird one."

    assert split_text(text, 45) == ["First paragraph here.\n\nSecond paragraph here.",
                                    "Third one."]


def test_a_long_paragraph_splits_at_sentences_then_words():
    text = "Your parcel left Denver. It is in Kansas City now. It arrives Friday."

    pieces = split_text(text, 30)

    assert pieces == ["Your parcel left Denver.", "It is in Kansas City now.",
                      "It arrives Friday."]
    assert all(len(piece) <= 30 for piece in split_text("word " * 50, 22))


def test_text_without_any_break_is_cut_at_the_limit():
    assert split_text("x" * 25, 10) == ["x" * 10, "x" * 10, "x" * 5]


@pytest.mark.parametrize("limit", [20, 160, 1600])
def test_splitting_keeps_every_word_in_order(limit):
    text = "\n\n".join(f"Paragraph {n}. " + "tracking update " * (n * 7) for n in range(1, 9))

    pieces = split_text(text, limit)

    assert all(len(piece) <= limit for piece in pieces)
    assert " ".join(pieces).split() == text.split()


def test_button_options_use_the_title_when_there_is_no_payload():
    buttons = [{"title": "Yes", "payload": "/affirm"}, {"title": "Maybe"}, {"payload": "/deny"},
               {}]

    assert button_options(buttons) == [("Yes", "/affirm"), ("Maybe", "Maybe"), ("", "/deny")]


def test_numbered_lists_the_options_under_the_text():
    assert numbered("What can I do?", OPTIONS) == (
        "What can I do?\n\n1. Where is my order?\n2. Talk to a person\nReply with a number.")
    assert numbered("Hello", []) == "Hello"


@pytest.mark.parametrize(("reply", "payload"), [
    ("1", "/order_status"), (" 2. ", "/human_handoff"), ("2)", "/human_handoff"),
    ("talk to a PERSON", "/human_handoff"), ("3", None), ("0", None), ("1042", None),
    ("where is it", None),
])
def test_chosen_option_by_number_or_title(reply, payload):
    assert chosen_option(reply, OPTIONS) == payload
