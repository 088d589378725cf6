"""Delivery dates: what we promised, what the carrier says, what we predict, and lateness.

Pure functions over the domain model (no I/O, no clock): callers pass ``today`` or ``now``.
The words for dates and time windows live here too, so every reply formats them alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from wismo.domain import ExceptionReason, Order, Shipment, Status

# Business days from order to doorstep, by keyword in the order's shipping method
# (first match wins, so "next day" beats "standard" in "Standard next day").
TRANSIT_DAYS_BY_METHOD: tuple[tuple[tuple[str, ...], int], ...] = (
    (("overnight", "next day", "next-day", "nextday"), 1),
    (("express", "expedited", "priority", "2-day", "two day"), 2),
    (("standard", "ground"), 5),
    (("economy", "international"), 10),
)
DEFAULT_TRANSIT_DAYS = 7

STUCK_AFTER = timedelta(days=4)  # no checkpoint for this long while moving = stuck
NO_SCAN_WORRY_DAYS = 3  # a label the carrier never scanned this many days after creation

# Where the parcel is no longer on its way to the customer: lateness stops counting.
_SETTLED = frozenset(
    {Status.DELIVERED, Status.AVAILABLE_FOR_PICKUP, Status.RETURN_TO_SENDER, Status.CANCELLED}
)
# Exceptions after which no delivery date can honestly be given.
_NO_DATE_REASONS = frozenset(
    {ExceptionReason.ADDRESS_ISSUE, ExceptionReason.DAMAGED, ExceptionReason.LOST,
     ExceptionReason.REFUSED}
)


@dataclass(frozen=True)
class Outlook:
    """Where one parcel (or an unshipped order) stands against its promise.

    Attributes:
        expected: when it should arrive (the delivery day once delivered); None if unknown.
        promised: the date promised at checkout (or derived from the shipping method).
        is_late: the promise has passed and the parcel is still on its way.
        days_late: days since the promise when late, else 0.
        trending_late: not late yet, but expected after the promise.
        from_carrier: ``expected`` is the carrier's own estimate (not our prediction).
    """

    expected: date | None
    promised: date | None
    is_late: bool
    days_late: int
    trending_late: bool
    from_carrier: bool = False


def add_business_days(start: date, days: int) -> date:
    """The date ``days`` working days (Monday to Friday) after ``start``."""
    d = start
    while days > 0:
        d += timedelta(days=1)
        if d.weekday() < 5:
            days -= 1
    return d


def transit_days(shipping_method: str | None) -> int:
    """Typical business days in transit for a shipping method's name."""
    method = (shipping_method or "").lower()
    for keywords, days in TRANSIT_DAYS_BY_METHOD:
        if any(k in method for k in keywords):
            return days
    return DEFAULT_TRANSIT_DAYS


def promised_date(order: Order) -> date | None:
    """The delivery date promised at checkout, else one derived from the shipping method."""
    if order.promised_date is not None:
        return order.promised_date
    if order.created_at is None:
        return None
    return add_business_days(order.created_at.date(), transit_days(order.shipping_method))


def last_checkpoint(shipment: Shipment) -> datetime | None:
    """When the carrier last said anything about the parcel (or when it was labelled)."""
    if shipment.last_event is not None:
        return shipment.last_event.at
    return shipment.shipped_at


def expected_date(shipment: Shipment | None, order: Order, today: date) -> date | None:
    """When the parcel should arrive: the carrier's ETA when current, else our prediction.

    None when no honest date exists (lost, damaged, refused, address problem, returning,
    waiting at a pickup point, cancelled). A delivered parcel gives its delivery day.
    """
    return _expected(shipment, order, today)[0]


def _expected(shipment: Shipment | None, order: Order, today: date) -> tuple[date | None, bool]:
    promise = promised_date(order)
    if shipment is None or shipment.status is Status.PENDING:
        if order.is_cancelled:
            return None, False
        return (promise if promise and promise >= today else None), False
    status = shipment.status
    if status is Status.DELIVERED:
        at = shipment.delivered_at or last_checkpoint(shipment)
        return (at.date() if at else None), False
    if status in (Status.AVAILABLE_FOR_PICKUP, Status.RETURN_TO_SENDER, Status.CANCELLED):
        return None, False
    if shipment.carrier_eta is not None and shipment.carrier_eta >= today:
        return shipment.carrier_eta, True
    if status is Status.OUT_FOR_DELIVERY:
        return today, False
    if status is Status.ATTEMPT_FAILED:
        return add_business_days(today, 1), False
    if status is Status.EXCEPTION:
        # Without a fresh carrier date, a delay of unknown length has no honest date.
        return None, False
    if promise and promise >= today:
        return promise, False
    last = last_checkpoint(shipment)
    base = last.date() if last else today
    typical = transit_days(order.shipping_method)
    if status is not Status.LABEL_CREATED:
        typical = max(2, typical // 2)
    predicted = add_business_days(base, typical)
    return (predicted if predicted > today else add_business_days(today, 1)), False


def outlook(shipment: Shipment | None, order: Order, today: date) -> Outlook:
    """Expected vs promised for one parcel; ``shipment=None`` for items not shipped yet."""
    expected, from_carrier = _expected(shipment, order, today)
    promise = promised_date(order)
    settled = order.is_cancelled or (shipment is not None and shipment.status in _SETTLED)
    late = bool(promise and promise < today and not settled)
    trending = bool(
        not late and not settled and promise and expected and promise >= today
        and expected > promise
    )
    return Outlook(
        expected=expected,
        promised=promise,
        is_late=late,
        days_late=(today - promise).days if late and promise else 0,
        trending_late=trending,
        from_carrier=from_carrier,
    )


def _utc(dt: datetime) -> datetime:
    """Aware datetimes in UTC; naive ones are taken to be UTC already."""
    return dt.astimezone(timezone.utc) if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


def quiet_for(shipment: Shipment, now: datetime) -> timedelta | None:
    """How long since the last checkpoint, or None when there has never been one."""
    last = last_checkpoint(shipment)
    return None if last is None else _utc(now) - _utc(last)


def is_stuck(shipment: Shipment, now: datetime, threshold: timedelta = STUCK_AFTER) -> bool:
    """True when a parcel in transit (or labelled) has had no checkpoint for over ``threshold``."""
    if shipment.status not in (Status.IN_TRANSIT, Status.LABEL_CREATED):
        return False
    quiet = quiet_for(shipment, now)
    return quiet is not None and quiet > threshold


def days_without_scan(shipment: Shipment, today: date) -> int:
    """Whole days a labelled parcel has waited for the carrier's first scan (0 if unknown)."""
    first = shipment.shipped_at or (shipment.events[0].at if shipment.events else None)
    return max(0, (today - first.date()).days) if first else 0


def format_date(d: date, *, with_year: bool = False) -> str:
    """'Friday, November 27' (', 2026' appended when asked)."""
    text = f"{d:%A}, {d:%B} {d.day}"
    return f"{text}, {d.year}" if with_year else text


def format_day(d: date, today: date) -> str:
    """'today', 'tomorrow', 'yesterday', else 'Friday, November 27' (year only if not today's)."""
    delta = (d - today).days
    if delta == 0:
        return "today"
    if delta == 1:
        return "tomorrow"
    if delta == -1:
        return "yesterday"
    return format_date(d, with_year=d.year != today.year)


def on_day(d: date, today: date) -> str:
    """format_day with 'on' where English needs it: 'today', 'on Friday, November 27'."""
    text = format_day(d, today)
    return text if text in ("today", "tomorrow", "yesterday") else f"on {text}"


def format_time(t: time) -> str:
    """'2 PM', '10:30 AM', '12 PM'."""
    hour = t.hour % 12 or 12
    suffix = "AM" if t.hour < 12 else "PM"
    return f"{hour} {suffix}" if t.minute == 0 else f"{hour}:{t.minute:02d} {suffix}"


def format_window(window: tuple[time, time] | None) -> str | None:
    """'between 10 AM and 2 PM', 'around 2 PM', 'by 2 PM', 'after 10 AM'; None if unknown."""
    if not window:
        return None
    start, end = window
    if start == end:
        return f"around {format_time(start)}"
    if start == time(0, 0):
        return f"by {format_time(end)}"
    if end >= time(23, 59):
        return f"after {format_time(start)}"
    return f"between {format_time(start)} and {format_time(end)}"


def looks_stuck(shipment: Shipment, today: date) -> bool:
    """is_stuck for callers that only know the day: quiet for STUCK_AFTER days or more."""
    if shipment.status not in (Status.IN_TRANSIT, Status.LABEL_CREATED):
        return False
    last = last_checkpoint(shipment)
    return last is not None and (today - last.date()).days >= STUCK_AFTER.days
