"""Replies and pushes to SMS and WhatsApp through Twilio's Messages API, without blocking.

Rasa 3.6's Twilio output calls the blocking REST client inside the event loop; this one
awaits `messages.create_async` on Twilio's aiohttp client. Every message:

- is split at 1600 characters (Twilio's body limit), pieces in order;
- is paced by a `SendLimiter` (one message a second per recipient by default) and, on a
  429, waits for `Retry-After` (or a doubling backoff), holds everyone back as long and
  tries again a few times;
- on WhatsApp, goes as free text only inside the 24-hour customer-service window opened
  by the customer's last message; outside it, as the configured Content template: a
  generic update approved in Twilio's Content Template Builder whose one variable, `{{1}}`,
  carries the text (docs/channels/twilio.md);
- is recorded by sid (conversation and channel) for the status callbacks.

Logs carry message sids and Twilio error codes, never phones or text.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import aiohttp
from rasa.core.channels.channel import OutputChannel
from twilio.base.exceptions import TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from channels.common import address_of, conversation_id
from channels.limits import SendLimiter
from channels.render import button_options, numbered, split_text
from wismo.config import Settings
from wismo.contacts import ContactStore
from wismo.errors import ConfigError, ProviderRejected, ProviderUnavailable
from wismo.identity import normalise_phone
from wismo.message_status import MessageStatusStore

log = logging.getLogger(__name__)

MAX_BODY = 1600  # characters Twilio accepts in one message body
# WhatsApp caps a template body at 1024 characters; leave room for the template's own words.
TEMPLATE_VARIABLE_LIMIT = 900
WHATSAPP_WINDOW = timedelta(hours=24)
MAX_RETRY_WAIT = 30.0  # seconds; a longer Retry-After is cut short (a reply cannot wait minutes)

# The Retry-After of the last 429 seen by the current task (set by _TwilioHttp, read by the
# sender that awaited it: both run in the same task, so concurrent sends do not mix).
_RETRY_AFTER: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "twilio_retry_after", default=None)


class TemplateRequired(ConfigError):
    """A WhatsApp message falls outside the 24-hour window and no template is configured."""


@dataclass(frozen=True)
class TwilioConfig:
    """One connector's credentials.yml block, validated."""

    account_sid: str
    auth_token: str
    public_url: str
    from_number: str | None = None
    messaging_service_sid: str | None = None
    api_base_url: str = "https://api.twilio.com"
    template_content_sid: str | None = None
    var_dir: Path = Path("var")
    per_recipient_interval: float = 1.0
    messages_per_second: float = 10.0
    max_retries: int = 3
    retry_backoff: float = 1.0
    timeout: float = 10.0

    @classmethod
    def from_credentials(cls, credentials: Mapping[str, Any], block: str) -> TwilioConfig:
        """Read a block; a missing or bad key raises ConfigError naming the key."""
        def text(key: str) -> str | None:
            value = credentials.get(key)
            return (str(value).strip() or None) if value is not None else None

        for key in ("account_sid", "auth_token", "public_url"):
            if not text(key):
                raise ConfigError(f"credentials.yml {block}: '{key}' is required")
        if not (text("from_number") or text("messaging_service_sid")):
            raise ConfigError(
                f"credentials.yml {block}: set 'from_number' or 'messaging_service_sid'")
        public_url = str(text("public_url"))
        if not public_url.startswith(("https://", "http://")):
            raise ConfigError(f"credentials.yml {block}: 'public_url' must start with https://")
        numbers = {}
        for key in ("per_recipient_interval", "messages_per_second", "max_retries",
                    "retry_backoff", "timeout"):
            raw = text(key)
            if raw is None:
                continue
            try:
                numbers[key] = float(raw)
            except ValueError:
                raise ConfigError(f"credentials.yml {block}: '{key}' must be a number") from None
        if "max_retries" in numbers:
            numbers["max_retries"] = int(numbers["max_retries"])
        var_dir = text("var_dir")
        return cls(
            account_sid=str(text("account_sid")),
            auth_token=str(text("auth_token")),
            public_url=public_url.rstrip("/"),
            from_number=text("from_number"),
            messaging_service_sid=text("messaging_service_sid"),
            api_base_url=(text("api_base_url") or cls.api_base_url).rstrip("/"),
            template_content_sid=text("template_content_sid"),
            var_dir=Path(var_dir) if var_dir else Settings.from_env().var_dir,
            **numbers,  # type: ignore[arg-type]
        )


class _TwilioHttp(AsyncTwilioHttpClient):
    """Twilio's aiohttp client, with the timeout applied to every request (the stock one
    only applies a per-call timeout), a session per request closed even when the request
    fails (no session outlives the loop that made it), and a 429's Retry-After kept."""

    def __init__(self, timeout: float) -> None:
        super().__init__(pool_connections=False, timeout=timeout)

    async def request(  # type: ignore[override]
        self, method: str, url: str, params: dict[str, object] | None = None,
        data: dict[str, object] | None = None, headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None, timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> Response:
        limit = aiohttp.ClientTimeout(total=timeout or self.timeout)
        login = aiohttp.BasicAuth(*auth) if auth else None
        async with aiohttp.ClientSession(timeout=limit) as session, session.request(
            method.upper(), url, params=params, data=data, headers=headers, auth=login,
            allow_redirects=allow_redirects,
        ) as answer:
            body = await answer.text()
            if answer.status == 429:
                _RETRY_AFTER.set(_seconds(answer.headers.get("Retry-After")))
            return Response(answer.status, body, answer.headers)


class TwilioSender:
    """One connector's outbound side: the async client, the pacing and the stores, shared
    by every output channel the connector hands out (so pacing is global)."""

    def __init__(
        self,
        channel: str,
        config: TwilioConfig,
        contacts: ContactStore,
        statuses: MessageStatusStore,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.channel = channel
        self.whatsapp = channel == "whatsapp"
        self.config = config
        self.contacts = contacts
        self.statuses = statuses
        self.limiter = SendLimiter(config.per_recipient_interval, config.messages_per_second,
                                   sleep=sleep)
        self._sleep = sleep
        self.client = Client(config.account_sid, config.auth_token,
                             http_client=_TwilioHttp(config.timeout))
        self.client.api.base_url = config.api_base_url
        self.status_callback = f"{config.public_url}/webhooks/{channel}/status"

    def conversation(self, recipient_id: str) -> tuple[str, str]:
        """(conversation id, E.164 phone) for 'whatsapp:+1…' / 'sms:+1…' or a bare number."""
        phone = normalise_phone(address_of(self.channel, recipient_id))
        if phone is None:
            raise ValueError(f"not a {self.channel} conversation id: expected "
                             f"'{self.channel}:+<E.164 number>'")
        return conversation_id(self.channel, phone), phone

    def offer(self, conversation: str, options: list[tuple[str, str]]) -> None:
        """Remember the numbered choices just offered ([] forgets stale ones)."""
        if options or self.contacts.options(conversation):
            self.contacts.remember_options(conversation, self.channel, options)

    async def send(self, conversation: str, phone: str, text: str) -> list[str]:
        """Send `text` (split as needed) to the conversation; the sids Twilio gave back."""
        if self.whatsapp and not self._window_open(conversation):
            if not self.config.template_content_sid:
                log.warning("whatsapp window closed and no template configured",
                            extra={"channel": self.channel})
                raise TemplateRequired(
                    "WhatsApp allows free text only within 24 hours of the customer's last "
                    "message; set template_content_sid (TWILIO_WHATSAPP_TEMPLATE_SID) to an "
                    "approved Content template with one variable, {{1}}")
            pieces = split_text(_one_line(text), TEMPLATE_VARIABLE_LIMIT)
            return [await self._create(conversation, phone, {
                "content_sid": self.config.template_content_sid,
                "content_variables": json.dumps({"1": piece}, ensure_ascii=False),
            }) for piece in pieces]
        return [await self._create(conversation, phone, {"body": piece})
                for piece in split_text(text, MAX_BODY)]

    def _window_open(self, conversation: str) -> bool:
        contact = self.contacts.get(conversation)
        last = contact.last_inbound_at if contact else None
        return last is not None and datetime.now(timezone.utc) - last < WHATSAPP_WINDOW

    async def _create(self, conversation: str, phone: str, content: dict[str, str]) -> str:
        to = f"whatsapp:{phone}" if self.whatsapp else phone
        async with self.limiter.turn(conversation):
            attempt = 0
            while True:
                _RETRY_AFTER.set(None)
                try:
                    message = await self.client.messages.create_async(
                        to=to, status_callback=self.status_callback, **self._origin(),
                        **content)
                    break
                except TwilioRestException as error:
                    if error.status != 429 or attempt >= self.config.max_retries:
                        log.warning("twilio refused a message", extra={
                            "channel": self.channel, "status": error.status,
                            "code": error.code})
                        raise _provider_error(error) from None
                    delay = _RETRY_AFTER.get()
                    if delay is None:
                        delay = self.config.retry_backoff * 2 ** attempt
                    delay = min(delay, MAX_RETRY_WAIT)
                    log.warning("twilio rate limit, retrying", extra={
                        "channel": self.channel, "delay": delay, "attempt": attempt + 1})
                    self.limiter.retry_after(delay)
                    await self._sleep(delay)
                    attempt += 1
                except (aiohttp.ClientError, asyncio.TimeoutError) as error:
                    log.warning("twilio unreachable", extra={
                        "channel": self.channel, "error": type(error).__name__})
                    raise ProviderUnavailable("twilio", type(error).__name__) from None
        sid = str(message.sid)
        self.statuses.sent(sid, conversation, self.channel, message.status or "queued")
        log.info("twilio message sent", extra={"channel": self.channel, "message_sid": sid})
        return sid

    def _origin(self) -> dict[str, str]:
        if self.config.messaging_service_sid:
            return {"messaging_service_sid": self.config.messaging_service_sid}
        number = str(self.config.from_number)
        if self.whatsapp and not number.startswith("whatsapp:"):
            number = f"whatsapp:{number}"
        return {"from_": number}


class TwilioOutput(OutputChannel):
    """Sends a conversation's replies, or a push to any 'whatsapp:+1…' / 'sms:+1…' id."""

    def __init__(self, sender: TwilioSender) -> None:
        self.sender = sender

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        """Plain text; any numbered options offered before are forgotten."""
        conversation, phone = self.sender.conversation(recipient_id)
        self.sender.offer(conversation, [])
        await self.sender.send(conversation, phone, text)

    async def send_text_with_buttons(self, recipient_id: str, text: str,
                                     buttons: list[dict[str, Any]], **kwargs: Any) -> None:
        """Buttons as numbered lines; a reply of '2' or the title then sends that payload."""
        conversation, phone = self.sender.conversation(recipient_id)
        options = button_options(buttons)
        self.sender.offer(conversation, options)
        await self.sender.send(conversation, phone, numbered(text, options))

    async def send_custom_json(self, recipient_id: str, json_message: dict[str, Any],
                               **kwargs: Any) -> None:
        """Custom payloads mean nothing in an SMS; skipped rather than sent as raw JSON."""
        log.warning("custom payload not sent", extra={"channel": self.sender.channel})


class WhatsAppOutput(TwilioOutput):
    @classmethod
    def name(cls) -> str:
        return "whatsapp"


class SmsOutput(TwilioOutput):
    @classmethod
    def name(cls) -> str:
        return "sms"


def _provider_error(error: TwilioRestException) -> ProviderRejected | ProviderUnavailable:
    # Twilio's message text can quote the recipient's number: keep only status and code.
    detail = f"error {error.code} (HTTP {error.status})"
    if error.status == 429 or error.status >= 500:
        return ProviderUnavailable("twilio", detail, error.status)
    return ProviderRejected("twilio", detail, error.status)


def _seconds(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None  # an HTTP date: fall back to our own backoff


def _one_line(text: str) -> str:
    # WhatsApp refuses template variables with new lines, tabs or 4+ consecutive spaces.
    return " ".join(text.split())
