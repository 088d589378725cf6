"""The engine's durable store: webhook events in, the last known order state, the outbox.

SQLite in var/wismo.db (opened by wismo.sqlite.connect, WAL), beside the contacts and cases.
Why one file and one connection: a state change and the messages it causes are written in
ONE transaction (`commit_changes`), so a crash can never leave news decided but unqueued,
or queued twice. Intake only appends to `events` (durable before the provider gets its
200); a processor reads `pending_events`, and a sender works the outbox (engine/outbox.py).

Durability: WAL with synchronous=NORMAL survives a crash of any process; a power cut may
lose the last commits. Shopify's order API (and a re-sync) is the remedy for that case.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from wismo.domain import ExceptionReason, Status
from wismo.engine.model import OrderState, ShipmentState
from wismo.engine.outbox import SCHEMA as OUTBOX_SCHEMA
from wismo.engine.outbox import OutboxQueue, OutboxRow, iso
from wismo.sqlite import connect

_SCHEMA = (
    # Unique per provider and topic: one Shopify event may fire several topics, while a
    # retried delivery of one topic always carries the same id.
    """
    CREATE TABLE IF NOT EXISTS events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        provider TEXT NOT NULL,
        event_id TEXT NOT NULL,
        topic TEXT NOT NULL,
        order_number TEXT,
        order_id TEXT,
        tracking_number TEXT,
        received_at TEXT NOT NULL,
        body TEXT NOT NULL,
        processed_at TEXT,
        error TEXT,
        UNIQUE (provider, topic, event_id)
    )
    """,
    "CREATE INDEX IF NOT EXISTS events_pending ON events (id) WHERE processed_at IS NULL",
    """
    CREATE TABLE IF NOT EXISTS order_state (
        order_number TEXT PRIMARY KEY,
        state TEXT NOT NULL,
        updated_at TEXT NOT NULL
    )
    """,
    *OUTBOX_SCHEMA,
)


@dataclass(frozen=True)
class StoredEvent:
    """One verified webhook delivery as it arrived (`body` is the raw JSON text).

    `order_id` is the store's internal id when the body names no order number (Shopify
    fulfillments carry only order_id): the processor resolves it through the store API.
    """

    id: int
    provider: str
    event_id: str
    topic: str
    received_at: datetime
    body: str
    order_number: str | None = None
    order_id: str | None = None
    tracking_number: str | None = None
    processed_at: datetime | None = None
    error: str | None = None

    def payload(self) -> Any:
        return json.loads(self.body)


class EngineStore(OutboxQueue):
    """Events, order state and the outbox, safe to share between threads (one lock)."""

    def __init__(self, path: Path, clock: Callable[[], datetime] | None = None) -> None:
        self._now = clock or _now
        self._db = connect(path)
        self._lock = threading.Lock()
        with self._lock, self._db:
            for statement in _SCHEMA:
                self._db.execute(statement)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # --- events -----------------------------------------------------------------

    def record_event(
        self,
        provider: str,
        event_id: str,
        topic: str,
        body: str,
        *,
        order_number: str | None = None,
        order_id: str | None = None,
        tracking_number: str | None = None,
    ) -> bool:
        """Keep a verified delivery; False when this event was already recorded (a retry)."""
        with self._lock, self._db:
            cursor = self._db.execute(
                "INSERT INTO events (provider, event_id, topic, order_number, order_id,"
                " tracking_number, received_at, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (provider, topic, event_id) DO NOTHING",
                (provider, event_id, topic, order_number, order_id, tracking_number,
                 iso(self._now()), body),
            )
        return cursor.rowcount == 1

    def pending_events(self, limit: int = 100) -> list[StoredEvent]:
        """Events not processed yet, in arrival order."""
        with self._lock:
            rows = self._db.execute(
                f"SELECT {_EVENT_COLUMNS} FROM events WHERE processed_at IS NULL"
                " ORDER BY id LIMIT ?", (limit,),
            ).fetchall()
        return [_event(r) for r in rows]

    def mark_processed(self, row_id: int, error: str | None = None) -> None:
        """Done with this event; `error` says why processing gave up (kept for inspection).

        For a transient failure (the store API is down) leave the event pending instead.
        """
        with self._lock, self._db:
            self._db.execute("UPDATE events SET processed_at = ?, error = ? WHERE id = ?",
                             (iso(self._now()), error, row_id))

    def mark_all_processed(self, row_ids: Sequence[int]) -> None:
        """`mark_processed` without an error for many events, in one transaction."""
        if not row_ids:
            return
        now = iso(self._now())
        with self._lock, self._db:
            self._db.executemany("UPDATE events SET processed_at = ?, error = NULL WHERE id = ?",
                                 [(now, row_id) for row_id in row_ids])

    def event(self, row_id: int) -> StoredEvent | None:
        with self._lock:
            row = self._db.execute(f"SELECT {_EVENT_COLUMNS} FROM events WHERE id = ?",
                                   (row_id,)).fetchone()
        return _event(row) if row else None

    def forget_processed_events(self, before: datetime) -> int:
        """Delete processed events received before `before`: bodies hold addresses and
        emails, so they are kept only as long as they help debugging."""
        with self._lock, self._db:
            cursor = self._db.execute(
                "DELETE FROM events WHERE processed_at IS NOT NULL AND received_at < ?",
                (iso(before),),
            )
        return cursor.rowcount

    # --- order state and the outbox, together ----------------------------------

    def load_state(self, order_number: str) -> OrderState | None:
        """What the engine last knew about this order (None: never seen)."""
        with self._lock:
            row = self._db.execute("SELECT state FROM order_state WHERE order_number = ?",
                                   (order_number,)).fetchone()
        return state_from_json(row[0]) if row else None

    def commit_changes(
        self, order_number: str, new_state: OrderState, rows: Sequence[OutboxRow]
    ) -> list[OutboxRow]:
        """Save the new state and queue its messages in one transaction.

        A row whose dedup_key is already in the outbox is skipped (a retried webhook, a
        replay, a second sweep); any other failure rolls back the state as well. Returns
        the rows actually queued, with their ids.
        """
        if new_state.order_number != order_number:
            raise ValueError("new_state belongs to another order")
        if any(row.order_number != order_number for row in rows):
            raise ValueError("an outbox row belongs to another order")
        now = self._now()
        with self._lock, self._db:
            self._db.execute(
                "INSERT INTO order_state (order_number, state, updated_at) VALUES (?, ?, ?)"
                " ON CONFLICT (order_number) DO UPDATE SET state = excluded.state,"
                " updated_at = excluded.updated_at",
                (order_number, state_to_json(new_state), iso(now)),
            )
            return self._insert(rows, now)


# --- OrderState as JSON ---------------------------------------------------------


def state_to_json(state: OrderState) -> str:
    """Every field of OrderState and ShipmentState, dates as ISO 8601, enums as values."""
    shipments = {
        shipment_id: {
            "status": s.status.value,
            "checkpoint_at": s.checkpoint_at.isoformat() if s.checkpoint_at else None,
            "reason": s.reason.value if s.reason else None,
            "carrier_eta": s.carrier_eta.isoformat() if s.carrier_eta else None,
        }
        for shipment_id, s in state.shipments.items()
    }
    return json.dumps({"order_number": state.order_number, "cancelled": state.cancelled,
                       "shipments": shipments}, sort_keys=True)


def state_from_json(text: str) -> OrderState:
    data = json.loads(text)
    shipments = {
        shipment_id: ShipmentState(
            status=Status(s["status"]),
            checkpoint_at=datetime.fromisoformat(s["checkpoint_at"]) if s["checkpoint_at"]
            else None,
            reason=ExceptionReason(s["reason"]) if s["reason"] else None,
            carrier_eta=date.fromisoformat(s["carrier_eta"]) if s["carrier_eta"] else None,
        )
        for shipment_id, s in data["shipments"].items()
    }
    return OrderState(order_number=data["order_number"], shipments=shipments,
                      cancelled=data["cancelled"])


_EVENT_COLUMNS = ("id, provider, event_id, topic, received_at, body, order_number, order_id,"
                  " tracking_number, processed_at, error")


def _event(r: tuple) -> StoredEvent:
    return StoredEvent(
        id=r[0], provider=r[1], event_id=r[2], topic=r[3],
        received_at=datetime.fromisoformat(r[4]), body=r[5], order_number=r[6],
        order_id=r[7], tracking_number=r[8],
        processed_at=datetime.fromisoformat(r[9]) if r[9] else None, error=r[10],
    )


def _now() -> datetime:
    return datetime.now(timezone.utc)


__all__ = ["EngineStore", "OutboxRow", "StoredEvent", "state_from_json", "state_to_json"]
