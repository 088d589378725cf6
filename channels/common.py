"""What every customer channel shares: conversation ids, size limits, the contact store.

Conversations are keyed per channel user: `telegram:<chat id>`, `whatsapp:<E.164>`,
`sms:<E.164>`; the web chat uses its session id. The output channels take the same
id back (from a reply or a push through Rasa's `trigger_intent`) and find the address
after the prefix.
"""

from __future__ import annotations

import functools
import os

from sanic.request import Request

from wismo.cases import CaseStore
from wismo.config import Settings
from wismo.contacts import ContactStore

# Far above any real Telegram update or Twilio form post; anything bigger is not one.
MAX_WEBHOOK_BYTES = 256 * 1024

UNSUPPORTED_NOTE = (
    "Sorry, I can only read text messages. Please type your question, for example "
    "“where is my order #1042?”"
)


def conversation_id(channel: str, address: str) -> str:
    """The Rasa sender id for a channel user: 'telegram:42', 'sms:+13035550142'."""
    return f"{channel}:{address}"


def address_of(channel: str, conversation: str) -> str:
    """The channel address inside a conversation id (the id itself if it has no prefix)."""
    prefix = f"{channel}:"
    return conversation[len(prefix):] if conversation.startswith(prefix) else conversation


def too_large(request: Request) -> bool:
    """A body past MAX_WEBHOOK_BYTES (by header or by what actually arrived)."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_WEBHOOK_BYTES:
        return True
    return len(request.body or b"") > MAX_WEBHOOK_BYTES


@functools.lru_cache(maxsize=4)
def contact_store(var_dir: str) -> ContactStore:
    """One ContactStore per var directory in this process (connectors share it)."""
    from pathlib import Path

    return ContactStore(Path(var_dir) / "wismo.db")


@functools.lru_cache(maxsize=4)
def case_store(var_dir: str) -> CaseStore:
    """One CaseStore per var directory in this process (the Slack connector and the relay
    share it)."""
    from pathlib import Path

    return CaseStore(Path(var_dir) / "wismo.db")


def var_dir(configured: str | None = None) -> str:
    """The var directory a connector was given, else WISMO_VAR_DIR (read alone)."""
    return configured or os.environ.get("WISMO_VAR_DIR") or str(Settings.var_dir)


def default_contacts() -> ContactStore:
    """The contact store under the configured WISMO_VAR_DIR (read alone: this runs on every
    web chat message, and no other setting concerns it)."""
    return contact_store(var_dir())
