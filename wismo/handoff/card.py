"""The Slack side of a case: the case message (Block Kit). Its thread's lines are in
``wismo.handoff.thread``.

Pure functions from a ``wismo.handoff.context`` dict to what chat.postMessage / chat.update
take. Customer and bot text goes through ``wismo.handoff.mrkdwn`` (escaped, so it pings
nobody), and every piece is clipped to Block Kit's limits, so a long conversation still posts
instead of failing with ``invalid_blocks``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime, timezone
from typing import Any

from wismo.cases import STATES
from wismo.domain import ExceptionReason
from wismo.engine.model import Kind
from wismo.handoff.mrkdwn import clip, mention

# Block Kit limits (api.slack.com/reference/block-kit).
MAX_BLOCKS = 50
MAX_SECTION = 3000
MAX_HEADER = 150
MAX_FIELD = 2000
MAX_ORDERS = 5  # the first orders are the ones the case is about
MAX_PARCEL_LINES = 5
MESSAGE_CHARS = 280  # one transcript line: enough to read, short enough for ten of them

REASONS: dict[str, str] = {
    "customer_asked": "Customer asked for a person",
    "verification_locked": "Verification locked after failed attempts",
    "package_missing": "Parcel marked delivered but not received",
    "damaged_or_wrong_item": "Damaged or wrong item",
    "address_change_after_shipping": "Address change after shipping",
    "cancel_rejected": "Cancellation refused: already packed or shipped",
    "change_address_rejected": "Address change refused: already packed or shipped",
    "low_confidence": "The bot didn't understand twice",
    "frustration": "Customer sounds frustrated",
    "priority_order": "Priority order with a problem",
}

# "proactive:<kind>" reasons: the engine's detection kinds and exception reasons.
PROACTIVE: dict[str, str] = {
    Kind.ORDER_CONFIRMED.value: "order confirmed",
    Kind.SHIPPED.value: "order shipped",
    Kind.OUT_FOR_DELIVERY.value: "out for delivery",
    Kind.DELIVERED.value: "parcel delivered",
    Kind.AVAILABLE_FOR_PICKUP.value: "waiting at a pickup point",
    Kind.LATE.value: "order is late",
    Kind.TRENDING_LATE.value: "delivery date slipping",
    Kind.STUCK.value: "parcel stuck in transit",
    Kind.NO_FIRST_SCAN.value: "carrier never scanned the parcel",
    Kind.UNFULFILLED_TOO_LONG.value: "order not shipped for too long",
    Kind.ATTEMPT_FAILED.value: "delivery attempt failed",
    Kind.EXCEPTION.value: "carrier exception",
    Kind.RETURN_TO_SENDER.value: "parcel returning to us",
    ExceptionReason.CARRIER_DELAY.value: "carrier delay",
    ExceptionReason.WEATHER.value: "weather delay",
    ExceptionReason.ADDRESS_ISSUE.value: "address problem",
    ExceptionReason.CUSTOMS.value: "held in customs",
    ExceptionReason.DAMAGED.value: "parcel damaged",
    ExceptionReason.LOST.value: "parcel lost",
    ExceptionReason.REFUSED.value: "parcel refused",
    ExceptionReason.OTHER.value: "carrier problem",
}

CHANNELS = {
    "telegram": "Telegram", "whatsapp": "WhatsApp", "sms": "SMS", "webchat": "Web chat",
    "socketio": "Web chat", "rest": "Web API", "email": "Email",
}

_ICONS = {"open": "🙋", "taken": "🧑‍💻", "handed_back": "🤖", "resolved": "✅"}
_WHO = {"customer": "Customer", "bot": "Bot", "agent": "Agent"}
_SAFE_URL = re.compile(r"https?://[^\s<>|]+")


def reason_label(code: str) -> str:
    """A short human label for a reason code; "proactive:lost" → "Proactive alert: parcel
    lost"; an unknown code is shown in words rather than hidden."""
    if code in REASONS:
        return REASONS[code]
    if code.startswith("proactive:"):
        kinds = re.split(r"[:/]", code.removeprefix("proactive:"))
        kind = kinds[-1] if kinds[-1] in PROACTIVE else kinds[0]
        return f"Proactive alert: {PROACTIVE.get(kind, kind.replace('_', ' '))}"
    words = code.replace("_", " ").strip()
    return words[:1].upper() + words[1:] if words else "Needs a person"


def channel_label(channel: str | None) -> str:
    """'Telegram', 'WhatsApp', 'SMS', 'Web chat' — the channel as an agent calls it
    (unescaped)."""
    if not channel:
        return "Unknown"
    return CHANNELS.get(channel.lower(), channel.replace("_", " ").capitalize())


def case_message(
    case_id: str,
    context: Mapping[str, Any],
    *,
    state: str,
    assignee: str | None,
    opened_at: datetime,
) -> tuple[str, list[dict[str, Any]]]:
    """(notification text, blocks) of the one Slack message a case has.

    Buttons follow ``state``: "open" offers Take it / Hand back to bot / Resolve; "taken"
    offers Hand back / Resolve; "handed_back" and "resolved" offer only Reopen (action
    ``wismo_take``), so a mistaken resolve is one click to undo. Every button's value is
    the case id.

    Raises:
        ValueError: ``state`` is not one of STATES.
    """
    if state not in STATES:
        raise ValueError(f"unknown case state {state!r}")
    customer = context.get("customer") or {}
    label = reason_label(str(context.get("reason") or ""))
    channel = channel_label(customer.get("channel"))
    orders = list(context.get("orders") or [])
    head: list[dict[str, Any]] = [
        {"type": "header",
         "text": {"type": "plain_text", "emoji": True,
                  "text": _cut(f"{_ICONS[state]} Case {case_id} · {label}", MAX_HEADER)}},
        {"type": "section", "fields": _fields(customer, context.get("note"), channel, state,
                                              assignee, opened_at, context.get("told"))},
        {"type": "divider"},
    ]
    tail = [*_said(context.get("bot_said")), *_conversation(context.get("transcript") or []),
            _usage(state, customer.get("channel"), customer.get("conversation_id")),
            _actions(case_id, state)]
    room = MAX_BLOCKS - len(head) - len(tail) - 1  # one spare for "more orders"
    body: list[dict[str, Any]] = []
    shown = 0
    for order in orders[:MAX_ORDERS]:
        blocks = _order(order)
        if len(body) + len(blocks) > room:
            break
        body += blocks
        shown += 1
    if len(orders) > shown:
        body.append(_context(f"…and {len(orders) - shown} more order(s) on this case."))
    numbers = ", ".join(f"#{o.get('number')}" for o in orders[:3])
    who = customer.get("name") or "A customer"
    text = f"Case {case_id}: {label} — {who}"
    text += (f" on {channel}" if customer.get("channel") else "") + (
        f", order {numbers}" if numbers else "")
    return clip(text, MAX_SECTION), head + body + tail


def _fields(customer: Mapping[str, Any], why: str | None, channel: str, state: str,
            assignee: str | None, opened_at: datetime,
            told: str | None = None) -> list[dict[str, str]]:
    proof = (f"✅ {clip(customer['identity'], 300)}" if customer.get("identity")
             else "⚠️ not verified")
    status = {
        "open": "Waiting for someone",
        "taken": f"Taken by {mention(assignee)}" if assignee else "Taken",
        "handed_back": "Back with the bot",
        "resolved": f"Resolved by {mention(assignee)}" if assignee else "Resolved",
    }[state]
    fields = [
        f"*Customer*\n{clip(customer.get('name') or 'name unknown', 200)}\n{proof}",
        f"*Channel*\n{clip(channel, 100)}",
        f"*Case*\n{status}",
        f"*Opened*\n{_when(opened_at)}",
    ]
    if why:
        fields.append(f"*Details*\n{clip(why, MAX_FIELD - 20)}")
    if told:
        fields.append(f"*The customer was told*\n{clip(told, MAX_FIELD - 30)}")
    return [{"type": "mrkdwn", "text": f} for f in fields]


def _order(order: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A section for the order and its parcels, then each parcel's timeline (newest first)."""
    facts = [f"*Order #{clip(str(order.get('number')), 40)}*"]
    if order.get("placed"):
        facts.append(f"placed {_day(order['placed'])}")
    if order.get("total"):
        facts.append(clip(order["total"], 40))
    lines = [" · ".join(facts)]
    if order.get("summary"):
        lines.append(clip(order["summary"], 600))
    if order.get("tags"):
        lines.append(" ".join(f"`{clip(str(t), 40)}`" for t in order["tags"][:10]))
    shipments = order.get("shipments") or []
    for s in shipments[:MAX_PARCEL_LINES]:
        lines.append(_parcel(s))
    if len(shipments) > MAX_PARCEL_LINES:
        lines.append(f"…and {len(shipments) - MAX_PARCEL_LINES} more parcel(s)")
    blocks = [_section("\n".join(lines))]
    for s in shipments[:MAX_PARCEL_LINES]:
        if s.get("timeline"):
            blocks.append(_context("\n".join(_checkpoint(c) for c in s["timeline"][:5])))
    return blocks


def _parcel(s: Mapping[str, Any]) -> str:
    number = s.get("tracking_number")
    url = s.get("tracking_url")
    if number and url and _SAFE_URL.fullmatch(url):
        tracking = f"<{url}|{clip(number, 80)}>"
    else:
        tracking = clip(number, 80) if number else "no tracking number"
    parts = [f"📦 {clip(s.get('carrier') or 'Carrier unknown', 60)} {tracking}",
             _status(s.get("status"))]
    if s.get("eta"):
        parts.append(f"ETA {_day(s['eta'])}")
    return " · ".join(parts)


def _checkpoint(c: Mapping[str, Any]) -> str:
    parts = [_when(datetime.fromisoformat(c["at"])) if c.get("at") else "?",
             _status(c.get("status")), clip(c.get("message") or "", 200)]
    if c.get("place"):
        parts.append(clip(c["place"], 80))
    return " · ".join(p for p in parts if p)


def _said(text: str | None) -> list[dict[str, Any]]:
    if not text:
        return []
    quoted = "\n".join(f">{line}" for line in clip(text, 1500).splitlines() if line.strip())
    return [_section(f"*What the bot said*\n{quoted}")]


def _conversation(transcript: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The transcript, newest lines kept when it would not fit in one section."""
    if not transcript:
        return []
    title = "*Conversation so far*"
    lines: list[str] = []
    size = len(title) + 60  # room for the "earlier messages" line
    for m in reversed(transcript):
        who = _WHO.get(str(m.get("who")), "Someone")
        line = f"*{who}:* {clip(' '.join(str(m.get('text') or '').split()), MESSAGE_CHARS)}"
        if size + len(line) + 1 > MAX_SECTION:
            lines.append("_…earlier messages are in the case history_")
            break
        lines.append(line)
        size += len(line) + 1
    return [_section("\n".join([title, *reversed(lines)]))]


def _usage(state: str, channel: str | None, conversation_id: str | None) -> dict[str, Any]:
    if state in ("open", "taken"):
        where = clip(channel_label(channel), 100) if channel else "their channel"
        how = (f"Reply in this thread to answer the customer on {where}. "
               "Start a reply with // to keep it internal.")
    elif state == "handed_back":
        how = "The bot is answering again. Press Reopen to take the conversation back."
    else:
        how = "This case is resolved. Press Reopen if the customer still needs a person."
    if conversation_id:
        how += f" Conversation `{clip(conversation_id, 120)}`."
    return _context(how)


def _actions(case_id: str, state: str) -> dict[str, Any]:
    take = _button("wismo_take", "Take it", case_id, primary=True)
    hand_back = _button("wismo_hand_back", "Hand back to bot", case_id)
    resolve = _button("wismo_resolve", "Resolve", case_id)
    buttons = {
        "open": [take, hand_back, resolve],
        "taken": [hand_back, _button("wismo_resolve", "Resolve", case_id, primary=True)],
    }.get(state, [_button("wismo_take", "Reopen", case_id, primary=True)])
    return {"type": "actions", "block_id": "wismo_case", "elements": buttons}


def _button(action_id: str, text: str, value: str, *, primary: bool = False) -> dict[str, Any]:
    button: dict[str, Any] = {"type": "button", "action_id": action_id, "value": value,
                              "text": {"type": "plain_text", "text": text[:75]}}
    if primary:
        button["style"] = "primary"
    return button


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": _cut(text, MAX_SECTION)}}


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": _cut(text, MAX_SECTION)}]}


def _cut(text: str, limit: int) -> str:
    """Already-escaped text within ``limit``: whole lines first, then characters."""
    if len(text) <= limit:
        return text
    lines = text[: limit - 1].splitlines()
    kept = "\n".join(lines[:-1]) if len(lines) > 1 else lines[0] if lines else ""
    return kept.rstrip() + "…"


def _when(moment: datetime) -> str:
    """Slack shows it in the reader's time zone; the fallback is UTC."""
    utc = moment.astimezone(timezone.utc) if moment.tzinfo else moment.replace(
        tzinfo=timezone.utc)
    return f"<!date^{int(utc.timestamp())}^{{date_short}} {{time}}|{utc:%Y-%m-%d %H:%M} UTC>"


def _day(iso: str) -> str:
    """'Fri, Nov 27' from an ISO date."""
    try:
        d = date.fromisoformat(iso[:10])
    except ValueError:
        return clip(iso, 40)
    return f"{d:%a}, {d:%b} {d.day}"


def _status(value: str | None) -> str:
    return (value or "unknown").replace("_", " ").capitalize()
