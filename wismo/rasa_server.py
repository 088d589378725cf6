"""The Rasa server as wismo runs it: `rasa run`, minus costs it pays on every turn.

`wismo up` starts `python -m wismo.rasa_server run ...` instead of `python -m rasa run ...`
(same arguments). Each change was found with py-spy on the Rasa server under bench/turns.py
at 4 concurrent conversations (docs/benchmarks.md has the figures):

- Rasa checks every action server response with `jsonschema.validate`, which first checks
  the schema itself against the JSON Schema meta-schema (16 % of the server's CPU). The
  schema never changes, so it is checked once; a response that fails still goes through
  Rasa's own check, exception and message.
- Reading a conversation turns each stored event into its class by walking every Event
  subclass (6 %); the class of each event name is remembered instead.
- With an event broker configured (ours relays conversations in handoff to Slack,
  channels/handoff_relay.py), `TrackerStore.save` first reads the whole conversation back
  from the database only to find which events are new (a quarter of the CPU), then counts
  the stored events to find the same thing again; and each turn starts by reading and
  rebuilding the conversation the previous turn just wrote (another 15 %).
  `SQLTrackerStore` keeps the conversations it handled last and checks with one indexed
  query that the database still agrees; it writes and publishes exactly what Rasa's would.
  It is named in endpoints.yml (`tracker_store: type: wismo.rasa_server.SQLTrackerStore`,
  with the keys of Rasa's `type: SQL`, plus `keep:` conversations, default 1000, about
  50 kB each in the bench's six-turn conversations) and works under plain `rasa run` too.

These lean on Rasa 3.6 internals; rasa is pinned (pyproject.toml) and tests/test_rasa_server.py
fails if they change.
"""

from __future__ import annotations

import json
import sys
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from jsonschema.validators import validator_for
from rasa.core import tracker_store
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.events import Event
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import SingletonThreadPool


@dataclass
class _Kept:
    """A conversation as this process last read or wrote it."""

    tracker: DialogueStateTracker
    stored: int  # how many of its events are in the database
    last_id: int | None  # the conversation's newest row then


class SQLTrackerStore(tracker_store.SQLTrackerStore):
    """Rasa's SQL tracker store that reads a conversation once per turn, not two or three
    times, and keeps the ones it handled last in memory.

    A kept conversation is handed out again only while the database agrees: its newest row
    is still the one this process wrote or read (one indexed query), and no event was added
    to it since without being saved (a turn that failed half-way). Anything else, such as
    another Rasa worker writing to the same conversation, reads it from the database as
    Rasa does. Conversations are read and saved under Rasa's per-conversation lock.
    """

    def __init__(self, *args: Any, keep: int = 1000, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.keep = int(keep)
        self._kept: OrderedDict[str, _Kept] = OrderedDict()
        if self.engine.dialect.name == "sqlite":
            # SQLAlchemy gives file SQLite no pool: Rasa opened the database anew for every
            # read and write. One connection per thread is kept instead.
            rasa_engine, self.engine = self.engine, sa.create_engine(
                self.engine.url, poolclass=SingletonThreadPool)
            rasa_engine.dispose()
            self.sessionmaker = sessionmaker(bind=self.engine)

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        kept = self._kept.pop(sender_id, None)
        with self.session_scope() as session:
            last_id = self._last_id(session, sender_id)
        if kept is not None and len(kept.tracker.events) == kept.stored \
                and kept.last_id == last_id:
            self._keep(sender_id, kept)
            return kept.tracker
        tracker = await super().retrieve(sender_id)
        if tracker is not None:
            self._keep(sender_id, _Kept(tracker, len(tracker.events), last_id))
        return tracker

    async def save(self, tracker: DialogueStateTracker) -> None:
        sender_id = tracker.sender_id
        kept = self._kept.pop(sender_id, None)
        with self.session_scope() as session:
            if kept is not None and kept.tracker is tracker \
                    and kept.last_id == self._last_id(session, sender_id):
                new_events = list(tracker.events)[kept.stored:]
            else:
                new_events = list(self._additional_events(session, tracker))
            rows = [self._row(sender_id, event) for event in new_events]
            session.add_all(rows)
            session.flush()  # gives the rows their ids
            last_id = rows[-1].id if rows else self._last_id(session, sender_id)
            session.commit()
        self._keep(sender_id, _Kept(tracker, len(tracker.events), last_id))
        if self.event_broker is not None:
            await self._stream_new_events(self.event_broker, new_events, sender_id)

    def _keep(self, sender_id: str, kept: _Kept) -> None:
        if self.keep <= 0 or self.max_event_history is not None:
            return  # a capped tracker's length no longer counts its events
        self._kept[sender_id] = kept
        while len(self._kept) > self.keep:
            self._kept.popitem(last=False)

    def _last_id(self, session: Session, sender_id: str) -> int | None:
        return session.execute(_LAST_ID, {"sender_id": sender_id}).scalar()

    def _row(self, sender_id: str, event: Event) -> Any:
        """The row Rasa 3.6's `SQLTrackerStore.save` writes for an event."""
        data = event.as_dict()
        return self.SQLEvent(
            sender_id=sender_id,
            type_name=event.type_name,
            timestamp=data.get("timestamp"),
            intent_name=data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
            action_name=data.get("name"),
            data=json.dumps(data),
        )


_LAST_ID = sa.text("SELECT max(id) FROM events WHERE sender_id = :sender_id")


def speed_up_rasa() -> None:
    """Install the two shortcuts below in this process (idempotent)."""
    _check_action_responses_once()
    _remember_event_classes()


def _check_action_responses_once() -> None:
    """Validate action server responses with a validator built once from Rasa's schema."""
    if getattr(RemoteAction._validate_action_result, "wismo", False):
        return
    schema = RemoteAction.action_response_format_spec()
    validator_class = validator_for(schema)
    validator_class.check_schema(schema)
    validator = validator_class(schema)
    rasa_check = RemoteAction._validate_action_result

    def validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
        # An invalid response takes Rasa's path: same exception, same message.
        return validator.is_valid(result) or rasa_check(self, result)

    validate_action_result.wismo = True  # type: ignore[attr-defined]
    RemoteAction._validate_action_result = validate_action_result  # type: ignore[method-assign]


def _remember_event_classes() -> None:
    """Find an event's class by its name once, not by walking every Event subclass per
    stored event each time a conversation is read (6 % of the server's CPU)."""
    rasa_resolve = Event.resolve_by_type
    if getattr(rasa_resolve, "wismo", False):
        return
    known: dict[str, type[Event]] = {}

    def resolve_by_type(type_name: str, default: type[Event] | None = None) -> type[Event] | None:
        found = known.get(type_name)
        if found is None:
            found = rasa_resolve(type_name, default)  # unknown names: Rasa's answer or error
            if found is not None and found.type_name == type_name:
                known[type_name] = found
        return found

    resolve_by_type.wismo = True  # type: ignore[attr-defined]
    Event.resolve_by_type = staticmethod(resolve_by_type)  # type: ignore[method-assign]


def main() -> None:
    """`rasa` on the command line, with the checks above."""
    from rasa.__main__ import main as rasa_main

    speed_up_rasa()
    sys.argv[0] = "rasa"
    rasa_main()


if __name__ == "__main__":
    main()
