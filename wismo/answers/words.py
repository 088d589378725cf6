"""Small translations from the domain's values to the customer's words."""

from __future__ import annotations

import re

from wismo.domain import Address, LineItem, Order, Shipment, TrackingEvent

CARRIER_NAMES = {
    "ups": "UPS",
    "usps": "USPS",
    "fedex": "FedEx",
    "dhl": "DHL",
    "dhlexpress": "DHL",
    "dhl express": "DHL",
    "dhl_express": "DHL",
    "canadapost": "Canada Post",
    "canada post": "Canada Post",
    "canada_post": "Canada Post",
    "royalmail": "Royal Mail",
    "royal mail": "Royal Mail",
    "royal_mail": "Royal Mail",
    "ontrac": "OnTrac",
    "lasership": "LaserShip",
    "dpd": "DPD",
    "gls": "GLS",
    "australiapost": "Australia Post",
}

# Shopify's fulfillment hold reasons (lower-cased) → (why it hasn't shipped, what's next).
HOLD_REASONS = {
    "awaiting_payment": (
        "because we're still waiting for your payment to be confirmed",
        "As soon as it is, we'll ship it",
    ),
    "high_risk_of_fraud": (
        "because we're doing a quick routine check on it",
        "Once that's done we'll ship it",
    ),
    "incorrect_address": (
        "because we need to check the delivery address",
        "Could you reply with your full address, including any apartment number? "
        "Then we'll ship it",
    ),
    "inventory_out_of_stock": (
        "because an item is out of stock right now",
        "We'll ship it as soon as it's back in stock",
    ),
    "unknown_delivery_date": (
        "because we're waiting for a delivery date from our supplier",
        "We'll ship it as soon as we have the item",
    ),
    "awaiting_return_items": (
        "because we're waiting for your returned items to reach us",
        "We'll ship it once they arrive",
    ),
}

CANCEL_REASONS = {
    "customer": "at your request",
    "inventory": "because an item ran out of stock",
    "declined": "because the payment didn't go through",
}

# Words in a delivery message → where the parcel was left (first match wins).
DELIVERY_PLACES = (
    ("community mailbox", "in your community mailbox"),
    ("parcel locker", "in a parcel locker"),
    ("locker", "in a parcel locker"),
    ("front door", "at your front door"),
    ("porch", "on your front porch"),
    ("back door", "at your back door"),
    ("side door", "at your side door"),
    ("garage", "at your garage"),
    ("front desk", "at the front desk"),
    ("reception", "at reception"),
    ("mailroom", "in your building's mailroom"),
    ("mail room", "in your building's mailroom"),
    ("concierge", "with the concierge"),
    ("neighbo", "with a neighbour"),
    ("mailbox", "in your mailbox"),
    ("letterbox", "through your letterbox"),
    ("safe place", "in your safe place"),
)

CURRENCY_SIGNS = {"USD": "$", "GBP": "£", "EUR": "€"}


def carrier_name(carrier: str | None) -> str:
    """'UPS', 'FedEx', 'Canada Post' — or 'the carrier' when unknown."""
    if not carrier:
        return "the carrier"
    return CARRIER_NAMES.get(carrier.strip().lower(), carrier.strip())


def _nice(text: str) -> str:
    """'MEMPHIS' → 'Memphis'; mixed-case text is left alone."""
    return text.title() if text.isupper() and len(text) > 3 else text


def place(event: TrackingEvent | None) -> str | None:
    """'Memphis, TN' from a checkpoint, or None when it has no city."""
    if event is None or not event.city:
        return None
    city = _nice(event.city.strip())
    return f"{city}, {event.region}" if event.region else city


def destination(shipment: Shipment | None, order: Order) -> str | None:
    """Where the parcel is going: the carrier's destination, else the order's city."""
    if shipment is not None and shipment.destination:
        return shipment.destination
    addr = order.shipping_address
    if addr is None or not addr.city:
        return None
    region = addr.province_code or addr.province
    return f"{_nice(addr.city)}, {region}" if region else _nice(addr.city)


def delivery_place(shipment: Shipment) -> str | None:
    """'on your front porch', 'in a parcel locker' — from the location or the carrier's words."""
    texts = [shipment.delivery_location, shipment.status_message]
    if shipment.last_event is not None:
        texts.append(shipment.last_event.message)
    for text in filter(None, texts):
        low = text.lower()
        for key, words in DELIVERY_PLACES:
            if key in low:
                return words
    if shipment.delivery_location:
        return f"left at: {shipment.delivery_location}"
    return None


def signer(name: str | None) -> str | None:
    """'L GARCIA' → 'L Garcia'."""
    if not name or not name.strip():
        return None
    return " ".join(w.capitalize() if w.isupper() else w for w in name.split())


def pickup_point(shipment: Shipment) -> str | None:
    """'CVS Pharmacy, 500 Church St, Nashville TN 37219' from the carrier's message."""
    for text in filter(None, (shipment.status_message,
                              shipment.last_event.message if shipment.last_event else None)):
        if ":" in text:
            where = text.split(":", 1)[1]
            where = re.split(r"\.\s|\.$", where.strip())[0].strip()
            if where:
                return where
    return None


def hold_words(reason: str | None) -> tuple[str, str] | None:
    """(why it hasn't shipped, what happens next) for a hold reason, code or plain words.

    The first part continues "Your order hasn't shipped yet …": "because …" or "(…)".
    """
    if not reason or not reason.strip():
        return None
    key = reason.strip().lower().replace(" ", "_").replace("-", "_")
    if key in HOLD_REASONS:
        return HOLD_REASONS[key]
    if "_" in reason or reason.isupper():
        return "because it's on hold with our team", "We'll ship it as soon as it's cleared"
    why = reason.strip().rstrip(".")
    return f"({why[0].lower() + why[1:]})", "We'll ship it as soon as that's sorted"


def items_text(items: tuple[LineItem, ...], limit: int = 3) -> str:
    """'Boots, Socks ×2 and Mug' (at most ``limit`` names, then 'and 2 more')."""
    names = [f"{i.title} ×{i.quantity}" if i.quantity > 1 else i.title for i in items]
    if len(names) > limit:
        return f"{', '.join(names[:limit])} and {len(names) - limit} more"
    if len(names) > 1:
        return f"{', '.join(names[:-1])} and {names[-1]}"
    return names[0] if names else ""


def count_items(order: Order) -> str:
    """'1 item', '3 items'."""
    n = sum(i.quantity for i in order.items) or sum(
        i.quantity for s in order.shipments for i in s.items
    )
    return f"{n} item" if n == 1 else f"{n} items"


def money(order: Order) -> str | None:
    """'$49.00', '€12.50', '80.00 CAD' — None when the order has no total."""
    if not order.total_price:
        return None
    currency = (order.currency or "").upper()
    sign = CURRENCY_SIGNS.get(currency)
    if sign:
        return f"{sign}{order.total_price}"
    return f"{order.total_price} {currency}".strip()


def format_address(address: Address | None) -> str:
    """One line: '12 Oak St, Apt 4, Denver, CO 80202, United States' (no name or phone)."""
    if address is None:
        return ""
    region_zip = " ".join(filter(None, (address.province_code or address.province, address.zip)))
    parts = (address.address1, address.address2, address.city, region_zip,
             address.country or address.country_code)
    return ", ".join(p.strip() for p in parts if p and p.strip())
