"""What a person needs to pick up a case, snapshotted when the bot hands over. Pure, no I/O.

The action server builds this dict at escalation time and stores it with the case as JSON;
the Slack worker (another process, maybe much later) renders it with ``wismo.handoff.card``.
So it holds plain values only and is versioned: the schema is a contract between the two.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timezone
from typing import Any

from wismo import answers, eta
from wismo.answers import words
from wismo.answers.status import unshipped
from wismo.domain import Order, Shipment, Status, TrackingEvent

VERSION = 1
TIMELINE_LIMIT = 5  # newest checkpoints per parcel: enough to see where it went wrong

# Overall order status: a problem first (that is why a person is looking), else the
# least advanced parcel (what the order is still waiting for).
_PROBLEMS = (Status.EXCEPTION, Status.RETURN_TO_SENDER, Status.ATTEMPT_FAILED, Status.UNKNOWN)
_PROGRESS = (
    Status.PENDING, Status.CANCELLED, Status.LABEL_CREATED, Status.IN_TRANSIT,
    Status.OUT_FOR_DELIVERY, Status.AVAILABLE_FOR_PICKUP, Status.DELIVERED,
)


def case_context(
    reason: str,
    orders: Sequence[Order],
    *,
    conversation_id: str,
    channel: str | None,
    customer_name: str | None,
    identity: str | None,
    events: Sequence[Mapping[str, Any]] = (),
    today: date,
    note: str | None = None,
    told: str | None = None,
    transcript_turns: int = 10,
) -> dict[str, Any]:
    """Everything the agent sees on the case card, as JSON-ready values (schema version 1).

    ``identity`` says how the customer proved who they are ("order #1047 + ZIP 80202");
    None means not verified. Without ``customer_name`` the first order's name is used, so
    the agent can greet the customer. ``events`` are the Rasa tracker's event dicts.
    """
    name = customer_name or next((o.customer_name for o in orders if o.customer_name), None)
    return {
        "version": VERSION,
        "reason": reason,
        "note": note,
        "told": told,  # what the customer was promised about a reply
        "customer": {
            "name": name,
            "identity": identity,
            "verified": identity is not None,
            "channel": channel,
            "conversation_id": conversation_id,
        },
        "orders": [order_context(o, today) for o in orders],
        "bot_said": last_bot_text(events),
        "transcript": transcript_from_events(events, transcript_turns),
    }


def order_context(order: Order, today: date) -> dict[str, Any]:
    """One order: its status in the bot's words plus the facts an agent checks first."""
    total = f"{order.total_price} {order.currency or ''}".strip() if order.total_price else None
    return {
        "number": order.number,
        "status": overall_status(order).value,
        "summary": answers.order_summary_line(order, today),
        "placed": order.created_at.date().isoformat(),
        "total": total,
        "tags": list(order.tags),
        "shipments": [_shipment(s, order, today) for s in order.shipments],
    }


def overall_status(order: Order) -> Status:
    """The one status that describes the order: cancelled, a parcel's problem, or the
    least advanced parcel (items not in any parcel yet count as pending)."""
    if order.is_cancelled:
        return Status.CANCELLED
    statuses = [s.status for s in order.shipments]
    if not statuses or unshipped(order):
        statuses.append(Status.PENDING)
    for problem in _PROBLEMS:
        if problem in statuses:
            return problem
    return min(statuses, key=_PROGRESS.index)


def _shipment(s: Shipment, order: Order, today: date) -> dict[str, Any]:
    expected = eta.outlook(s, order, today).expected
    newest = sorted(s.events, key=lambda e: e.at, reverse=True)[:TIMELINE_LIMIT]
    return {
        "carrier": words.carrier_name(s.carrier) if s.carrier else None,
        "tracking_number": s.tracking_number,
        "tracking_url": s.tracking_url,
        "status": s.status.value,
        "eta": expected.isoformat() if expected else None,
        "timeline": [_checkpoint(e) for e in newest],
    }


def _checkpoint(event: TrackingEvent) -> dict[str, Any]:
    return {
        "at": event.at.isoformat(),
        "status": event.status.value,
        "message": event.message,
        "place": words.place(event),
    }


def transcript_from_events(events: Sequence[Mapping[str, Any]], limit: int) -> list[dict]:
    """The last ``limit`` messages (oldest first) as {"who", "text", "at"}.

    "who" is "customer", "bot" or "agent" (a bot event marked ``{"wismo_human": true}`` in
    its metadata was typed by a person). A pressed button ("/order_status") reads as the
    button's title from the bot message before it; an unknown payload or an empty
    message is left out, since the agent could not make sense of it.
    """
    if limit <= 0:
        return []
    messages: list[dict[str, Any]] = []
    buttons: Sequence[Mapping[str, Any]] = ()
    for event in events:
        kind, text = event.get("event"), event.get("text")
        if kind == "bot":
            buttons = (event.get("data") or {}).get("buttons") or ()
            if text:
                messages.append(_message(_bot_who(event), text, event))
        elif kind == "user" and text and text.strip():
            if text.startswith("/"):
                text = next((b.get("title") for b in buttons if b.get("payload") == text), None)
                if not text:
                    continue
            messages.append(_message("customer", text, event))
    return messages[-limit:]


def last_bot_text(events: Sequence[Mapping[str, Any]], limit: int = 3) -> str | None:
    """What the bot (not a person) said in its last turn before the handoff: the messages
    between the customer's last two messages (an answer is often several), at most `limit`."""
    said: list[str] = []
    for event in reversed(events):
        if event.get("event") == "user" and said:
            break
        if event.get("event") == "bot" and event.get("text") and _bot_who(event) == "bot":
            said.append(str(event["text"]))
    return "\n".join(reversed(said[:limit])) or None


def _bot_who(event: Mapping[str, Any]) -> str:
    return "agent" if (event.get("metadata") or {}).get("wismo_human") else "bot"


def _message(who: str, text: str, event: Mapping[str, Any]) -> dict[str, Any]:
    stamp = event.get("timestamp")
    at = datetime.fromtimestamp(stamp, timezone.utc).isoformat() if stamp is not None else None
    return {"who": who, "text": text, "at": at}
