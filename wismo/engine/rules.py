"""Whether, when and where a detection becomes a message: the notification rules applied.

`decide` is pure: the caller passes one customer's new detections, their conversations
(`ContactStore.reachable`), what was already sent, the clock and the rules. Every detection
ends up in exactly one Decision, in the order the detections came:

1. already sent (its dedup key is in the history) or repeated in the call → drop;
2. its kind (or exception reason) is off in the rules → drop "not notified by rules";
3. made obsolete by a later milestone arriving with it (out_for_delivery with delivered,
   stuck with out_for_delivery …) → drop "superseded by delivered";
4. the rest, per order, go as one message (a digest), unless the digest window is zero — the
   window itself is the caller's to keep: it waits `rules.digest_window` after the first news
   about an order before calling, so that news arriving together is decided together;
5. during quiet hours (the customer's local time) → defer until they end, unless the message
   carries urgent news and the rules let urgent news through;
6. the first channel in the preference list that reaches the customer at the send time — never
   an opted-out conversation; WhatsApp outside the 24-hour window only with a template;
7. over the per-order daily cap (the customer's local day) → drop "cap reached".

A deferred decision is a request to ask again at `until`: the caller keeps the detections
pending and calls `decide` again then. `handoff` asks the caller to open a case for a problem
a person must look at; it is set whenever the problem is first decided on (even if no message
can be sent), so the caller opens at most one case per dedup key.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from enum import Enum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from wismo.contacts import Contact
from wismo.domain import ExceptionReason
from wismo.engine.model import Detection, Kind
from wismo.engine.rules_load import (
    CHAT_CHANNELS,
    DEFAULT_RULES_PATH,
    EMAIL,
    LAST_USED,
    QuietHours,
    Rules,
    load_rules,
    topic,
)

__all__ = [
    "DEFAULT_RULES_PATH", "Action", "Decision", "History", "QuietHours", "Rules", "Sent",
    "Target", "decide", "load_rules", "topic",
]

WHATSAPP_WINDOW = timedelta(hours=24)  # free-form messages only this long after the customer's

# How far along the milestones go: a later one makes an earlier one old news.
_STAGE = {
    Kind.ORDER_CONFIRMED: 0, Kind.SHIPPED: 1, Kind.OUT_FOR_DELIVERY: 2,
    Kind.AVAILABLE_FOR_PICKUP: 3, Kind.DELIVERED: 4,
}
# Problems that stop being news once the parcel reaches this stage (arriving in the same call).
_CLEARED_AT = {
    Kind.UNFULFILLED_TOO_LONG: 1,  # it shipped
    Kind.NO_FIRST_SCAN: 2,  # it is moving
    Kind.STUCK: 2,
    Kind.TRENDING_LATE: 4,  # it arrived
    Kind.LATE: 4,
    Kind.ATTEMPT_FAILED: 4,
}
_CLEARED_EXCEPTIONS = frozenset(
    {ExceptionReason.CARRIER_DELAY, ExceptionReason.WEATHER, ExceptionReason.CUSTOMS}
)


class Action(str, Enum):
    SEND = "send"
    DEFER = "defer"
    DROP = "drop"


@dataclass(frozen=True)
class Target:
    """Where a message goes."""

    channel: str  # webchat | telegram | whatsapp | sms | email
    to: str  # the conversation id, or the email address
    template: bool = False  # WhatsApp outside the 24-hour window: an approved template


@dataclass(frozen=True)
class Decision:
    """What to do with one detection, or with several sent as one message (a digest).

    Attributes:
        action: send now, defer until `until`, or drop for `reason`.
        detections: what the message is about, in the order given.
        target: where it goes (for a deferral: where it would go at `until`); None when dropped.
        until: for a deferral, when quiet hours end (UTC).
        reason: for a drop, why ("opted out", "cap reached", "superseded by delivered" …).
        handoff: the caller should open a handoff case (once per dedup key).
    """

    action: Action
    detections: tuple[Detection, ...]
    target: Target | None = None
    until: datetime | None = None
    reason: str | None = None
    handoff: bool = False

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(d.dedup_key for d in self.detections)


@dataclass(frozen=True)
class Sent:
    """One message already sent about an order (a digest is one message with several keys)."""

    order_number: str
    at: datetime
    keys: tuple[str, ...] = ()


@dataclass(frozen=True)
class History:
    """The messages already sent to this customer: for dedup and the daily cap."""

    sent: tuple[Sent, ...] = ()

    def keys(self) -> frozenset[str]:
        return frozenset(k for s in self.sent for k in s.keys)


def decide(
    detections: Sequence[Detection],
    contacts: Sequence[Contact],
    history: History,
    now: datetime,
    rules: Rules,
    customer_tz: str | None = None,
    email: str | None = None,
) -> list[Decision]:
    """One customer's new detections → what to send, defer or drop, and where (see module doc).

    `customer_tz` is an IANA name; unknown or invalid, the rules' default time zone is used.
    `email` is the order's address, the fallback for customers without a chat channel.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    zone = _zone(customer_tz, rules.default_time_zone)
    decided: list[tuple[int, Decision]] = []
    live: list[tuple[int, Detection]] = []
    already = history.keys()
    seen: set[str] = set()
    fresh = [d for d in detections if d.dedup_key not in already]
    for i, d in enumerate(detections):
        key, about = d.dedup_key, topic(d)
        handoff = about in rules.handoff
        later = _superseded_by(d, fresh)
        if key in already:
            decided.append((i, _drop([d], "already sent")))
        elif key in seen:
            decided.append((i, _drop([d], "duplicate")))
        elif about not in rules.notify:
            decided.append((i, _drop([d], "not notified by rules", handoff)))
        elif later is not None:
            decided.append((i, _drop([d], f"superseded by {later.kind.value}")))
        else:
            live.append((i, d))
        seen.add(key)
    counts: dict[tuple[str, date], int] = {}
    for group in _digests(live, rules.digest_window):
        first = group[0][0]
        decided.append((first, _message([d for _, d in group], contacts, history, counts,
                                        now, rules, zone, email)))
    return [d for _, d in sorted(decided, key=lambda pair: pair[0])]


def _message(
    group: list[Detection],
    contacts: Sequence[Contact],
    history: History,
    counts: dict[tuple[str, date], int],
    now: datetime,
    rules: Rules,
    zone: ZoneInfo,
    email: str | None,
) -> Decision:
    """One message about one order: when, where, and whether the cap still allows it."""
    topics = [topic(d) for d in group]
    handoff = any(t in rules.handoff for t in topics)
    quiet = rules.quiet_hours
    until = _quiet_until(now, zone, quiet)
    if quiet and quiet.interrupt_for_urgent and any(t in rules.urgent for t in topics):
        until = None
    at = until or now
    target = _target(rules.channels_for(_lead(group, rules)), contacts, email, at, rules)
    if isinstance(target, str):
        return _drop(group, target, handoff)
    order = group[0].order_number
    day = at.astimezone(zone).date()
    count_key = (order, day)
    if count_key not in counts:
        counts[count_key] = sum(
            1 for s in history.sent
            if s.order_number == order and s.at.astimezone(zone).date() == day
        )
    if counts[count_key] >= rules.max_per_order_per_day:
        return _drop(group, "cap reached", handoff)
    counts[count_key] += 1
    if until is not None:
        return Decision(Action.DEFER, tuple(group), target, until=until, handoff=handoff)
    return Decision(Action.SEND, tuple(group), target, handoff=handoff)


def _drop(group: Sequence[Detection], reason: str, handoff: bool = False) -> Decision:
    return Decision(Action.DROP, tuple(group), reason=reason, handoff=handoff)


def _zone(name: str | None, default: str) -> ZoneInfo:
    if name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass  # an address we could not place: the store's default, not a crash
    return ZoneInfo(default)


def _superseded_by(d: Detection, others: Sequence[Detection]) -> Detection | None:
    """A detection in the same call that makes `d` old news, if any (the furthest along)."""
    if d.kind in _STAGE:
        stage = _STAGE[d.kind] + 1
    elif d.kind in _CLEARED_AT:
        stage = _CLEARED_AT[d.kind]
    elif d.kind is Kind.EXCEPTION and d.reason in _CLEARED_EXCEPTIONS:
        stage = _STAGE[Kind.DELIVERED]
    else:
        return None
    later = [
        o for o in others
        if o.order_number == d.order_number and _STAGE.get(o.kind, -1) >= stage
        and (d.shipment_id is None or o.shipment_id == d.shipment_id)
    ]
    return max(later, key=lambda o: _STAGE[o.kind], default=None)


def _digests(
    live: list[tuple[int, Detection]], window: timedelta
) -> list[list[tuple[int, Detection]]]:
    """Per order, everything together as one message; each alone when digests are off."""
    if not window:
        return [[pair] for pair in live]
    groups: dict[str, list[tuple[int, Detection]]] = {}
    for pair in live:
        groups.setdefault(pair[1].order_number, []).append(pair)
    return list(groups.values())


def _lead(group: list[Detection], rules: Rules) -> str:
    """The topic that routes a digest: the first urgent, else the first problem, else the first."""
    urgent = [d for d in group if topic(d) in rules.urgent]
    problems = [d for d in group if not d.kind.is_milestone]
    return topic((urgent or problems or group)[0])


def _quiet_until(now: datetime, zone: ZoneInfo, quiet: QuietHours | None) -> datetime | None:
    """When the quiet hours the customer is in now end (UTC), or None if they are not in them."""
    if quiet is None:
        return None
    local = now.astimezone(zone)
    if not quiet.contains(local.time()):
        return None
    day = local.date()
    if quiet.start > quiet.end and local.time() >= quiet.start:
        day += timedelta(days=1)  # the evening part: quiet until tomorrow morning
    return datetime.combine(day, quiet.end, tzinfo=zone).astimezone(timezone.utc)


def _target(
    channels: tuple[str, ...],
    contacts: Sequence[Contact],
    email: str | None,
    at: datetime,
    rules: Rules,
) -> Target | str:
    """The first channel in the preference list that reaches the customer at `at`, or why none.

    An opted-out conversation is never chosen. Email stands in for a customer who said STOP
    in every chat only if the rules say so.
    """
    chats = sorted(
        (c for c in contacts if c.channel in CHAT_CHANNELS),
        key=lambda c: c.last_inbound_at or datetime.min.replace(tzinfo=timezone.utc),
        reverse=True,
    )
    stopped_everywhere = bool(chats) and not any(c.notifications for c in chats)
    opted_out = False
    for name in channels:
        if name == EMAIL:
            if email and stopped_everywhere and not rules.email_when_opted_out:
                opted_out = True
            elif email:
                return Target(EMAIL, email)
            continue
        for contact in (c for c in chats if name in (LAST_USED, c.channel)):
            if not contact.notifications:
                opted_out = True
            elif contact.channel == "whatsapp" and not _in_window(contact, at):
                if rules.whatsapp_template_outside_window:
                    return Target(contact.channel, contact.conversation_id, template=True)
            else:
                return Target(contact.channel, contact.conversation_id)
    return "opted out" if opted_out else "no reachable channel"


def _in_window(contact: Contact, at: datetime) -> bool:
    """WhatsApp lets a business write freely for 24 hours after the customer's last message."""
    last = contact.last_inbound_at
    return last is not None and at - last < WHATSAPP_WINDOW
