"""Outbox rows delivered through Rasa's trigger_intent (a local stand-in) and over SMTP
(aiosmtpd), retried with backoff, failed visibly, and never sent twice after a crash."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from email import message_from_bytes
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from tests.clock import Clock
from tests.fake_provider import FakeProvider, Reply
from wismo.contacts import ContactStore
from wismo.engine.model import OrderState
from wismo.engine.outbox import OutboxRow
from wismo.engine.process import outbox_key
from wismo.engine.sender import Sender, SmtpSettings
from wismo.engine.store import EngineStore

TEXT = ("Your order #1001 is delayed by severe weather near Memphis, TN. New delivery date: "
        "Friday, November 27. No action is needed — we'll keep you posted.")
TRIGGER = "/conversations/telegram:42/trigger_intent"
# Rasa's answer when the channel said it: the conversation, its last event our update.
SAID = Reply(200, {"tracker": {"sender_id": "telegram:42", "events": [
    {"event": "user", "text": "EXTERNAL: EXTERNAL_order_update"},
    {"event": "action", "name": "action_order_update"},
    {"event": "bot", "text": TEXT}]}})


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 11, 24, 15, 0, tzinfo=timezone.utc))


@pytest.fixture
def store(tmp_path: Path, clock: Clock) -> EngineStore:
    return EngineStore(tmp_path / "wismo.db", clock=clock)


@pytest.fixture
def rasa() -> Iterator[FakeProvider]:
    with FakeProvider(not_found=Reply(404, {"error": "not found"})) as fake:
        fake.on("POST", TRIGGER, SAID)
        yield fake


def queue(store: EngineStore, channel: str = "telegram", **fields) -> OutboxRow:
    to = fields.pop("to", "telegram:42")
    row = OutboxRow(dedup_key=outbox_key(("1001:1:exception/weather:x",), to),
                    order_number="1001", kind="exception/weather", channel=channel, text=TEXT,
                    conversation_id=None if channel == "email" else to,
                    address=to if channel == "email" else None, **fields)
    [queued] = store.commit_changes("1001", OrderState("1001"), [row])
    return queued


def sender(store, rasa, clock, **options) -> Sender:
    return Sender(store, rasa.url, clock=clock, **options)


def test_a_chat_update_goes_through_rasa_on_the_customers_channel(store, rasa, clock):
    queue(store)
    assert sender(store, rasa, clock).send_due() == 1
    [call] = rasa.seen("POST", TRIGGER)
    assert call.query == {"output_channel": ["telegram"]}
    assert call.body == {"name": "EXTERNAL_order_update", "entities": {
        "order_number": "1001", "update_text": TEXT, "update_kind": "exception"}}
    [row] = store.for_order("1001", since=clock.now - timedelta(days=1))
    assert (row.status, row.sent_at) == ("sent", clock.now)


def test_a_server_error_is_retried_later_then_sent_once(store, rasa, clock):
    rasa.on("POST", TRIGGER, Reply(500, {"error": "boom"}), SAID)
    row = queue(store)
    send = sender(store, rasa, clock)
    assert send.send_due() == 0
    waiting = store.outbox_row(row.id)
    assert waiting.status == "pending" and waiting.last_error == "Rasa answered 500"
    assert clock.now <= waiting.next_attempt_at <= clock.now + timedelta(seconds=2)
    clock.now = waiting.next_attempt_at
    assert send.send_due() == 1
    assert len(rasa.seen("POST", TRIGGER)) == 2


def test_a_channel_that_is_not_running_is_not_a_delivery(store, rasa, clock):
    # Rasa falls back to collecting the messages (and returns them) when the channel is off.
    rasa.on("POST", TRIGGER, Reply(200, {"tracker": {"events": []},
                                         "messages": [{"text": TEXT}]}))
    row = queue(store)
    sender(store, rasa, clock).send_due()
    waiting = store.outbox_row(row.id)
    assert (waiting.status, waiting.last_error) == (
        "pending", "the telegram channel is not running in Rasa")


def test_an_update_rasa_did_not_say_is_not_a_delivery(store, rasa, clock):
    rasa.on("POST", TRIGGER, Reply(200, {"tracker": {"events": [
        {"event": "action", "name": "action_order_update"}]}}))  # the action server failed
    row = queue(store)
    sender(store, rasa, clock).send_due()
    assert store.outbox_row(row.id).status == "pending"


def test_a_customer_who_said_stop_while_it_waited_is_not_sent_it(store, rasa, clock, tmp_path):
    contacts = ContactStore(tmp_path / "wismo.db")
    contacts.verified("telegram:42", "telegram", "bob.norman@hostmail.com", "1001")
    row = queue(store, next_attempt_at=clock.now + timedelta(hours=8))  # held for the night
    contacts.set_notifications("telegram:42", "telegram", False)
    clock.now += timedelta(hours=8)
    assert sender(store, rasa, clock, contacts=contacts).send_due() == 0
    assert store.outbox_row(row.id).status == "dropped"
    assert rasa.seen("POST", TRIGGER) == []


def test_the_api_token_goes_with_every_push(store, rasa, clock):
    queue(store)
    sender(store, rasa, clock, token="s3cret").send_due()
    [call] = rasa.seen("POST", TRIGGER)
    assert call.query == {"output_channel": ["telegram"], "token": ["s3cret"]}


def test_retry_after_is_a_floor(store, rasa, clock):
    rasa.on("POST", TRIGGER, Reply(429, {"error": "slow down"}, headers={"Retry-After": "120"}))
    row = queue(store)
    sender(store, rasa, clock).send_due()
    assert store.outbox_row(row.id).next_attempt_at >= clock.now + timedelta(seconds=120)


def test_after_the_last_try_the_row_stays_visible_as_failed(store, rasa, clock):
    rasa.on("POST", TRIGGER, Reply(503, {"error": "down"}))
    row = queue(store)
    send = sender(store, rasa, clock, max_attempts=3)
    for _ in range(3):
        send.send_due()
        clock.now += timedelta(hours=1)
    [failed] = store.failed()
    assert (failed.id, failed.status, failed.attempts) == (row.id, "failed", 3)
    assert len(rasa.seen("POST", TRIGGER)) == 3


def test_a_refusal_fails_at_once(store, rasa, clock):
    rasa.on("POST", TRIGGER, Reply(400, {"error": "unknown intent"}))
    queue(store)
    sender(store, rasa, clock).send_due()
    assert [r.last_error for r in store.failed()] == [
        'Rasa answered 400: {"error": "unknown intent"}']


def test_a_crash_between_queueing_and_sending_sends_exactly_once(tmp_path, rasa, clock):
    path = tmp_path / "wismo.db"
    queue(EngineStore(path, clock=clock))  # the engine stopped right after the commit
    restarted = EngineStore(path, clock=clock)
    send = sender(restarted, rasa, clock)
    send.recover()
    assert send.send_due() == 1
    assert send.send_due() == 0
    assert len(rasa.seen("POST", TRIGGER)) == 1


def test_a_crash_after_claiming_releases_the_row_on_restart(tmp_path, rasa, clock):
    path = tmp_path / "wismo.db"
    crashed = EngineStore(path, clock=clock)
    row = queue(crashed)
    assert crashed.claim(row.id)  # claimed, then the process died before sending
    clock.now += timedelta(seconds=30)  # restarted at once
    restarted = EngineStore(path, clock=clock)
    send = sender(restarted, rasa, clock)
    assert send.recover() == 1
    assert send.send_due() == 1
    assert len(rasa.seen("POST", TRIGGER)) == 1


class Inbox:
    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.messages.append(message_from_bytes(envelope.original_content))
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Controller, Inbox]]:
    inbox = Inbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield controller, inbox
    controller.stop()


def test_a_customer_without_chat_gets_an_email(store, rasa, clock, smtp):
    controller, inbox = smtp
    queue(store, channel="email", to="bob.norman@hostmail.com")
    settings = SmtpSettings(host="127.0.0.1", port=controller.port,
                            sender="orders@northwind.example", starttls=False)
    assert sender(store, rasa, clock, smtp=settings).send_due() == 1
    [mail] = inbox.messages
    assert mail["To"] == "bob.norman@hostmail.com"
    assert mail["Subject"] == "An update on your order #1001"
    assert TEXT in mail.get_payload(decode=True).decode()


def test_without_smtp_an_email_is_written_to_the_mail_drop(store, rasa, clock, tmp_path):
    row = queue(store, channel="email", to="bob.norman@hostmail.com")
    drop = tmp_path / "mail"
    assert sender(store, rasa, clock, smtp=SmtpSettings(drop_dir=drop)).send_due() == 1
    mail = message_from_bytes((drop / f"outbox-{row.id}.eml").read_bytes())
    assert mail["To"] == "bob.norman@hostmail.com"
    assert TEXT in mail.get_payload(decode=True).decode()


def test_email_without_smtp_configured_fails_visibly(store, rasa, clock):
    queue(store, channel="email", to="bob.norman@hostmail.com")
    sender(store, rasa, clock).send_due()
    assert [r.last_error for r in store.failed()] == [
        "email is not configured (WISMO_SMTP_HOST)"]


def test_a_server_without_starttls_never_gets_the_password(store, rasa, clock, smtp):
    controller, inbox = smtp
    queue(store, channel="email", to="bob.norman@hostmail.com")
    settings = SmtpSettings(host="127.0.0.1", port=controller.port, user="shop",
                            password="s3cret")  # STARTTLS required (the default)
    assert sender(store, rasa, clock, smtp=settings).send_due() == 0
    assert [r.last_error for r in store.failed()] == ["the SMTP server offers no STARTTLS"]
    assert inbox.messages == []


def test_an_update_for_a_conversation_a_person_has_waits_and_tells_them_once(
        store, rasa, clock, tmp_path):
    from wismo.cases import CaseStore

    cases = CaseStore(tmp_path / "wismo.db")
    case = cases.open("telegram:42", "customer_asked", "1001", "telegram")
    paused = Reply(200, {"tracker": {"sender_id": "telegram:42", "paused": True, "events": [
        {"event": "user", "text": "EXTERNAL: EXTERNAL_order_update"}]}})
    rasa.on("POST", TRIGGER, paused, paused, SAID)
    row = queue(store)
    send = sender(store, rasa, clock, cases=cases, max_attempts=2)
    for _ in range(2):
        assert send.send_due() == 0
        held = store.outbox_row(row.id)
        assert (held.status, held.attempts) == ("pending", 0)
        clock.now = held.next_attempt_at
    notes = []
    while (post := cases.next_post()) is not None:
        notes.append(post.text)
        cases.sent(post, "C1", "1.0")
    assert notes == [None, "Order update held while you have the conversation (it goes out "
                     f"after you hand back): {TEXT}"]
    assert send.send_due() == 1  # handed back: the update goes out
    assert store.outbox_row(row.id).status == "sent"
    assert cases.get(case.id).status == "open"
