"""Sending to Telegram: replies and proactive pushes, paced, with buttons that fit.

Telegram's callback_data holds 64 bytes. A button payload that fits travels as it is;
otherwise the keyboard is remembered for the chat (ContactStore.remember_options) and the
button carries `wismo:<n>:<digest>`; the digest tells a press on an older, replaced
keyboard from one on the current keyboard.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import warnings
from typing import Any

from rasa.core.channels.channel import OutputChannel
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import RetryAfter, TelegramError
from telegram.warnings import PTBDeprecationWarning

from channels.common import address_of, conversation_id
from channels.limits import SendLimiter
from channels.render import button_options, chosen_option, split_text
from wismo.contacts import ContactStore
from wismo.telegram_setup import API_BASE_URL

logger = logging.getLogger(__name__)

CHANNEL = "telegram"
MAX_TEXT = 4096
MAX_CALLBACK_BYTES = 64
OPTION_PREFIX = "wismo:"


def callback_data(number: int, payload: str) -> str:
    """What button `number` (1-based) carries: the payload, or a token when it won't fit."""
    if len(payload.encode()) <= MAX_CALLBACK_BYTES and not payload.startswith(OPTION_PREFIX):
        return payload
    return f"{OPTION_PREFIX}{number}:{_digest(payload)}"


def resolve_callback(data: str, options: list[tuple[str, str]]) -> str | None:
    """The payload a pressed button stands for; None for a token from a replaced keyboard."""
    if not data.startswith(OPTION_PREFIX):
        return data
    number, _, digest = data[len(OPTION_PREFIX):].partition(":")
    payload = chosen_option(number, options)
    return payload if payload is not None and _digest(payload) == digest else None


def _digest(payload: str) -> str:
    return hashlib.sha256(payload.encode()).hexdigest()[:12]


class TelegramOutput(OutputChannel):
    """Sends to any `telegram:<chat id>` conversation: replies and proactive pushes alike.

    PTB's Bot is used without `initialize()`: that only calls getMe to cache the bot's own
    profile, which sending never needs, so the server starts without a round trip to
    Telegram. The Bot (and its connection pool) is made on first use; `close()` frees it.
    """

    @classmethod
    def name(cls) -> str:
        return CHANNEL

    def __init__(self, token: str, contacts: ContactStore, *, api_base_url: str = API_BASE_URL,
                 limiter: SendLimiter | None = None, max_tries: int = 3,
                 max_retry_after: float = 30.0) -> None:
        self.contacts, self.api_base_url, self._token = contacts, api_base_url, token
        # Telegram: about one message a second per chat, thirty a second per bot.
        self.limiter = limiter or SendLimiter(per_key_interval=1.0, global_per_second=30)
        self.max_tries, self.max_retry_after = max_tries, max_retry_after
        self._bot: Bot | None = None
        self._chat_locks: dict[str, asyncio.Lock] = {}

    @property
    def bot(self) -> Bot:
        if self._bot is None:
            self._bot = Bot(self._token, base_url=self.api_base_url)
        return self._bot

    async def close(self) -> None:
        """Free the HTTP connection pool (the next send opens a new one)."""
        bot, self._bot = self._bot, None
        if bot is not None:
            await bot.shutdown()

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        """Send `text`, in pieces of at most 4096 characters cut where a reader pauses."""
        await self._send(address_of(CHANNEL, recipient_id), split_text(text, MAX_TEXT))

    async def send_text_with_buttons(self, recipient_id: str, text: str,
                                     buttons: list[dict[str, Any]], **kwargs: Any) -> None:
        """Send `text` with one inline button per row under its last piece."""
        chat = address_of(CHANNEL, recipient_id)
        options = button_options(buttons)
        if any(callback_data(n, p) != p for n, (_, p) in enumerate(options, start=1)):
            self.contacts.remember_options(conversation_id(CHANNEL, chat), CHANNEL, options)
        keyboard = InlineKeyboardMarkup(
            [[InlineKeyboardButton(title or payload, callback_data=callback_data(n, payload))]
             for n, (title, payload) in enumerate(options, start=1)])
        await self._send(chat, split_text(text, MAX_TEXT) or ["Please choose:"], keyboard)

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        """Send a photo Telegram fetches from `image`."""
        chat = address_of(CHANNEL, recipient_id)
        async with self._chat_locks.setdefault(chat, asyncio.Lock()):
            await self._call(chat, "send_photo", photo=image)

    async def answer_button(self, query_id: str, note: str | None = None) -> None:
        """Stop the button's spinner (with a note, if any); a stale query is only logged."""
        try:
            await self.bot.answer_callback_query(query_id, text=note)
        except TelegramError as exc:
            logger.warning("telegram callback %s not answered: %s", query_id, exc.message)

    async def _send(self, chat: str, pieces: list[str],
                    keyboard: InlineKeyboardMarkup | None = None) -> None:
        # One message's pieces (and retries) go out before another message to the same chat.
        async with self._chat_locks.setdefault(chat, asyncio.Lock()):
            for n, piece in enumerate(pieces, start=1):
                markup = keyboard if n == len(pieces) else None
                await self._call(chat, "send_message", text=piece, reply_markup=markup)

    async def _call(self, chat: str, method: str, **params: Any) -> Any:
        """One Bot API call, paced by the limiter; a 429's retry_after is waited out."""
        attempt = 1
        while True:
            async with self.limiter.turn(chat):
                try:
                    return await getattr(self.bot, method)(chat_id=chat, **params)
                except RetryAfter as exc:
                    wait = _seconds(exc)
                    if attempt >= self.max_tries or wait > self.max_retry_after:
                        logger.warning("telegram %s to chat %s: flood control (%s s), giving up",
                                       method, chat, wait)
                        raise
                    logger.info("telegram %s to chat %s: flood control, retrying in %s s",
                                method, chat, wait)
                    self.limiter.retry_after(wait, chat)
                except TelegramError as exc:
                    logger.warning("telegram %s to chat %s failed: %s: %s", method, chat,
                                   type(exc).__name__, exc.message)
                    raise
            attempt += 1


def _seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():  # PTB 22 warns that the type becomes timedelta in 23
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return float(value if isinstance(value, (int, float)) else value.total_seconds())
