"""The order and shipment model every other part speaks.

Adapters turn provider payloads into these dataclasses; answers, ETA and
verification logic read only these. Nothing here does I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from enum import Enum


class Status(str, Enum):
    """Canonical shipment status (DESIGN.md, "Domain vocabulary")."""

    PENDING = "pending"
    LABEL_CREATED = "label_created"
    IN_TRANSIT = "in_transit"
    OUT_FOR_DELIVERY = "out_for_delivery"
    AVAILABLE_FOR_PICKUP = "available_for_pickup"
    DELIVERED = "delivered"
    ATTEMPT_FAILED = "attempt_failed"
    EXCEPTION = "exception"
    RETURN_TO_SENDER = "return_to_sender"
    CANCELLED = "cancelled"
    UNKNOWN = "unknown"


class ExceptionReason(str, Enum):
    """Why a shipment is in `exception` (or why it is late), when known."""

    CARRIER_DELAY = "carrier_delay"
    WEATHER = "weather"
    ADDRESS_ISSUE = "address_issue"
    CUSTOMS = "customs"
    DAMAGED = "damaged"
    LOST = "lost"
    REFUSED = "refused"
    OTHER = "other"


# Statuses after which the parcel has left the warehouse: address changes and
# cancellations are no longer possible through the store.
SHIPPED_STATUSES = frozenset(
    {
        Status.IN_TRANSIT,
        Status.OUT_FOR_DELIVERY,
        Status.AVAILABLE_FOR_PICKUP,
        Status.DELIVERED,
        Status.ATTEMPT_FAILED,
        Status.EXCEPTION,
        Status.RETURN_TO_SENDER,
    }
)


@dataclass(frozen=True)
class Address:
    """A postal address as the store holds it."""

    name: str | None = None
    address1: str | None = None
    address2: str | None = None
    city: str | None = None
    province: str | None = None
    province_code: str | None = None
    zip: str | None = None
    country: str | None = None
    country_code: str | None = None
    phone: str | None = None


@dataclass(frozen=True)
class LineItem:
    """One product line of an order or shipment."""

    title: str
    quantity: int = 1


@dataclass(frozen=True)
class TrackingEvent:
    """One carrier checkpoint, already normalised."""

    at: datetime
    status: Status
    message: str
    city: str | None = None
    region: str | None = None
    country: str | None = None
    reason: ExceptionReason | None = None


@dataclass(frozen=True)
class Tracking:
    """What the carrier (via a tracking provider) says about one parcel."""

    tracking_number: str
    carrier: str | None
    status: Status
    reason: ExceptionReason | None = None
    status_message: str | None = None
    events: tuple[TrackingEvent, ...] = ()  # oldest first
    carrier_eta: date | None = None
    eta_window: tuple[time, time] | None = None
    signed_by: str | None = None
    public_url: str | None = None
    destination: str | None = None  # e.g. "Denver, CO"
    updated_at: datetime | None = None


@dataclass(frozen=True)
class Shipment:
    """One parcel of an order (a Shopify fulfillment), merged with its tracking."""

    id: str
    status: Status
    carrier: str | None = None
    tracking_number: str | None = None
    tracking_url: str | None = None
    reason: ExceptionReason | None = None
    status_message: str | None = None
    events: tuple[TrackingEvent, ...] = ()  # oldest first
    carrier_eta: date | None = None
    eta_window: tuple[time, time] | None = None
    shipped_at: datetime | None = None
    delivered_at: datetime | None = None
    signed_by: str | None = None
    delivery_location: str | None = None  # "front porch", "parcel locker"
    destination: str | None = None
    items: tuple[LineItem, ...] = ()

    @property
    def last_event(self) -> TrackingEvent | None:
        return self.events[-1] if self.events else None


@dataclass(frozen=True)
class Order:
    """A customer's order with every shipment it has so far."""

    id: str
    number: str  # the customer-facing number without '#', e.g. "1042"
    email: str | None
    created_at: datetime
    phone: str | None = None
    customer_name: str | None = None
    shipping_address: Address | None = None
    items: tuple[LineItem, ...] = ()
    shipments: tuple[Shipment, ...] = ()
    promised_date: date | None = None
    shipping_method: str | None = None
    cancelled_at: datetime | None = None
    cancel_reason: str | None = None
    # Why it has not shipped: a store hold code ("inventory_out_of_stock", "on_hold")
    # or the merchant's own note; wismo.answers says it in words.
    hold_reason: str | None = None
    financial_status: str | None = None
    fulfillment_status: str | None = None
    total_price: str | None = None
    currency: str | None = None
    tags: tuple[str, ...] = field(default_factory=tuple)

    @property
    def display_number(self) -> str:
        return f"#{self.number}"

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled_at is not None

    @property
    def has_shipped(self) -> bool:
        """True once any parcel has been handed to a carrier."""
        return any(s.status in SHIPPED_STATUSES for s in self.shipments)

    @property
    def unshipped_items(self) -> tuple[LineItem, ...]:
        """Items not in any shipment yet (partial fulfilment)."""
        shipped: dict[str, int] = {}
        for s in self.shipments:
            for item in s.items:
                shipped[item.title] = shipped.get(item.title, 0) + item.quantity
        rest = []
        for item in self.items:
            left = item.quantity - shipped.get(item.title, 0)
            if left > 0:
                rest.append(LineItem(item.title, left))
        return tuple(rest)
