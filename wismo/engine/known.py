"""The engine's own copy of each order, kept current from webhooks without calling anyone.

Deciding on an event must not cost a store and a carrier call (the engine takes in
thousands of events a second), so the payloads the webhooks carry are kept as the
providers sent them: the Shopify order (with its fulfillments) and each EasyPost
tracker. An `Order` is assembled from them with the adapters' own parsers, exactly as
a live lookup would build it. Older payloads never replace newer ones: a tracker only
moves forward by its latest checkpoint, a fulfillment by its `updated_at`.
"""

from __future__ import annotations

import json
import threading
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from wismo.domain import Order
from wismo.orders import merge_tracking
from wismo.sqlite import connect
from wismo.stores.shopify_parse import parse_order
from wismo.tracking.easypost import parse_tracker

_SCHEMA = (
    """
    CREATE TABLE IF NOT EXISTS engine_orders (
        order_number TEXT PRIMARY KEY,
        order_id TEXT NOT NULL,
        payload TEXT NOT NULL,
        updated_at TEXT NOT NULL
    )
    """,
    "CREATE UNIQUE INDEX IF NOT EXISTS engine_orders_id ON engine_orders (order_id)",
    """
    CREATE TABLE IF NOT EXISTS engine_trackers (
        tracking_number TEXT PRIMARY KEY,
        order_number TEXT,
        payload TEXT,
        checkpoint_at TEXT,
        carrier TEXT,
        status TEXT,
        polled_at TEXT
    )
    """,
    # `order` reads an order's trackers by order number on every review.
    "CREATE INDEX IF NOT EXISTS engine_trackers_order ON engine_trackers (order_number)",
)


class KnownOrders:
    """Raw order and tracker payloads by order number and tracking number."""

    def __init__(self, path: Path) -> None:
        self._db = connect(path)
        self._lock = threading.Lock()
        with self._lock, self._db:
            for statement in _SCHEMA:
                self._db.execute(statement)

    def put_order(self, payload: dict[str, Any]) -> Order:
        """Keep a Shopify order (from a webhook or a lookup); its tracking numbers point to it.

        An order payload older (by `updated_at`) than the one kept is ignored: a retried
        `orders/create` must not take back the fulfillments a later update brought.
        """
        order = parse_order(payload)
        now = datetime.now(timezone.utc).isoformat()
        with self._lock, self._db:
            kept = self._db.execute(
                "SELECT payload FROM engine_orders WHERE order_number = ?", (order.number,)
            ).fetchone()
            if kept is not None:
                old = json.loads(kept[0])
                if _stamp(old.get("updated_at")) > _stamp(payload.get("updated_at")):
                    return parse_order(old)
            self._db.execute(
                "INSERT INTO engine_orders VALUES (?, ?, ?, ?) ON CONFLICT (order_number) DO"
                " UPDATE SET order_id = excluded.order_id, payload = excluded.payload,"
                " updated_at = excluded.updated_at",
                (order.number, order.id, json.dumps(payload), now),
            )
            self._index(order)
        return order

    def put_fulfillment(self, fulfillment: dict[str, Any]) -> str | None:
        """Merge a fulfillment into its order; the order's number, None if the order is unknown.

        A fulfillment older than the one kept (by `updated_at`) is ignored.
        """
        payload = self._payload_by_id(fulfillment.get("order_id"))
        if payload is None:
            return None
        others = payload.get("fulfillments") or []
        kept = [f for f in others if f.get("id") != fulfillment.get("id")]
        old = next((f for f in others if f.get("id") == fulfillment.get("id")), None)
        if old is not None and _stamp(old.get("updated_at")) > _stamp(
                fulfillment.get("updated_at")):
            return parse_order(payload).number
        payload["fulfillments"] = [*kept, fulfillment]
        return self.put_order(payload).number

    def put_fulfillment_event(self, event: dict[str, Any]) -> str | None:
        """A carrier status Shopify recorded on a fulfillment (`fulfillment_events/create`):
        it becomes that fulfillment's `shipment_status`, if it is newer."""
        payload = self._payload_by_id(event.get("order_id"))
        if payload is None:
            return None
        wanted = event.get("fulfillment_id")
        target = next((f for f in payload.get("fulfillments") or [] if f.get("id") == wanted),
                      None)
        status = event.get("status")
        if target is None or not status:
            return parse_order(payload).number
        at = event.get("happened_at") or event.get("created_at")
        return self.put_fulfillment(target | {"shipment_status": status, "updated_at": at})

    def put_tracker(self, tracker: dict[str, Any]) -> str | None:
        """Keep an EasyPost tracker if it is newer; the order it belongs to, if known."""
        tracking = parse_tracker(tracker)
        latest = tracking.events[-1].at if tracking.events else tracking.updated_at
        stamp = latest.astimezone(timezone.utc).isoformat() if latest else ""
        with self._lock, self._db:
            row = self._db.execute(
                "SELECT order_number, checkpoint_at FROM engine_trackers"
                " WHERE tracking_number = ?", (tracking.tracking_number,),
            ).fetchone()
            if row is not None and (row[1] or "") > stamp:
                return row[0]
            self._db.execute(
                "INSERT INTO engine_trackers (tracking_number, payload, checkpoint_at, status)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (tracking_number) DO UPDATE SET"
                " payload = excluded.payload, checkpoint_at = excluded.checkpoint_at,"
                " status = excluded.status",
                (tracking.tracking_number, json.dumps(tracker), stamp, tracking.status.value),
            )
        return row[0] if row is not None else None

    def order(self, number: str) -> Order | None:
        """The order as the engine knows it, with every kept tracker merged in."""
        with self._lock:
            row = self._db.execute(
                "SELECT payload FROM engine_orders WHERE order_number = ?", (number,)
            ).fetchone()
            if row is None:
                return None
            trackers = dict(self._db.execute(
                "SELECT tracking_number, payload FROM engine_trackers"
                " WHERE order_number = ? AND payload IS NOT NULL", (number,),
            ).fetchall())
        order = parse_order(json.loads(row[0]))
        shipments = tuple(
            merge_tracking(s, parse_tracker(json.loads(trackers[s.tracking_number])))
            if s.tracking_number in trackers else s
            for s in order.shipments
        )
        return replace(order, shipments=shipments)

    def stale_trackers(self, older_than: datetime, limit: int,
                       now: datetime) -> list[tuple[str, str | None]]:
        """(tracking number, carrier) of parcels still on their way whose last news (and
        last poll) is older than `older_than`: a carrier that sends no webhooks, or one
        that went quiet. Marked as polled now, so the next sweep picks others."""
        cutoff = older_than.astimezone(timezone.utc).isoformat()
        with self._lock, self._db:
            rows = self._db.execute(
                "SELECT tracking_number, carrier FROM engine_trackers"
                " WHERE order_number IS NOT NULL"
                " AND COALESCE(status, '') NOT IN ('delivered', 'cancelled')"
                " AND COALESCE(checkpoint_at, '') < ? AND COALESCE(polled_at, '') < ?"
                " ORDER BY COALESCE(polled_at, ''), COALESCE(checkpoint_at, '') LIMIT ?",
                (cutoff, cutoff, limit),
            ).fetchall()
            polled = now.astimezone(timezone.utc).isoformat()
            self._db.executemany("UPDATE engine_trackers SET polled_at = ? WHERE"
                                 " tracking_number = ?", [(polled, r[0]) for r in rows])
        return [(r[0], r[1]) for r in rows]

    def numbers(self) -> list[str]:
        """Every order the engine knows (for the periodic sweep)."""
        with self._lock:
            return [r[0] for r in self._db.execute(
                "SELECT order_number FROM engine_orders ORDER BY order_number")]

    def _payload_by_id(self, order_id: Any) -> dict[str, Any] | None:
        """The kept Shopify order with this id (fulfillment webhooks name only the id)."""
        with self._lock:
            row = self._db.execute(
                "SELECT payload FROM engine_orders WHERE order_id = ?", (str(order_id or ""),)
            ).fetchone()
        return json.loads(row[0]) if row else None

    def _index(self, order: Order) -> None:
        for shipment in order.shipments:
            if shipment.tracking_number:
                self._db.execute(
                    "INSERT INTO engine_trackers (tracking_number, order_number, carrier)"
                    " VALUES (?, ?, ?) ON CONFLICT (tracking_number) DO UPDATE SET"
                    " order_number = excluded.order_number, carrier = excluded.carrier",
                    (shipment.tracking_number, order.number, shipment.carrier),
                )


def _stamp(value: Any) -> str:
    """An ISO timestamp in UTC for ordering ('' when missing or unreadable)."""
    try:
        return datetime.fromisoformat(str(value)).astimezone(timezone.utc).isoformat()
    except ValueError:
        return ""
