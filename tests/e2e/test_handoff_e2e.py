"""A Telegram customer handed to a person in Slack and back, through the whole stack:
the real model and actions, the Slack connector in the Rasa server (Socket Mode) and
the sandbox Slack workspace standing in for Slack."""

from __future__ import annotations

import itertools
import re

import pytest
import requests

from tests.e2e.conftest import TELEGRAM_TOKEN
from tests.e2e.test_channels_e2e import telegram
from wismo.handoff.customer_notes import HANDED_BACK_NOTE

pytestmark = pytest.mark.e2e

_chats = itertools.count(990_001)
SEND = f"/bot{TELEGRAM_TOKEN}/sendMessage"


def pushed(providers, chat_id: int) -> list[str]:
    """Everything the Telegram connector sent to this chat."""
    forms = [r.form() for r in providers.telegram.seen("POST", SEND)]
    return [f["text"] for f in forms if f.get("chat_id") == str(chat_id)]


def card_of(slack, case_id: str) -> dict | None:
    return next((m for m in slack.messages() if m.get("blocks") and case_id in m["text"]
                 and m.get("thread_ts") in (None, m["ts"])), None)


def tracker(stack, conversation: str) -> dict:
    response = requests.get(f"{stack.rasa_url}/conversations/{conversation}/tracker",
                            params={"token": stack.settings.rasa_token}, timeout=10)
    response.raise_for_status()
    return response.json()


def test_a_customer_reaches_a_person_in_slack_who_answers_and_hands_back(stack, providers):
    slack, chat = stack.slack, next(_chats)
    telegram(stack, providers, chat, "where is my order 1001")
    telegram(stack, providers, chat, "ava.thompson@example.com")
    replies = telegram(stack, providers, chat, "I want to talk to a real person")
    case_id = re.search(r"case (C-[0-9A-F]{6})", " ".join(replies)).group(1)
    assert any("Anything you add in the meantime will reach them" in r for r in replies)

    card = slack.wait_for(lambda: card_of(slack, case_id), timeout=15)
    assert "Ava Thompson" in str(card["blocks"]) and "#1001" in str(card["blocks"])

    # While the case is open the bot is silent and the customer's words go to the thread.
    assert telegram(stack, providers, chat, "it's a birthday present, needed by friday") == []
    slack.wait_for(lambda: any("birthday present" in m["text"]
                               for m in slack.thread(card["ts"])), timeout=15)

    slack.agent_reply(card["ts"], "Hi Ava, it's with UPS and due Friday. I'll watch it.")
    slack.wait_for(lambda: any("I'll watch it" in t for t in pushed(providers, chat)))
    assert pushed(providers, chat)[-1] == \
        "Sam (support): Hi Ava, it's with UPS and due Friday. I'll watch it."
    events = tracker(stack, f"telegram:{chat}")["events"]
    human = [e for e in events if e["event"] == "bot" and (e.get("metadata") or {}).get(
        "wismo_human")]
    assert [e["text"] for e in human] == [pushed(providers, chat)[-1]]

    slack.click(card["ts"], "wismo_hand_back")
    slack.wait_for(lambda: pushed(providers, chat)[-1] == HANDED_BACK_NOTE)
    assert tracker(stack, f"telegram:{chat}")["paused"] is False
    replies = telegram(stack, providers, chat, "when will it arrive?")
    assert any("#1001" in r for r in replies), replies


def test_an_sms_customer_hears_from_the_person_who_took_the_case(stack, providers):
    from tests.channels import twilio_payloads as tw
    from tests.e2e.test_channels_e2e import sms

    slack, phone = stack.slack, "+15125550188"
    replies = sms(stack, providers, "can i talk to someone from the shop please", phone)
    case_id = re.search(r"case (C-[0-9A-F]{6})", " ".join(replies)).group(1)
    card = slack.wait_for(lambda: card_of(slack, case_id), timeout=15)
    slack.click(card["ts"], "wismo_take", user="U0ALEX")
    slack.wait_for(lambda: tracker(stack, f"sms:{phone}")["paused"])
    before = len(providers.twilio.seen("POST", tw.MESSAGES_PATH))
    slack.agent_reply(card["ts"], "Hi, Alex here. What can I do for you?", user="U0ALEX")

    def texted() -> list[str]:
        forms = [r.form() for r in providers.twilio.seen("POST", tw.MESSAGES_PATH)[before:]]
        return [f.get("Body", "") for f in forms if f.get("To", "").endswith(phone)]

    assert slack.wait_for(texted) == ["Alex (support): Hi, Alex here. What can I do for you?"]
