"""Telegram for wismo: a Rasa connector built on python-telegram-bot 22.

Enabled in credentials.yml as `channels.telegram.TelegramInput:`; Rasa mounts it under
/webhooks/telegram/. A delivery is checked before anything else: its size, then its
`X-Telegram-Bot-Api-Secret-Token` (the secret `wismo telegram set-webhook` gave Telegram),
in constant time. One conversation per private chat, `telegram:<chat id>`; group chats are
ignored, as replies there would show one customer's orders to the whole group.

Sending (pacing, buttons, long payloads) is in channels/telegram_output.py.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from telegram import Bot, Update
from telegram.constants import ChatType
from telegram.error import TelegramError

from channels.common import (
    UNSUPPORTED_NOTE,
    contact_store,
    conversation_id,
    default_contacts,
    too_large,
)
from channels.limits import SendLimiter
from channels.telegram_output import CHANNEL, TelegramOutput, resolve_callback
from wismo.contacts import ContactStore
from wismo.errors import ConfigError
from wismo.telegram_setup import API_BASE_URL, check_secret_token

logger = logging.getLogger(__name__)

_Turn = tuple[str, str, dict[str, Any]]  # what reaches the bot: text, conversation, metadata

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
LINK_EXPIRED_NOTE = ("That link has expired or was already used. "
                     "Please type your order number and I'll look it up.")
STALE_BUTTON_NOTE = "That button belongs to an older message. Please type your answer instead."


def secret_matches(received: str | None, secret: str) -> bool:
    """Whether a delivery carries our webhook secret (constant time; missing never matches)."""
    if not received or not secret:
        return False
    return hmac.compare_digest(received.encode(), secret.encode())


class TelegramInput(InputChannel):
    """Receives Telegram's webhook deliveries and hands customer messages to the bot."""

    @classmethod
    def name(cls) -> str:
        return CHANNEL

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        if not credentials:
            cls.raise_missing_credentials_exception()
        if not credentials.get("access_token"):
            raise ConfigError("credentials.yml: channels.telegram.TelegramInput needs "
                              "access_token (TELEGRAM_BOT_TOKEN)")
        var_dir = credentials.get("var_dir")
        return cls(
            access_token=credentials["access_token"],
            secret_token=check_secret_token(credentials.get("secret_token"),
                                            name="secret_token (TELEGRAM_SECRET_TOKEN)"),
            verify=credentials.get("verify"),
            webhook_url=credentials.get("webhook_url"),
            api_base_url=credentials.get("api_base_url") or API_BASE_URL,
            contacts=contact_store(str(var_dir)) if var_dir else default_contacts(),
        )

    def __init__(self, access_token: str, secret_token: str, contacts: ContactStore, *,
                 verify: str | None = None, webhook_url: str | None = None,
                 api_base_url: str = API_BASE_URL, limiter: SendLimiter | None = None,
                 max_tries: int = 3) -> None:
        self.secret_token = secret_token
        self.contacts = contacts
        self.verify = verify  # the bot's username, as in Rasa's Telegram block
        self.webhook_url = webhook_url  # registered by `wismo telegram set-webhook`
        self._output = TelegramOutput(access_token, contacts, api_base_url=api_base_url,
                                      limiter=limiter, max_tries=max_tries)
        # httpx logs every request URL at INFO, and Telegram's URLs contain the bot token.
        logging.getLogger("httpx").setLevel(logging.WARNING)

    def get_output_channel(self) -> TelegramOutput:
        """The one output channel (one limiter, one connection pool) for replies and pushes."""
        return self._output

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        telegram_webhook = Blueprint("telegram_webhook", __name__)
        output = self._output

        @telegram_webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @telegram_webhook.route("/webhook", methods=["POST"])
        async def webhook(request: Request) -> HTTPResponse:
            if too_large(request):
                return response.empty(status=413)
            if not secret_matches(request.headers.get(SECRET_HEADER), self.secret_token):
                return response.empty(status=403)
            update = _parse_update(request.body, output.bot)
            if update is not None:
                try:
                    await self._handle(update, output, on_new_message)
                except TelegramError:
                    # Logged by the output; a 5xx would only make Telegram deliver it again.
                    logger.error("telegram update %s: the reply could not be sent",
                                 update.update_id)
            return response.text("ok")

        @telegram_webhook.listener("after_server_stop")
        async def close(*_: Any) -> None:
            await output.close()

        return telegram_webhook

    async def _handle(self, update: Update, output: TelegramOutput,
                      on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        if update.callback_query is not None:
            turn = await self._button(update, output)
        elif update.message is not None and update.message.chat.type == ChatType.PRIVATE:
            turn = await self._message(update, output)
        else:
            kind = next((k for k in update.to_dict() if k != "update_id"), "empty")
            turn = _ignored(update, "group chat" if update.message else f"{kind} update")
        if turn is not None:
            text, conversation, metadata = turn
            await on_new_message(UserMessage(text, output, conversation,
                                             input_channel=CHANNEL, metadata=metadata))

    async def _button(self, update: Update, output: TelegramOutput) -> _Turn | None:
        """A button press: stop its spinner, then its payload is the customer's message."""
        query = update.callback_query
        chat = query.message.chat if query.message else None  # None: a message too old
        if chat is not None and chat.type != ChatType.PRIVATE:
            await output.answer_button(query.id)
            return _ignored(update, "button in a group chat")
        conversation = conversation_id(CHANNEL, str(chat.id if chat else query.from_user.id))
        self.contacts.seen(conversation, CHANNEL)
        options = self.contacts.options(conversation)
        payload = resolve_callback(query.data, options) if query.data else None
        await output.answer_button(query.id, None if payload else STALE_BUTTON_NOTE)
        if payload is None:
            return _ignored(update, "stale or empty button")
        message_id = query.message.message_id if query.message else None
        return payload, conversation, _metadata(update, query.from_user.id, message_id)

    async def _message(self, update: Update, output: TelegramOutput) -> _Turn | None:
        """Text or a caption goes to the bot; media gets the note; service messages nothing."""
        message = update.message
        text = message.text or message.caption
        if not text and message.effective_attachment is None:
            return _ignored(update, "service message")
        conversation = conversation_id(CHANNEL, str(message.chat.id))
        self.contacts.seen(conversation, CHANNEL)
        if not text:
            await output.send_text_message(conversation, UNSUPPORTED_NOTE)
            return None
        if _is_start(text):
            text = await self._start(text, conversation, output)
        user_id = message.from_user.id if message.from_user else None
        return text, conversation, _metadata(update, user_id, message.message_id)

    async def _start(self, text: str, conversation: str, output: TelegramOutput) -> str:
        """`/start <token>` from a deep link subscribes this chat; a plain `/start` greets."""
        token = text.partition(" ")[2].strip()
        if not token:
            return "/greet"
        if self.contacts.redeem_link(token, conversation, CHANNEL) is not None:
            logger.info("telegram conversation %s linked from a deep link", conversation)
            return "/subscribe_updates"
        logger.info("telegram conversation %s: deep link unknown, expired or used", conversation)
        await output.send_text_message(conversation, LINK_EXPIRED_NOTE)
        return "/greet"


def _is_start(text: str) -> bool:
    command = (text.split(maxsplit=1) or [""])[0]
    return command == "/start" or command.startswith("/start@")


def _metadata(update: Update, user_id: int | None, message_id: int | None) -> dict[str, Any]:
    return {"telegram_update_id": update.update_id, "telegram_user_id": user_id,
            "message_id": message_id}


def _ignored(update: Update, why: str) -> None:
    logger.info("telegram update %s ignored: %s", update.update_id, why)


def _parse_update(body: bytes | None, bot: Bot) -> Update | None:
    """The delivery as a PTB Update, or None (logged) when it is not one."""
    update_id = None
    try:
        data = json.loads(body or b"")
        update_id = data.get("update_id") if isinstance(data, dict) else None
        if not isinstance(update_id, int):
            raise ValueError("no update_id")
        return Update.de_json(data, bot)
    except (ValueError, TypeError, KeyError, AttributeError):
        logger.warning("telegram webhook: malformed update %s ignored", update_id)
        return None
