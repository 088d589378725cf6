"""Orders as the customer sees them: the store's order merged with live tracking.

The only place that combines a StoreClient and a TrackerClient. Lookups are
cached for a few seconds so one conversation turn (verify, then answer) costs
one store call and one carrier call per parcel.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TypeVar

from wismo.domain import Address, Order, Shipment, Status, Tracking
from wismo.errors import ProviderError
from wismo.extract import normalise_order_number
from wismo.stores import StoreClient
from wismo.tracking import TrackerClient

log = logging.getLogger(__name__)
T = TypeVar("T")

# Tracking can only refine what the store knows, never move a parcel backwards
# to "label created" because a tracker was just created and has no scans yet.
_UNINFORMATIVE = {Status.UNKNOWN}


@dataclass(frozen=True)
class LiveOrder:
    """An order with tracking merged in, and whether every carrier answered."""

    order: Order
    carrier_ok: bool = True


class OrderService:
    """Finds orders, merges carrier tracking, and performs the changes a customer may ask for."""

    def __init__(
        self,
        store: StoreClient,
        tracker: TrackerClient,
        *,
        cache_seconds: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.tracker = tracker
        self._cache_seconds = cache_seconds
        self._clock = clock
        self._orders: dict[str, tuple[float, Order]] = {}  # the store's view
        self._live: dict[str, tuple[float, LiveOrder]] = {}  # with tracking merged
        self._lock = threading.Lock()

    def find(self, number: str) -> Order | None:
        """The store's order (no carrier call): enough to verify ownership."""
        key = normalise_order_number(number)
        live = self._cached(self._live, key)
        if live is not None:
            return live.order
        order = self._cached(self._orders, key)
        if order is None:
            order = self.store.get_order(key)
            if order is not None:
                self._put(self._orders, key, order)
        return order

    def live(self, number: str) -> LiveOrder | None:
        """The order with every parcel's live tracking merged in.

        Reuses the store order `find` just fetched, so verify-then-answer costs one
        store call.
        """
        key = normalise_order_number(number)
        cached = self._cached(self._live, key)
        if cached is not None:
            return cached
        order = self.find(key)
        if order is None:
            return None
        shipments = []
        carrier_ok = True
        for shipment in order.shipments:
            merged, ok = self._track(order, shipment)
            shipments.append(merged)
            carrier_ok = carrier_ok and ok
        live = LiveOrder(replace(order, shipments=tuple(shipments)), carrier_ok)
        self._put(self._live, key, live)
        return live

    def orders_for_email(self, email: str) -> list[Order]:
        return self.store.orders_for_email(email)

    def cancel(self, order: Order, reason: str = "customer") -> Order:
        self._forget(order.number)
        return self.store.cancel_order(order.id, reason)

    def change_address(self, order: Order, address: Address) -> Order:
        self._forget(order.number)
        return self.store.update_shipping_address(order.id, address)

    def _track(self, order: Order, shipment: Shipment) -> tuple[Shipment, bool]:
        if not shipment.tracking_number:
            return shipment, True
        try:
            tracking = self.tracker.track(shipment.tracking_number, shipment.carrier)
        except ProviderError as exc:
            log.error(
                "tracking lookup failed",
                extra={"order_id": order.id, "shipment_id": shipment.id, "error": str(exc)},
            )
            return shipment, False
        return merge_tracking(shipment, tracking), True

    def _cached(self, cache: dict[str, tuple[float, T]], key: str) -> T | None:
        with self._lock:
            hit = cache.get(key)
            if hit and self._clock() - hit[0] < self._cache_seconds:
                return hit[1]
        return None

    def _put(self, cache: dict[str, tuple[float, T]], key: str, value: T) -> None:
        with self._lock:
            cache[key] = (self._clock(), value)

    def _forget(self, number: str) -> None:
        key = normalise_order_number(number)
        with self._lock:
            self._orders.pop(key, None)
            self._live.pop(key, None)


def merge_tracking(shipment: Shipment, tracking: Tracking) -> Shipment:
    """The store's parcel refined by what the carrier says."""
    status = shipment.status if tracking.status in _UNINFORMATIVE else tracking.status
    delivered_at = shipment.delivered_at
    if status is Status.DELIVERED and tracking.events:
        delivered_at = tracking.events[-1].at
    return replace(
        shipment,
        status=status,
        carrier=tracking.carrier or shipment.carrier,
        reason=tracking.reason,
        status_message=tracking.status_message or shipment.status_message,
        events=tracking.events or shipment.events,
        carrier_eta=tracking.carrier_eta or shipment.carrier_eta,
        eta_window=tracking.eta_window or shipment.eta_window,
        signed_by=tracking.signed_by or shipment.signed_by,
        tracking_url=shipment.tracking_url or tracking.public_url,
        destination=tracking.destination or shipment.destination,
        delivered_at=delivered_at,
    )
