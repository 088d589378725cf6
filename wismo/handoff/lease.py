"""Which Rasa worker sends to Slack: a lease in var/wismo.db.

Several Rasa workers each run the Slack connector; only the lease holder drains the
handoff queue, so posts go out once and in order. A holder that stops renewing (it died)
loses the lease when it expires, and another worker takes over.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

from wismo.sqlite import connect

_SCHEMA = """
CREATE TABLE IF NOT EXISTS handoff_lease (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    expires_at TEXT NOT NULL
)
"""


class SenderLease:
    """Take, renew and give up the one sender's lease."""

    def __init__(self, path: Path, *, now: Callable[[], datetime] | None = None,
                 name: str = "slack") -> None:
        self._db = connect(path)
        self._lock = threading.Lock()
        self._now = now or (lambda: datetime.now(timezone.utc))
        self.name = name
        with self._lock, self._db:
            self._db.execute(_SCHEMA)

    def take(self, holder: str, ttl: timedelta) -> bool:
        """Whether `holder` is the one sender now (taking or renewing a lease of `ttl`)."""
        now = self._now()
        with self._lock, self._db:
            self._db.execute("BEGIN IMMEDIATE")
            row = self._db.execute("SELECT holder, expires_at FROM handoff_lease WHERE name = ?",
                                   (self.name,)).fetchone()
            if row and row[0] != holder and datetime.fromisoformat(row[1]) > now:
                return False
            self._db.execute("INSERT OR REPLACE INTO handoff_lease VALUES (?, ?, ?)",
                             (self.name, holder, (now + ttl).isoformat()))
            return True

    def give_up(self, holder: str) -> None:
        """Stopping: let another worker send at once rather than when the lease expires."""
        with self._lock, self._db:
            self._db.execute("DELETE FROM handoff_lease WHERE name = ? AND holder = ?",
                             (self.name, holder))
