"""The sandbox's starting state: Shopify orders and EasyPost trackers, relative to today.

``build_seed(today)`` is deterministic: the same day gives the same data, byte for
byte, so docs can quote order numbers and tests can compare two builds.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any

from wismo.sandbox.carriers import CARRIERS, tracking_number, tracking_url
from wismo.sandbox.catalog import COUNTRY_MONEY, CUSTOMERS, PRODUCTS, Customer
from wismo.sandbox.scenarios import SCENARIOS, Parcel, Scenario
from wismo.sandbox.tracking import build_tracker
from wismo.timestamps import parse_timestamp

SEED = 1042
NOW_HOUR = 15  # the sandbox's notional "now" is 15:00 UTC on `today`
SHOPIFY_STATUS = {  # EasyPost tracker status -> Shopify fulfillment shipment_status
    "pre_transit": "label_printed", "in_transit": "in_transit",
    "out_for_delivery": "out_for_delivery", "delivered": "delivered",
    "available_for_pickup": "ready_for_pickup", "failure": "failure",
    "return_to_sender": "failure",
}
HOLD_NOTES = {
    "inventory_out_of_stock": "Back-ordered: restock expected within 5 days.",
    "awaiting_payment": "Waiting for the payment to clear.",
    "incorrect_address": "The apartment number is missing from the shipping address.",
}


@dataclass(frozen=True)
class Row:
    """One line of the demo table: what to type to find an order and what it shows."""

    number: str
    email: str
    postal_code: str
    state: str
    carriers: str


@dataclass
class Seed:
    """Everything the sandbox serves, keyed the way the APIs look things up."""

    today: date
    orders: dict[int, dict[str, Any]] = field(default_factory=dict)
    fulfillment_orders: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    trackers: dict[str, dict[str, Any]] = field(default_factory=dict)  # by tracking code
    faults: dict[str, str] = field(default_factory=dict)  # tracking code -> fault kind
    rows: list[Row] = field(default_factory=list)


def build_seed(today: date) -> Seed:
    """Build every order, fulfillment order and tracker for a sandbox started on ``today``."""
    rng = random.Random(SEED)
    now = datetime.combine(today, time(NOW_HOUR), tzinfo=timezone.utc)
    seed = Seed(today=today)
    ids = _Ids(rng)
    for scenario in SCENARIOS:
        _add_order(seed, scenario, now, today, rng, ids)
    counts: dict[str, int] = {}
    for order in seed.orders.values():
        counts[order["email"]] = counts.get(order["email"], 0) + 1
    for order in seed.orders.values():
        order["customer"]["orders_count"] = counts[order["email"]]
    return seed


class _Ids:
    """Shopify-looking numeric ids, increasing and deterministic."""

    def __init__(self, rng: random.Random) -> None:
        self._next = {"order": 5610000000000, "line": 14200000000000, "ful": 4870000000000,
                      "fo": 6380000000000, "foli": 13500000000000, "cust": 7020000000000}
        self._rng = rng
        self.customers: dict[str, int] = {}

    def __call__(self, kind: str) -> int:
        self._next[kind] += self._rng.randint(1000, 90000)
        return self._next[kind]

    def customer(self, key: str) -> int:
        if key not in self.customers:
            self.customers[key] = self("cust")
        return self.customers[key]


def _money(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.01")))


def _local(moment: datetime) -> str:
    """Shopify answers in the shop's time zone (America/New_York; EST/EDT approximated)."""
    dst = 3 <= moment.month <= 10
    offset = timedelta(hours=-4 if dst else -5)
    sign = "-04:00" if dst else "-05:00"
    return (moment + offset).strftime("%Y-%m-%dT%H:%M:%S") + sign


def _address(c: Customer) -> dict[str, Any]:
    return {
        "first_name": c.first, "last_name": c.last, "name": f"{c.first} {c.last}",
        "address1": c.address1, "address2": c.address2, "city": c.city, "company": None,
        "province": c.province, "province_code": c.province_code, "zip": c.zip,
        "country": c.country, "country_code": c.country_code, "phone": c.phone,
        "latitude": None, "longitude": None,
    }


def _line_items(spec: tuple[str, ...], rate: float, ids: _Ids) -> list[dict[str, Any]]:
    items = []
    for token in spec:
        key, _, qty = token.partition("*")
        title, variant, sku, price, grams, vendor = PRODUCTS[key]
        local = Decimal(price) * Decimal(str(rate))
        items.append({
            "id": ids("line"), "product_id": 8100000000000 + sum(map(ord, sku)) * 1009,
            "variant_id": 45000000000000 + sum(map(ord, sku)) * 7919,
            "title": title, "variant_title": variant,
            "name": f"{title} - {variant}" if variant else title, "sku": sku,
            "vendor": vendor, "quantity": int(qty or 1), "price": _money(local),
            "grams": grams, "requires_shipping": True, "taxable": True, "gift_card": False,
            "fulfillment_service": "manual", "fulfillment_status": None,
            "fulfillable_quantity": int(qty or 1), "product_exists": True,
            "properties": [], "_key": key,
        })
    return items


def _add_order(
    seed: Seed, s: Scenario, now: datetime, today: date, rng: random.Random, ids: _Ids
) -> None:
    c = CUSTOMERS[s.customer]
    currency, rate, tax_rate, tax_included = COUNTRY_MONEY[c.country_code]
    order_id = ids("order")
    lines = _line_items(s.items, rate, ids)
    first_ship = max((p.shipped for p in s.parcels), default=None)
    age = s.created if s.created is not None else (first_ship or 0) + 0.4 + rng.random()
    created = (now - timedelta(days=age)).replace(microsecond=0)
    subtotal = sum(Decimal(li["price"]) * li["quantity"] for li in lines)
    shipping = Decimal("0.00") if subtotal >= 75 else Decimal("7.95")
    tax = (subtotal * Decimal(str(tax_rate))).quantize(Decimal("0.01"))
    total = subtotal + shipping + (Decimal(0) if tax_included else tax)
    promise = today + timedelta(days=s.promise if s.promise is not None else 7)
    fulfillments = [
        _fulfillment(seed, s, p, i, order_id, lines, c, now, today, rng, ids)
        for i, p in enumerate(s.parcels)
    ]
    for li in lines:
        shipped = li["quantity"] - li["fulfillable_quantity"]
        li["fulfillment_status"] = "fulfilled" if li["fulfillable_quantity"] == 0 else (
            "partial" if shipped else None)
    unshipped = [li for li in lines if li["fulfillable_quantity"] > 0]
    status = None if not fulfillments else "partial" if unshipped else "fulfilled"
    cancelled = (created + timedelta(hours=5)) if s.cancel else None
    financial = "pending" if s.hold == "awaiting_payment" else "paid"
    if s.cancel:
        financial = "refunded"
    updated = max([created, *(datetime.fromisoformat(f["_updated"]) for f in fulfillments)])
    customer_id = ids.customer(s.customer)
    order = {
        "id": order_id, "admin_graphql_api_id": f"gid://shopify/Order/{order_id}",
        "name": f"#{s.number}", "order_number": s.number, "number": s.number - 1000,
        "email": c.email, "contact_email": c.email, "phone": c.phone,
        "created_at": _local(created), "processed_at": _local(created),
        "updated_at": _local(cancelled or updated), "closed_at": None,
        "cancelled_at": _local(cancelled) if cancelled else None, "cancel_reason": s.cancel,
        "financial_status": financial, "fulfillment_status": status, "confirmed": True,
        "currency": currency, "presentment_currency": currency,
        "subtotal_price": _money(subtotal), "total_line_items_price": _money(subtotal),
        "total_tax": _money(tax), "taxes_included": tax_included, "total_discounts": "0.00",
        "total_price": _money(total), "total_weight": sum(li["grams"] * li["quantity"]
                                                          for li in lines),
        "tags": "", "note": None, "test": False, "source_name": "web", "customer_locale": "en",
        "note_attributes": [{"name": "promised_delivery_date", "value": promise.isoformat()}],
        "line_items": lines,
        "shipping_lines": [{
            "code": "Standard", "title": "Standard Shipping", "price": _money(shipping),
            "source": "shopify", "carrier_identifier": None,
        }],
        "shipping_address": _address(c), "billing_address": _address(c),
        "customer": {
            "id": customer_id, "email": c.email, "first_name": c.first, "last_name": c.last,
            "phone": c.phone, "state": "enabled", "verified_email": True, "tags": "",
            "accepts_marketing": False, "orders_count": 1, "currency": currency,
            "created_at": _local(created - timedelta(days=40)), "updated_at": _local(created),
            "default_address": {**_address(c), "id": customer_id + 1, "default": True,
                                "customer_id": customer_id},
        },
        "fulfillments": fulfillments,
    }
    for f in fulfillments:
        f.pop("_updated")
    seed.orders[order_id] = order
    seed.fulfillment_orders[order_id] = _fulfillment_orders(s, order, unshipped, now, ids)
    for li in lines:
        li.pop("_key")
    states = sorted({CARRIERS[p.carrier].shopify for p in s.parcels})
    seed.rows.append(Row(f"#{s.number}", c.email, c.zip, s.state, ", ".join(states) or "-"))


def _fulfillment(
    seed: Seed, s: Scenario, p: Parcel, index: int, order_id: int, lines: list[dict],
    c: Customer, now: datetime, today: date, rng: random.Random, ids: _Ids,
) -> dict[str, Any]:
    keys = p.items or tuple(li["_key"] for li in lines)
    shipped_lines = [li for li in lines if li["_key"] in keys]
    for li in shipped_lines:
        li["fulfillable_quantity"] = 0
    grams = sum(li["grams"] * li["quantity"] for li in shipped_lines)
    code = tracking_number(p.carrier, rng)
    tracker = build_tracker(code, p, c, grams, now, today, rng)
    seed.trackers[code] = tracker
    if p.fault:
        seed.faults[code] = p.fault
    url = tracking_url(p.carrier, code)
    created = parse_timestamp(tracker["created_at"])
    updated = parse_timestamp(tracker["updated_at"])
    return {
        "id": ids("ful"), "order_id": order_id, "name": f"#{s.number}.{index + 1}",
        "status": "success", "service": "manual", "location_id": 71234567890,
        "shipment_status": SHOPIFY_STATUS.get(tracker["status"]),
        "tracking_company": CARRIERS[p.carrier].shopify, "tracking_number": code,
        "tracking_numbers": [code], "tracking_url": url, "tracking_urls": [url],
        "receipt": {}, "line_items": [
            {k: v for k, v in li.items() if k != "_key"}
            | {"fulfillable_quantity": 0, "fulfillment_status": "fulfilled"}
            for li in shipped_lines
        ],
        "created_at": _local(created), "updated_at": _local(updated),
        "_updated": updated.isoformat(),
    }


def _fulfillment_orders(
    s: Scenario, order: dict[str, Any], unshipped: list[dict], now: datetime, ids: _Ids
) -> list[dict[str, Any]]:
    """One closed fulfillment order per shipment, one more for what has not shipped."""
    groups: list[tuple[str, list[dict], list[dict]]] = [
        ("closed", f["line_items"], []) for f in order["fulfillments"]
    ]
    if unshipped:
        holds = [{"reason": s.hold, "reason_notes": HOLD_NOTES[s.hold]}] if s.hold else []
        status = "cancelled" if s.cancel else "on_hold" if holds else "open"
        groups.append((status, unshipped, holds))
    result = []
    for status, lines, holds in groups:
        fo_id = ids("fo")
        result.append({
            "id": fo_id, "shop_id": 60123456789, "order_id": order["id"],
            "assigned_location_id": 71234567890, "request_status": "unsubmitted",
            "status": status,
            "supported_actions": ["create_fulfillment", "hold"] if status == "open"
            else ["release_hold"] if status == "on_hold" else [],
            "destination": {k: order["shipping_address"][k] for k in (
                "address1", "address2", "city", "company", "country", "first_name",
                "last_name", "phone", "province", "zip")} | {"id": fo_id + 7,
                                                             "email": order["email"]},
            "line_items": [{
                "id": ids("foli"), "shop_id": 60123456789, "fulfillment_order_id": fo_id,
                "line_item_id": li["id"], "inventory_item_id": li["variant_id"] + 11,
                "quantity": li["quantity"],
                "fulfillable_quantity": 0 if status == "closed" else li["quantity"],
                "variant_id": li["variant_id"],
            } for li in lines],
            "fulfill_at": None, "fulfill_by": None, "international_duties": None,
            "fulfillment_holds": holds,
            "delivery_method": {"id": fo_id + 3, "method_type": "shipping",
                                "min_delivery_date_time": None,
                                "max_delivery_date_time": None},
            "assigned_location": {"address1": "2400 Creekside Pkwy", "address2": None,
                                  "city": "Lockbourne", "country_code": "US",
                                  "location_id": 71234567890, "name": "Lockbourne Warehouse",
                                  "phone": None, "province": "Ohio", "zip": "43137"},
            "merchant_requests": [],
            "created_at": order["created_at"], "updated_at": order["updated_at"],
        })
    return result


__all__ = ["Row", "Seed", "build_seed"]
