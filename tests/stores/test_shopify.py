"""ShopifyClient against a local server answering Shopify's documented payloads."""

from __future__ import annotations

import copy
import json
from datetime import date, datetime, timezone
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from tests.fake_provider import FakeProvider, Reply
from wismo.domain import Address, LineItem, Status
from wismo.errors import ConfigError, ProviderRejected, ProviderResponseError, ProviderUnavailable
from wismo.stores import StoreClient
from wismo.stores.shopify import ShopifyClient, parse_order

SHARED = Path(__file__).parents[3] / "shared/data/providers/shopify/fixtures_shopify_python_api"
LOCAL = Path(__file__).parents[1] / "fixtures/shopify"
TOKEN = "shpat_test_token"
API = "/admin/api/2024-10"
ORDERS = f"{API}/orders.json"
ORDER_ID = 450789469
HOLDS = f"{API}/orders/{ORDER_ID}/fulfillment_orders.json"


@cache
def _load(path: Path) -> Any:
    return json.loads(path.read_text())


# --- factories -----------------------------------------------------------------


def make_order(**overrides: Any) -> dict[str, Any]:
    """Shopify's documented order (order.json), with fields replaced."""
    return copy.deepcopy(_load(SHARED / "order.json")["order"]) | overrides


def make_fulfillment(**overrides: Any) -> dict[str, Any]:
    """Shopify's documented fulfillment (fulfillment.json), shipped by default."""
    base = copy.deepcopy(_load(SHARED / "fulfillment.json")["fulfillment"])
    base.update(status="success", shipment_status="in_transit", tracking_company="UPS")
    return base | overrides


def make_shipped_order(**overrides: Any) -> dict[str, Any]:
    return make_order(fulfillment_status="fulfilled", fulfillments=[make_fulfillment()],
                      **overrides)


def make_fulfillment_orders(reason: str = "inventory_out_of_stock",
                            notes: str | None = None) -> dict[str, Any]:
    body = copy.deepcopy(_load(LOCAL / "fulfillment_orders_on_hold.json"))
    body["fulfillment_orders"][1]["fulfillment_holds"] = [
        {"reason": reason, "reason_notes": notes}]
    return body


def make_client(server: FakeProvider, waits: list[float] | None = None,
                **options: Any) -> ShopifyClient:
    sleep = (waits if waits is not None else []).append
    return ShopifyClient(server.url, TOKEN, sleep=sleep, **({"retries": 2} | options))


# --- finding an order ----------------------------------------------------------


def test_get_order_by_id_reads_the_order_a_fulfillment_webhook_names(shopify_server):
    shopify_server.on("GET", f"{API}/orders/{ORDER_ID}.json",
                      Reply(200, {"order": make_shipped_order()}))
    shopify_server.on("GET", HOLDS, Reply(200, {"fulfillment_orders": []}))
    order = make_client(shopify_server).get_order_by_id(f"gid://shopify/Order/{ORDER_ID}")
    assert (order.id, order.number) == (str(ORDER_ID), "1001")


def test_get_order_by_id_is_none_for_an_unknown_or_malformed_id(shopify_server):
    assert make_client(shopify_server).get_order_by_id("123") is None  # 404
    assert make_client(shopify_server).get_order_by_id("not-an-id") is None


def test_get_order_asks_for_the_name_with_hash_and_any_status(shopify_server):
    shopify_server.on("GET", ORDERS, Reply(200, {"orders": [make_shipped_order()]}))

    order = make_client(shopify_server).get_order(" #1001 ")

    [request] = shopify_server.seen()
    assert request.headers["x-shopify-access-token"] == TOKEN
    assert "name=%231001" in request.raw_query
    assert request.query["status"] == ["any"]
    assert order is not None
    assert (order.id, order.number, order.email) == ("450789469", "1001",
                                                     "bob.norman@hostmail.com")
    assert order.items == (LineItem("IPod Nano - 8gb", 1),) * 3


def test_get_order_reads_the_parcel_shopify_documents(shopify_server):
    shopify_server.on("GET", ORDERS, Reply(200, {"orders": [make_shipped_order()]}))

    order = make_client(shopify_server).get_order("1001")

    assert order is not None
    [parcel] = order.shipments
    assert parcel.id == "255858046"
    assert parcel.status == Status.IN_TRANSIT
    assert parcel.carrier == "UPS"
    assert parcel.tracking_number == "1Z2345"
    assert parcel.tracking_url == "http://www.google.com/search?q=1Z2345"
    assert parcel.shipped_at == datetime(2013, 11, 1, 20, 6, 8, tzinfo=timezone.utc)
    assert parcel.items == (LineItem("IPod Nano - 8gb", 1),)
    assert order.has_shipped


def test_get_order_tries_the_number_as_given_for_prefixed_names(shopify_server):
    shopify_server.on("GET", ORDERS, Reply(200, {"orders": []}),
                      Reply(200, {"orders": [make_shipped_order(name="WS-10023")]}))

    order = make_client(shopify_server).get_order("ws-10023")

    assert order is not None and order.number == "WS-10023"
    assert [r.query["name"] for r in shopify_server.seen()] == [["#ws-10023"], ["ws-10023"]]


def test_unknown_order_is_none(shopify_server):
    shopify_server.on("GET", ORDERS, Reply(200, {"orders": []}))

    assert make_client(shopify_server).get_order("9999") is None


def test_an_order_whose_name_only_starts_alike_is_not_a_match(shopify_server):
    shopify_server.on("GET", ORDERS, Reply(200, {"orders": [make_shipped_order()]}))

    assert make_client(shopify_server).get_order("100") is None


def test_an_empty_number_asks_nothing(shopify_server):
    assert make_client(shopify_server).get_order(" # ") is None
    assert shopify_server.seen() == []


# --- why an order has not shipped ------------------------------------------------


@pytest.mark.parametrize(
    ("reason", "notes", "expected"),
    [
        ("inventory_out_of_stock", "Back-ordered", "inventory_out_of_stock"),
        ("awaiting_payment", None, "awaiting_payment"),
        ("INCORRECT_ADDRESS", None, "incorrect_address"),
        ("high_risk_of_fraud", None, "high_risk_of_fraud"),
        ("other", "Engraving takes two extra days", "Engraving takes two extra days"),
        ("other", None, "on_hold"),
    ],
)
def test_held_order_keeps_the_hold_reason(shopify_server, reason, notes, expected):
    shopify_server.on("GET", ORDERS, Reply(200, {"orders": [make_order(fulfillments=[])]}))
    shopify_server.on("GET", HOLDS, Reply(200, make_fulfillment_orders(reason, notes)))

    order = make_client(shopify_server).get_order("1001")

    assert order is not None
    assert order.hold_reason == expected


def test_open_order_without_hold_has_no_reason(shopify_server):
    body = make_fulfillment_orders()
    body["fulfillment_orders"][1].update(status="open", fulfillment_holds=[])
    shopify_server.on("GET", ORDERS, Reply(200, {"orders": [make_order(fulfillments=[])]}))
    shopify_server.on("GET", HOLDS, Reply(200, body))

    order = make_client(shopify_server).get_order("1001")

    assert order is not None and order.hold_reason is None


@pytest.mark.parametrize("status", [403, 404])
def test_hold_lookup_refused_still_answers_with_the_order(shopify_server, status):
    shopify_server.on("GET", ORDERS, Reply(200, {"orders": [make_order(fulfillments=[])]}))
    shopify_server.on("GET", HOLDS, Reply(status, {"errors": "Forbidden"}))

    order = make_client(shopify_server).get_order("1001")

    assert order is not None and order.number == "1001" and order.hold_reason is None


def test_shipped_or_cancelled_orders_do_not_ask_for_holds(shopify_server):
    cancelled = make_order(name="#1002", cancelled_at="2024-10-02T10:00:00-04:00",
                           cancel_reason="customer")
    shopify_server.on("GET", ORDERS, Reply(200, {"orders": [make_shipped_order(), cancelled]}))
    client = make_client(shopify_server)

    client.get_order("1001")
    order = client.get_order("1002")

    assert order is not None and order.is_cancelled and order.cancel_reason == "customer"
    assert shopify_server.seen(path=HOLDS) == []


# --- orders by email ----------------------------------------------------------------


def test_orders_for_email_are_the_exact_matches_newest_first(shopify_server):
    older = make_shipped_order(name="#1001", created_at="2024-09-01T10:00:00-04:00")
    newer = make_shipped_order(name="#1005", id=450789470,
                               email="Bob.Norman@Hostmail.com",
                               created_at="2024-10-01T10:00:00-04:00")
    stranger = make_shipped_order(name="#1003", email="bob.norman@hostmail.com.evil")
    shopify_server.on("GET", ORDERS, Reply(200, {"orders": [older, stranger, newer]}))

    orders = make_client(shopify_server).orders_for_email(" bob.norman@hostmail.com ")

    assert [o.number for o in orders] == ["1005", "1001"]
    [request] = shopify_server.seen()
    assert request.query == {"email": ["bob.norman@hostmail.com"], "status": ["any"]}


def test_an_empty_email_lists_nothing(shopify_server):
    assert make_client(shopify_server).orders_for_email("  ") == []
    assert shopify_server.seen() == []


# --- changes ----------------------------------------------------------------------


def test_cancel_posts_reason_and_notifies_the_customer(shopify_server):
    cancelled = make_order(cancelled_at="2024-10-02T10:00:00-04:00", cancel_reason="customer",
                           financial_status="voided")
    path = f"{API}/orders/{ORDER_ID}/cancel.json"
    shopify_server.on("POST", path, Reply(200, {"order": cancelled}))

    order = make_client(shopify_server).cancel_order(str(ORDER_ID))

    [request] = shopify_server.seen("POST", path)
    assert request.body == {"reason": "customer", "email": True}
    assert request.headers["x-shopify-access-token"] == TOKEN
    assert order.is_cancelled and order.cancel_reason == "customer"
    assert order.cancelled_at == datetime(2024, 10, 2, 14, tzinfo=timezone.utc)


def test_cancel_refused_by_shopify_is_rejected(shopify_server):
    path = f"{API}/orders/{ORDER_ID}/cancel.json"
    shopify_server.on("POST", path, Reply(422, {"errors": "Cannot cancel a fulfilled order"}))

    with pytest.raises(ProviderRejected, match="Cannot cancel a fulfilled order") as caught:
        make_client(shopify_server).cancel_order(str(ORDER_ID))
    assert caught.value.status == 422


def test_cancel_of_an_unknown_id_is_a_response_error(shopify_server):
    with pytest.raises(ProviderResponseError) as caught:
        make_client(shopify_server).cancel_order("1")
    assert caught.value.status == 404


def test_update_shipping_address_puts_the_fields_that_are_set(shopify_server):
    new_address = {"first_name": "Bob", "last_name": "Norman", "name": "Bob Norman",
                   "address1": "1 Main St", "address2": "Apt 4", "city": "Denver",
                   "province": "Colorado", "province_code": "CO", "zip": "80202",
                   "country": "United States", "country_code": "US", "phone": None}
    path = f"{API}/orders/{ORDER_ID}.json"
    shopify_server.on("PUT", path, Reply(200, {"order": make_order(
        fulfillments=[], shipping_address=new_address)}))
    shopify_server.on("GET", HOLDS, Reply(200, {"fulfillment_orders": []}))

    order = make_client(shopify_server).update_shipping_address(
        str(ORDER_ID),
        Address(name="Bob Norman", address1="1 Main St", address2="Apt 4", city="Denver",
                province_code="CO", zip="80202", country_code="US"),
    )

    [request] = shopify_server.seen("PUT", path)
    assert request.body == {"order": {"id": ORDER_ID, "shipping_address": {
        "first_name": "Bob", "last_name": "Norman", "address1": "1 Main St",
        "address2": "Apt 4", "city": "Denver", "province_code": "CO", "zip": "80202",
        "country_code": "US"}}}
    assert order.shipping_address is not None
    assert (order.shipping_address.address1, order.shipping_address.zip) == ("1 Main St",
                                                                             "80202")


def test_address_change_refused_by_shopify_is_rejected(shopify_server):
    path = f"{API}/orders/{ORDER_ID}.json"
    shopify_server.on("PUT", path, Reply(422, {"errors": {"shipping_address": ["is invalid"]}}))

    with pytest.raises(ProviderRejected):
        make_client(shopify_server).update_shipping_address(str(ORDER_ID), Address(zip="1"))


# --- failures ---------------------------------------------------------------------


def test_wrong_token_is_a_response_error(shopify_server):
    shopify_server.on("GET", ORDERS, Reply(401, {"errors": "[API] Invalid API key or access "
                                                           "token"}))

    with pytest.raises(ProviderResponseError, match="Invalid API key") as caught:
        make_client(shopify_server).get_order("1001")
    assert caught.value.status == 401


def test_rate_limit_waits_as_asked_then_answers(shopify_server):
    shopify_server.on("GET", ORDERS,
                      Reply(429, {"errors": "Exceeded 2 calls per second"},
                            headers={"Retry-After": "2.0"}),
                      Reply(200, {"orders": [make_shipped_order()]}))
    waits: list[float] = []

    order = make_client(shopify_server, waits).get_order("1001")

    assert order is not None and order.number == "1001"
    assert waits == [2.0]


def test_server_errors_every_time_make_shopify_unavailable(shopify_server):
    shopify_server.on("GET", ORDERS, Reply(500, {"errors": "Internal Server Error"}))
    waits: list[float] = []

    with pytest.raises(ProviderUnavailable):
        make_client(shopify_server, waits, retries=2).get_order("1001")
    assert len(shopify_server.seen()) == 3
    assert len(waits) == 2


def test_a_slow_store_times_out_as_unavailable(shopify_server):
    shopify_server.on("GET", ORDERS, Reply(200, {"orders": []}, delay=1.0))

    with pytest.raises(ProviderUnavailable, match="timed out"):
        make_client(shopify_server, timeout=0.2, retries=0).get_order("1001")


def test_a_body_that_is_not_json_is_a_response_error(shopify_server):
    shopify_server.on("GET", ORDERS, Reply(200, b"<html>Your shop is unavailable</html>"))

    with pytest.raises(ProviderResponseError, match="not JSON"):
        make_client(shopify_server).get_order("1001")


def test_a_json_body_without_orders_is_a_response_error(shopify_server):
    shopify_server.on("GET", ORDERS, Reply(200, {"order": make_order()}))

    with pytest.raises(ProviderResponseError):
        make_client(shopify_server).orders_for_email("bob.norman@hostmail.com")


# --- parsing ------------------------------------------------------------------------


def test_parse_documented_order():
    order = parse_order(make_order())

    assert order.number == "1001"
    assert order.created_at == datetime(2008, 1, 10, 16, tzinfo=timezone.utc)
    assert order.customer_name == "Bob Norman"
    assert order.phone == "555-625-1199"  # no order phone: the shipping address's
    assert order.shipping_address == Address(
        name="Bob Norman", address1="Chestnut Street 92", city="Louisville",
        province="Kentucky", province_code="KY", zip="40202", country="United States",
        country_code="US", phone="555-625-1199")
    assert order.shipping_method == "Free Shipping"
    assert (order.total_price, order.currency) == ("409.94", "USD")
    assert (order.financial_status, order.fulfillment_status) == ("authorized", None)
    assert order.shipments == ()  # its only fulfillment failed
    assert order.promised_date is None and order.tags == ()


def test_parse_documented_order_list_entry_prefers_the_order_phone():
    order = parse_order(_load(SHARED / "orders.json")["orders"][0])

    assert order.phone == "+557734881234"
    assert order.items == ()


def test_parse_reads_the_promise_and_tags():
    order = parse_order(make_order(
        note_attributes=[{"name": "colour", "value": "green"},
                         {"name": "promised_delivery_date", "value": "2024-10-09"}],
        tags="vip, gift ,",
    ))

    assert order.promised_date == date(2024, 10, 9)
    assert order.tags == ("vip", "gift")


def test_parse_ignores_a_promise_that_is_not_a_date():
    order = parse_order(make_order(note_attributes=[{"name": "promised_delivery_date",
                                                     "value": "next week"}]))

    assert order.promised_date is None


def test_parse_keeps_the_carrier_unset_when_shopify_has_none():
    order = parse_order(make_order(fulfillments=[make_fulfillment(
        tracking_company="", tracking_numbers=[], tracking_urls=[], shipment_status=None)]))

    [parcel] = order.shipments
    assert parcel.carrier is None
    assert parcel.tracking_number == "1Z2345"  # the single-valued field
    assert parcel.tracking_url == "http://www.google.com/search?q=1Z2345"


@pytest.mark.parametrize(
    "payload",
    [
        None,
        [],
        make_order(id=None),
        make_order(name=None, order_number=None),
        make_order(name=1001),
        make_order(created_at="yesterday"),
        make_order(created_at=None),
        make_order(line_items="IPod"),
        make_order(line_items=[{"title": "IPod", "quantity": "two"}]),
        make_order(fulfillments=["1Z2345"]),
        make_order(fulfillments=[make_fulfillment(tracking_numbers="1Z2345")]),
        make_order(shipping_address="Chestnut Street 92"),
        make_order(email=["bob@example.com"]),
    ],
)
def test_parse_malformed_payload_is_a_response_error(payload):
    with pytest.raises(ProviderResponseError):
        parse_order(payload)


# --- configuration ------------------------------------------------------------------


def test_from_env_builds_a_store_client(shopify_server):
    shopify_server.on("GET", "/admin/api/2025-01/orders.json", Reply(200, {"orders": []}))

    client = ShopifyClient.from_env({"SHOPIFY_STORE_URL": shopify_server.url,
                                     "SHOPIFY_ACCESS_TOKEN": TOKEN,
                                     "SHOPIFY_API_VERSION": "2025-01"})

    assert isinstance(client, StoreClient)
    assert client.get_order("1001") is None
    assert shopify_server.seen()[0].headers["x-shopify-access-token"] == TOKEN


@pytest.mark.parametrize(
    ("env", "missing"),
    [
        ({}, "SHOPIFY_STORE_URL"),
        ({"SHOPIFY_STORE_URL": "https://shop.example", "SHOPIFY_ACCESS_TOKEN": " "},
         "SHOPIFY_ACCESS_TOKEN"),
    ],
)
def test_from_env_names_the_missing_variable(env, missing):
    with pytest.raises(ConfigError, match=missing):
        ShopifyClient.from_env(env)
