"""The sandbox's clock: live orders move along and the store and carrier say so by webhook.

Why: `wismo up` should show proactive updates with no real store. Every ``tick`` seconds
the clock moves a few parcels of LIVE_ORDERS one checkpoint on (first scan, hub to hub,
out for delivery, delivered; now and then a weather or carrier delay with a later ETA),
changes the sandbox's own state so its REST APIs answer the same, and POSTs what Shopify
and EasyPost would send, signed as they sign, to ``{target}/webhooks/shopify`` and
``{target}/webhooks/easypost``. Every other order stays as docs/sandbox.md describes it.

A failed delivery (the engine not up yet, a 5xx) is tried again later with backoff, as
the providers do, then dropped (webhooks.py); nothing here raises into the sandbox.
Deterministic under test: ``now``, ``seed``, ``run_id`` and ``post`` are injectable, and
``advance(n)`` runs n steps in the caller's thread and returns the deliveries it attempted.
"""

from __future__ import annotations

import itertools
import logging
import random
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from wismo.config import SANDBOX_EASYPOST_SECRET, SANDBOX_SHOPIFY_SECRET
from wismo.sandbox.carriers import CARRIERS, Carrier
from wismo.sandbox.catalog import CUSTOMERS, Place
from wismo.sandbox.scenarios import FRONT, SCENARIOS
from wismo.sandbox.seed import SHOPIFY_STATUS, _local
from wismo.sandbox.tracking import EXCEPTIONS, FINAL, Step, _location, iso, origin_for
from wismo.sandbox.webhooks import (
    RETRY_AFTER,
    TIMEOUT,
    Delivery,
    Outbox,
    Post,
    easypost_delivery,
    http_post,
    shopify_delivery,
)
from wismo.timestamps import parse_timestamp

if TYPE_CHECKING:
    from wismo.sandbox.server import SandboxState

log = logging.getLogger(__name__)

# The animated orders (docs/sandbox.md "The clock"): none of the README's or the docs'
# demo states, and never the failure-injection orders #1040-#1042.
LIVE_ORDERS: tuple[int, ...] = (1047, 1050, 1054, 1060, 1064)
DEFAULT_TICK = 20.0  # seconds between steps
DELAY_CHANCE = 0.15  # per move at a hub; at most one delay per parcel
DELAYS = ("weather", "delayed")  # keys of tracking.EXCEPTIONS


@dataclass(frozen=True)
class LiveParcel:
    """A parcel the clock moves: where it is kept and the road it travels."""

    number: int
    order_id: int
    index: int  # position in the order's fulfillments
    code: str  # tracking number (key of Seed.trackers)
    carrier: Carrier
    route: tuple[Place, ...]  # origin, then the lane's hubs; the last hub delivers
    destination: Place


def live_parcels(state: SandboxState, numbers: Iterable[int]) -> list[LiveParcel]:
    """The parcels of these orders, minus any with a seeded fault."""
    scenarios = {s.number: s for s in SCENARIOS}
    orders = {o["order_number"]: o for o in state.seed.orders.values()}
    found = []
    for number in numbers:
        scenario, order = scenarios[number], orders[number]
        customer = CUSTOMERS[scenario.customer]
        for i, (parcel, ful) in enumerate(zip(scenario.parcels, order["fulfillments"],
                                              strict=True)):
            if parcel.fault or ful["tracking_number"] in state.seed.faults:
                continue
            route = (origin_for(parcel, customer), *customer.lane)
            found.append(LiveParcel(number, order["id"], i, ful["tracking_number"],
                                    CARRIERS[parcel.carrier], route, customer.destination))
    return found


def next_checkpoint(tracker: dict[str, Any], parcel: LiveParcel) -> Step | None:
    """The carrier's next scan of this parcel; None once its story has ended."""
    details = tracker.get("tracking_details") or []
    if not details or tracker["status"] in FINAL:
        return None
    c, route = parcel.carrier, parcel.route
    status, detail = details[-1]["status"], details[-1]["status_detail"]
    if status == "pre_transit":
        return ("in_transit", "arrived_at_facility", c.pickup, route[0])
    if status == "out_for_delivery" and detail == "out_for_delivery":
        return ("delivered", "arrived_at_destination", FRONT, parcel.destination)
    here = _position(details, route)
    if status != "in_transit" or here is None:
        return None
    if here == len(route) - 1:
        return ("out_for_delivery", "out_for_delivery", c.ofd, route[here])
    if detail in {"departed_facility", "in_transit"}:
        return ("in_transit", "arrived_at_facility", c.arrived, route[here + 1])
    return ("in_transit", "departed_facility", c.departed, route[here])


def _position(details: list[dict[str, Any]], route: tuple[Place, ...]) -> int | None:
    """Index in the route of the last place the parcel was scanned at."""
    for entry in reversed(details):
        where = entry.get("tracking_location") or {}
        for i in range(len(route) - 1, -1, -1):
            if (where.get("city"), where.get("zip")) == (route[i][0], route[i][3]):
                return i
    return None


def moved(tracker: dict[str, Any], step: Step, at: datetime, eta: date | None,
          carrier: Carrier) -> dict[str, Any]:
    """A new Tracker object: one more checkpoint, its status, and the (new) ETA."""
    status, detail, message, place = step
    entry = {"object": "TrackingDetail", "message": message, "description": message,
             "status": status, "status_detail": detail, "datetime": iso(at),
             "source": carrier.easypost, "carrier_code": "", "tracking_location": _location(place)}
    carrier_detail = tracker.get("carrier_detail")
    if carrier_detail:
        carrier_detail = carrier_detail | {"est_delivery_date_local":
                                           eta.isoformat() if eta else None}
    return tracker | {
        "status": status, "status_detail": detail, "updated_at": iso(at),
        "tracking_details": [*tracker["tracking_details"], entry],
        "est_delivery_date": f"{eta.isoformat()}T00:00:00Z" if eta else None,
        "carrier_detail": carrier_detail, "finalized": status in FINAL,
    }


def _eta(tracker: dict[str, Any], step: Step, at: datetime, hops: int) -> date | None:
    current = tracker.get("est_delivery_date")
    eta = parse_timestamp(current).date() if current else None
    if step[0] == "out_for_delivery":
        return at.date()
    if step[1] in {EXCEPTIONS[k][1] for k in DELAYS}:
        return max(eta or at.date(), at.date()) + timedelta(days=1)
    if eta is None and step[0] == "in_transit":
        return at.date() + timedelta(days=max(1, hops // 2))
    return eta


class SandboxClock:
    """Moves the live parcels and fires their webhooks; ``start()`` runs it every ``tick``."""

    def __init__(
        self, state: SandboxState, target: str, *, tick: float = DEFAULT_TICK,
        shopify_secret: str | None = None, easypost_secret: str | None = None,
        orders: Iterable[int] = LIVE_ORDERS, per_step: int = 1,
        delay_chance: float = DELAY_CHANCE, retry_after: tuple[float, ...] = RETRY_AFTER,
        seed: int | None = None, run_id: str | None = None, post: Post = http_post,
        now: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
    ) -> None:
        self.state, self.target, self.tick = state, target.rstrip("/"), tick
        self.shopify_secret = shopify_secret or SANDBOX_SHOPIFY_SECRET
        self.easypost_secret = easypost_secret or SANDBOX_EASYPOST_SECRET
        self.parcels = live_parcels(state, orders)
        self.per_step, self.delay_chance = per_step, delay_chance
        # Event ids must differ between runs too: the engine keeps ids it has seen.
        self.run_id = run_id or uuid.uuid4().hex[:12]
        self._rng, self._now = random.Random(seed), now
        self._outbox = Outbox(post, retry_after)
        self._ids = itertools.count(1)
        self._delayed: set[str] = set()
        self._announced = False
        self._lock = threading.RLock()  # one step at a time: the thread or advance()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def advance(self, n: int = 1) -> list[Delivery]:
        """Run n steps now; every delivery attempted, in order."""
        return [d for _ in range(n) for d in self.step()]

    def step(self) -> list[Delivery]:
        """The first step announces the live orders (orders/create); each later one moves
        up to ``per_step`` parcels one checkpoint on. Then due deliveries go out."""
        with self._lock:
            if not self._announced:
                self._announced = True
                with self.state.lock:
                    for number in dict.fromkeys(p.number for p in self.parcels):
                        order = self._order(number)
                        self._outbox.queue.append(self._shopify("orders/create", order, number))
            else:
                movable = [p for p in self.parcels if next_checkpoint(self._tracker(p), p)]
                for parcel in self._rng.sample(movable, min(self.per_step, len(movable))):
                    self._outbox.queue += self._move(parcel)
            return self.flush()

    @property
    def finished(self) -> bool:
        """Every live parcel has reached the end of its story."""
        return not any(next_checkpoint(self._tracker(p), p) for p in self.parcels)

    def flush(self) -> list[Delivery]:
        """Send what is due: new deliveries at once, failed ones after their backoff."""
        with self._lock:
            return self._outbox.flush(self._now())

    def start(self) -> SandboxClock:
        self._thread = threading.Thread(target=self._run, name="wismo-sandbox-clock",
                                        daemon=True)
        self._thread.start()
        log.info("sandbox clock: orders %s move every %ss, webhooks to %s",
                 sorted({p.number for p in self.parcels}), self.tick, self.target)
        return self

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=TIMEOUT + 1)

    def _run(self) -> None:
        next_step = time.monotonic()
        while not self._stopping.is_set():
            try:
                if time.monotonic() >= next_step:
                    next_step = time.monotonic() + self.tick
                    self.step()
                else:
                    self.flush()
            except Exception:  # the clock must outlive one bad turn and never stop the sandbox
                log.exception("sandbox clock step failed")
            self._stopping.wait(min(1.0, max(0.05, next_step - time.monotonic())))

    def _order(self, number: int) -> dict[str, Any]:
        order_id = next(p.order_id for p in self.parcels if p.number == number)
        return self.state.seed.orders[order_id]

    def _tracker(self, parcel: LiveParcel) -> dict[str, Any]:
        return self.state.seed.trackers[parcel.code]

    def _move(self, parcel: LiveParcel) -> list[Delivery]:
        """One checkpoint on, in the sandbox's state (new objects, so a reply being written
        keeps the old one), and the webhooks that tell it."""
        with self.state.lock:
            tracker = self._tracker(parcel)
            step = next_checkpoint(tracker, parcel)
            if step is None:
                return []
            chance = self._rng.random()
            if step[1] == "departed_facility" and parcel.code not in self._delayed \
                    and chance < self.delay_chance:
                self._delayed.add(parcel.code)
                _, detail, message = EXCEPTIONS[self._rng.choice(DELAYS)]
                step = ("in_transit", detail, message, step[3])
            last = parse_timestamp(tracker["tracking_details"][-1]["datetime"])
            at = max(self._now().replace(microsecond=0), last + timedelta(seconds=1))
            eta = _eta(tracker, step, at, len(parcel.route))
            new = moved(tracker, step, at, eta, parcel.carrier)
            self.state.seed.trackers[parcel.code] = new
            out = [self._easypost(new, tracker["status"], parcel.number)]
            order = self.state.seed.orders[parcel.order_id]
            fulfillment = order["fulfillments"][parcel.index]
            shipment_status = SHOPIFY_STATUS.get(new["status"])
            if shipment_status != fulfillment["shipment_status"]:
                fulfillment = fulfillment | {"shipment_status": shipment_status,
                                             "updated_at": _local(at)}
                order["fulfillments"][parcel.index] = fulfillment
                order["updated_at"] = _local(at)
                out.append(self._shopify("fulfillments/update", fulfillment, parcel.number))
        log.debug("sandbox clock: #%s %s/%s", parcel.number, step[0], step[1])
        return out

    def _shopify(self, topic: str, payload: dict[str, Any], number: int) -> Delivery:
        event_id = f"{self.run_id}-{next(self._ids):06d}"
        return shopify_delivery(self.target, self.shopify_secret, topic, payload, number,
                                event_id, self._now())

    def _easypost(self, tracker: dict[str, Any], before: str, number: int) -> Delivery:
        event_id = f"evt_{self.run_id}{next(self._ids):06d}"
        return easypost_delivery(self.target, self.easypost_secret, tracker, before, number,
                                 event_id, self._now())


__all__ = ["DEFAULT_TICK", "LIVE_ORDERS", "LiveParcel", "SandboxClock", "live_parcels",
           "moved", "next_checkpoint"]
