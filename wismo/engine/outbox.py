"""The outbox: messages the engine decided to send, kept until they are delivered.

A row is written in the same transaction as the order state change that caused it
(EngineStore.commit_changes), under a unique dedup key, so a retried webhook or a replay
never queues the same news twice. A sender then works the queue:

    pending ──claim──▶ sending ──mark_sent──▶ sent
       ▲                  │ ├──mark_retry (a later next_attempt_at)──▶ pending
       │                  │ └──mark_failed (retries exhausted, kept and listed)──▶ failed
       └──release_stale_claims (the sender died mid-send)─┘          mark_dropped ──▶ dropped

Delivery is at-least-once. `claim` is atomic (two senders never both own a row), but a
crash after the message left and before `mark_sent` leaves the row in 'sending', and
`release_stale_claims` at the next start-up sends it again. Exactly-once would need the
far side to deduplicate, and Rasa's trigger_intent takes no idempotency key, so the window
is kept minimal instead: claim right before the send, mark right after it, nothing between.
"""

from __future__ import annotations

import random
import sqlite3
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from enum import Enum

PENDING, SENDING, SENT, FAILED, DROPPED = "pending", "sending", "sent", "failed", "dropped"
EMAIL = "email"

SCHEMA = (
    f"""
    CREATE TABLE IF NOT EXISTS outbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        dedup_key TEXT NOT NULL UNIQUE,
        order_number TEXT NOT NULL,
        kind TEXT NOT NULL,
        conversation_id TEXT,
        channel TEXT NOT NULL,
        address TEXT,
        text TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT '{PENDING}'
            CHECK (status IN ('{PENDING}', '{SENDING}', '{SENT}', '{FAILED}', '{DROPPED}')),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT NOT NULL,
        claimed_at TEXT,
        last_error TEXT,
        created_at TEXT NOT NULL,
        sent_at TEXT,
        CHECK ((channel = '{EMAIL}' AND address IS NOT NULL)
               OR (channel <> '{EMAIL}' AND conversation_id IS NOT NULL))
    )
    """,
    "CREATE INDEX IF NOT EXISTS outbox_queue ON outbox (status, next_attempt_at)",
    # `for_order`: the history the rules count, read on every review of an order.
    "CREATE INDEX IF NOT EXISTS outbox_order ON outbox (order_number, created_at)",
)


@dataclass(frozen=True)
class OutboxRow:
    """One message to one recipient.

    `dedup_key` is unique across the table: one piece of news (Detection.dedup_key) sent to
    several conversations needs one key per recipient. A chat message names the Rasa
    `conversation_id` and its `channel` (the output channel for trigger_intent); an email
    has channel 'email' and the `address`. The store fills `id`, `status` and the times.
    """

    dedup_key: str
    order_number: str
    kind: str  # a model.Kind value, "exception/weather" style when a reason matters
    channel: str
    text: str
    conversation_id: str | None = None
    address: str | None = None
    id: int | None = None
    status: str = PENDING
    attempts: int = 0  # tries started (counted at claim, so a crash counts too)
    next_attempt_at: datetime | None = None  # None when queued: as soon as possible
    last_error: str | None = None
    created_at: datetime | None = None
    sent_at: datetime | None = None


def backoff(
    attempt: int,
    base: float = 2.0,
    cap: float = 600.0,
    retry_after: float | None = None,
    rand: Callable[[], float] = random.random,
) -> float:
    """Seconds before try number `attempt` + 1: exponential with full jitter.

    Full jitter (a uniform draw below base·2^(attempt-1), capped) spreads the retries of
    many rows that failed together, so a recovering channel is not hit by all at once.
    A provider's Retry-After is a floor: waiting less only earns another refusal.
    """
    ceiling = min(cap, base * 2 ** min(max(attempt, 1) - 1, 62))
    delay = ceiling * rand()
    return max(delay, retry_after or 0.0)


class OutboxQueue:
    """The sender's side of the outbox. EngineStore opens the file and sets these fields."""

    _db: sqlite3.Connection
    _lock: threading.Lock
    _now: Callable[[], datetime]

    def due(self, now: datetime, limit: int = 50) -> list[OutboxRow]:
        """Pending rows whose time has come, oldest first (so news reaches a chat in order)."""
        with self._lock:
            rows = self._db.execute(
                f"SELECT {_COLUMNS} FROM outbox WHERE status = ? AND next_attempt_at <= ?"
                " ORDER BY id LIMIT ?", (PENDING, iso(now), limit),
            ).fetchall()
        return [_row(r) for r in rows]

    def claim(self, row_id: int) -> bool:
        """pending → sending, atomically: True for exactly one caller, who must then send."""
        return self._update(
            "status = ?, claimed_at = ?, attempts = attempts + 1", (SENDING, iso(self._now())),
            row_id, (PENDING,),
        )

    def mark_sent(self, row_id: int, now: datetime) -> bool:
        """Delivered. Also from 'pending': a slow send whose claim was released still counts."""
        return self._update("status = ?, sent_at = ?, claimed_at = NULL", (SENT, iso(now)),
                            row_id, (SENDING, PENDING))

    def mark_retry(self, row_id: int, error: str, next_attempt_at: datetime) -> bool:
        """The send failed but may work later: back to pending, due at `next_attempt_at`."""
        return self._update(
            "status = ?, last_error = ?, next_attempt_at = ?, claimed_at = NULL",
            (PENDING, error, iso(next_attempt_at)), row_id, (SENDING,),
        )

    def hold(self, row_id: int, reason: str, until: datetime) -> bool:
        """Not this time, and not the recipient's failure (a person has the conversation):
        pending again at `until`, this try uncounted."""
        return self._update(
            "status = ?, last_error = ?, next_attempt_at = ?, claimed_at = NULL, "
            "attempts = MAX(attempts - 1, 0)", (PENDING, reason, iso(until)), row_id, (SENDING,),
        )

    def mark_failed(self, row_id: int, error: str) -> bool:
        """Retries exhausted (or a permanent refusal): kept, listed by `failed()`, never lost."""
        return self._update("status = ?, last_error = ?, claimed_at = NULL", (FAILED, error),
                            row_id, (SENDING, PENDING))

    def mark_dropped(self, row_id: int, reason: str) -> bool:
        """Not to be sent after all (the customer opted out since it was queued)."""
        return self._update("status = ?, last_error = ?, claimed_at = NULL", (DROPPED, reason),
                            row_id, (SENDING, PENDING))

    def requeue(self, row_id: int, now: datetime) -> bool:
        """An operator retries a failed row: pending again, due now, attempts from zero."""
        return self._update("status = ?, next_attempt_at = ?, attempts = 0", (PENDING, iso(now)),
                            row_id, (FAILED,))

    def failed(self, limit: int = 100) -> list[OutboxRow]:
        """Rows that exhausted their retries, newest first: what an operator should look at."""
        return self._select("status = ? ORDER BY id DESC LIMIT ?", (FAILED, limit))

    def recent(self, limit: int = 50) -> list[OutboxRow]:
        """The latest rows, oldest first (`wismo engine outbox`)."""
        return self._select("id IN (SELECT id FROM outbox ORDER BY id DESC LIMIT ?) ORDER BY id",
                            (limit,))

    def for_order(self, order_number: str, since: datetime) -> list[OutboxRow]:
        """Rows queued for an order since `since`, oldest first: the history the rules count
        (at most N per order per day, once per status change)."""
        return self._select("order_number = ? AND created_at >= ? ORDER BY id",
                            (order_number, iso(since)))

    def outbox_row(self, row_id: int) -> OutboxRow | None:
        rows = self._select("id = ?", (row_id,))
        return rows[0] if rows else None

    def release_stale_claims(self, older_than: datetime) -> int:
        """Start-up: rows claimed before `older_than` and never marked go back to pending.

        Their sender died between claim and mark; the message may or may not have left, and
        sending it again is the at-least-once side of the trade-off (module docstring).
        """
        with self._lock, self._db:
            cursor = self._db.execute(
                "UPDATE outbox SET status = ?, claimed_at = NULL"
                " WHERE status = ? AND claimed_at < ?", (PENDING, SENDING, iso(older_than)),
            )
        return cursor.rowcount

    def _insert(self, rows: Iterable[OutboxRow], now: datetime) -> list[OutboxRow]:
        """Insert inside the caller's transaction (lock held); returns the rows that are new."""
        inserted = []
        for row in rows:
            values = (row.dedup_key, row.order_number, _text(row.kind), row.conversation_id,
                      row.channel, row.address, row.text, PENDING,
                      iso(row.next_attempt_at or now), iso(now))
            cursor = self._db.execute(
                "INSERT INTO outbox (dedup_key, order_number, kind, conversation_id, channel,"
                " address, text, status, next_attempt_at, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (dedup_key) DO NOTHING",
                values,
            )
            if cursor.rowcount == 1:
                inserted.append(replace(
                    row, id=cursor.lastrowid, kind=values[2], status=PENDING, attempts=0,
                    next_attempt_at=_dt(values[8]), last_error=None, created_at=_dt(values[9]),
                    sent_at=None,
                ))
        return inserted

    def _update(self, assignments: str, values: tuple, row_id: int, from_: tuple) -> bool:
        marks = ", ".join("?" for _ in from_)
        with self._lock, self._db:
            cursor = self._db.execute(
                f"UPDATE outbox SET {assignments} WHERE id = ? AND status IN ({marks})",
                (*values, row_id, *from_),
            )
        return cursor.rowcount == 1

    def _select(self, where: str, params: tuple) -> list[OutboxRow]:
        with self._lock:
            rows = self._db.execute(f"SELECT {_COLUMNS} FROM outbox WHERE {where}",
                                    params).fetchall()
        return [_row(r) for r in rows]


_COLUMNS = ("id, dedup_key, order_number, kind, conversation_id, channel, address, text,"
            " status, next_attempt_at, attempts, last_error, created_at, sent_at")


def _row(r: tuple) -> OutboxRow:
    return OutboxRow(
        id=r[0], dedup_key=r[1], order_number=r[2], kind=r[3], conversation_id=r[4],
        channel=r[5], address=r[6], text=r[7], status=r[8], next_attempt_at=_dt(r[9]),
        attempts=r[10], last_error=r[11], created_at=_dt(r[12]), sent_at=_dt(r[13]),
    )


def _text(kind: str) -> str:
    return kind.value if isinstance(kind, Enum) else kind


def iso(value: datetime) -> str:
    """UTC, fixed width (always microseconds), so stored times compare as text."""
    if value.tzinfo is None:
        raise ValueError("the engine store takes timezone-aware datetimes only")
    return value.astimezone(timezone.utc).isoformat(timespec="microseconds")


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None
