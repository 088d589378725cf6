"""Keyword-argument factories for the domain model, for any test that needs an order.

Every argument is optional and keyword-only; defaults describe one ordinary order
(#1042, Ava in Denver, a pair of headphones shipped with UPS). Override just what the test
is about::

    order = make_order(shipments=[make_shipment(status=Status.DELIVERED,
                                                signed_by="L GARCIA")])

Sequences may be lists (they become tuples); items may be plain titles ("Mug") or
``LineItem``s. ``TODAY`` / ``NOW`` are the clock the defaults are relative to:
Tuesday, November 24, 2026, 15:00 UTC (so Friday, November 27 is three days ahead).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from wismo.domain import (
    Address,
    ExceptionReason,
    LineItem,
    Order,
    Shipment,
    Status,
    Tracking,
    TrackingEvent,
)
from wismo.engine.model import Detection, Kind, OrderState, ShipmentState

TODAY = date(2026, 11, 24)  # a Tuesday
NOW = datetime(2026, 11, 24, 15, 0, tzinfo=timezone.utc)


def days_ago(days: float, *, now: datetime = NOW) -> datetime:
    """A moment ``days`` before NOW (negative = in the future)."""
    return now - timedelta(days=days)


def on(day: date, hour: int = 10) -> datetime:
    """A UTC moment on ``day`` at ``hour``."""
    return datetime.combine(day, time(hour), tzinfo=timezone.utc)


def _items(items: Iterable[str | LineItem]) -> tuple[LineItem, ...]:
    return tuple(i if isinstance(i, LineItem) else LineItem(i) for i in items)


def make_address(**overrides: Any) -> Address:
    """A Denver street address (override any field)."""
    fields: dict[str, Any] = dict(
        name="Ava Jones", address1="12 Oak St", address2="Apt 4", city="Denver",
        province="Colorado", province_code="CO", zip="80202", country="United States",
        country_code="US", phone="+13035550142",
    )
    fields.update(overrides)
    return Address(**fields)


def make_event(
    *,
    at: datetime | None = None,
    status: Status = Status.IN_TRANSIT,
    message: str = "Arrived at Facility",
    city: str | None = "Memphis",
    region: str | None = "TN",
    country: str | None = "US",
    reason: ExceptionReason | None = None,
) -> TrackingEvent:
    """One carrier checkpoint; ``at`` defaults to six hours before NOW."""
    return TrackingEvent(
        at=at or days_ago(0.25), status=status, message=message, city=city, region=region,
        country=country, reason=reason,
    )


def make_shipment(
    *,
    status: Status = Status.IN_TRANSIT,
    events: Iterable[TrackingEvent] | None = None,
    items: Iterable[str | LineItem] = (),
    **overrides: Any,
) -> Shipment:
    """One UPS parcel shipped two days ago, in ``status``.

    ``events`` defaults to a pickup scan at shipping time plus, for statuses past
    ``label_created``, one checkpoint in ``status`` six hours ago in Memphis, TN.
    Any other ``Shipment`` field can be passed (carrier_eta, eta_window, signed_by …).
    """
    shipped_at = overrides.pop("shipped_at", days_ago(2))
    if events is None:
        events = []
        if status not in (Status.PENDING, Status.LABEL_CREATED):
            events = [
                make_event(at=shipped_at + timedelta(hours=4), message="Pickup Scan",
                           city="Louisville", region="KY"),
                make_event(status=status),
            ]
    fields: dict[str, Any] = dict(
        id="ful-1", carrier="UPS", tracking_number="1Z999AA10123456784",
        tracking_url="https://www.ups.com/track?tracknum=1Z999AA10123456784",
        destination="Denver, CO",
    )
    fields.update(overrides)
    return Shipment(status=status, events=tuple(events), items=_items(items),
                    shipped_at=shipped_at, **fields)


def make_tracking(**overrides: Any) -> Tracking:
    """What a tracking provider says about the default parcel (override any field)."""
    fields: dict[str, Any] = dict(
        tracking_number="1Z999AA10123456784", carrier="UPS", status=Status.IN_TRANSIT,
        events=(make_event(),),
    )
    fields.update(overrides)
    fields["events"] = tuple(fields["events"])
    return Tracking(**fields)


def make_order(
    *,
    items: Iterable[str | LineItem] = ("Headphones",),
    shipments: Iterable[Shipment] = (),
    tags: Iterable[str] = (),
    **overrides: Any,
) -> Order:
    """Order #1042 placed three days ago by Ava, promised for Friday, November 27.

    Pass ``shipments=[make_shipment(...)]`` for a shipped order (none = not shipped yet),
    and any other ``Order`` field (hold_reason, cancelled_at, promised_date=None …).
    When no shipment lists its items, the first one carries all the order's items (a
    single-parcel order); give each shipment ``items=`` for split or partial orders.
    """
    shipments = list(shipments)
    if shipments and not any(s.items for s in shipments):
        shipments[0] = replace(shipments[0], items=_items(items))
    fields: dict[str, Any] = dict(
        id="gid://shopify/Order/1042", number="1042", email="ava@example.com",
        created_at=days_ago(3), phone="+13035550142", customer_name="Ava Jones",
        shipping_address=make_address(), promised_date=date(2026, 11, 27),
        shipping_method="Standard Shipping", financial_status="paid", total_price="89.00",
        currency="USD",
    )
    fields.update(overrides)
    return Order(items=_items(items), shipments=tuple(shipments), tags=tuple(tags), **fields)


# --- The proactive engine (wismo.engine) ---------------------------------------------------


def make_shipment_state(
    *,
    status: Status = Status.IN_TRANSIT,
    checkpoint_at: datetime | None = None,
    reason: ExceptionReason | None = None,
    carrier_eta: date | None = None,
) -> ShipmentState:
    """What the engine remembered about a parcel; ``checkpoint_at`` defaults to a day ago,
    older than make_shipment's latest checkpoint, so the parcel's news counts as newer."""
    return ShipmentState(status=status, checkpoint_at=checkpoint_at or days_ago(1),
                         reason=reason, carrier_eta=carrier_eta)


def make_order_state(
    *,
    shipments: dict[str, ShipmentState] | None = None,
    cancelled: bool = False,
    **state: Any,
) -> OrderState:
    """What the engine remembered about #1042: ``shipments``, else one parcel "ful-1" built
    from ``state`` (make_shipment_state's keywords). ``shipments={}``: nothing shipped yet."""
    if shipments is None:
        shipments = {"ful-1": make_shipment_state(**state)}
    return OrderState(order_number="1042", shipments=shipments, cancelled=cancelled)


def make_detection(kind: Kind = Kind.SHIPPED, **overrides: Any) -> Detection:
    """A detection about parcel "ful-1" of #1042 sent by UPS (override any field)."""
    fields: dict[str, Any] = dict(
        order_number="1042", shipment_id="ful-1", carrier="UPS",
        tracking_number="1Z999AA10123456784",
    )
    fields.update(overrides)
    return Detection(kind=kind, **fields)
