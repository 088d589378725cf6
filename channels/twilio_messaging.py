"""WhatsApp and SMS through Twilio: one connector per channel name, sharing this code.

Enabled in credentials.yml (see docs/channels/twilio.md)::

    channels.twilio_messaging.WhatsAppInput:   # routes under /webhooks/whatsapp/
      account_sid: ${TWILIO_ACCOUNT_SID}
      auth_token: ${TWILIO_AUTH_TOKEN}
      from_number: ${TWILIO_WHATSAPP_FROM}     # "+14155238886"; "whatsapp:" is added
      public_url: ${TWILIO_PUBLIC_URL}
      template_content_sid: ${TWILIO_WHATSAPP_TEMPLATE_SID}
    channels.twilio_messaging.SmsInput:        # routes under /webhooks/sms/
      ...

Routes: `GET /` (health), `POST /webhook` (incoming messages), `POST /status` (delivery
status callbacks). Unlike Rasa 3.6's Twilio connector, every POST must carry a valid
`X-Twilio-Signature` — computed by Twilio over `public_url` + path + query and every form
field, blank ones included — or it is answered 403 and goes no further.

Incoming messages reach the bot as `whatsapp:+E164` / `sms:+E164` with metadata
`{"phone": "+E164", "message_sid": "SM…"}`; the webhook is answered with empty TwiML and
replies go out through the REST API (channels/twilio_output.py).

Keywords: a message that is exactly one of Twilio's opt-out words (STOP, STOPALL,
UNSUBSCRIBE, END, QUIT, CANCEL) reaches the bot as `/stop_notifications`, and START or
UNSTOP as `/subscribe_updates` — trimmed, any case. Only the bare word maps: "cancel my
order" is text. YES (Twilio's other opt-in word) is not mapped: customers use it to
confirm things. On SMS, Twilio also applies the opt-out itself (Advanced Opt-Out), so its
own confirmation goes out and our reply to STOP is refused (logged, no harm).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import parse_qs

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request, RequestParameters
from sanic.response import HTTPResponse
from twilio.request_validator import RequestValidator

from channels.common import UNSUPPORTED_NOTE, contact_store, conversation_id, too_large
from channels.render import chosen_option
from channels.twilio_output import (
    SmsOutput,
    TwilioConfig,
    TwilioOutput,
    TwilioSender,
    WhatsAppOutput,
)
from wismo.errors import WismoError
from wismo.identity import normalise_phone
from wismo.message_status import MessageStatusStore

log = logging.getLogger(__name__)

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
OPT_OUT = frozenset({"stop", "stopall", "unsubscribe", "end", "quit", "cancel"})
OPT_IN = frozenset({"start", "unstop"})
STOP_INTENT = "/stop_notifications"
SUBSCRIBE_INTENT = "/subscribe_updates"


def form_fields(body: bytes) -> RequestParameters:
    """The form Twilio posted, blank fields kept (Sanic's `request.form` drops them, and
    Twilio signs them: a media message's empty `Body` would fail the check)."""
    return RequestParameters(parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True))


def signed_url(public_url: str, path: str, query: str) -> str:
    """The URL Twilio called, as it signs it: the public base, our path, the query."""
    return f"{public_url.rstrip('/')}{path}" + (f"?{query}" if query else "")


def signature_valid(auth_token: str, url: str, fields: RequestParameters,
                    signature: str | None) -> bool:
    """Whether `X-Twilio-Signature` is Twilio's HMAC-SHA1 of this URL and these fields."""
    return bool(signature) and RequestValidator(auth_token).validate(url, fields, signature)


def keyword_intent(text: str) -> str | None:
    """The intent a bare opt-out / opt-in keyword stands for, else None."""
    word = text.strip().casefold()
    if word in OPT_OUT:
        return STOP_INTENT
    if word in OPT_IN:
        return SUBSCRIBE_INTENT
    return None


class TwilioMessagingInput(InputChannel):
    """What the WhatsApp and SMS connectors share; subclasses name the channel."""

    output_class: type[TwilioOutput] = TwilioOutput

    @classmethod
    def from_credentials(cls, credentials: Mapping[str, Any] | None) -> InputChannel:
        if not credentials:
            cls.raise_missing_credentials_exception()
        return cls(TwilioConfig.from_credentials(
            credentials, f"channels.twilio_messaging.{cls.__name__}"))

    def __init__(self, config: TwilioConfig, **sender_options: Any) -> None:
        self.config = config
        self.contacts = contact_store(str(config.var_dir))
        self.statuses = MessageStatusStore(config.var_dir / "wismo.db")
        self.sender = TwilioSender(self.name(), config, self.contacts, self.statuses,
                                   **sender_options)

    def get_output_channel(self) -> OutputChannel:
        """An output that replies to, or pushes to, any `<name>:+E164` conversation."""
        return self.output_class(self.sender)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        hook = Blueprint(f"{self.name()}_twilio_webhook", __name__)

        @hook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @hook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            fields, refusal = self._verified(request)
            if refusal is not None:
                return refusal
            await self._handle(fields, on_new_message)
            return response.text(EMPTY_TWIML, content_type="text/xml")

        @hook.route("/status", methods=["POST"])
        async def status(request: Request) -> HTTPResponse:
            fields, refusal = self._verified(request)
            if refusal is not None:
                return refusal
            sid, state = fields.get("MessageSid"), fields.get("MessageStatus")
            if sid and state:
                moved = self.statuses.update(sid, state, fields.get("ErrorCode"), self.name())
                log.info("twilio status", extra={"channel": self.name(), "message_sid": sid,
                                                 "status": state, "applied": moved})
            return response.empty(status=204)

        return hook

    def _verified(self, request: Request) -> tuple[RequestParameters, HTTPResponse | None]:
        """The posted form if Twilio signed it, else the refusal to answer with."""
        if too_large(request):
            return RequestParameters(), response.text("payload too large", status=413)
        fields = form_fields(request.body or b"")
        url = signed_url(self.config.public_url, request.path, request.query_string)
        if not signature_valid(self.config.auth_token, url, fields,
                               request.headers.get("X-Twilio-Signature")):
            log.warning("twilio signature rejected", extra={"channel": self.name()})
            return fields, response.text("forbidden", status=403)
        return fields, None

    async def _handle(self, fields: RequestParameters,
                      on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        sid = fields.get("MessageSid") or fields.get("SmsSid")
        phone = normalise_phone(fields.get("From"))
        if phone is None:
            log.info("twilio message without a phone sender ignored", extra={"message_sid": sid})
            return
        conversation = conversation_id(self.name(), phone)
        self.contacts.seen(conversation, self.name())
        text = (fields.get("Body") or "").strip()
        try:
            if not text:
                if _has_content(fields):  # the options on offer, if any, still stand
                    await self.sender.send(conversation, phone, UNSUPPORTED_NOTE)
                return
            text = keyword_intent(text) or chosen_option(
                text, self.contacts.options(conversation)) or text
            await on_new_message(UserMessage(
                text, self.get_output_channel(), conversation, input_channel=self.name(),
                message_id=sid, metadata={"phone": phone, "message_sid": sid}))
        except WismoError as error:
            # The customer's message arrived; a reply Twilio refused is not Twilio's to retry.
            log.warning("twilio reply failed", extra={
                "channel": self.name(), "message_sid": sid, "error": type(error).__name__})


class WhatsAppInput(TwilioMessagingInput):
    """WhatsApp through Twilio (sandbox or an approved sender), under /webhooks/whatsapp/."""

    output_class = WhatsAppOutput

    @classmethod
    def name(cls) -> str:
        return "whatsapp"


class SmsInput(TwilioMessagingInput):
    """SMS through a Twilio number or Messaging Service, under /webhooks/sms/."""

    output_class = SmsOutput

    @classmethod
    def name(cls) -> str:
        return "sms"


def _has_content(fields: RequestParameters) -> bool:
    """Media, a location or a sticker: something was sent, just not text."""
    media = fields.get("NumMedia") or "0"
    return (media.isdigit() and int(media) > 0) or bool(fields.get("Latitude"))
