"""Telegram Bot API payloads, shaped as https://core.telegram.org/bots/api documents them.

Factories for what Telegram posts to the webhook (Update, Message, CallbackQuery) and for
what the Bot API answers (`{"ok": true, "result": ...}`), so tests read as the scenario.
"""

from __future__ import annotations

import itertools
from typing import Any

CHAT_ID = 7351048826
BOT_USERNAME = "wismo_shop_bot"
DATE = 1735732800  # 2025-01-01T12:00:00Z

_update_ids = itertools.count(731_000_001)
_message_ids = itertools.count(101)


def make_user(user_id: int = CHAT_ID, **overrides: Any) -> dict[str, Any]:
    """A customer's User object."""
    return {"id": user_id, "is_bot": False, "first_name": "Ada", "last_name": "Lovelace",
            "username": "ada_l", "language_code": "en"} | overrides


def make_bot_user(**overrides: Any) -> dict[str, Any]:
    """The bot's own User, as getMe returns it."""
    return {"id": 6_100_000_001, "is_bot": True, "first_name": "Shop assistant",
            "username": BOT_USERNAME, "can_join_groups": False,
            "can_read_all_group_messages": False, "supports_inline_queries": False} | overrides


def make_chat(chat_id: int = CHAT_ID, **overrides: Any) -> dict[str, Any]:
    """The private Chat between the customer and the bot."""
    return {"id": chat_id, "type": "private", "first_name": "Ada", "username": "ada_l"} | overrides


def make_group_chat(chat_id: int = -1001234567890) -> dict[str, Any]:
    """A supergroup the bot was added to."""
    return {"id": chat_id, "type": "supergroup", "title": "Shop fans"}


def make_message(text: str | None = None, *, chat: dict[str, Any] | None = None,
                 sender: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
    """A Message from the customer; `fields` add content (sticker=..., caption=...)."""
    chat = chat or make_chat()
    message = {"message_id": next(_message_ids), "date": DATE, "chat": chat,
               "from": sender or make_user(chat["id"] if chat["id"] > 0 else CHAT_ID)}
    if text is not None:
        message["text"] = text
        if text.startswith("/"):
            command = text.split()[0]
            message["entities"] = [{"type": "bot_command", "offset": 0,
                                    "length": len(command)}]
    return message | fields


def make_update(*, update_id: int | None = None, **kind: Any) -> dict[str, Any]:
    """An Update: `make_update(message=make_message("hi"))`, `make_update(edited_message=...)`."""
    return {"update_id": next(_update_ids) if update_id is None else update_id} | kind


def text_update(text: str, **fields: Any) -> dict[str, Any]:
    return make_update(message=make_message(text, **fields))


def make_callback_query(data: str | None, *, chat: dict[str, Any] | None = None,
                        **overrides: Any) -> dict[str, Any]:
    """A CallbackQuery: the customer pressed an inline button under one of our messages."""
    chat = chat or make_chat()
    pressed_on = make_message("Pick one:", chat=chat, sender=make_bot_user())
    query = {"id": "4382bfdwdsb323b2d9", "from": make_user(), "message": pressed_on,
             "chat_instance": "-8422531145561548412"}
    if data is not None:
        query["data"] = data
    return query | overrides


def callback_update(data: str | None, **overrides: Any) -> dict[str, Any]:
    return make_update(callback_query=make_callback_query(data, **overrides))


# --- media the connector cannot read -------------------------------------------

_FILE = {"file_id": "AgACAgIAAxkBAAIBY2", "file_unique_id": "AQADx7kxG"}

MEDIA: dict[str, Any] = {
    "sticker": _FILE | {"type": "regular", "width": 512, "height": 512, "is_animated": False,
                        "is_video": False, "emoji": "👍"},
    "voice": _FILE | {"duration": 4, "mime_type": "audio/ogg", "file_size": 10240},
    "photo": [_FILE | {"width": 90, "height": 67, "file_size": 1254},
              _FILE | {"width": 1280, "height": 960, "file_size": 98304}],
    "video": _FILE | {"width": 640, "height": 360, "duration": 12},
    "animation": _FILE | {"width": 320, "height": 240, "duration": 3},
    "audio": _FILE | {"duration": 180, "performer": "Band", "title": "Song"},
    "document": _FILE | {"file_name": "receipt.pdf", "mime_type": "application/pdf"},
    "location": {"latitude": 39.7392, "longitude": -104.9903},
    "contact": {"phone_number": "+13035550142", "first_name": "Ada", "user_id": CHAT_ID},
}


def media_update(kind: str, **fields: Any) -> dict[str, Any]:
    """A message carrying only `kind` (a sticker, a voice note, ...)."""
    return make_update(message=make_message(None, **{kind: MEDIA[kind]}, **fields))


# --- Bot API answers ----------------------------------------------------------


def ok(result: Any) -> dict[str, Any]:
    return {"ok": True, "result": result}


def sent_message(text: str = "sent", chat_id: int = CHAT_ID) -> dict[str, Any]:
    """sendMessage's answer: the Message as sent by the bot."""
    return ok(make_message(text, chat=make_chat(chat_id), sender=make_bot_user()))


def too_many_requests(retry_after: int = 1) -> dict[str, Any]:
    return {"ok": False, "error_code": 429,
            "description": f"Too Many Requests: retry after {retry_after}",
            "parameters": {"retry_after": retry_after}}


def error(code: int, description: str) -> dict[str, Any]:
    return {"ok": False, "error_code": code, "description": description}
