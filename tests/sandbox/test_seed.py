"""The seed: every state present, dates relative to today, realistic and deterministic."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date, datetime, timedelta

from wismo.sandbox.seed import build_seed

TODAY = date(2025, 6, 10)
SEED = build_seed(TODAY)
BY_NUMBER = {o["order_number"]: o for o in SEED.orders.values()}
TRACKING_FORMATS = {
    "UPS": r"1Z[0-9A-Z]{16}",
    "USPS": r"9400\d{18}",
    "FedEx": r"\d{12}",
    "DHL Express": r"\d{10}",
    "Canada Post": r"\d{16}",
    "Royal Mail": r"[A-Z]{2}\d{9}GB",
}


def promise(order: dict) -> date:
    (attr,) = [a for a in order["note_attributes"] if a["name"] == "promised_delivery_date"]
    return date.fromisoformat(attr["value"])


def tracker(number: int, index: int = 0) -> dict:
    return SEED.trackers[BY_NUMBER[number]["fulfillments"][index]["tracking_number"]]


def when(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def test_same_day_builds_the_same_data():
    assert build_seed(TODAY) == SEED


def test_another_day_moves_every_date_with_it():
    later = build_seed(TODAY + timedelta(days=30))
    order = next(o for o in later.orders.values() if o["order_number"] == 1010)
    assert promise(order) == promise(BY_NUMBER[1010]) + timedelta(days=30)


def test_at_least_sixty_orders_numbered_from_1001():
    numbers = sorted(BY_NUMBER)
    assert len(numbers) >= 60
    assert numbers == list(range(1001, 1001 + len(numbers)))
    assert all(o["name"] == f"#{o['order_number']}" for o in SEED.orders.values())


def test_every_easypost_status_combination_is_seeded():
    combos = {(t["status"], t["status_detail"]) for t in SEED.trackers.values()}
    assert combos >= {
        ("pre_transit", "label_created"),
        ("in_transit", "arrived_at_facility"),
        ("in_transit", "departed_facility"),
        ("in_transit", "in_transit"),
        ("out_for_delivery", "out_for_delivery"),
        ("delivered", "arrived_at_destination"),
        ("available_for_pickup", "arrived_at_pickup_location"),
        ("out_for_delivery", "delivery_exception"),
        ("in_transit", "weather_delay"),
        ("in_transit", "delayed"),
        ("in_transit", "address_correction"),
        ("in_transit", "held"),
        ("failure", "damaged"),
        ("failure", "lost"),
        ("return_to_sender", "return"),
    }


def test_the_exception_wording_the_normaliser_relies_on():
    assert tracker(1018)["tracking_details"][-1]["message"] == (
        "Delivery attempted - no access to delivery location")
    assert tracker(1019)["tracking_details"][-1]["message"] == (
        "Severe weather conditions have delayed delivery")
    assert tracker(1021)["tracking_details"][-1]["message"] == (
        "Incorrect address - unable to deliver")
    assert tracker(1022)["tracking_details"][-1]["message"] == (
        "Held in customs - awaiting clearance")
    assert BY_NUMBER[1022]["shipping_address"]["country_code"] != "US"


def test_shopify_side_states():
    holds = {
        h["reason"]
        for fos in SEED.fulfillment_orders.values() for fo in fos for h in fo["fulfillment_holds"]
    }
    assert holds == {"inventory_out_of_stock", "awaiting_payment", "incorrect_address"}
    assert BY_NUMBER[1002]["fulfillments"] == [] and BY_NUMBER[1002]["fulfillment_status"] is None
    assert {o["cancel_reason"] for o in SEED.orders.values() if o["cancelled_at"]} == {
        "customer", "inventory"}
    split = [o for o in SEED.orders.values() if len(o["fulfillments"]) >= 2]
    assert len(split) >= 2
    assert all(len({f["shipment_status"] for f in o["fulfillments"]}) > 1 for o in split)
    partial = BY_NUMBER[1031]
    assert partial["fulfillment_status"] == "partial"
    assert [fo["status"] for fo in SEED.fulfillment_orders[partial["id"]]] == ["closed", "open"]


def test_dates_are_relative_to_today():
    late, on_time, trending = BY_NUMBER[1010], BY_NUMBER[1001], BY_NUMBER[1009]
    assert promise(late) < TODAY and tracker(1010)["status"] == "in_transit"
    assert promise(on_time) > TODAY
    assert date.fromisoformat(tracker(1001)["est_delivery_date"][:10]) <= promise(on_time)
    assert date.fromisoformat(tracker(1009)["est_delivery_date"][:10]) > promise(trending)
    stuck_last = when(tracker(1011)["tracking_details"][-1]["datetime"]).date()
    assert (TODAY - stuck_last).days >= 6
    (label,) = tracker(1007)["tracking_details"]
    assert (TODAY - when(label["datetime"]).date()).days >= 3
    assert tracker(1012)["carrier_detail"]["est_delivery_time_local"] == "14:00"


def test_histories_are_chronological_and_in_the_past():
    now = datetime.combine(TODAY, datetime.min.time()).replace(hour=16)
    for t in SEED.trackers.values():
        times = [when(d["datetime"]) for d in t["tracking_details"]]
        assert times == sorted(times), t["tracking_code"]
        assert all(m.replace(tzinfo=None) < now for m in times)
        assert t["tracking_details"][-1]["status"] == t["status"]


def test_realistic_numbers_phones_and_places():
    for order in SEED.orders.values():
        assert re.fullmatch(r"\+[1-9]\d{7,14}", order["phone"])
        for f in order["fulfillments"]:
            pattern = TRACKING_FORMATS[f["tracking_company"]]
            assert re.fullmatch(pattern, f["tracking_number"]), f["tracking_number"]
            assert f["tracking_number"] in f["tracking_url"]
    countries = {o["shipping_address"]["country_code"] for o in SEED.orders.values()}
    assert countries >= {"US", "CA", "GB", "DE", "AU"}
    per_customer = Counter(o["email"] for o in SEED.orders.values())
    assert sum(1 for n in per_customer.values() if 2 <= n <= 4) >= 5


def test_failure_injection_parcels():
    assert sorted(SEED.faults.values()) == ["500", "malformed", "slow"]
