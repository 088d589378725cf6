"""Carries the conversation into its case thread: a Rasa event broker.

Rasa hands every event it saves to the configured event broker, whatever channel
the message came from. This one, named in endpoints.yml (`event_broker: type:
channels.handoff_relay.HandoffRelay`), queues for Slack what was said in a
conversation that has an active handoff case: the customer's messages (the bot is
usually paused then, so they reach a person only this way) and anything the bot
says. What a person wrote from Slack is already in the thread and is skipped.

A deployment that already streams events elsewhere keeps doing so: give that
broker's endpoint config as `inner:` and every event is passed on to it too.
"""

from __future__ import annotations

import logging
from asyncio import AbstractEventLoop
from collections.abc import Callable
from typing import Any

from rasa.core.brokers.broker import EventBroker
from rasa.utils.endpoints import EndpointConfig

from channels.common import case_store, var_dir
from channels.slack_handoff import HUMAN, slack_running, wake_poster
from wismo.cases import CaseStore

log = logging.getLogger(__name__)


class HandoffRelay(EventBroker):
    """Queues the messages of conversations in handoff for their Slack thread."""

    def __init__(self, cases: CaseStore, inner: EventBroker | None = None,
                 active: Callable[[], bool] = slack_running) -> None:
        self.cases = cases
        self.inner = inner
        self.active = active  # no Slack connector here: nobody reads a thread, queue nothing

    @classmethod
    async def from_endpoint_config(
        cls, broker_config: EndpointConfig, event_loop: AbstractEventLoop | None = None,
    ) -> HandoffRelay:
        kwargs = broker_config.kwargs or {}
        inner = None
        if kwargs.get("inner"):
            inner = await EventBroker.create(EndpointConfig.from_dict(kwargs["inner"]),
                                             event_loop)
        return cls(case_store(var_dir(kwargs.get("var_dir"))), inner)

    def publish(self, event: dict[str, Any]) -> None:
        if self.inner is not None:
            self.inner.publish(event)
        try:
            self.relay(event)
        except Exception:  # the bot's turn must never fail because of the relay
            log.exception("handoff relay failed for %s", event.get("sender_id"))

    def relay(self, event: dict[str, Any]) -> bool:
        """Queue this event for its case thread if it belongs there; True if queued."""
        kind, text = event.get("event"), (event.get("text") or "").strip()
        if kind not in ("user", "bot") or not text or not self.active():
            return False
        metadata = event.get("metadata") or {}
        # A person's words came from the thread; an external intent is the engine's
        # trigger (its message follows as a bot utterance), not the customer talking.
        if metadata.get(HUMAN) or metadata.get("is_external"):
            return False
        case = self.cases.active_for(str(event.get("sender_id")))
        if case is None:
            return False
        # The card of a case the action server just opened is waiting: post it now rather
        # than at the worker's next look at the queue.
        wake_poster()
        # The turn that opened the case is in the card already, and so is what the bot
        # told the customer about the case (the messages that name it).
        if float(event.get("timestamp") or 0) <= case.created_at.timestamp():
            return False
        if kind == "bot" and case.id in text:
            return False
        if kind == "user":
            self.cases.customer_wrote(case.id, text)
        else:
            self.cases.note(case.id, text, {"who": "bot"})
        wake_poster()
        return True

    def is_ready(self) -> bool:
        return self.inner.is_ready() if self.inner is not None else True

    async def close(self) -> None:
        if self.inner is not None:
            await self.inner.close()
