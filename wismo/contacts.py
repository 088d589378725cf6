"""Who is behind each channel conversation, and how to reach a customer again.

A conversation is keyed per channel user (`telegram:42`, `whatsapp:+13035550142`,
`sms:+13035550142`, a web chat session id). Once the customer proves who they are
in one, the row remembers it, so:

- a later conversation on the same channel starts verified (DESIGN: "remembered by
  channel id"), and a Telegram chat opened from a deep link inherits the identity of
  the conversation that issued the link;
- the proactive engine finds every channel a customer can be reached on;
- WhatsApp's 24-hour window is known from the last message the customer sent;
- a customer can answer numbered options ("2") on channels without buttons.

Stored in SQLite under `var/` beside the handoff cases; both the Rasa server (the
connectors) and the action server open it.
"""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from wismo.sqlite import connect

LINK_TTL = timedelta(hours=1)

_SCHEMA = (
    """
    CREATE TABLE IF NOT EXISTS contacts (
        conversation_id TEXT PRIMARY KEY,
        channel TEXT NOT NULL,
        email TEXT,
        phone TEXT,
        order_number TEXT,
        verified_at TEXT,
        last_inbound_at TEXT,
        last_options TEXT,
        notifications INTEGER NOT NULL DEFAULT 1
    )
    """,
    "CREATE INDEX IF NOT EXISTS contacts_email ON contacts (email)",
    "CREATE INDEX IF NOT EXISTS contacts_phone ON contacts (phone)",
    """
    CREATE TABLE IF NOT EXISTS link_tokens (
        token TEXT PRIMARY KEY,
        email TEXT NOT NULL,
        order_number TEXT,
        phone TEXT,
        expires_at TEXT NOT NULL,
        used_by TEXT
    )
    """,
)


@dataclass(frozen=True)
class Contact:
    """One channel conversation and the customer proved to be behind it (if any)."""

    conversation_id: str
    channel: str
    email: str | None = None
    phone: str | None = None
    order_number: str | None = None
    verified_at: datetime | None = None
    last_inbound_at: datetime | None = None
    notifications: bool = True  # False after the customer said STOP here

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None


class ContactStore:
    """Channel conversations, their verified identity and cross-channel link tokens."""

    def __init__(self, path: Path, clock: Callable[[], datetime] | None = None) -> None:
        self._now = clock or _now
        self._db = connect(path)
        self._lock = threading.Lock()
        with self._lock, self._db:
            for statement in _SCHEMA:
                self._db.execute(statement)

    def seen(self, conversation_id: str, channel: str, at: datetime | None = None) -> None:
        """The customer wrote to us now (opens WhatsApp's 24-hour window)."""
        when = _iso(at or self._now())
        with self._lock, self._db:
            self._db.execute(
                "INSERT INTO contacts (conversation_id, channel, last_inbound_at) VALUES (?, ?, ?)"
                " ON CONFLICT (conversation_id) DO UPDATE SET last_inbound_at = excluded"
                ".last_inbound_at",
                (conversation_id, channel, when),
            )

    def verified(
        self,
        conversation_id: str,
        channel: str,
        email: str | None,
        order_number: str | None = None,
        phone: str | None = None,
    ) -> None:
        """The customer behind this conversation proved who they are."""
        with self._lock, self._db:
            self._db.execute(
                "INSERT INTO contacts (conversation_id, channel, email, phone, order_number,"
                " verified_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (conversation_id) DO UPDATE"
                " SET email = excluded.email, phone = COALESCE(excluded.phone, contacts.phone),"
                " order_number = COALESCE(excluded.order_number, contacts.order_number),"
                " verified_at = excluded.verified_at",
                (conversation_id, channel, _lower(email), phone, order_number, _iso(self._now())),
            )

    def set_notifications(self, conversation_id: str, channel: str, on: bool) -> None:
        """The customer turned proactive updates on or off in this conversation."""
        with self._lock, self._db:
            self._db.execute(
                "INSERT INTO contacts (conversation_id, channel, notifications) VALUES (?, ?, ?)"
                " ON CONFLICT (conversation_id) DO UPDATE SET notifications = excluded"
                ".notifications",
                (conversation_id, channel, int(on)),
            )

    def get(self, conversation_id: str) -> Contact | None:
        """The conversation's row, verified or not."""
        with self._lock:
            row = self._db.execute(
                f"SELECT {_COLUMNS} FROM contacts WHERE conversation_id = ?", (conversation_id,)
            ).fetchone()
        return _contact(row) if row else None

    def identity(self, conversation_id: str) -> Contact | None:
        """The verified customer behind this conversation, or None."""
        contact = self.get(conversation_id)
        return contact if contact and contact.is_verified else None

    def reachable(self, email: str | None = None, phone: str | None = None) -> list[Contact]:
        """Every verified conversation of the customer with this email or phone."""
        with self._lock:
            rows = self._db.execute(
                f"SELECT {_COLUMNS} FROM contacts WHERE verified_at IS NOT NULL"
                " AND ((? IS NOT NULL AND email = ?) OR (? IS NOT NULL AND phone = ?))"
                " ORDER BY last_inbound_at DESC",
                (_lower(email), _lower(email), phone, phone),
            ).fetchall()
        return [_contact(r) for r in rows]

    def issue_link(self, conversation_id: str) -> str | None:
        """A one-time token that carries this conversation's identity to another channel."""
        contact = self.identity(conversation_id)
        if contact is None or not contact.email:
            return None
        token = secrets.token_urlsafe(16)
        with self._lock, self._db:
            self._db.execute(
                "INSERT INTO link_tokens VALUES (?, ?, ?, ?, ?, NULL)",
                (token, contact.email, contact.order_number, contact.phone,
                 _iso(self._now() + LINK_TTL)),
            )
        return token

    def redeem_link(self, token: str, conversation_id: str, channel: str) -> Contact | None:
        """Link a conversation to the customer a token was issued for; once, before expiry."""
        with self._lock, self._db:
            row = self._db.execute(
                "SELECT email, order_number, phone, expires_at FROM link_tokens"
                " WHERE token = ? AND used_by IS NULL", (token,),
            ).fetchone()
            if row is None or datetime.fromisoformat(row[3]) < self._now():
                return None
            self._db.execute("UPDATE link_tokens SET used_by = ? WHERE token = ?",
                             (conversation_id, token))
        self.verified(conversation_id, channel, row[0], row[1], row[2])
        return self.identity(conversation_id)

    def remember_options(self, conversation_id: str, channel: str,
                         options: list[tuple[str, str]]) -> None:
        """The (title, payload) choices last offered as numbered lines."""
        with self._lock, self._db:
            self._db.execute(
                "INSERT INTO contacts (conversation_id, channel, last_options) VALUES (?, ?, ?)"
                " ON CONFLICT (conversation_id) DO UPDATE SET last_options = excluded"
                ".last_options",
                (conversation_id, channel, json.dumps(options)),
            )

    def options(self, conversation_id: str) -> list[tuple[str, str]]:
        """The choices last offered to this conversation ([] if none)."""
        with self._lock:
            row = self._db.execute(
                "SELECT last_options FROM contacts WHERE conversation_id = ?", (conversation_id,)
            ).fetchone()
        return [tuple(o) for o in json.loads(row[0])] if row and row[0] else []


_COLUMNS = ("conversation_id, channel, email, phone, order_number, verified_at,"
            " last_inbound_at, notifications")


def _contact(row: tuple) -> Contact:
    return Contact(row[0], row[1], row[2], row[3], row[4], _dt(row[5]), _dt(row[6]),
                   bool(row[7]))


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _iso(value: datetime) -> str:
    return value.astimezone(timezone.utc).isoformat()


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _lower(email: str | None) -> str | None:
    return email.strip().lower() if email else None
