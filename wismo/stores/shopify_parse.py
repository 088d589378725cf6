"""Shopify Admin REST payloads → wismo's Order (pure, no I/O).

Why a module of its own: the parsing is the part most worth testing with the
documented payloads, and keeping it pure lets the webhook intake reuse it.
A payload that does not have the documented shape raises ProviderResponseError,
never KeyError or TypeError, so callers handle one kind of failure.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from wismo.domain import Address, LineItem, Order, Shipment
from wismo.errors import ProviderResponseError
from wismo.timestamps import parse_timestamp
from wismo.tracking.normalize import from_shopify_shipment_status

PROVIDER = "shopify"
PROMISED_DATE_ATTRIBUTE = "promised_delivery_date"
# Fulfillments in these states never left (or never will leave) the warehouse.
DEAD_FULFILLMENT_STATUSES = frozenset({"cancelled", "error", "failure"})

# The hold reason stays Shopify's code (FulfillmentHoldReason, lower-case in REST);
# wismo.answers turns codes into words. "other" holds carry the merchant's own note.
GENERIC_HOLD = "on_hold"


def parse_order(payload: Any) -> Order:
    """One Shopify REST order object (the value of ``"order"``) as an Order."""
    p = _mapping(payload, "order")
    order_id = _id(p.get("id"), "order.id")
    name = _str(p, "name")
    order_number = p.get("order_number")
    if name:
        number = name.strip().lstrip("#").strip()
    elif isinstance(order_number, int) and not isinstance(order_number, bool):
        number = str(order_number)
    else:
        raise _bad(f"order {order_id} has no name or order_number")
    created_at = _datetime(p, "created_at")
    if created_at is None:
        raise _bad(f"order {order_id} has no created_at")

    shipping = _optional_mapping(p.get("shipping_address"), "order.shipping_address")
    customer = _optional_mapping(p.get("customer"), "order.customer")
    address = _address(shipping) if shipping else None
    return Order(
        id=order_id,
        number=number,
        email=_str(p, "email") or _str(p, "contact_email"),
        created_at=created_at,
        phone=_first_text(
            _str(p, "phone"),
            _str(shipping, "phone") if shipping else None,
            _str(customer, "phone") if customer else None,
        ),
        customer_name=_customer_name(shipping, customer),
        shipping_address=address,
        items=_items(p.get("line_items"), "order.line_items"),
        shipments=parse_fulfillments(p.get("fulfillments")),
        promised_date=_promised_date(p.get("note_attributes")),
        shipping_method=_shipping_method(p.get("shipping_lines")),
        cancelled_at=_datetime(p, "cancelled_at"),
        cancel_reason=_str(p, "cancel_reason"),
        financial_status=_str(p, "financial_status"),
        fulfillment_status=_str(p, "fulfillment_status"),
        total_price=_money(p.get("total_price")),
        currency=_str(p, "currency"),
        tags=_tags(p.get("tags")),
    )


def parse_hold_reason(payload: Any) -> str | None:
    """Why the unshipped part waits: a hold code or the merchant's note (fulfillment_orders)."""
    body = _mapping(payload, "fulfillment_orders response")
    fulfillment_orders = _list(body.get("fulfillment_orders"), "fulfillment_orders")
    for fo in fulfillment_orders:
        fo = _mapping(fo, "fulfillment_order")
        status = _str(fo, "status")
        if status == "on_hold":
            holds = _list(fo.get("fulfillment_holds"), "fulfillment_order.fulfillment_holds")
            if not holds:
                return GENERIC_HOLD
            return _hold_words(_mapping(holds[0], "fulfillment_hold"))
        if status == "scheduled":
            when = _datetime(fo, "fulfill_at")
            if when is not None:
                return f"it's scheduled to ship on {when:%B} {when.day}"
    return None


def _hold_words(hold: dict[str, Any]) -> str:
    reason = (_str(hold, "reason") or "").strip().lower()
    if reason and reason != "other":
        return reason
    notes = _str(hold, "reason_notes")
    return notes.strip() if notes and notes.strip() else GENERIC_HOLD


def parse_fulfillments(value: Any) -> tuple[Shipment, ...]:
    """Shopify fulfillments (a list, as in an order or a fulfillments webhook) as shipments;
    cancelled and failed ones are left out."""
    shipments = []
    for raw in _list(value, "order.fulfillments"):
        f = _mapping(raw, "fulfillment")
        if (_str(f, "status") or "").lower() in DEAD_FULFILLMENT_STATUSES:
            continue
        shipments.append(
            Shipment(
                id=_id(f.get("id"), "fulfillment.id"),
                status=from_shopify_shipment_status(_str(f, "shipment_status")),
                carrier=_first_text(_str(f, "tracking_company")),
                tracking_number=_first_text(
                    *_texts(f.get("tracking_numbers"), "fulfillment.tracking_numbers"),
                    _str(f, "tracking_number"),
                ),
                tracking_url=_first_text(
                    *_texts(f.get("tracking_urls"), "fulfillment.tracking_urls"),
                    _str(f, "tracking_url"),
                ),
                shipped_at=_datetime(f, "created_at"),
                items=_items(f.get("line_items"), "fulfillment.line_items"),
            )
        )
    return tuple(shipments)


def _items(value: Any, where: str) -> tuple[LineItem, ...]:
    items = []
    for raw in _list(value, where):
        line = _mapping(raw, where)
        title = _str(line, "title") or _str(line, "name")
        if not title:
            raise _bad(f"{where}: a line item has no title")
        quantity = line.get("quantity", 1)
        if not isinstance(quantity, int) or isinstance(quantity, bool):
            raise _bad(f"{where}: quantity is not an integer")
        items.append(LineItem(title=title, quantity=quantity))
    return tuple(items)


def _address(a: dict[str, Any]) -> Address:
    return Address(
        name=_first_text(_str(a, "name"), _full_name(a)),
        address1=_first_text(_str(a, "address1")),
        address2=_first_text(_str(a, "address2")),
        city=_first_text(_str(a, "city")),
        province=_first_text(_str(a, "province")),
        province_code=_first_text(_str(a, "province_code")),
        zip=_first_text(_str(a, "zip")),
        country=_first_text(_str(a, "country")),
        country_code=_first_text(_str(a, "country_code")),
        phone=_first_text(_str(a, "phone")),
    )


def _customer_name(shipping: dict[str, Any] | None, customer: dict[str, Any] | None) -> str | None:
    return _first_text(
        _str(shipping, "name") if shipping else None,
        _full_name(shipping) if shipping else None,
        _full_name(customer) if customer else None,
    )


def _full_name(m: dict[str, Any]) -> str | None:
    parts = [_str(m, "first_name"), _str(m, "last_name")]
    return " ".join(p.strip() for p in parts if p and p.strip()) or None


def _promised_date(value: Any) -> date | None:
    """The date the shop promised, kept as an order note attribute by the checkout."""
    for raw in _list(value, "order.note_attributes"):
        attribute = _mapping(raw, "order.note_attributes")
        if _str(attribute, "name") != PROMISED_DATE_ATTRIBUTE:
            continue
        text = attribute.get("value")
        if not isinstance(text, str):
            return None
        try:
            return date.fromisoformat(text.strip()[:10])
        except ValueError:
            return None  # a merchant's typo must not hide the whole order
    return None


def _shipping_method(value: Any) -> str | None:
    lines = _list(value, "order.shipping_lines")
    if not lines:
        return None
    return _first_text(_str(_mapping(lines[0], "order.shipping_lines"), "title"))


def _tags(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, list):
        value = ",".join(str(v) for v in value)
    if not isinstance(value, str):
        raise _bad("order.tags is not a string")
    return tuple(t.strip() for t in value.split(",") if t.strip())


def _money(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise _bad("order.total_price is not a number")
    return str(value)


# --- small typed readers ----------------------------------------------------


def _bad(message: str) -> ProviderResponseError:
    return ProviderResponseError(PROVIDER, f"unexpected payload: {message}")


def _mapping(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _bad(f"{where} is not an object")
    return value


def _optional_mapping(value: Any, where: str) -> dict[str, Any] | None:
    return None if value is None else _mapping(value, where)


def _list(value: Any, where: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise _bad(f"{where} is not a list")
    return value


def _id(value: Any, where: str) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, str)) or str(value).strip() == "":
        raise _bad(f"{where} is missing")
    return str(value).strip()


def _str(m: dict[str, Any], key: str) -> str | None:
    value = m.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise _bad(f"{key} is not a string")
    return value


def _texts(value: Any, where: str) -> list[str]:
    items = _list(value, where)
    if not all(isinstance(v, str) for v in items):
        raise _bad(f"{where} holds a non-string")
    return items


def _first_text(*values: str | None) -> str | None:
    for value in values:
        if value and value.strip():
            return value.strip()
    return None


def _datetime(m: dict[str, Any], key: str) -> datetime | None:
    """Shopify's ISO 8601 timestamps, always tz-aware (UTC when the offset is missing)."""
    text = _str(m, key)
    if not text:
        return None
    try:
        return parse_timestamp(text)
    except ValueError as exc:
        raise _bad(f"{key} is not an ISO 8601 timestamp") from exc


__all__ = ["parse_hold_reason", "parse_order"]
