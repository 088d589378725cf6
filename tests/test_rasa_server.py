"""The Rasa server's shortcuts keep Rasa's behaviour: same rows, same published events, same
verdicts on action responses, same event classes (wismo/rasa_server.py)."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from jsonschema import ValidationError
from rasa.core import tracker_store as rasa_tracker_store
from rasa.core.actions.action import RemoteAction
from rasa.core.brokers.broker import EventBroker
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    Event,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.utils.common import all_subclasses
from rasa.utils.endpoints import EndpointConfig

from wismo.rasa_server import SQLTrackerStore, speed_up_rasa

DOMAIN = Domain.from_yaml("""
version: "3.1"
intents: [order_status]
slots:
  order_number:
    type: text
    mappings: [{type: from_text}]
""")


class Collected(EventBroker):
    """A broker that keeps what it is given."""

    def __init__(self) -> None:
        self.published: list[dict[str, Any]] = []

    def publish(self, event: dict[str, Any]) -> None:
        self.published.append(event)


def _turn(tracker, text: str, reply: str, timestamp: float) -> None:
    tracker.update(UserUttered(text, {"name": "order_status", "confidence": 0.9},
                               timestamp=timestamp))
    tracker.update(SlotSet("order_number", text, timestamp=timestamp + 0.1))
    tracker.update(ActionExecuted("utter_ask_email", timestamp=timestamp + 0.2))
    tracker.update(BotUttered(reply, timestamp=timestamp + 0.3))
    tracker.update(ActionExecuted("action_listen", timestamp=timestamp + 0.4))


def _conversation(store) -> tuple[list[dict[str, Any]], list[tuple]]:
    """Three saves of one conversation, a new session in the middle; what was published and
    the rows written."""
    async def run() -> None:
        tracker = store.init_tracker("customer-1")
        tracker.update(SessionStarted(timestamp=1.0))
        _turn(tracker, "1042", "What's the email on the order?", 2.0)
        await store.save(tracker)
        tracker = await store.retrieve("customer-1")
        _turn(tracker, "1043", "And the email?", 3.0)
        await store.save(tracker)
        tracker = await store.retrieve("customer-1")
        tracker.update(SessionStarted(timestamp=4.0))
        _turn(tracker, "1044", "Which email?", 5.0)
        await store.save(tracker)

    asyncio.run(run())
    with sqlite3.connect(store.engine.url.database) as db:
        rows = db.execute("SELECT sender_id, type_name, timestamp, intent_name, action_name, "
                          "data FROM events ORDER BY id").fetchall()
    return store.event_broker.published, rows


def test_the_tracker_store_writes_and_publishes_what_rasas_does(tmp_path: Path):
    ours = SQLTrackerStore(DOMAIN, dialect="sqlite", db=str(tmp_path / "ours.db"),
                           event_broker=Collected())
    rasas = rasa_tracker_store.SQLTrackerStore(DOMAIN, dialect="sqlite",
                                               db=str(tmp_path / "rasa.db"),
                                               event_broker=Collected())

    published, rows = _conversation(ours)

    assert (published, rows) == _conversation(rasas)
    assert len(rows) == 1 + 5 + 5 + 1 + 5  # every event stored once
    assert [e["text"] for e in published if e["event"] == "bot"] == [
        "What's the email on the order?", "And the email?", "Which email?"]
    assert {e["sender_id"] for e in published} == {"customer-1"}


def _texts(tracker) -> list[str]:
    return [e.text for e in tracker.events if isinstance(e, UserUttered)]


def test_a_conversation_another_worker_wrote_to_is_read_again(tmp_path: Path):
    db = str(tmp_path / "t.db")
    ours = SQLTrackerStore(DOMAIN, dialect="sqlite", db=db, event_broker=Collected())
    other = SQLTrackerStore(DOMAIN, dialect="sqlite", db=db)  # a second Rasa worker

    async def run():
        tracker = ours.init_tracker("customer-1")
        _turn(tracker, "1042", "What's the email?", 2.0)
        await ours.save(tracker)
        theirs = await other.retrieve("customer-1")
        _turn(theirs, "1043", "And the email?", 3.0)
        await other.save(theirs)
        mine = await ours.retrieve("customer-1")
        _turn(mine, "1044", "Which email?", 4.0)
        await ours.save(mine)
        return mine, await rasa_tracker_store.SQLTrackerStore(
            DOMAIN, dialect="sqlite", db=db).retrieve("customer-1")

    mine, stored = asyncio.run(run())

    assert _texts(mine) == ["1042", "1043", "1044"]
    assert _texts(stored) == ["1042", "1043", "1044"]  # nothing lost, nothing twice
    assert [e["text"] for e in ours.event_broker.published if e["event"] == "user"] == [
        "1042", "1044"]


def test_a_turn_that_failed_before_saving_leaves_no_trace(tmp_path: Path):
    store = SQLTrackerStore(DOMAIN, dialect="sqlite", db=str(tmp_path / "t.db"))

    async def run():
        tracker = store.init_tracker("customer-1")
        _turn(tracker, "1042", "What's the email?", 2.0)
        await store.save(tracker)
        broken = await store.retrieve("customer-1")
        _turn(broken, "never saved", "-", 3.0)  # the turn raised before Rasa saved it
        return await store.retrieve("customer-1")

    again = asyncio.run(run())

    assert _texts(again) == ["1042"]


def test_conversations_beyond_the_kept_ones_are_read_from_the_database(tmp_path: Path):
    store = SQLTrackerStore(DOMAIN, dialect="sqlite", db=str(tmp_path / "t.db"), keep=1)

    async def run():
        for n, sender in enumerate(["a", "b", "a", "b"]):
            tracker = await store.retrieve(sender) or store.init_tracker(sender)
            _turn(tracker, f"{sender}{n}", "ok", float(n + 1))
            await store.save(tracker)
        return await store.retrieve("a"), await store.retrieve("b")

    a, b = asyncio.run(run())

    assert (_texts(a), _texts(b)) == (["a0", "a2"], ["b1", "b3"])


def test_the_tracker_store_is_what_endpoints_yml_names(tmp_path: Path):
    store = rasa_tracker_store.TrackerStore.create(
        EndpointConfig.from_dict({"type": "wismo.rasa_server.SQLTrackerStore",
                                  "dialect": "sqlite", "db": str(tmp_path / "t.db")}),
        DOMAIN)
    assert type(store) is SQLTrackerStore


VALID = {"events": [{"event": "slot", "name": "order_number", "value": "1042"}],
         "responses": [{"text": "Your order #1042 is on its way."}]}
INVALID = {"events": [{"event": "slot", "name": 42}], "responses": "not a list"}


def test_action_responses_get_rasas_verdict():
    action = RemoteAction("action_order_status", None)
    before = [action._validate_action_result(VALID)]
    with pytest.raises(ValidationError) as rasas:
        action._validate_action_result(INVALID)

    speed_up_rasa()

    assert RemoteAction._validate_action_result.wismo
    assert [action._validate_action_result(VALID)] == before
    with pytest.raises(ValidationError) as ours:
        action._validate_action_result(INVALID)
    assert ours.value.message == rasas.value.message
    assert "Failed to validate Action server response" in ours.value.message


def test_every_event_name_finds_its_class_and_unknown_names_still_fail():
    speed_up_rasa()
    classes = all_subclasses(Event)
    for name in {c.type_name for c in classes}:
        rasas = next(c for c in classes if c.type_name == name)  # Rasa takes the first
        assert Event.resolve_by_type(name) is rasas
        assert Event.resolve_by_type(name) is rasas  # remembered
    assert Event.from_parameters({"event": "bot", "text": "hi"}) == BotUttered("hi")
    assert Event.resolve_by_type("no_such_event", default=UserUttered) is UserUttered
    with pytest.raises(ValueError, match="Unknown event name"):
        Event.resolve_by_type("no_such_event")
