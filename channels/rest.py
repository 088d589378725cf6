"""Rasa's REST channel, closed to impersonation.

Rasa 3.6's `RestInput` takes `input_channel` and `metadata` from the request body, so any
caller could claim to be an SMS from a customer's phone (the phone proves ownership on
SMS and WhatsApp) or reuse another channel's conversation id. Here the channel is always
`rest`, client metadata is ignored, and every conversation id is put under `rest:`, so a
REST caller can only ever reach REST conversations. `wismo chat`, the tests and the
benchmarks talk to it as before.
"""

from __future__ import annotations

from typing import Any

from rasa.core.channels.rest import RestInput as RasaRestInput
from sanic.request import Request

from channels.common import conversation_id

PREFIX = "rest"


class RestInput(RasaRestInput):
    """POST /webhooks/rest/webhook {"sender": …, "message": …}, trusted for nothing."""

    async def _extract_sender(self, req: Request) -> str | None:
        sender = await super()._extract_sender(req)
        if sender is None:
            return None
        sender = str(sender)
        return sender if sender.startswith(f"{PREFIX}:") else conversation_id(PREFIX, sender)

    def _extract_input_channel(self, req: Request) -> str:
        return self.name()

    def get_metadata(self, request: Request) -> dict[str, Any] | None:
        return None
