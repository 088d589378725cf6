"""Actions run against the real sandbox store and carrier, with real rasa-sdk objects."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.services import services
from wismo.sandbox import start_sandbox

DOMAIN: dict[str, Any] = {
    "forms": {
        "order_lookup_form": {"required_slots": ["order_number", "proof", "postal_check"]},
        "address_form": {"required_slots": ["new_address"]},
    }
}


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Any]:
    running = start_sandbox(port=0)
    yield running
    running.stop()


@pytest.fixture
def env(sandbox, monkeypatch, tmp_path):
    """Point the action server's services at the sandbox, with a fresh var/ dir."""
    monkeypatch.setenv("SHOPIFY_STORE_URL", sandbox.url)
    monkeypatch.setenv("SHOPIFY_ACCESS_TOKEN", sandbox.shopify_token)
    monkeypatch.setenv("EASYPOST_API_KEY", sandbox.easypost_key)
    monkeypatch.setenv("EASYPOST_BASE_URL", sandbox.url)
    monkeypatch.setenv("WISMO_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("WISMO_HTTP_RETRIES", "0")
    services.cache_clear()
    yield services()
    services.cache_clear()


def make_tracker(
    *,
    slots: dict[str, Any] | None = None,
    intent: str = "inform",
    text: str = "",
    entities: list[dict[str, Any]] | None = None,
    events: list[dict[str, Any]] | None = None,
    active_loop: str | None = None,
    ranking: list[dict[str, Any]] | None = None,
    sender: str = "conv-1",
    channel: str = "rest",
    metadata: dict[str, Any] | None = None,
    paused: bool = False,
) -> Tracker:
    """A tracker as the Rasa server would send it, with only what a test cares about."""
    latest = {"intent": {"name": intent, "confidence": 0.9}, "text": text,
              "entities": entities or [], "intent_ranking": ranking or [],
              "metadata": metadata or {}}
    all_events = list(events or []) + [{"event": "user", "text": text, "parse_data": latest,
                                        "input_channel": channel}]
    return Tracker(sender, dict(slots or {}), latest, all_events, paused, None,
                   {"name": active_loop} if active_loop else {}, "action_listen")


def form_turn(tracker: Tracker, **slot_candidates: Any) -> Tracker:
    """The tracker the form action sends: extracted slot candidates appended as slot events."""
    events = tracker.events + [{"event": "slot", "name": k, "value": v}
                               for k, v in slot_candidates.items()]
    slots = {**tracker.slots, **slot_candidates}
    return Tracker(tracker.sender_id, slots, tracker.latest_message, events, False, None,
                   {"name": "order_lookup_form"}, "action_listen")


def run(action: Any, tracker: Tracker) -> tuple[list[str], list[dict[str, Any]], list[Any]]:
    """Run one action; return the texts it said, its buttons, and its events."""
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, DOMAIN))
    texts = [m.get("text") or "" for m in dispatcher.messages]
    buttons = [b for m in dispatcher.messages for b in m.get("buttons") or []]
    return texts, buttons, events


def slots_of(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}
