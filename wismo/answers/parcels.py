"""One parcel (or the not-yet-shipped part of an order) in plain words.

Each ``describe`` answer says where it is now, what that means or why, and what happens
next with a date. ``subject`` starts the first sentence: "Your order #1042" or
"Parcel 1 of 2 (Headphones)"; later sentences say "it".
"""

from __future__ import annotations

from datetime import date, timedelta

from wismo import eta
from wismo.answers import words
from wismo.domain import ExceptionReason, Order, Shipment, Status

FOLLOW_UP_BUSINESS_DAYS = 2  # we come back with news about a stuck or unexplained parcel
PICKUP_HOLD_DAYS = 7  # pickup points usually keep a parcel this long
ADDRESS_HOLD_DAYS = 5  # carriers usually hold an undeliverable parcel this long


def describe(shipment: Shipment, order: Order, today: date, subject: str) -> str:
    """Where the parcel is, why, and what's next, starting with ``subject``."""
    handler = _BY_STATUS.get(shipment.status, _unknown)
    return handler(shipment, order, today, subject)


def describe_unshipped(order: Order, today: date, subject: str) -> str:
    """The order (or its remaining items) has not left the warehouse yet."""
    out = eta.outlook(None, order, today)
    hold = words.hold_words(order.hold_reason)
    if hold:
        why, then = hold
        first = f"{subject} hasn't shipped yet {why}."
    else:
        first, then = f"{subject} hasn't shipped yet — we're getting it ready.", "We'll ship it"
    if out.is_late:
        return (f"{first} It was due {_by(out.promised, today)}, and I'm sorry it's running "
                f"late. {then} as soon as we can; we're looking into it and will update you "
                f"by {_follow_up(today)}.")
    if out.expected:
        return f"{first} {then}; it should arrive {_by(out.expected, today)}."
    return f"{first} {then} and send you the tracking link."


def _lc(subject: str) -> str:
    """'Your order #1042' → 'your order #1042' for use mid-sentence."""
    return subject[:1].lower() + subject[1:]


def _by(d: date | None, today: date) -> str:
    """'by Friday, November 27' / 'by tomorrow'."""
    return f"by {eta.format_day(d, today)}" if d else "soon"


def _follow_up(today: date) -> str:
    return eta.format_day(eta.add_business_days(today, FOLLOW_UP_BUSINESS_DAYS), today)


def _arrival(shipment: Shipment, order: Order, today: date, *, revised: bool = False) -> str:
    """'It should arrive on Friday, November 27.' with a late/trending-late apology.

    ``revised``: the date is the carrier's new one after a problem ("UPS now expects …").
    """
    out = eta.outlook(shipment, order, today)
    carrier = words.carrier_name(shipment.carrier)
    if out.expected is None:
        return f"{carrier} hasn't given a delivery date yet — I'll let you know when they do."
    when = eta.on_day(out.expected, today)
    window = eta.format_window(shipment.eta_window) if out.from_carrier else None
    when = f"{when}, {window}" if window else when
    if out.is_late:
        source = f"{carrier} now expects" if out.from_carrier else "We now expect"
        return (f"It was due {eta.on_day(out.promised, today)} — I'm sorry it's late. "
                f"{source} to deliver it {when}.")
    if revised and out.from_carrier:
        text = f"{carrier} now expects to deliver it {when}."
    else:
        text = f"It should arrive {when}."
    if out.trending_late:
        text += " " + later_than_promised(out, today)
    return text


def later_than_promised(out: eta.Outlook, today: date) -> str:
    """The apology when the expected date has slipped past the promise."""
    return (f"We'd promised it for {eta.format_day(out.promised, today)}, so it's running a "
            "little late — sorry about that.")


def _pending(s: Shipment, order: Order, today: date, subject: str) -> str:
    return describe_unshipped(order, today, subject)


def _label(s: Shipment, order: Order, today: date, subject: str) -> str:
    carrier = words.carrier_name(s.carrier)
    waited = eta.days_without_scan(s, today)
    if waited >= eta.NO_SCAN_WORRY_DAYS:
        since = eta.on_day(today - timedelta(days=waited), today)
        return (f"{subject} was packed and labelled {since}, but {carrier} still hasn't "
                f"scanned it. That's longer than usual, so we're looking into it with "
                f"{carrier} and will update you by {_follow_up(today)}.")
    return (f"{subject} is packed and has a {carrier} shipping label, but {carrier} hasn't "
            f"scanned it yet — that's normal for the first day or two. "
            f"{_arrival(s, order, today)}")


def _transit(s: Shipment, order: Order, today: date, subject: str) -> str:
    carrier = words.carrier_name(s.carrier)
    last = s.last_event
    where = words.place(last)
    last_at = eta.last_checkpoint(s)
    to = words.destination(s, order)
    if last_at and eta.looks_stuck(s, today):
        seen = f"in {where} " if where else ""
        out = eta.outlook(s, order, today)
        sorry = (f" It was due {eta.on_day(out.promised, today)} — I'm sorry it's late."
                 if out.is_late and out.promised else "")
        return (f"{subject} is with {carrier}, but it hasn't had an update since it was "
                f"scanned {seen}{eta.on_day(last_at.date(), today)}.{sorry} We're checking with "
                f"{carrier} and will update you by {_follow_up(today)}; if it's lost, "
                "we'll send a replacement or a refund.")
    left = f" left our warehouse {eta.on_day(s.shipped_at.date(), today)} and" if (
        s.shipped_at) else ""
    heading = f", on its way to {to}" if to else ", on its way to you"
    now = f" Its latest scan was in {where} {eta.format_day(last.at.date(), today)}." if (
        where and last) else ""
    return f"{subject}{left} is with {carrier}{heading}.{now} {_arrival(s, order, today)}"


def _out_for_delivery(s: Shipment, order: Order, today: date, subject: str) -> str:
    carrier = words.carrier_name(s.carrier)
    window = eta.format_window(s.eta_window)
    when = f"today, {window}" if window else "today"
    return (f"{subject} is out for delivery with {carrier} {when}. "
            "It should be with you by the end of the day; if you miss it, "
            f"{carrier} will leave a note and try again.")


def delivery_details(s: Shipment, today: date) -> tuple[str, str, str]:
    """(" on Monday, …" or "", the spot or "", ", signed for by …" or "") of a delivery."""
    at = s.delivered_at or eta.last_checkpoint(s)
    when = f" {eta.on_day(at.date(), today)}" if at else ""
    name = words.signer(s.signed_by)
    signed = f", signed for by {name}" if name else ""
    return when, words.delivery_place(s) or "", signed


def _delivered(s: Shipment, order: Order, today: date, subject: str) -> str:
    when, where, signed = delivery_details(s, today)
    where = f", {where}" if where else ""
    if where and ("locker" in where or "mailbox" in where):
        hint = (f"The code or key notice from {words.carrier_name(s.carrier)} opens it; "
                "if you can't find it, let me know and we'll sort it out.")
    else:
        hint = ("If you can't find it, check around the door and with neighbours, then let "
                "me know and we'll sort it out.")
    return f"{subject} was delivered{when}{where}{signed}. {hint}"


def _pickup(s: Shipment, order: Order, today: date, subject: str) -> str:
    carrier = words.carrier_name(s.carrier)
    point = words.pickup_point(s)
    town = words.place(s.last_event)
    where = f": {point}" if point else f" in {town}" if town else " near you"
    at = eta.last_checkpoint(s)
    arrived = at.date() if at else today
    keep = eta.format_day(arrived + timedelta(days=PICKUP_HOLD_DAYS), today)
    return (f"{subject} is waiting for you at a {carrier} pickup point{where}. Please bring "
            f"photo ID. They usually hold parcels for {PICKUP_HOLD_DAYS} days, so please "
            f"collect it by {keep}.")


def _attempt(s: Shipment, order: Order, today: date, subject: str) -> str:
    carrier = words.carrier_name(s.carrier)
    at = eta.last_checkpoint(s)
    when = f" {eta.on_day(at.date(), today)}" if at else ""
    retry = eta.expected_date(s, order, today) or eta.add_business_days(today, 1)
    return (f"{carrier} tried to deliver {_lc(subject)}{when}, but "
            f"nobody was available to receive it. They'll try again {eta.on_day(retry, today)}"
            f"; if you won't be in, you can ask {carrier} to hold it or redirect it with the "
            "tracking link.")


def _exception(s: Shipment, order: Order, today: date, subject: str) -> str:
    carrier = words.carrier_name(s.carrier)
    reason = s.reason or (s.last_event.reason if s.last_event else None)
    where = words.place(s.last_event)
    near = f" near {where}" if where else ""
    if reason is ExceptionReason.CARRIER_DELAY:
        return (f"{subject} is delayed in the {carrier} network{near}. That usually means a "
                "backlog or a missed connection at a sorting hub; it's still on its way. "
                f"{_arrival(s, order, today, revised=True)}")
    if reason is ExceptionReason.WEATHER:
        return (f"{subject} is held up by bad weather{near}. {carrier} will move it again as "
                f"soon as it's safe. {_arrival(s, order, today, revised=True)}")
    if reason is ExceptionReason.ADDRESS_ISSUE:
        keep = eta.format_day(today + timedelta(days=ADDRESS_HOLD_DAYS), today)
        address = words.format_address(order.shipping_address)
        on_file = f" ({address})" if address else ""
        return (f"{carrier} couldn't deliver {_lc(subject)} because of a "
                f"problem with the address{on_file}. Could you reply with the correct address, "
                f"including any apartment number? {carrier} usually holds it until about "
                f"{keep}, and we'll pass your answer on so they can deliver it.")
    if reason is ExceptionReason.CUSTOMS:
        inside = f" in {where}" if where else ""
        return (f"{subject} is going through customs{inside}. That's a normal check for "
                "international parcels and usually takes a few days; if customs or "
                f"{carrier} ask you for anything, please follow their instructions. "
                f"{_arrival(s, order, today, revised=True)}")
    if reason is ExceptionReason.DAMAGED:
        return (f"{subject} was damaged on the way, and I'm sorry. We'll make it right with a "
                "replacement or a full refund — just tell me which you'd prefer and our team "
                "will arrange it.")
    if reason is ExceptionReason.LOST:
        return (f"{carrier} has told us {_lc(subject)} is lost, and I'm "
                "really sorry. We'll make it right with a replacement or a full refund — just "
                "tell me which you'd prefer and our team will arrange it.")
    if reason is ExceptionReason.REFUSED:
        return (f"{subject} was refused at delivery, so {carrier} is sending it back to us. "
                "When it arrives we'll refund you; if refusing it was a mistake, tell me and "
                "we'll arrange a new delivery.")
    return (f"{subject} has run into a problem in transit with {carrier}. We're checking "
            f"with {carrier} what happened and will update you by {_follow_up(today)}.")


def _returning(s: Shipment, order: Order, today: date, subject: str) -> str:
    carrier = words.carrier_name(s.carrier)
    back = eta.format_day(eta.add_business_days(today, 10), today)
    return (f"{subject} is on its way back to us — {carrier} couldn't deliver it. It should "
            f"reach us by about {back}. Then we'll refund you, or send it again if you'd "
            "prefer — just tell me which.")


def _cancelled(s: Shipment, order: Order, today: date, subject: str) -> str:
    return (f"The shipping label for {_lc(subject)} was cancelled. We'll "
            "ship it again and send you the new tracking link.")


def _unknown(s: Shipment, order: Order, today: date, subject: str) -> str:
    carrier = words.carrier_name(s.carrier)
    return (f"{subject} has shipped with {carrier}, but {carrier} hasn't shared an update "
            f"yet. {_arrival(s, order, today)}")


_BY_STATUS = {
    Status.PENDING: _pending,
    Status.LABEL_CREATED: _label,
    Status.IN_TRANSIT: _transit,
    Status.OUT_FOR_DELIVERY: _out_for_delivery,
    Status.DELIVERED: _delivered,
    Status.AVAILABLE_FOR_PICKUP: _pickup,
    Status.ATTEMPT_FAILED: _attempt,
    Status.EXCEPTION: _exception,
    Status.RETURN_TO_SENDER: _returning,
    Status.CANCELLED: _cancelled,
    Status.UNKNOWN: _unknown,
}
