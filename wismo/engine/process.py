"""From stored webhook events to queued messages: the engine's decision step.

For each pending event the engine updates its copy of the order (KnownOrders, no API
call when the payload says it all), then reviews each order the events touched:
detections against the last known state, the rules, and one transaction that saves
the new state with the outbox rows (so a crash or a retried webhook never queues a
message twice). A periodic sweep reviews every known order for the news that time
alone makes (late, stuck, no first scan, unfulfilled).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from wismo.cases import CaseStore
from wismo.contacts import ContactStore
from wismo.domain import Order
from wismo.engine.detect import DEFAULT_THRESHOLDS, Thresholds, detect, snapshot
from wismo.engine.known import KnownOrders
from wismo.engine.messages import digest, message
from wismo.engine.model import Detection
from wismo.engine.outbox import OutboxRow
from wismo.engine.rules import Action, Decision, History, Rules, Sent, decide
from wismo.engine.store import EngineStore, StoredEvent
from wismo.engine.zones import time_zone
from wismo.errors import ProviderUnavailable, WismoError
from wismo.handoff.context import case_context
from wismo.identity import normalise_phone

log = logging.getLogger(__name__)

# Fetches a Shopify order's raw payload by id when a webhook names an order the engine
# has not seen yet (one placed before it started); None: not found.
FetchOrder = Callable[[str], dict[str, Any] | None]
# Fetches an EasyPost Tracker's raw payload by tracking number (and carrier, if known).
FetchTracker = Callable[[str, str | None], Any]
HISTORY_WINDOW = timedelta(days=30)
STALE_AFTER = timedelta(hours=6)  # no carrier news for this long: ask the carrier
POLL_BATCH = 30  # trackers asked per poll: well inside EasyPost's rate limits


@dataclass
class Review:
    """What one review of one order did (for logs, tests and the benchmark)."""

    order_number: str
    detections: list[Detection] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)
    queued: list[OutboxRow] = field(default_factory=list)


class Engine:
    """Events in, outbox rows out. Thread-safe stores; call from one worker at a time."""

    def __init__(
        self,
        store: EngineStore,
        known: KnownOrders,
        contacts: ContactStore,
        cases: CaseStore,
        rules: Rules,
        *,
        fetch_order: FetchOrder | None = None,
        fetch_tracker: FetchTracker | None = None,
        thresholds: Thresholds = DEFAULT_THRESHOLDS,
        clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
    ) -> None:
        self.store, self.known, self.contacts, self.cases = store, known, contacts, cases
        self.rules, self.thresholds, self.clock = rules, thresholds, clock
        self.fetch_order, self.fetch_tracker = fetch_order, fetch_tracker

    def process_pending(self, limit: int = 500) -> list[Review]:
        """Apply up to `limit` stored events, then review every order they touched once."""
        touched: dict[str, None] = {}
        applied: list[int] = []
        for event in self.store.pending_events(limit):
            try:
                number = self.apply(event)
            except ProviderUnavailable as exc:  # the store API is down: keep it for later
                log.warning("event %s left pending: %s", event.id, exc)
                break
            except (WismoError, ValueError, KeyError, TypeError) as exc:
                log.error("event %s provider=%s topic=%s not usable: %s",
                          event.id, event.provider, event.topic, exc)
                self.store.mark_processed(event.id, error=f"{type(exc).__name__}: {exc}")
                continue
            applied.append(event.id)
            if number:
                touched[number] = None
        # One commit for the batch, not one per event: a crash before it only means applying
        # these events again, which changes nothing (the engine's copy only moves forward).
        self.store.mark_all_processed(applied)
        return [self.review(number) for number in touched]

    def apply(self, event: StoredEvent) -> str | None:
        """Fold one event into the engine's copy; the order number it concerns, if known."""
        payload = event.payload()
        if event.provider == "easypost":
            return self.known.put_tracker(payload["result"])
        if event.topic.startswith("orders/"):
            return self.known.put_order(payload).number
        put = (self.known.put_fulfillment_event if event.topic.startswith("fulfillment_events/")
               else self.known.put_fulfillment)
        number = put(payload)
        if number is None and self.fetch_order is not None:
            raw = self.fetch_order(str(payload.get("order_id") or ""))
            if raw is not None:
                self.known.put_order(raw)
                number = put(payload)
        return number

    def poll(self, limit: int = POLL_BATCH) -> list[Review]:
        """Ask the carrier about parcels with no news for STALE_AFTER (no webhooks from their
        carrier, or a missed one), a few per call, then review their orders."""
        if self.fetch_tracker is None:
            return []
        touched: dict[str, None] = {}
        now = self.clock()
        for tracking_number, carrier in self.known.stale_trackers(now - STALE_AFTER, limit,
                                                                  now):
            try:
                number = self.known.put_tracker(self.fetch_tracker(tracking_number, carrier))
            except ProviderUnavailable as exc:  # rate-limited or down: try the rest later
                log.warning("tracker poll stopped: %s", exc)
                break
            except (WismoError, ValueError, KeyError, TypeError) as exc:
                log.error("tracker poll of a parcel failed: %s", exc)
                continue
            if number:
                touched[number] = None
        return [self.review(number) for number in touched]

    def sweep(self) -> list[Review]:
        """Review every known order: what the passing of time alone has made news."""
        return [self.review(number) for number in self.known.numbers()]

    def review(self, number: str) -> Review:
        """Detections → decisions → the new state and its messages, in one transaction."""
        result = Review(number)
        order = self.known.order(number)
        if order is None:
            return result
        zone = _zone(time_zone(order.shipping_address), self.rules.default_time_zone)
        now = self.clock().astimezone(zone)  # "today" and "late" are the customer's day
        before = self.store.load_state(number)
        result.detections = detect(order, before, now, self.thresholds)
        contacts = self.contacts.reachable(email=order.email, phone=_phone(order))
        result.decisions = decide(result.detections, contacts, self._history(number, now),
                                  now, self.rules, customer_tz=zone.key, email=order.email)
        rows = [row for d in result.decisions if (row := self._row(d, order, now))]
        result.queued = self.store.commit_changes(number, snapshot(order, before), rows)
        for d in result.decisions:
            if d.handoff:
                self._open_case(d, order, now)
        if result.queued:
            log.info("order %s: %d message(s) queued", number, len(result.queued))
        return result

    def _history(self, number: str, now: datetime) -> History:
        rows = self.store.for_order(number, since=now - HISTORY_WINDOW)
        return History(tuple(
            Sent(number, row.sent_at or row.next_attempt_at or row.created_at or now,
                 detection_keys(row.dedup_key))
            for row in rows if row.status != "dropped"
        ))

    def _row(self, decision: Decision, order: Order, now: datetime) -> OutboxRow | None:
        if decision.action == Action.DROP or decision.target is None:
            return None
        ds = list(decision.detections)
        today, zone = now.date(), now.tzinfo
        text = (message(ds[0], order, today, tz=zone) if len(ds) == 1
                else digest(ds, order, today, tz=zone))
        target = decision.target
        kind = ds[0].kind.value + (f"/{ds[0].reason.value}" if ds[0].reason else "")
        email = target.channel == "email"
        return OutboxRow(
            dedup_key=outbox_key(decision.keys, target.to),
            order_number=order.number,
            kind=kind,
            channel=target.channel,
            text=text,
            conversation_id=None if email else target.to,
            address=target.to if email else None,
            next_attempt_at=decision.until if decision.action == Action.DEFER else None,
        )

    def _open_case(self, decision: Decision, order: Order, now: datetime) -> None:
        """A problem a person should own: a case with the order's tracking for Slack."""
        target = decision.target
        conversation = target.to if target and target.channel != "email" else \
            f"order:{order.number}"
        channel = target.channel if target else None
        reason = f"proactive:{decision.detections[0].kind.value}"
        context = case_context(
            reason, [order], conversation_id=conversation, channel=channel,
            customer_name=order.customer_name, identity=order.email, today=now.date(),
            note=None if target else "No chat channel for this customer: reach them by "
            f"email ({order.email or 'no email on the order'}).")
        self.cases.open(conversation, reason, order.number, channel, context)


def outbox_key(detection_keys: tuple[str, ...], recipient: str) -> str:
    """One outbox row per piece(s) of news per recipient: 'key|key@recipient'."""
    return "|".join(detection_keys) + "@" + recipient


def detection_keys(dedup_key: str) -> tuple[str, ...]:
    """The detection keys an outbox row was about (the inverse of outbox_key)."""
    return tuple(dedup_key.rpartition("@")[0].split("|"))


def _zone(name: str | None, default: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or default)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(default)


def _phone(order: Order) -> str | None:
    country = order.shipping_address.country_code if order.shipping_address else None
    return normalise_phone(order.phone, country)
