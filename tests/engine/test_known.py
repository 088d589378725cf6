"""The engine's copy of orders, kept from webhook payloads (Shopify's and EasyPost's own)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from wismo.domain import Status
from wismo.engine.known import KnownOrders

PROVIDERS = Path(__file__).parents[3] / "shared/data/providers"


def load(path: str) -> Any:
    return json.loads((PROVIDERS / path).read_text())


def shopify_order() -> dict[str, Any]:
    """Shopify's documented order, its fulfillment shipped (the fixture's is still pending)."""
    order = copy.deepcopy(load("shopify/fixtures_shopify_python_api/order.json")["order"])
    order["fulfillments"][0] |= {"status": "success", "shipment_status": "in_transit"}
    return order


def easypost_tracker(tracking_code: str = "1Z2345", **changes: Any) -> dict[str, Any]:
    tracker = copy.deepcopy(load("easypost/event-body.tracker.updated.json")["result"])
    return tracker | {"tracking_code": tracking_code} | changes


@pytest.fixture
def known(tmp_path: Path) -> KnownOrders:
    return KnownOrders(tmp_path / "wismo.db")


def test_an_order_is_kept_and_its_tracker_merged_in(known):
    known.put_order(shopify_order())
    assert known.put_tracker(easypost_tracker()) == "1001"
    order = known.order("1001")
    [parcel] = order.shipments
    assert parcel.tracking_number == "1Z2345"
    assert parcel.status == Status.IN_TRANSIT
    assert parcel.events  # EasyPost's checkpoints, as a live lookup would show them


def test_a_tracker_that_arrives_before_its_order_is_kept_for_it(known):
    assert known.put_tracker(easypost_tracker()) is None
    known.put_order(shopify_order())
    assert known.order("1001").shipments[0].status == Status.IN_TRANSIT


def test_an_older_tracker_never_replaces_a_newer_one(known):
    known.put_order(shopify_order())
    newer = easypost_tracker(status="delivered")
    newer["tracking_details"][-1] |= {"datetime": "2024-08-03T15:00:00Z", "status": "delivered"}
    known.put_tracker(newer)
    known.put_tracker(easypost_tracker())  # the in_transit one, delivered late by a retry
    assert known.order("1001").shipments[0].status == Status.DELIVERED


def test_a_fulfillment_webhook_updates_its_order_and_an_older_one_is_ignored(known):
    known.put_order(shopify_order())
    fulfillment = copy.deepcopy(shopify_order()["fulfillments"][0])
    newer = fulfillment | {"tracking_number": "1Z9999", "tracking_numbers": ["1Z9999"],
                           "updated_at": "2014-01-23T10:00:00-05:00"}
    assert known.put_fulfillment(newer) == "1001"
    assert known.order("1001").shipments[0].tracking_number == "1Z9999"
    stale = fulfillment | {"tracking_number": "1Z0000", "tracking_numbers": ["1Z0000"],
                           "updated_at": "2014-01-20T10:00:00-05:00"}
    assert known.put_fulfillment(stale) == "1001"
    assert known.order("1001").shipments[0].tracking_number == "1Z9999"


def test_a_fulfillment_for_an_unknown_order_says_so(known):
    assert known.put_fulfillment({"id": 1, "order_id": 42}) is None
    assert known.order("1001") is None
    assert known.numbers() == []


def test_a_fulfillment_event_moves_its_parcel_on(known):
    known.put_order(shopify_order())
    event = {"id": 1, "fulfillment_id": 255858046, "order_id": 450789469,
             "status": "out_for_delivery", "happened_at": "2014-01-23T08:00:00-05:00"}
    assert known.put_fulfillment_event(event) == "1001"
    assert known.order("1001").shipments[0].status == Status.OUT_FOR_DELIVERY


def test_a_retried_older_order_payload_never_takes_back_a_newer_one(known):
    shipped = shopify_order() | {"updated_at": "2014-01-23T10:00:00-05:00"}
    known.put_order(shipped)
    placed = shopify_order() | {"updated_at": "2014-01-20T10:00:00-05:00", "fulfillments": []}
    known.put_order(placed)  # the orders/create delivery, retried late
    assert known.order("1001").shipments[0].tracking_number == "1Z2345"
