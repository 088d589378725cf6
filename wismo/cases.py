"""Handoff cases: a person needs to look at this conversation.

Stored in SQLite under `var/` so nothing is lost across restarts; the Slack
side (a later issue) reads and updates the same rows.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from wismo.sqlite import connect

_SCHEMA = """
CREATE TABLE IF NOT EXISTS handoff_cases (
    id TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL,
    channel TEXT,
    reason TEXT NOT NULL,
    order_number TEXT,
    status TEXT NOT NULL DEFAULT 'open',
    created_at TEXT NOT NULL
)
"""


@dataclass(frozen=True)
class Case:
    id: str
    conversation_id: str
    channel: str | None
    reason: str
    order_number: str | None
    status: str
    created_at: datetime


class CaseStore:
    """Opens and lists handoff cases. One open case per conversation and reason."""

    def __init__(self, path: Path) -> None:
        self._db = connect(path)
        self._lock = threading.Lock()
        with self._lock, self._db:
            self._db.execute(_SCHEMA)

    def open(
        self,
        conversation_id: str,
        reason: str,
        order_number: str | None = None,
        channel: str | None = None,
    ) -> Case:
        """The open case for this conversation and reason, created if there is none."""
        with self._lock, self._db:
            row = self._db.execute(
                "SELECT * FROM handoff_cases WHERE conversation_id = ? AND reason = ?"
                " AND status = 'open' AND order_number IS ?",
                (conversation_id, reason, order_number),
            ).fetchone()
            if row:
                return _case(row)
            case_id = "C-" + uuid.uuid4().hex[:6].upper()
            now = datetime.now(timezone.utc).isoformat()
            self._db.execute(
                "INSERT INTO handoff_cases VALUES (?, ?, ?, ?, ?, 'open', ?)",
                (case_id, conversation_id, channel, reason, order_number, now),
            )
            return Case(case_id, conversation_id, channel, reason, order_number, "open",
                        datetime.fromisoformat(now))

    def for_conversation(self, conversation_id: str) -> list[Case]:
        with self._lock:
            rows = self._db.execute(
                "SELECT * FROM handoff_cases WHERE conversation_id = ? ORDER BY created_at",
                (conversation_id,),
            ).fetchall()
        return [_case(r) for r in rows]


def _case(row: tuple) -> Case:
    return Case(row[0], row[1], row[2], row[3], row[4], row[5], datetime.fromisoformat(row[6]))
