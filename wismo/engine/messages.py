"""Detections → the words a customer reads in a proactive update. Pure, no I/O, no clock.

One or two short sentences, like a person wrote them: what happened (in plain words, never
a carrier code), the date, and the next step. Parcels of a split order are named the way
``wismo.answers`` names them ("Parcel 1 of 2 (Headphones)"), plus the order number, since an
update arrives without a question before it.

Clock times ("at 2:14 PM") are shown in ``tz`` (the customer's zone) when given, else only
when the carrier's timestamp carries its own local offset: a bare UTC time would mislead.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta, tzinfo

from wismo import eta
from wismo.answers import words
from wismo.answers.parcels import ADDRESS_HOLD_DAYS, PICKUP_HOLD_DAYS
from wismo.domain import ExceptionReason, Order
from wismo.engine import next_steps as actions
from wismo.engine.model import Detection, Kind
from wismo.engine.wording import Facts

RETURN_BUSINESS_DAYS = 10  # a parcel sent back usually reaches the warehouse within this
# Most urgent first in a digest; anything asking the customer to act goes before all of these.
URGENCY = (
    Kind.ATTEMPT_FAILED, Kind.AVAILABLE_FOR_PICKUP, Kind.EXCEPTION, Kind.RETURN_TO_SENDER,
    Kind.LATE, Kind.STUCK, Kind.NO_FIRST_SCAN, Kind.UNFULFILLED_TOO_LONG, Kind.TRENDING_LATE,
    Kind.OUT_FOR_DELIVERY, Kind.DELIVERED, Kind.SHIPPED, Kind.ORDER_CONFIRMED,
)
# Messages that give the new date and own up to a slip past the promise (when they have one).
_DATED = frozenset({Kind.SHIPPED, Kind.EXCEPTION, Kind.ATTEMPT_FAILED, Kind.LATE})
# Messages that own up to a passed promise themselves.
_SAY_LATE = frozenset({Kind.STUCK, Kind.UNFULFILLED_TOO_LONG})


def urgency(d: Detection) -> int:
    """Sort key: lower is more urgent (what asks something of the customer comes first)."""
    asks = d.action is not None and d.kind not in (Kind.AVAILABLE_FOR_PICKUP,)
    return URGENCY.index(d.kind) + (0 if asks else len(URGENCY))


def message(d: Detection, order: Order, today: date, *, tz: tzinfo | None = None) -> str:
    """The update for one detection: what happened, the date, and what happens next."""
    shipment = next((s for s in order.shipments if s.id == d.shipment_id), None)
    text = _BY_KIND[d.kind](Facts(d, order, shipment, today, tz))
    return text[:1].upper() + text[1:]


def digest(ds: list[Detection], order: Order, today: date, *, tz: tzinfo | None = None) -> str:
    """Several detections for one order in one message: one line each, most urgent first.

    Repeats (same dedup key) are said once, and a "late" or "trending late" line is left
    out when another line about the same parcel already says so.
    """
    unique = list({d.dedup_key: d for d in ds}.values())
    kept = [d for d in unique if not _said_by_another(d, unique)]
    return "\n".join(message(d, order, today, tz=tz) for d in sorted(kept, key=urgency))


def _said_by_another(d: Detection, ds: list[Detection]) -> bool:
    same = [o for o in ds if o is not d and o.shipment_id == d.shipment_id]
    if d.kind is Kind.TRENDING_LATE:
        return any(o.kind in _DATED and o.new_date == d.new_date for o in same)
    if d.kind is Kind.LATE:
        return any(o.kind in _SAY_LATE or (o.kind in _DATED and o.new_date) for o in same)
    return False


def _confirmed(f: Facts) -> str:
    arrive = f" and it should arrive by {f.day(f.d.new_date)}" if f.d.new_date else ""
    return (f"Thanks for {f.it}! We're getting it ready{arrive}. We'll send you the tracking "
            "link as soon as it ships.")


def _shipped(f: Facts) -> str:
    if f.d.new_date:
        arrive = f" and should arrive {f.on(f.d.new_date)}.{f.slip()}"
    else:
        arrive = ". We'll message you when it's out for delivery."
    return f"Good news: {f.it} is on its way with {f.carrier}{arrive}{f.link()}"


def _out_for_delivery(f: Facts) -> str:
    window = eta.format_window(f.s.eta_window) if f.s else None
    expected = f", expected {window}" if window else ""
    day = f.on_day_of(f.d.at)
    return (f"Good news: {f.it} is out for delivery with {f.carrier} {day}{expected}. If you "
            f"miss it, {f.carrier} will leave a note and try again.")


def _delivered(f: Facts) -> str:
    where = f", {f.d.place}" if f.d.place else ""
    name = words.signer(f.s.signed_by) if f.s else None
    signed = f", signed for by {name}" if name else ""
    return (f"{f.subject} was delivered {f.moment(f.d.at)}{where}{signed}. If you can't find "
            "it, just reply here and we'll sort it out.")


def _pickup(f: Facts) -> str:
    point = words.pickup_point(f.s) if f.s else None
    where = f": {point}" if point else f" in {f.d.place}" if f.d.place else " near you"
    arrived = f.d.at.date() if f.d.at else f.today
    keep = f.day(arrived + timedelta(days=PICKUP_HOLD_DAYS))
    point = f"a {f.carrier} pickup point" if f.known else "a pickup point"
    then = f" by {keep} — they usually hold parcels for {PICKUP_HOLD_DAYS} days"
    return f"{f.subject} is ready to collect at {point}{where}.{f.please(actions.PICKUP, then)}"


def _attempt(f: Facts) -> str:
    retry = f" They'll try again {f.on(f.d.new_date)}.{f.slip()}" if f.d.new_date else ""
    action = f.please(actions.ATTEMPT_DEFAULT)
    link = f.link() if "tracking link" in action else ""
    return (f"{f.carrier} tried to deliver {f.it} {f.moment(f.d.at)} but couldn't.{retry}"
            f"{action}{link}")


def _exception(f: Facts) -> str:
    why = f.d.reason or ExceptionReason.OTHER
    return _BY_REASON[why](f)


def _weather(f: Facts) -> str:
    return f"{f.subject} is delayed by severe weather{f.near}.{f.new_date()}{f.please()}"


def _carrier_delay(f: Facts) -> str:
    network = f"the {f.carrier} network" if f.known else "the carrier's network"
    return (f"{f.subject} is delayed in {network}{f.near} — usually a backlog at a sorting hub; "
            f"it's still on its way.{f.new_date()}{f.please()}")


def _customs(f: Facts) -> str:
    inside = f" in {f.d.place}" if f.d.place else ""
    return (f"{f.subject} is going through customs{inside}. That's a normal check and usually "
            f"takes a few days.{f.new_date()}{f.please()}")


def _address(f: Facts) -> str:
    address = words.format_address(f.order.shipping_address)
    on_file = f" ({address})" if address else ""
    keep = f.day(f.today + timedelta(days=ADDRESS_HOLD_DAYS))
    holder = f.carrier[:1].upper() + f.carrier[1:]
    return (f"{f.carrier} couldn't deliver {f.it} because of a problem with the "
            f"address{on_file}.{f.please(actions.ADDRESS)} {holder} usually holds it until "
            f"about {keep}.")


def _damaged(f: Facts) -> str:
    return (f"We're so sorry: {f.it} was damaged on the way.{f.please(actions.MAKE_GOOD)} We'll "
            "arrange it right away.")


def _lost(f: Facts) -> str:
    return (f"We're so sorry: {f.carrier} has told us {f.it} is lost.{f.please(actions.MAKE_GOOD)} "
            "We'll arrange it right away.")


def _refused(f: Facts) -> str:
    then = ", and we'll arrange a new delivery"
    return (f"{f.subject} was refused at delivery, so {f.carrier} is sending it back to us, and "
            f"we'll refund you when it arrives.{f.please(actions.MISTAKE, then)}")


def _other(f: Facts) -> str:
    return (f"{f.subject} has run into a problem with {f.carrier}{f.near}. We're checking what "
            f"happened and will update you by {f.follow_up}.")


def _returning(f: Facts) -> str:
    back = f.day(eta.add_business_days(f.today, RETURN_BUSINESS_DAYS))
    return (f"{f.subject} is on its way back to us — {f.carrier} couldn't deliver it. It should "
            f"reach us by about {back}.{f.please(actions.RETURN)}")


def _late(f: Facts) -> str:
    due = f.on(f.d.promised_date) if f.d.promised_date else "earlier"
    if f.d.shipment_id is None:
        return (f"Sorry — {f.it} was due {due} and hasn't shipped yet. We're on it and will "
                f"update you by {f.follow_up}.")
    if f.d.new_date:
        then = f"It's now expected {f.on(f.d.new_date)}, and we'll keep you posted."
    else:
        then = f"We're checking with {f.carrier} and will update you by {f.follow_up}."
    return f"Sorry — {f.it} was due {due} and hasn't arrived yet. {then}"


def _trending_late(f: Facts) -> str:
    promised = f" ({f.day(f.d.promised_date)})" if f.d.promised_date else ""
    expected = f"now expected {f.on(f.d.new_date)}, " if f.d.new_date else "running "
    return (f"A heads-up: {f.it} is {expected}a little later than we promised{promised}. "
            "Sorry about that; we'll keep you posted.")


def _stuck(f: Facts) -> str:
    where = f" in {f.d.place}" if f.d.place else ""
    since = (f" since it was scanned{where} {f.on_day_of(f.d.at)}" if f.d.at
             else " for a few days")
    return (f"{f.subject} hasn't had a tracking update from {f.carrier}{since}."
            f"{f.overdue()} We're checking with {f.carrier} and will "
            f"update you by {f.follow_up}; if it's lost, we'll send a replacement or a refund.")


def _no_first_scan(f: Facts) -> str:
    since = f" {f.on_day_of(f.d.at)}" if f.d.at else ""
    return (f"{f.subject} was packed and labelled{since}, but {f.carrier} hasn't scanned it "
            "yet. That's longer than usual, so we're looking into it and will update you by "
            f"{f.follow_up}.")


def _unfulfilled(f: Facts) -> str:
    hold = words.hold_words(f.order.hold_reason)
    if hold:
        why, then = hold
        first = f"{f.subject} hasn't shipped yet {why}.{f.overdue()} {then}"
    else:
        first = (f"Sorry — {f.it} is taking longer than usual to leave our warehouse."
                 f"{f.overdue()} We'll send you the tracking link as soon as it ships")
    if f.d.new_date:
        return f"{first}; it should still arrive by {f.day(f.d.new_date)}."
    return f"{first}, and we'll update you by {f.follow_up}."


_BY_REASON: dict[ExceptionReason, Callable[[Facts], str]] = {
    ExceptionReason.WEATHER: _weather,
    ExceptionReason.CARRIER_DELAY: _carrier_delay,
    ExceptionReason.CUSTOMS: _customs,
    ExceptionReason.ADDRESS_ISSUE: _address,
    ExceptionReason.DAMAGED: _damaged,
    ExceptionReason.LOST: _lost,
    ExceptionReason.REFUSED: _refused,
    ExceptionReason.OTHER: _other,
}
_BY_KIND: dict[Kind, Callable[[Facts], str]] = {
    Kind.ORDER_CONFIRMED: _confirmed,
    Kind.SHIPPED: _shipped,
    Kind.OUT_FOR_DELIVERY: _out_for_delivery,
    Kind.DELIVERED: _delivered,
    Kind.AVAILABLE_FOR_PICKUP: _pickup,
    Kind.LATE: _late,
    Kind.TRENDING_LATE: _trending_late,
    Kind.STUCK: _stuck,
    Kind.NO_FIRST_SCAN: _no_first_scan,
    Kind.UNFULFILLED_TOO_LONG: _unfulfilled,
    Kind.ATTEMPT_FAILED: _attempt,
    Kind.EXCEPTION: _exception,
    Kind.RETURN_TO_SENDER: _returning,
}
