"""Customers on Telegram, SMS and WhatsApp, through the running stack and the real model.

Webhooks are posted the way the providers post them (signed); what the customer reads is
what the connectors asked the (fake) provider API to send.
"""

from __future__ import annotations

import itertools

import pytest
import requests

from tests.channels import twilio_payloads as tw
from tests.channels.telegram_updates import make_chat, make_message, make_update
from tests.e2e.conftest import TELEGRAM_SECRET, TELEGRAM_TOKEN

pytestmark = pytest.mark.e2e

AVA_PHONE = "+13035550142"  # the phone on the sandbox's #1001 (ava.thompson@example.com)
_chats = itertools.count(880_001)


def sms(stack, providers, body: str, phone: str, channel: str = "sms") -> list[str]:
    """Text the shop from `phone`; the bodies the connector had Twilio send back."""
    before = len(providers.twilio.seen("POST", tw.MESSAGES_PATH))
    make = tw.sms_message if channel == "sms" else tw.whatsapp_message
    fields = make(body, sender=phone)
    path = f"/webhooks/{channel}/webhook"
    response = requests.post(stack.rasa_url + path, data=fields, timeout=30, headers={
        "X-Twilio-Signature": tw.sign(tw.PUBLIC_URL + path, fields)})
    assert response.status_code == 200
    forms = [r.form() for r in providers.twilio.seen("POST", tw.MESSAGES_PATH)[before:]]
    return [f.get("Body", "") for f in forms if f.get("To", "").endswith(phone)]


def telegram(stack, providers, chat_id: int, text: str) -> list[str]:
    """Write to the bot in a private chat; the texts it sent to that chat."""
    path = f"/bot{TELEGRAM_TOKEN}/sendMessage"
    before = len(providers.telegram.seen("POST", path))
    update = make_update(message=make_message(text, chat=make_chat(chat_id)))
    response = requests.post(f"{stack.rasa_url}/webhooks/telegram/webhook", timeout=30,
                             json=update, headers={"X-Telegram-Bot-Api-Secret-Token":
                                                   TELEGRAM_SECRET})
    assert response.status_code == 200
    forms = [r.form() for r in providers.telegram.seen("POST", path)[before:]]
    return [f["text"] for f in forms if f.get("chat_id") == str(chat_id)]


def test_an_sms_from_the_phone_on_the_order_gets_the_status_without_more_questions(
        stack, providers):
    replies = sms(stack, providers, "where is my order 1001", AVA_PHONE)
    assert any("Your order #1001" in r and "UPS" in r for r in replies), replies


def test_an_sms_from_another_phone_must_prove_the_order(stack, providers):
    phone = "+15125550000"
    replies = sms(stack, providers, "where is my order 1001", phone)
    assert not any("UPS" in r for r in replies)
    assert any("email" in r and "postal code" in r for r in replies), replies
    replies = sms(stack, providers, "ava.thompson@example.com", phone)
    assert any("Your order #1001" in r for r in replies), replies


def test_whatsapp_buttons_are_numbered_and_a_number_answers_them(stack, providers):
    phone = "+15125550001"
    replies = sms(stack, providers, "hmm blorp zzz", phone, channel="whatsapp")
    assert any("1. " in r and "Reply with a number." in r for r in replies), replies
    replies = sms(stack, providers, "1", phone, channel="whatsapp")
    assert any("order number" in r for r in replies), replies


def test_sms_stop_turns_updates_off(stack, providers):
    replies = sms(stack, providers, "STOP", "+15125550002")
    assert any("won't send you any more order updates" in r for r in replies), replies


def test_telegram_customer_is_verified_once_and_remembered_in_that_chat(stack, providers):
    chat = next(_chats)
    assert any("order number" in r for r in telegram(stack, providers, chat,
                                                       "where is my order?"))
    telegram(stack, providers, chat, "1001")
    replies = telegram(stack, providers, chat, "80202")
    assert any("Your order #1001" in r for r in replies), replies
    # Another of Ava's orders, later in the same chat: no proof asked again.
    replies = telegram(stack, providers, chat, "and where is order 1031?")
    assert any("#1031" in r for r in replies), replies
    assert not any("postal code" in r for r in replies), replies


def test_a_deep_link_carries_a_verified_web_customer_to_telegram(stack, providers, customer):
    customer("where is my order 1001")
    customer("80202")
    offer = customer("please keep me posted")
    assert "https://t.me/wismo_e2e_bot?start=" in offer, offer
    token = offer.split("?start=", 1)[1].split()[0]
    chat = next(_chats)
    replies = telegram(stack, providers, chat, f"/start {token}")
    assert any("You're all set" in r for r in replies), replies
    # The chat is Ava's now: her orders are listed, no order number or email asked.
    replies = telegram(stack, providers, chat, "where is my order?")
    assert any("recent orders for you" in r and "#1001" in r for r in replies), replies


def test_a_pushed_update_reaches_telegram_and_the_reply_is_answered_in_context(
        stack, providers):
    chat = next(_chats)
    telegram(stack, providers, chat, "where is order 1019?")
    assert any("#1019" in r for r in telegram(stack, providers, chat, "84101"))
    update = ("Your order #1019 is delayed by severe weather. No action is needed — "
              "we'll keep you posted.")
    path = f"/bot{TELEGRAM_TOKEN}/sendMessage"
    before = len(providers.telegram.seen("POST", path))
    response = requests.post(
        f"{stack.rasa_url}/conversations/telegram:{chat}/trigger_intent",
        params={"output_channel": "telegram", "token": stack.settings.rasa_token}, timeout=30,
        json={"name": "EXTERNAL_order_update", "entities": {
            "order_number": "1019", "update_text": update, "update_kind": "exception"}})
    assert response.status_code == 200, response.text
    pushed = [r.form() for r in providers.telegram.seen("POST", path)[before:]]
    assert [p["text"] for p in pushed] == [update]
    replies = telegram(stack, providers, chat, "why?")
    assert any("#1019" in r and "weather" in r for r in replies), replies
