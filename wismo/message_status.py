"""What happened to each message we sent through a provider (Twilio SMS and WhatsApp).

A row is written when a message is handed to the provider (its sid, the conversation
and the channel, so a failure can be traced back to a customer) and moved forward by
the provider's status callbacks. Callbacks arrive out of order — `sent` after
`delivered`, or before we wrote the row at all — so a status only ever replaces one
of a lower rank, and the send and the callback may come in either order.

Stored in SQLite under `var/` beside the contacts and handoff cases.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from wismo.sqlite import connect

# Twilio's message lifecycle, earliest first. Terminal outcomes share the top ranks: a
# late `sent` never undoes `delivered`, and `delivered` never undoes `undelivered`.
_RANK = {
    "accepted": 0, "scheduled": 0,
    "queued": 1,
    "sending": 2,
    "sent": 3,
    "failed": 4, "undelivered": 4, "delivered": 4, "canceled": 4,
    "read": 5,
}
UNKNOWN_RANK = -1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS message_status (
    message_sid TEXT PRIMARY KEY,
    conversation_id TEXT,
    channel TEXT,
    status TEXT,
    rank INTEGER NOT NULL DEFAULT -1,
    error_code TEXT,
    sent_at TEXT,
    updated_at TEXT NOT NULL
)
"""


@dataclass(frozen=True)
class MessageStatus:
    """The latest known state of one outbound message."""

    message_sid: str
    conversation_id: str | None
    channel: str | None
    status: str | None
    error_code: str | None
    sent_at: datetime | None
    updated_at: datetime


def rank(status: str | None) -> int:
    """How far along the lifecycle a status is (-1 for one we do not know)."""
    return _RANK.get((status or "").strip().lower(), UNKNOWN_RANK)


class MessageStatusStore:
    """Outbound messages by provider sid: who they went to and how far they got."""

    def __init__(self, path: Path) -> None:
        self._db = connect(path)
        self._lock = threading.Lock()
        with self._lock, self._db:
            self._db.execute(_SCHEMA)

    def sent(self, message_sid: str, conversation_id: str, channel: str,
             status: str = "queued") -> None:
        """The provider accepted this message for the conversation (a callback may be here
        already: keep its later status, add who the message was for)."""
        now = _now()
        with self._lock, self._db:
            self._db.execute(
                "INSERT INTO message_status (message_sid, conversation_id, channel, status, rank,"
                " sent_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (message_sid) DO UPDATE SET"
                " conversation_id = excluded.conversation_id, channel = excluded.channel,"
                " sent_at = excluded.sent_at,"
                " status = CASE WHEN excluded.rank > message_status.rank"
                "   THEN excluded.status ELSE message_status.status END,"
                " rank = MAX(excluded.rank, message_status.rank)",
                (message_sid, conversation_id, channel, status, rank(status), now, now),
            )

    def update(self, message_sid: str, status: str, error_code: str | None = None,
               channel: str | None = None) -> bool:
        """A status callback; applied only if it moves the message forward. True if it did."""
        status = status.strip().lower()
        new_rank = rank(status)
        with self._lock, self._db:
            cursor = self._db.execute(
                "INSERT INTO message_status (message_sid, channel, status, rank, error_code,"
                " updated_at) VALUES (?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (message_sid) DO UPDATE SET status = excluded.status,"
                " rank = excluded.rank, error_code = excluded.error_code,"
                " updated_at = excluded.updated_at"
                " WHERE excluded.rank > message_status.rank",
                (message_sid, channel, status, new_rank, error_code or None, _now()),
            )
        return cursor.rowcount > 0

    def get(self, message_sid: str) -> MessageStatus | None:
        """The message's row, or None if we never heard of it."""
        with self._lock:
            row = self._db.execute(
                f"SELECT {_COLUMNS} FROM message_status WHERE message_sid = ?", (message_sid,),
            ).fetchone()
        return _status(row) if row else None

    def for_conversation(self, conversation_id: str) -> list[MessageStatus]:
        """Every message sent to a conversation, oldest first."""
        with self._lock:
            rows = self._db.execute(
                f"SELECT {_COLUMNS} FROM message_status WHERE conversation_id = ?"
                " ORDER BY sent_at, rowid", (conversation_id,),
            ).fetchall()
        return [_status(r) for r in rows]


_COLUMNS = "message_sid, conversation_id, channel, status, error_code, sent_at, updated_at"


def _status(row: tuple) -> MessageStatus:
    return MessageStatus(row[0], row[1], row[2], row[3], row[4],
                         datetime.fromisoformat(row[5]) if row[5] else None,
                         datetime.fromisoformat(row[6]))


def _now() -> str:
    return datetime.now(timezone.utc).isoformat()
