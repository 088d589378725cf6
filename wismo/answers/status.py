"""Answers about where an order is and when it arrives: one line per parcel."""

from __future__ import annotations

from datetime import date

from wismo import eta
from wismo.answers import words
from wismo.answers.parcels import describe, describe_unshipped, later_than_promised
from wismo.domain import ExceptionReason, LineItem, Order, Shipment, Status

KEEP_POSTED = "I'll message you if anything changes."
_FINAL = frozenset({Status.DELIVERED, Status.CANCELLED, Status.RETURN_TO_SENDER})


def unshipped(order: Order) -> tuple[LineItem, ...]:
    """Items not in any parcel yet — unknown (empty) when no parcel lists its items."""
    if order.shipments and not any(s.items for s in order.shipments):
        return ()
    return order.unshipped_items


def _subjects(order: Order) -> list[tuple[Shipment, str]]:
    """Each parcel with the words that introduce it."""
    ships = order.shipments
    if len(ships) == 1 and not unshipped(order):
        return [(ships[0], f"Your order {order.display_number}")]
    total = len(ships)
    out = []
    for n, s in enumerate(ships, 1):
        label = f"Parcel {n} of {total}" if total > 1 else "The first parcel"
        items = words.items_text(s.items)
        out.append((s, f"{label} ({items})" if items else label))
    return out


def _lines(order: Order, today: date, pick=None) -> list[str]:
    """A line per parcel (those ``pick`` accepts), then the items not shipped yet."""
    lines = [describe(s, order, today, subject)
             for s, subject in _subjects(order) if pick is None or pick(s)]
    rest = unshipped(order)
    if order.shipments and rest and pick is None:
        lines.append(describe_unshipped(order, today, f"The rest ({words.items_text(rest)})"))
    return lines


def _cancelled(order: Order, today: date) -> str:
    when = (f" {eta.on_day(order.cancelled_at.date(), today)}" if order.cancelled_at else "")
    why = words.CANCEL_REASONS.get((order.cancel_reason or "").lower())
    why = f" {why}" if why else ""
    return f"Your order {order.display_number} was cancelled{when}{why}. {refund_note(order)}"


def refund_note(order: Order) -> str:
    """What happens to the customer's money after a cancellation."""
    status = (order.financial_status or "").lower()
    if status in ("pending", "voided", "authorized", "expired"):
        return "You haven't been charged for it."
    amount = words.money(order)
    refund = f"Your refund of {amount}" if amount else "Your refund"
    return (f"{refund} goes back to your original payment method and usually shows within "
            "5–10 business days.")


def _multi_intro(order: Order) -> str:
    parts = len(order.shipments)
    if unshipped(order):
        return f"Your order {order.display_number} is coming in parts:"
    return f"Your order {order.display_number} is coming in {parts} parcels:"


def status_reply(order: Order, today: date) -> str:
    """Where it is, why, and what happens next — in the customer's words, not the carrier's."""
    if order.is_cancelled:
        return _cancelled(order, today)
    if not order.shipments:
        return f"{describe_unshipped(order, today, f'Your order {order.display_number}')} " \
               f"{KEEP_POSTED}"
    lines = _lines(order, today)
    if len(lines) > 1:
        lines.insert(0, _multi_intro(order))
    settled = all(s.status in _FINAL for s in order.shipments) and not unshipped(order)
    if not settled:
        lines.append(KEEP_POSTED)
    return "\n".join(lines)


def _eta_line(s: Shipment, order: Order, today: date, subject: str) -> str:
    out = eta.outlook(s, order, today)
    simple = s.status in (Status.IN_TRANSIT, Status.LABEL_CREATED, Status.OUT_FOR_DELIVERY)
    if not simple or out.expected is None or out.is_late or eta.looks_stuck(s, today):
        return describe(s, order, today, subject)
    when = eta.on_day(out.expected, today)
    window = eta.format_window(s.eta_window)
    when = f"{when}, {window}" if window else when
    line = f"{subject} should arrive {when}"
    if out.from_carrier:
        line += f" — that's {words.carrier_name(s.carrier)}'s latest estimate"
    line += "."
    if out.trending_late:
        line += " " + later_than_promised(out, today)
    return line


def eta_reply(order: Order, today: date) -> str:
    """The delivery date (and time window when the carrier has one), or why there's none."""
    if order.is_cancelled:
        return _cancelled(order, today)
    if not order.shipments:
        return describe_unshipped(order, today, f"Your order {order.display_number}")
    lines = [_eta_line(s, order, today, subject) for s, subject in _subjects(order)]
    rest = unshipped(order)
    if rest:
        lines.append(describe_unshipped(order, today, f"The rest ({words.items_text(rest)})"))
    return "\n".join(lines)


def _delayed(s: Shipment, order: Order, today: date) -> bool:
    out = eta.outlook(s, order, today)
    label_wait = (s.status is Status.LABEL_CREATED
                  and eta.days_without_scan(s, today) >= eta.NO_SCAN_WORRY_DAYS)
    return (out.is_late or out.trending_late or eta.looks_stuck(s, today) or label_wait
            or s.status in (Status.EXCEPTION, Status.ATTEMPT_FAILED, Status.RETURN_TO_SENDER))


def delay_reply(order: Order, today: date) -> str:
    """Why it's late and the revised date — or that it's on track, with the date."""
    if order.is_cancelled:
        return _cancelled(order, today)
    if not order.shipments:
        out = eta.outlook(None, order, today)
        text = describe_unshipped(order, today, f"Your order {order.display_number}")
        if out.is_late or order.hold_reason:
            return f"{text} {KEEP_POSTED}"
        return f"It isn't delayed: {text[0].lower()}{text[1:]}"
    lines = _lines(order, today, pick=lambda s: _delayed(s, order, today))
    if lines:
        return "\n".join([*lines, KEEP_POSTED])
    if all(s.status is Status.DELIVERED for s in order.shipments):
        return status_reply(order, today)
    return f"Good news: it isn't delayed.\n{eta_reply(order, today)}"


def tracking_reply(order: Order) -> str:
    """Carrier, tracking number and link for each parcel."""
    if order.is_cancelled:
        return (f"Your order {order.display_number} was cancelled, so there's no tracking "
                "for it.")
    tracked = [s for s in order.shipments if s.tracking_number]
    if not tracked:
        return (f"Your order {order.display_number} hasn't shipped yet, so there's no "
                "tracking number yet. You'll get a link as soon as it ships.")
    lines = [f"Here's the tracking for order {order.display_number}:"] if len(tracked) > 1 \
        else []
    for s, subject in _subjects(order):
        if not s.tracking_number:
            continue
        carrier = words.carrier_name(s.carrier)
        link = f": {s.tracking_url}" if s.tracking_url else ""
        if len(tracked) > 1:
            lines.append(f"{subject} — {carrier} {s.tracking_number}{link}")
        else:
            lines.append(f"Your order {order.display_number} is with {carrier}, tracking "
                         f"number {s.tracking_number}{link}")
        if s.status is Status.LABEL_CREATED:
            lines[-1] += f" (it will show updates once {carrier} scans it)"
    if unshipped(order):
        lines.append(f"{words.items_text(unshipped(order))} hasn't shipped yet — "
                     "you'll get a link when it does.")
    return "\n".join(lines)


def _short(s: Shipment | None, order: Order, today: date) -> str:
    """A few words for a summary line: 'on its way, arriving Friday, November 27'."""
    out = eta.outlook(s, order, today)
    if s is None or s.status is Status.PENDING:
        if out.is_late:
            return "not shipped yet, running late"
        return f"not shipped yet, arriving by {_day(out.expected, today)}" if out.expected \
            else "not shipped yet"
    day = _day(out.expected, today) if out.expected else None
    carrier = words.carrier_name(s.carrier)
    fixed = _SHORT.get(s.reason) if s.status is Status.EXCEPTION else _SHORT.get(s.status)
    if fixed:
        return fixed
    if s.status is Status.DELIVERED:
        return f"delivered {day}" if day else "delivered"
    if s.status is Status.LABEL_CREATED and (
            eta.days_without_scan(s, today) >= eta.NO_SCAN_WORRY_DAYS):
        return f"packed, waiting for {carrier} to collect it — we're checking"
    if eta.looks_stuck(s, today):
        return f"no update from {carrier} for a few days — we're checking"
    if s.status is Status.EXCEPTION:
        return f"delayed, now expected {day}" if day else "delayed — we're looking into it"
    if s.status is Status.ATTEMPT_FAILED:
        return f"missed delivery, next try {day}" if day else "missed delivery"
    if out.is_late:
        return f"running late, now expected {day}" if day else "running late"
    if s.status is Status.LABEL_CREATED:
        return f"packed, arriving {day}" if day else "packed"
    return f"on its way, arriving {day}" if day else "on its way"


def _day(d: date | None, today: date) -> str:
    return eta.format_day(d, today) if d else ""


_SHORT = {
    Status.OUT_FOR_DELIVERY: "out for delivery today",
    Status.AVAILABLE_FOR_PICKUP: "waiting for you at a pickup point",
    Status.RETURN_TO_SENDER: "on its way back to us",
    Status.CANCELLED: "being shipped again",
    ExceptionReason.ADDRESS_ISSUE: "held — the carrier needs your address checked",
    ExceptionReason.DAMAGED: "damaged on the way — we'll make it right",
    ExceptionReason.LOST: "lost by the carrier — we'll make it right",
    ExceptionReason.REFUSED: "refused, on its way back to us",
}


def order_summary_line(order: Order, today: date) -> str:
    """One short line for a customer with several orders: '#1042 — 2 items — on its way…'."""
    head = f"{order.display_number} — {words.count_items(order)}"
    if order.is_cancelled:
        return f"{head} — cancelled"
    parts = [_short(s, order, today) for s in order.shipments] or [_short(None, order, today)]
    if order.shipments and unshipped(order):
        parts.append("the rest not shipped yet")
    return f"{head} — {'; '.join(dict.fromkeys(parts))}"
