"""Answers to requests about an order: missing or damaged parcels, cancelling, new address."""

from __future__ import annotations

from datetime import date

from wismo import eta
from wismo.answers import words
from wismo.answers.parcels import delivery_details
from wismo.answers.status import refund_note, status_reply
from wismo.domain import Address, ExceptionReason, Order, Shipment, Status


def _carriers(order: Order) -> str:
    names = dict.fromkeys(words.carrier_name(s.carrier) for s in order.shipments)
    return " and ".join(names) or "the carrier"


def missing_package_reply(order: Order, today: date) -> str:
    """Marked delivered but not there (or lost): what we know, what to check, what we'll do."""
    delivered = [s for s in order.shipments if s.status is Status.DELIVERED]
    lost = [s for s in order.shipments if s.reason is ExceptionReason.LOST]
    if lost:
        return status_reply(order, today)
    if not delivered:
        return f"It isn't marked as delivered yet, so it may still be on its way.\n" \
               f"{status_reply(order, today)}"
    lines = ["I'm sorry you can't find it."]
    for s in delivered:
        lines.append(_delivered_facts(s, order, today))
    deadline = eta.format_day(eta.add_business_days(today, 1), today)
    lines.append(
        "Parcels are sometimes left somewhere less obvious, with a neighbour or in a mailroom, "
        "or marked delivered a little early — please have a look. If it hasn't turned up by "
        f"the end of {deadline}, we'll make it right with a replacement or a refund."
    )
    return "\n".join(lines)


def _delivered_facts(s: Shipment, order: Order, today: date) -> str:
    carrier = words.carrier_name(s.carrier)
    when, where, signed = delivery_details(s, today)
    where = f" {where}" if where else ""
    items = words.items_text(s.items)
    what = f"the parcel with {items}" if items and len(order.shipments) > 1 else "your order"
    address = words.format_address(order.shipping_address)
    to = f" at {address}" if address else ""
    return f"{carrier} shows {what} as delivered{when}{where}{to}{signed}."


def damaged_item_reply(order: Order) -> str:
    """Arrived damaged or wrong: sorry, what to send us, and that we'll make it right."""
    return (
        f"I'm sorry — that's not how order {order.display_number} should have arrived. "
        "Could you send a photo of the item and of the box or label here? We'll make it right "
        "with a replacement or a refund, and you won't pay for any return."
    )


def _already_gone(order: Order) -> str:
    carrier = _carriers(order)
    if order.has_shipped:
        return f"Your order {order.display_number} has already shipped with {carrier}"
    return (f"Your order {order.display_number} is already packed and labelled for "
            f"{carrier}")


def cancel_refused_reply(order: Order) -> str:
    """Why it can no longer be cancelled here, and the way forward."""
    after = ("Once it arrives you can return it for a refund. "
             if order.has_shipped else "")
    return (f"{_already_gone(order)}, so I can't cancel it here any more. {after}"
            "A person from our team can check whether it can still be stopped — would you "
            "like me to connect you?")


def address_change_refused_reply(order: Order) -> str:
    """Why the address can't be changed here any more, and who can still help."""
    return (f"{_already_gone(order)}, so I can't change the delivery address here any more. "
            f"A person from our team can ask {_carriers(order)} to redirect it — that isn't "
            "always possible once a parcel is moving, but we'll try.")


def cancel_confirm_question(order: Order) -> str:
    """Read the order back and ask for a yes before cancelling."""
    items = words.items_text(order.items)
    what = f" ({items})" if items else ""
    amount = words.money(order)
    total = f", {amount}" if amount else ""
    return (f"Just to confirm: do you want to cancel order {order.display_number}{what}{total}? "
            "This can't be undone.")


def cancelled_reply(order: Order) -> str:
    """After a successful cancellation."""
    return f"Done — order {order.display_number} is cancelled. {refund_note(order)}"


def address_confirm_question(order: Order, new_address: Address) -> str:
    """Read the new address back and ask for a yes before changing anything."""
    return (f"Should I send order {order.display_number} to "
            f"{words.format_address(new_address)} instead? Please check the street, "
            "apartment number and ZIP code.")


def address_changed_reply(order: Order) -> str:
    """After the store accepted the new address."""
    return (f"Done — order {order.display_number} will go to "
            f"{words.format_address(order.shipping_address)}. You'll get a tracking link as "
            "soon as it ships.")

