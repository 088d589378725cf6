"""What is news about an order: milestones, problems and the passing of time. Pure, no I/O.

The engine calls ``detect`` after every event and on every periodic sweep, passing what it
remembered last time (``snapshot``) and the clock (``now``). Two families of detections:

* Changes (milestones, failed attempts, exceptions, returns) are reported only when a parcel's
  status — or an exception's reason — differs from what was remembered. On the first sight of
  an order (``before`` None) a milestone is reported only if it happened within
  ``Thresholds.fresh``: an order the engine meets already delivered last week gets no
  "delivered" message. Problems that are still current (an exception, a failed attempt, a
  return) are reported on first sight. A new parcel of a known order is news at any age:
  the engine was watching and the customer has not heard of it.
* Conditions (late, trending late, stuck, no first scan, unfulfilled too long) are evaluated
  on every run; their ``revision`` makes a repeat the same news, so the outbox sends it once.

SHIPPED is told at the carrier's first scan, not when a label is printed: a label the carrier
never collects is not "on its way" (NO_FIRST_SCAN covers that wait). The store's own shipping
confirmation covers label creation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any

from wismo import eta
from wismo.answers import words
from wismo.answers.status import unshipped
from wismo.domain import ExceptionReason, Order, Shipment, Status
from wismo.engine import next_steps as actions
from wismo.engine.model import Detection, Kind, OrderState, ShipmentState


@dataclass(frozen=True)
class Thresholds:
    """How long silence, a waiting label or an unshipped order may last before we speak.

    ``stuck_domestic`` is eta.STUCK_AFTER so that a proactive "no update" never contradicts
    the bot's answer when the customer asks; cross-border parcels sit longer between scans.
    """

    stuck_domestic: timedelta = eta.STUCK_AFTER
    stuck_international: timedelta = timedelta(days=6)
    no_first_scan_days: int = eta.NO_SCAN_WORRY_DAYS
    unfulfilled_business_days: int = 3  # after the order date
    fresh: timedelta = timedelta(hours=24)  # first sight: milestones younger than this only


DEFAULT_THRESHOLDS = Thresholds()

# Tie-break for two states with the same checkpoint time: the later (or more specific) wins.
LIFECYCLE = (
    Status.UNKNOWN, Status.PENDING, Status.LABEL_CREATED, Status.IN_TRANSIT,
    Status.OUT_FOR_DELIVERY, Status.ATTEMPT_FAILED, Status.EXCEPTION,
    Status.AVAILABLE_FOR_PICKUP, Status.RETURN_TO_SENDER, Status.CANCELLED, Status.DELIVERED,
)
_RANK = {status: n for n, status in enumerate(LIFECYCLE)}

# Before the carrier's first scan: moving on from these is "shipped".
_NOT_SCANNED = frozenset({Status.PENDING, Status.LABEL_CREATED, Status.UNKNOWN})
# Parcels that have not left (or were voided): the order's unshipped part speaks for them.
_NOT_A_PARCEL = frozenset({Status.PENDING, Status.CANCELLED})
# Exceptions whose own message is worse news than "late": no lateness on top of them.
_DEAD_ENDS = frozenset(
    {ExceptionReason.ADDRESS_ISSUE, ExceptionReason.DAMAGED, ExceptionReason.LOST,
     ExceptionReason.REFUSED}
)
# Holds the customer started themselves (an exchange waiting for their return): no nudge.
CUSTOMER_HOLDS = frozenset({"awaiting_return_items"})


def _utc(dt: datetime) -> datetime:
    return dt.astimezone(timezone.utc) if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


def checkpoint(shipment: Shipment) -> datetime | None:
    """The carrier's latest word on the parcel: last scan, delivery or label time."""
    times = [t for t in (eta.last_checkpoint(shipment), shipment.delivered_at) if t]
    return max(times, key=_utc) if times else None


def reason(shipment: Shipment) -> ExceptionReason | None:
    """Why it is in exception: the shipment's reason, else its last checkpoint's."""
    last = shipment.last_event
    return shipment.reason or (last.reason if last else None)


def shipment_state(shipment: Shipment) -> ShipmentState:
    """What to remember about one parcel."""
    return ShipmentState(status=shipment.status, checkpoint_at=checkpoint(shipment),
                         reason=reason(shipment), carrier_eta=shipment.carrier_eta)


def newer(before: ShipmentState | None, after: ShipmentState) -> bool:
    """Whether ``after`` may replace ``before``: statuses only move forward by checkpoint time.

    A later checkpoint always wins, even with a "lower" status (return after an exception,
    a failed attempt after out for delivery); an older one never does (a late in-transit
    event cannot undo "delivered"). Same time, or no times to compare: the status later in
    LIFECYCLE wins, and an equal one may refresh the reason or carrier ETA.
    """
    if before is None:
        return True
    if before.checkpoint_at and after.checkpoint_at:
        old, new = _utc(before.checkpoint_at), _utc(after.checkpoint_at)
        if new != old:
            return new > old
    elif after.checkpoint_at and not before.checkpoint_at:
        return True
    return _RANK[after.status] >= _RANK[before.status]


def snapshot(order: Order, before: OrderState | None = None) -> OrderState:
    """The state to remember after processing ``order``.

    With ``before``, a parcel keeps its remembered state when the order's is not ``newer``
    (a stale payload never downgrades memory), and parcels missing from the payload are kept.
    """
    shipments = dict(before.shipments) if before else {}
    for s in order.shipments:
        state = shipment_state(s)
        if newer(shipments.get(s.id), state):
            shipments[s.id] = state
    return OrderState(order_number=order.number, shipments=shipments,
                      cancelled=order.is_cancelled)


def detect(
    order: Order,
    before: OrderState | None,
    now: datetime,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
) -> list[Detection]:
    """What is news about ``order`` compared with ``before`` (None: first sight) at ``now``."""
    if order.is_cancelled:
        return []  # the store tells the customer about a cancellation
    found: list[Detection] = []
    if before is None and not order.shipments and _fresh(order.created_at, now, thresholds):
        out = eta.outlook(None, order, now.date())
        found.append(Detection(Kind.ORDER_CONFIRMED, order.number, at=order.created_at,
                               new_date=out.expected, promised_date=out.promised))
    for s in order.shipments:
        prev = before.shipments.get(s.id) if before else None
        if s.status in _NOT_A_PARCEL or (prev is not None and not newer(prev, shipment_state(s))):
            continue
        found += _changes(s, order, prev, now, thresholds, first_sight=before is None)
        found += _conditions(s, order, now, thresholds)
    found += _unshipped(order, now, thresholds)
    return found


def _fresh(at: datetime | None, now: datetime, thresholds: Thresholds) -> bool:
    return at is not None and _utc(now) - _utc(at) <= thresholds.fresh


def _since(s: Shipment) -> datetime | None:
    """When the parcel entered its current status (the first scan of the trailing run)."""
    if s.status is Status.DELIVERED and s.delivered_at:
        return s.delivered_at
    start = None
    for event in reversed(s.events):
        if event.status is not s.status:
            break
        start = event.at
    return start or checkpoint(s)


def _first_scan(s: Shipment) -> datetime | None:
    """When the carrier first scanned the parcel (the moment it really shipped)."""
    scans = (e.at for e in s.events if e.status not in _NOT_SCANNED)
    return next(scans, None) or _since(s)


def _detection(kind: Kind, s: Shipment, order: Order, today: date, **facts: Any) -> Detection:
    """A detection about one parcel with the facts every message may use."""
    out = eta.outlook(s, order, today)
    base: dict[str, Any] = dict(
        at=checkpoint(s), new_date=out.expected, promised_date=out.promised,
        place=words.place(s.last_event), tracking_number=s.tracking_number,
        carrier=words.carrier_name(s.carrier) if s.carrier else None,
    )
    base.update(facts)
    return Detection(kind, order.number, s.id, **base)


def _changes(s: Shipment, order: Order, prev: ShipmentState | None, now: datetime,
             thresholds: Thresholds, *, first_sight: bool) -> list[Detection]:
    """Milestones and problems told once per change of status (or exception reason)."""
    status, why = s.status, reason(s)
    if prev is not None and prev.status is status and (
            status is not Status.EXCEPTION or prev.reason == why):
        return []
    today, at = now.date(), checkpoint(s)
    stamp = _utc(at).isoformat() if at else ""
    if status is Status.ATTEMPT_FAILED:
        return [_detection(Kind.ATTEMPT_FAILED, s, order, today, revision=stamp,
                           action=actions.attempt(s))]
    if status is Status.EXCEPTION:
        why = why or ExceptionReason.OTHER
        return [_detection(Kind.EXCEPTION, s, order, today, revision=stamp, reason=why,
                           action=actions.for_exception(why, s))]
    if status is Status.RETURN_TO_SENDER:
        return [_detection(Kind.RETURN_TO_SENDER, s, order, today, action=actions.RETURN)]
    started = _first_scan(s) if status is Status.IN_TRANSIT else _since(s)
    if first_sight and not _fresh(started, now, thresholds):
        return []  # an old milestone the customer has most likely heard of already
    if status is Status.IN_TRANSIT and (prev is None or prev.status in _NOT_SCANNED):
        return [_detection(Kind.SHIPPED, s, order, today, at=started)]
    if status is Status.OUT_FOR_DELIVERY:
        day = _utc(at).date().isoformat() if at else today.isoformat()
        return [_detection(Kind.OUT_FOR_DELIVERY, s, order, today, revision=day)]
    if status is Status.DELIVERED:
        return [_detection(Kind.DELIVERED, s, order, today, at=s.delivered_at or at,
                           place=words.delivery_place(s))]
    if status is Status.AVAILABLE_FOR_PICKUP:
        return [_detection(Kind.AVAILABLE_FOR_PICKUP, s, order, today,
                           place=words.pickup_point(s) or words.place(s.last_event),
                           action=actions.PICKUP)]
    return []


def _conditions(s: Shipment, order: Order, now: datetime,
                thresholds: Thresholds) -> list[Detection]:
    """Problems that hold while time passes: told once per revision."""
    today = now.date()
    out = eta.outlook(s, order, today)
    found = []
    dead_end = s.status is Status.EXCEPTION and reason(s) in _DEAD_ENDS
    if out.is_late and out.promised and not dead_end:
        found.append(_detection(Kind.LATE, s, order, today, at=None,
                                revision=out.promised.isoformat()))
    if out.trending_late and out.from_carrier and out.expected:
        found.append(_detection(Kind.TRENDING_LATE, s, order, today, at=None,
                                revision=out.expected.isoformat()))
    limit = (thresholds.stuck_international if is_international(s, order)
             else thresholds.stuck_domestic)
    last = checkpoint(s)
    if s.status is Status.IN_TRANSIT and last and eta.is_stuck(s, now, limit):
        found.append(_detection(Kind.STUCK, s, order, today, revision=_utc(last).isoformat()))
    if (s.status is Status.LABEL_CREATED and last
            and eta.days_without_scan(s, today) >= thresholds.no_first_scan_days):
        labelled = s.shipped_at or last
        found.append(_detection(Kind.NO_FIRST_SCAN, s, order, today, at=labelled,
                                revision=_utc(labelled).isoformat()))
    return found


def _unshipped(order: Order, now: datetime, thresholds: Thresholds) -> list[Detection]:
    """Late or overdue items that have not left the warehouse (shipment_id None)."""
    waiting = all(s.status in _NOT_A_PARCEL for s in order.shipments) or unshipped(order)
    if not waiting:
        return []
    today = now.date()
    out = eta.outlook(None, order, today)
    facts = dict(new_date=out.expected, promised_date=out.promised)
    found = []
    if out.is_late and out.promised:
        found.append(Detection(Kind.LATE, order.number, revision=out.promised.isoformat(),
                               **facts))
    due = eta.add_business_days(order.created_at.date(), thresholds.unfulfilled_business_days)
    hold = (order.hold_reason or "").strip().lower().replace(" ", "_")
    if today > due and hold not in CUSTOMER_HOLDS:
        action = actions.ADDRESS_HOLD if hold == "incorrect_address" else None
        found.append(Detection(Kind.UNFULFILLED_TOO_LONG, order.number, at=order.created_at,
                               revision=due.isoformat(), action=action, **facts))
    return found


def is_international(s: Shipment, order: Order) -> bool:
    """Whether the parcel crosses a border: a checkpoint in another country than the address's.

    Without a known destination country, an "international" shipping method decides.
    """
    addr = order.shipping_address
    home = {c.strip().lower() for c in (addr.country_code, addr.country) if c} if addr else set()
    if home:
        return any(e.country and e.country.strip().lower() not in home for e in s.events)
    return "international" in (order.shipping_method or "").lower()
