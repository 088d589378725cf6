"""Stored webhook events → the engine's copy of the order → detections → outbox rows."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from tests.engine.payloads import make_easypost_event, make_order
from wismo.cases import CaseStore
from wismo.contacts import ContactStore
from wismo.engine.known import KnownOrders
from wismo.engine.process import Engine, detection_keys, outbox_key
from wismo.engine.rules import Rules
from wismo.engine.store import EngineStore

NOW = datetime(2024, 8, 2, 19, 0, tzinfo=timezone.utc)  # 3pm in New York: no quiet hours
EMAIL = "bob.norman@hostmail.com"  # the documented order's customer
TRACKING = "1Z2345"


class World:
    """The engine over one SQLite file, as `wismo engine` builds it."""

    def __init__(self, path: Path) -> None:
        self.store = EngineStore(path, clock=lambda: NOW)
        self.contacts = ContactStore(path)
        self.cases = CaseStore(path)
        self.engine = Engine(self.store, KnownOrders(path), self.contacts, self.cases, Rules(),
                             clock=lambda: NOW)
        self._ids = 0

    def receive(self, provider: str, topic: str, body: dict, event_id: str | None = None):
        self._ids += 1
        return self.store.record_event(provider, event_id or f"e{self._ids}", topic,
                                       json.dumps(body))

    def outbox(self):
        return self.store.for_order("1001", since=datetime(2000, 1, 1, tzinfo=timezone.utc))


def order_placed() -> dict:
    """The documented order, placed yesterday, its parcel handed to UPS (label only)."""
    order = make_order(created_at="2024-08-01T10:00:00-04:00")
    order["fulfillments"][0] |= {"status": "success", "shipment_status": "label_printed",
                                 "tracking_company": "UPS", "tracking_number": TRACKING,
                                 "tracking_numbers": [TRACKING],
                                 "created_at": "2024-08-01T15:00:00-04:00"}
    return order


def tracker_update(status: str = "in_transit", at: str | None = None) -> dict:
    event = make_easypost_event()
    event["result"] |= {"tracking_code": TRACKING, "carrier": "UPS", "status": status}
    if at is not None:
        event["result"]["tracking_details"][-1] |= {"datetime": at, "status": status}
    return event


@pytest.fixture
def world(tmp_path: Path) -> World:
    w = World(tmp_path / "wismo.db")
    w.contacts.verified("telegram:42", "telegram", EMAIL, "1001")
    w.receive("shopify", "orders/create", order_placed())
    w.engine.process_pending()
    return w


def test_the_first_scan_is_told_once_on_the_customers_chat(world):
    world.receive("easypost", "tracker.updated", tracker_update())
    [review] = world.engine.process_pending()
    [row] = review.queued
    assert (row.channel, row.conversation_id) == ("telegram", "telegram:42")
    assert "#1001" in row.text and "UPS" in row.text
    assert row.kind == "shipped"


def test_a_retried_or_replayed_event_queues_nothing_more(world):
    body = tracker_update()
    assert world.receive("easypost", "tracker.updated", body, event_id="evt_1")
    assert not world.receive("easypost", "tracker.updated", body, event_id="evt_1")
    world.engine.process_pending()
    world.receive("easypost", "tracker.updated", body, event_id="evt_replay")
    [review] = world.engine.process_pending()
    assert review.queued == []
    assert len(world.outbox()) == 1


def test_an_older_event_arriving_late_never_moves_the_parcel_back(world):
    world.receive("easypost", "tracker.updated",
                  tracker_update("delivered", at="2024-08-02T18:55:00Z"))
    world.engine.process_pending()
    world.receive("easypost", "tracker.updated", tracker_update("in_transit"))
    [review] = world.engine.process_pending()
    assert review.queued == []
    assert [r.kind for r in world.outbox()] == ["delivered"]


def test_a_customer_who_said_stop_gets_nothing(world):
    world.contacts.set_notifications("telegram:42", "telegram", False)
    world.receive("easypost", "tracker.updated", tracker_update())
    [review] = world.engine.process_pending()
    assert review.queued == []
    assert [d.reason for d in review.decisions] == ["opted out"]


def test_a_lost_parcel_also_opens_a_handoff_case(world):
    event = tracker_update("failure", at="2024-08-02T18:55:00Z")
    event["result"]["status_detail"] = "lost"
    event["result"]["tracking_details"][-1]["status_detail"] = "lost"
    world.receive("easypost", "tracker.updated", event)
    [review] = world.engine.process_pending()
    assert [r.kind for r in review.queued] == ["exception/lost"]
    [case] = world.cases.for_conversation("telegram:42")
    assert (case.reason, case.order_number) == ("proactive:exception", "1001")


def test_an_unusable_event_is_kept_with_its_error_and_the_rest_go_on(world):
    world.receive("easypost", "tracker.updated", {"id": "evt_bad", "result": "nonsense"})
    world.receive("easypost", "tracker.updated", tracker_update())
    [review] = world.engine.process_pending()
    assert len(review.queued) == 1
    assert world.store.pending_events() == []


def test_outbox_keys_name_the_news_and_the_recipient():
    key = outbox_key(("1001:1:shipped:a", "1001:1:late:b"), "telegram:42")
    assert detection_keys(key) == ("1001:1:shipped:a", "1001:1:late:b")


def test_a_parcel_with_no_carrier_news_is_polled_and_its_news_told(tmp_path):
    asked: list[tuple[str, str | None]] = []

    def carrier(tracking_number: str, carrier_name: str | None) -> dict:
        asked.append((tracking_number, carrier_name))
        return tracker_update()["result"]

    w = World(tmp_path / "wismo.db")
    w.engine.fetch_tracker = carrier
    w.contacts.verified("telegram:42", "telegram", EMAIL, "1001")
    w.receive("shopify", "orders/create", order_placed())
    w.engine.process_pending()
    [review] = w.engine.poll()
    assert asked == [(TRACKING, "UPS")]
    assert [r.kind for r in review.queued] == ["shipped"]
    assert w.engine.poll() == []  # just asked: not again until it is stale once more
    assert asked == [(TRACKING, "UPS")]


@pytest.mark.parametrize(("state", "queued_now"), [("CA", True), ("KY", False)])
def test_quiet_hours_follow_the_delivery_address(tmp_path, state, queued_now):
    evening = datetime(2024, 8, 3, 3, 30, tzinfo=timezone.utc)  # 8:30pm in LA, 11:30pm in KY
    w = World(tmp_path / "wismo.db")
    w.engine.clock = lambda: evening
    w.contacts.verified("telegram:42", "telegram", EMAIL, "1001")
    order = order_placed()
    order["shipping_address"]["province_code"] = state
    w.receive("shopify", "orders/create", order)
    w.engine.process_pending()
    w.receive("easypost", "tracker.updated", tracker_update())
    [review] = w.engine.process_pending()
    [row] = review.queued
    assert (row.next_attempt_at <= evening) is queued_now  # KY: held until 8am local


def test_late_means_late_in_the_customers_own_day(tmp_path):
    """Promised for Friday: at 5:30pm Friday in Los Angeles (already Saturday in UTC) the
    parcel is not late yet, and no message says so."""
    evening = datetime(2024, 8, 3, 0, 30, tzinfo=timezone.utc)  # Fri 5:30pm PDT
    w = World(tmp_path / "wismo.db")
    w.engine.clock = lambda: evening
    w.contacts.verified("telegram:42", "telegram", EMAIL, "1001")
    order = order_placed()
    order["shipping_address"]["province_code"] = "CA"
    order["note_attributes"] = [{"name": "promised_delivery_date", "value": "2024-08-02"}]
    w.receive("shopify", "orders/create", order)
    w.receive("easypost", "tracker.updated", tracker_update())
    [review] = w.engine.process_pending()
    assert "late" not in [d.kind.value for d in review.detections]
