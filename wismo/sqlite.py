"""The one way wismo opens its SQLite file (var/wismo.db), shared by several processes.

The Rasa server (connectors) and the action server write to the same file. WAL lets a
reader run beside a writer, and `synchronous=NORMAL` (safe with WAL: a power cut may lose
the last commits, never corrupt the file) keeps a commit from waiting on an fsync, which
would otherwise stall a connector's event loop on every inbound message.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path


def connect(path: Path) -> sqlite3.Connection:
    """A connection usable from any thread (callers hold their own lock), in WAL mode."""
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(str(path), check_same_thread=False, timeout=10)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    return db
