"""Speaking into a Rasa conversation from outside a bot turn: pausing it, resuming it, and
sending a message on the customer's own channel (an agent's reply from Slack).

Runs in the Rasa server process, on its Sanic app: the agent's tracker and lock stores and
the input channels Rasa registered (`app.ctx.input_channels`), exactly as Rasa's
`trigger_intent` finds a conversation's output channel.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa.shared.core.events import BotUttered, ConversationPaused, ConversationResumed, Event
from sanic import Sanic

log = logging.getLogger(__name__)


class ConversationBridge:
    """Pause, resume and speak into Rasa conversations from outside a bot turn."""

    def __init__(self, app: Sanic) -> None:
        self.app = app

    async def say(self, conversation_id: str, text: str, metadata: dict[str, Any],
                  *extra: Event) -> str | None:
        """Send `text` to the customer on their last channel and log it, then `extra`
        events; returns why it could not be sent, or None."""
        agent = self.app.ctx.agent
        # Read and send without the conversation's lock: Rasa polls a held lock once a
        # second, so a customer writing meanwhile would wait that long for nothing.
        tracker = await agent.tracker_store.retrieve(conversation_id)
        name = tracker.get_latest_input_channel() if tracker else None
        output = next((c.get_output_channel() for c in self.app.ctx.input_channels
                       if c.name() == name), None)
        problem = None
        if output is None:
            problem = f"the customer's channel ({name or 'unknown'}) cannot take pushes"
        else:
            try:
                await output.send_response(conversation_id, {"text": text})
            except Exception as exc:  # any channel's failure becomes a note in Slack
                log.exception("slack handoff: delivery to %s failed", conversation_id)
                problem = f"{name} refused it ({type(exc).__name__})"
        async with agent.lock_store.lock(conversation_id):
            tracker = await agent.tracker_store.get_or_create_tracker(conversation_id)
            if problem is None:
                tracker.update(BotUttered(text, metadata=metadata))
            for event in extra:
                if not (isinstance(event, ConversationPaused) and tracker.is_paused()):
                    tracker.update(event)
            await agent.tracker_store.save(tracker)
        return problem

    async def is_paused(self, conversation_id: str) -> bool:
        tracker = await self.app.ctx.agent.tracker_store.retrieve(conversation_id)
        return bool(tracker and tracker.is_paused())

    async def set_paused(self, conversation_id: str, paused: bool,
                         *extra: Event) -> None:
        """Pause or resume the bot for this conversation (idempotent)."""
        agent = self.app.ctx.agent
        async with agent.lock_store.lock(conversation_id):
            tracker = await agent.tracker_store.get_or_create_tracker(conversation_id)
            if tracker.is_paused() != paused:
                tracker.update(ConversationPaused() if paused else ConversationResumed())
            for event in extra:
                tracker.update(event)
            await agent.tracker_store.save(tracker)
