"""The handoff tables in var/wismo.db and how an older file is brought up to date.

Kept apart from wismo/cases.py, which says what the rows mean; this says how they are
stored: cases, the queue of posts for Slack and the agent replies already delivered (the
Slack sender's lease keeps its own table: wismo/handoff/lease.py).
"""

from __future__ import annotations

import sqlite3
from datetime import datetime

_SCHEMA = """
CREATE TABLE IF NOT EXISTS handoff_cases (
    id TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL,
    channel TEXT,
    reason TEXT NOT NULL,
    order_number TEXT,
    status TEXT NOT NULL DEFAULT 'open',
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS handoff_posts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    text TEXT,
    extra TEXT,
    created_at TEXT NOT NULL,
    sent_at TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT
);
CREATE INDEX IF NOT EXISTS handoff_posts_unsent ON handoff_posts (sent_at, id);
CREATE TABLE IF NOT EXISTS handoff_replies (
    slack_channel TEXT NOT NULL,
    slack_ts TEXT NOT NULL,
    case_id TEXT NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (slack_channel, slack_ts)
);
CREATE INDEX IF NOT EXISTS handoff_cases_conversation ON handoff_cases (conversation_id, status);
"""
# Columns added after the first release of the table; added in place on older files.
_LATER_COLUMNS = {
    "context": "TEXT",
    "assignee": "TEXT",
    "slack_channel": "TEXT",
    "slack_ts": "TEXT",
    "waiting_since": "TEXT",
    "last_pinged_at": "TEXT",
    "closed_at": "TEXT",
    "released_at": "TEXT",
}


def migrate(db: sqlite3.Connection, now: datetime) -> None:
    """Create the tables, or bring an older file up to date (inside the caller's
    transaction)."""
    db.executescript(_SCHEMA)
    have = {row[1] for row in db.execute("PRAGMA table_info(handoff_cases)")}
    for column, kind in _LATER_COLUMNS.items():
        if column not in have:
            db.execute(f"ALTER TABLE handoff_cases ADD COLUMN {column} {kind}")
    if "context" not in have:
        # Cases from before Slack (one per reason, never closed, never posted) would
        # otherwise hold their conversations without a card anyone could act on.
        db.execute("UPDATE handoff_cases SET status = 'resolved', closed_at = ? "
                   "WHERE status = 'open'", (now.isoformat(),))
    # At most one active case per conversation, whichever process opens it (older files
    # may hold two, from a race: the newest stays).
    db.execute(
        "UPDATE handoff_cases SET status = 'resolved', closed_at = ? "
        "WHERE status IN ('open', 'taken') AND EXISTS (SELECT 1 FROM handoff_cases n "
        "WHERE n.conversation_id = handoff_cases.conversation_id AND n.status IN "
        "('open', 'taken') AND n.created_at > handoff_cases.created_at)",
        (now.isoformat(),))
    db.execute(
        "CREATE UNIQUE INDEX IF NOT EXISTS handoff_cases_one_active ON handoff_cases "
        "(conversation_id) WHERE status IN ('open', 'taken')")
