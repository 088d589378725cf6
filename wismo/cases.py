"""Handoff cases and the queue of what still has to reach Slack about them.

A case is a conversation a person has to look at. It lives in SQLite under `var/`
because three processes touch it: the action server and the engine open cases, the
Slack connector (inside the Rasa server) posts them and records what agents do.

Everything meant for Slack goes through `handoff_posts`, written in the same
transaction as the change it reports and sent strictly in order by one worker
(wismo/handoff/slack_poster.py). So when Slack is down or rate-limits us nothing is
lost or reordered: the rows wait, and go out when it answers again.

Case states: ``open`` (waiting for someone), ``taken`` (a person owns it),
``handed_back`` (the bot is answering again), ``resolved``. A conversation has at
most one active (open or taken) case; escalating again adds a note to its thread.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from wismo.cases_schema import migrate
from wismo.sqlite import connect

ACTIVE = ("open", "taken")
STATES = ("open", "taken", "handed_back", "resolved")

_CASE_COLUMNS = ("id, conversation_id, channel, reason, order_number, status, created_at, "
                 "context, assignee, slack_channel, slack_ts, waiting_since, last_pinged_at, "
                 "closed_at, released_at")


@dataclass(frozen=True)
class Case:
    id: str
    conversation_id: str
    channel: str | None
    reason: str
    order_number: str | None
    status: str
    created_at: datetime
    context: dict[str, Any] = field(default_factory=dict)
    assignee: str | None = None
    slack_channel: str | None = None
    slack_ts: str | None = None
    waiting_since: datetime | None = None  # the customer wrote and no person has answered
    last_pinged_at: datetime | None = None
    closed_at: datetime | None = None
    # The bot took the conversation back because the case never reached Slack.
    released_at: datetime | None = None
    is_new: bool = False  # set by `open` when this call created the case

    @property
    def active(self) -> bool:
        return self.status in ACTIVE


@dataclass(frozen=True)
class Post:
    """One queued message for Slack."""

    id: int
    case_id: str
    # "card" (rendered from the case when sent, so it shows the latest state),
    # "card_update", "thread" (a line in its thread), "ping", or "reaction" (✅ on an
    # agent's message that reached the customer).
    kind: str
    text: str | None
    extra: dict[str, Any]
    created_at: datetime
    attempts: int


class CaseStore:
    """Opens cases, records what people do with them, and queues what Slack must hear."""

    def __init__(self, path: Path, *, now: Callable[[], datetime] | None = None,
                 to_slack: bool = True) -> None:
        """`to_slack=False` (no Slack configured) records cases without queueing anything
        for Slack, so that connecting Slack later doesn't flood it with old cases."""
        self.path = path
        self._db = connect(path)
        self.to_slack = to_slack
        self._lock = threading.Lock()
        self._now = now or (lambda: datetime.now(timezone.utc))
        with self._lock, self._db:
            migrate(self._db, self._now())

    def open(
        self,
        conversation_id: str,
        reason: str,
        order_number: str | None = None,
        channel: str | None = None,
        context: dict[str, Any] | None = None,
        note: str | None = None,
    ) -> Case:
        """The conversation's active case, created (and queued for Slack) if it has none.

        Escalating an active case again for another reason queues `note` (or the
        reason) into its thread instead of opening a second card.
        """
        now, to_slack = self._now(), self.to_slack
        with self._lock, self._db:
            self._db.execute("BEGIN IMMEDIATE")  # the check and the insert, atomically
            active = self._active(conversation_id)
            if active is not None:
                if to_slack and active.slack_ts is None and not self._card_queued(active.id):
                    self._enqueue(active.id, "card")  # recorded while Slack was off
                elif to_slack and (reason != active.reason or note):
                    self._enqueue(active.id, "thread", note or f"Also: {reason}")
                if active.released_at is not None:
                    # Asked again after the bot took the conversation back: a new wait
                    # for Slack starts now (the asking turn is not relayed either).
                    self._db.execute("UPDATE handoff_cases SET released_at = NULL, "
                                     "created_at = ? WHERE id = ?",
                                     (now.isoformat(), active.id))
                    return self._active(conversation_id) or active
                return active
            case_id = "C-" + uuid.uuid4().hex[:6].upper()
            # The customer waits for a person from now: a case nobody answers is re-pinged.
            self._db.execute(
                f"INSERT INTO handoff_cases ({_CASE_COLUMNS}) VALUES "
                "(?, ?, ?, ?, ?, 'open', ?, ?, NULL, NULL, NULL, ?, NULL, NULL, NULL)",
                (case_id, conversation_id, channel, reason, order_number, now.isoformat(),
                 json.dumps(context or {}), now.isoformat()),
            )
            if to_slack:
                self._enqueue(case_id, "card")
        return Case(case_id, conversation_id, channel, reason, order_number, "open", now,
                    context or {}, waiting_since=now, is_new=True)

    def get(self, case_id: str) -> Case | None:
        with self._lock:
            row = self._db.execute(f"SELECT {_CASE_COLUMNS} FROM handoff_cases WHERE id = ?",
                                   (case_id,)).fetchone()
        return _case(row) if row else None

    def active_for(self, conversation_id: str) -> Case | None:
        """The open or taken case of this conversation, if any."""
        with self._lock:
            return self._active(conversation_id)

    def by_thread(self, slack_channel: str, slack_ts: str) -> Case | None:
        """The case whose card is this Slack message (the thread's parent)."""
        with self._lock:
            row = self._db.execute(
                f"SELECT {_CASE_COLUMNS} FROM handoff_cases WHERE slack_channel = ? AND "
                "slack_ts = ?", (slack_channel, slack_ts)).fetchone()
        return _case(row) if row else None

    def for_conversation(self, conversation_id: str) -> list[Case]:
        with self._lock:
            rows = self._db.execute(
                f"SELECT {_CASE_COLUMNS} FROM handoff_cases WHERE conversation_id = ? "
                "ORDER BY created_at", (conversation_id,)).fetchall()
        return [_case(r) for r in rows]

    def listing(self, *, active_only: bool = True) -> list[Case]:
        """Cases newest first, for `wismo cases`."""
        where = "WHERE status IN ('open', 'taken')" if active_only else ""
        with self._lock:
            rows = self._db.execute(f"SELECT {_CASE_COLUMNS} FROM handoff_cases {where} "
                                    "ORDER BY created_at DESC").fetchall()
        return [_case(r) for r in rows]

    def set_state(self, case_id: str, state: str, by: str | None = None,
                  note: str | None = None) -> Case | None:
        """Move a case to `state` (a person pressed a button); re-render its card."""
        if state not in STATES:
            raise ValueError(f"unknown case state {state!r}")
        now = self._now().isoformat()
        closed = now if state in ("handed_back", "resolved") else None
        with self._lock, self._db:
            self._db.execute(
                "UPDATE handoff_cases SET status = ?, assignee = COALESCE(?, assignee), "
                "closed_at = ?, waiting_since = CASE WHEN ? IS NULL THEN waiting_since END, "
                "released_at = NULL WHERE id = ?", (state, by, closed, closed, case_id))
            self._enqueue(case_id, "card_update")
            if note:
                self._enqueue(case_id, "thread", note, {"who": "mrkdwn"})
        return self.get(case_id)

    def customer_wrote(self, case_id: str, text: str) -> None:
        """Queue the customer's message into the thread; the case now waits for a person."""
        with self._lock, self._db:
            self._enqueue(case_id, "thread", text, {"who": "customer"})
            self._db.execute(
                "UPDATE handoff_cases SET waiting_since = COALESCE(waiting_since, ?) "
                "WHERE id = ? AND status IN ('open', 'taken')",
                (self._now().isoformat(), case_id))

    def note(self, case_id: str, text: str, extra: dict[str, Any] | None = None) -> None:
        """Queue a line into the case thread (the bot's words, a system note)."""
        with self._lock, self._db:
            self._enqueue(case_id, "thread", text, extra)

    def agent_replied(self, case_id: str, agent: str, reply_ts: str | None = None) -> None:
        """A person answered: nobody is waiting; the first reply also takes the case."""
        with self._lock, self._db:
            self._db.execute(
                "UPDATE handoff_cases SET waiting_since = NULL, last_pinged_at = NULL, "
                "released_at = NULL, assignee = COALESCE(assignee, ?), "
                "status = CASE WHEN status = 'open' THEN 'taken' ELSE status END WHERE id = ?",
                (agent, case_id))
            if reply_ts:
                self._enqueue(case_id, "reaction", None, {"ts": reply_ts})
            self._enqueue(case_id, "card_update")

    def first_delivery(self, slack_channel: str, slack_ts: str, case_id: str) -> bool:
        """True the first time this agent message is seen: Slack re-sends an event it
        thinks was not acknowledged, and a customer must not get a reply twice."""
        with self._lock, self._db:
            cursor = self._db.execute(
                "INSERT OR IGNORE INTO handoff_replies VALUES (?, ?, ?, ?)",
                (slack_channel, slack_ts, case_id, self._now().isoformat()))
            return cursor.rowcount == 1

    def forget_delivery(self, slack_channel: str, slack_ts: str) -> None:
        """The reply did not reach the customer after all: a re-sent event may try again."""
        with self._lock, self._db:
            self._db.execute("DELETE FROM handoff_replies WHERE slack_channel = ? AND "
                             "slack_ts = ?", (slack_channel, slack_ts))

    def due_pings(self, after: timedelta) -> list[Case]:
        """Active cases whose customer has waited `after` since they wrote or were last pinged."""
        cutoff = (self._now() - after).isoformat()
        with self._lock:
            rows = self._db.execute(
                f"SELECT {_CASE_COLUMNS} FROM handoff_cases WHERE status IN ('open', 'taken') "
                "AND waiting_since IS NOT NULL AND waiting_since <= ? "
                "AND (last_pinged_at IS NULL OR last_pinged_at <= ?)",
                (cutoff, cutoff)).fetchall()
        return [_case(r) for r in rows]

    def stranded(self, after: timedelta) -> list[Case]:
        """Active cases whose card has not reached Slack `after` their opening (Slack down
        or set up wrong), not yet released: nobody can see them, so the bot should talk."""
        cutoff = (self._now() - after).isoformat()
        with self._lock:
            rows = self._db.execute(
                f"SELECT {_CASE_COLUMNS} FROM handoff_cases WHERE status IN ('open', 'taken') "
                "AND slack_ts IS NULL AND released_at IS NULL AND created_at <= ?",
                (cutoff,)).fetchall()
        return [_case(r) for r in rows]

    def released(self, case_id: str) -> None:
        with self._lock, self._db:
            self._db.execute("UPDATE handoff_cases SET released_at = ? WHERE id = ?",
                             (self._now().isoformat(), case_id))

    def ping(self, case_id: str, text: str) -> None:
        """Queue a re-ping and remember when, so the next one waits a full interval."""
        with self._lock, self._db:
            self._enqueue(case_id, "ping", text)
            self._db.execute("UPDATE handoff_cases SET last_pinged_at = ? WHERE id = ?",
                             (self._now().isoformat(), case_id))

    # -- the Slack queue ------------------------------------------------------------

    def next_post(self) -> Post | None:
        """The oldest post not yet sent."""
        with self._lock:
            row = self._db.execute(
                "SELECT id, case_id, kind, text, extra, created_at, attempts FROM handoff_posts"
                " WHERE sent_at IS NULL ORDER BY id LIMIT 1").fetchone()
        if row is None:
            return None
        return Post(row[0], row[1], row[2], row[3], json.loads(row[4] or "{}"),
                    datetime.fromisoformat(row[5]), row[6])

    def pending_posts(self) -> int:
        with self._lock:
            return self._db.execute(
                "SELECT COUNT(*) FROM handoff_posts WHERE sent_at IS NULL").fetchone()[0]

    def sent(self, post: Post, slack_channel: str | None = None,
             slack_ts: str | None = None) -> None:
        """The post reached Slack; a card's channel and ts become the case's thread."""
        with self._lock, self._db:
            self._db.execute("UPDATE handoff_posts SET sent_at = ?, attempts = attempts + 1 "
                             "WHERE id = ?", (self._now().isoformat(), post.id))
            if post.kind == "card" and slack_ts:
                self._db.execute("UPDATE handoff_cases SET slack_channel = ?, slack_ts = ? "
                                 "WHERE id = ?", (slack_channel, slack_ts, post.case_id))

    def failed(self, post: Post, error: str, *, give_up: bool = False) -> None:
        """Sending failed: count it; `give_up` takes the post out of the queue for good."""
        with self._lock, self._db:
            self._db.execute(
                "UPDATE handoff_posts SET attempts = attempts + 1, last_error = ?, "
                "sent_at = CASE WHEN ? THEN 'gave up' END WHERE id = ?",
                (error[:500], give_up, post.id))

    def _active(self, conversation_id: str) -> Case | None:
        row = self._db.execute(
            f"SELECT {_CASE_COLUMNS} FROM handoff_cases WHERE conversation_id = ? "
            "AND status IN ('open', 'taken') ORDER BY created_at DESC LIMIT 1",
            (conversation_id,)).fetchone()
        return _case(row) if row else None

    def _card_queued(self, case_id: str) -> bool:
        return self._db.execute("SELECT 1 FROM handoff_posts WHERE case_id = ? AND kind = "
                                "'card' AND sent_at IS NULL", (case_id,)).fetchone() is not None

    def _enqueue(self, case_id: str, kind: str, text: str | None = None,
                 extra: dict[str, Any] | None = None) -> None:
        self._db.execute(
            "INSERT INTO handoff_posts (case_id, kind, text, extra, created_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (case_id, kind, text, json.dumps(extra) if extra else None,
             self._now().isoformat()))


def _when(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _case(row: sqlite3.Row | tuple) -> Case:
    return Case(
        id=row[0], conversation_id=row[1], channel=row[2], reason=row[3],
        order_number=row[4], status=row[5], created_at=datetime.fromisoformat(row[6]),
        context=json.loads(row[7] or "{}"), assignee=row[8], slack_channel=row[9],
        slack_ts=row[10], waiting_since=_when(row[11]), last_pinged_at=_when(row[12]),
        closed_at=_when(row[13]), released_at=_when(row[14]),
    )
