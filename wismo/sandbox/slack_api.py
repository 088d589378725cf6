"""The Web API methods the app calls (``chat.postMessage`` and friends) and the messages they keep.

Why apart from the workspace: what each method checks and answers is Slack's contract, a piece
of its own; the workspace around it serves HTTP, injects faults and delivers events.
"""

from __future__ import annotations

import copy
import json
import secrets
import time
import uuid
from collections.abc import Callable
from typing import Any

from wismo.sandbox.slack_blocks import block_errors
from wismo.sandbox.slack_payloads import (
    APP_ID,
    BOT_ID,
    BOT_NAME,
    BOT_USER_ID,
    TEAM_DOMAIN,
    TEAM_ID,
    TEAM_NAME,
    Json,
)


def error_reply(error: str, **extra: Any) -> Json:
    """A Web API answer that failed: ``{"ok": false, "error": error, ...}``."""
    return {"ok": False, "error": error, **extra}


class WebApi:
    """One channel's messages and reactions, and the Web API methods that read and change them.

    Not thread-safe on its own: the workspace calls it holding its lock.
    """

    def __init__(self, *, bot_token: str, app_token: str, channel_id: str, channel_name: str,
                 agents: dict[str, str],
                 on_bot_post: Callable[[Json], None] | None = None) -> None:
        self.bot_token, self.app_token = bot_token, app_token
        self.channel_id, self.channel_name, self.agents = channel_id, channel_name, agents
        self.on_bot_post = on_bot_post  # told of each message the bot posts
        self.link_url = ""  # where Socket Mode connects, known once the workspace is bound
        self.messages: dict[str, Json] = {}  # ts -> latest version, in post order
        self.reactions: dict[str, list[str]] = {}
        self.tickets: set[str] = set()
        self._last_us = 0
        self.methods: dict[str, Callable[[Json], Json]] = {
            "auth.test": self._auth_test, "chat.postMessage": self._post_message,
            "chat.update": self._update, "reactions.add": self._react,
            "users.info": self._user_info, "apps.connections.open": self._connections_open,
        }

    def auth_error(self, method: str, token: str | None) -> str | None:
        """Why Slack would refuse ``token`` for ``method``, or None if it is the right one."""
        if not token:
            return "not_authed"
        wanted = self.app_token if method == "apps.connections.open" else self.bot_token
        if token == wanted:
            return None
        return "not_allowed_token_type" if token in (self.bot_token, self.app_token) \
            else "invalid_auth"

    def channel(self, given: Any) -> str | None:
        """The channel id that ``given`` (an id, a name or ``#name``) names, if it is ours."""
        name = str(given or "").lstrip("#")
        return self.channel_id if name in (self.channel_id, self.channel_name) else None

    def next_ts(self) -> str:
        """A new message timestamp, later than any given before."""
        us = max(int(time.time() * 1_000_000), self._last_us + 1)
        self._last_us = us
        return f"{us // 1_000_000}.{us % 1_000_000:06d}"

    def store(self, channel: str, text: str, blocks: list[Json] | None, thread_ts: str | None,
              user: str | None = None) -> Json:
        """Keep a new message (the bot's when ``user`` is None) and thread it under its parent."""
        ts = self.next_ts()
        message: Json = {"type": "message", "ts": ts, "channel": channel, "text": text}
        if user is None:
            message |= {"user": BOT_USER_ID, "bot_id": BOT_ID, "app_id": APP_ID,
                        "bot_profile": {"id": BOT_ID, "app_id": APP_ID, "name": "Wismo",
                                        "deleted": False, "team_id": TEAM_ID}}
        else:
            message |= {"user": user, "client_msg_id": str(uuid.uuid4())}
        message["team"] = TEAM_ID
        if blocks:
            message["blocks"] = blocks
        if thread_ts:
            parent = self.messages[thread_ts]
            message |= {"thread_ts": thread_ts, "parent_user_id": parent["user"]}
            users = parent.setdefault("reply_users", [])
            if message["user"] not in users:
                users.append(message["user"])
            parent |= {"thread_ts": thread_ts, "reply_count": parent.get("reply_count", 0) + 1,
                       "reply_users_count": len(users), "latest_reply": ts}
        self.messages[ts] = message
        if user is None and self.on_bot_post is not None:
            self.on_bot_post(message)
        return message

    def content(self, params: Json) -> tuple[str, list[Json] | None, Json | None]:
        """Text and blocks of a post or update, or the error Slack would answer."""
        text, blocks = str(params.get("text") or ""), params.get("blocks")
        if isinstance(blocks, str):
            try:
                blocks = json.loads(blocks)
            except ValueError:
                return text, None, error_reply("invalid_blocks_format")
        if blocks is not None and not isinstance(blocks, list):
            return text, None, error_reply("invalid_blocks_format")
        if blocks and (errors := block_errors(blocks)):
            return text, None, error_reply("invalid_blocks", errors=errors, response_metadata={
                "messages": [f"[ERROR] {e}" for e in errors]})
        if len(text) > 40_000:
            return text, None, error_reply("msg_too_long")
        for block in blocks or []:
            block.setdefault("block_id", secrets.token_urlsafe(4)[:5])
        return text, blocks, None

    def respond(self, ts: str, body: Json) -> tuple[Json, int]:
        """What a POST to the response_url of a button in message ``ts`` does: replace or
        delete the original, or post in the channel; the reply and its HTTP status."""
        original = self.messages.get(ts)
        text, blocks, error = self.content(body)
        if error or original is None:
            return error or error_reply("message_not_found"), 400
        if body.get("delete_original"):
            del self.messages[ts]
        elif body.get("replace_original"):
            original |= {"text": text, "edited": {"user": BOT_USER_ID, "ts": self.next_ts()}}
            if blocks is not None:
                original["blocks"] = blocks
        elif body.get("response_type") == "in_channel":
            self.store(original["channel"], text, blocks, body.get("thread_ts"))
        return {"ok": True}, 200

    def _auth_test(self, params: Json) -> Json:
        return {"ok": True, "url": f"https://{TEAM_DOMAIN}.slack.com/", "team": TEAM_NAME,
                "user": BOT_NAME, "team_id": TEAM_ID, "user_id": BOT_USER_ID, "bot_id": BOT_ID,
                "is_enterprise_install": False}

    def _post_message(self, params: Json) -> Json:
        channel = self.channel(params.get("channel"))
        if channel is None:
            return error_reply("channel_not_found")
        text, blocks, error = self.content(params)
        if error:
            return error
        if not text and not blocks:
            return error_reply("no_text")
        thread_ts = params.get("thread_ts") or None
        if thread_ts:
            parent = self.messages.get(thread_ts)
            if parent is None or parent["channel"] != channel:
                return error_reply("thread_not_found")
            thread_ts = parent.get("thread_ts", thread_ts)
        message = self.store(channel, text, blocks, thread_ts)
        return {"ok": True, "channel": channel, "ts": message["ts"],
                "message": copy.deepcopy(message)}

    def _update(self, params: Json) -> Json:
        channel = self.channel(params.get("channel"))
        if channel is None:
            return error_reply("channel_not_found")
        message = self.messages.get(str(params.get("ts")))
        if message is None or message["channel"] != channel:
            return error_reply("message_not_found")
        if message["user"] != BOT_USER_ID:
            return error_reply("cant_update_message")
        text, blocks, error = self.content(params)
        if error:
            return error
        if not text and blocks is None:
            return error_reply("no_text")
        if text:
            message["text"] = text
        if blocks is not None:
            message["blocks"] = blocks
        message["edited"] = {"user": BOT_USER_ID, "ts": self.next_ts()}
        return {"ok": True, "channel": channel, "ts": message["ts"], "text": message["text"],
                "message": copy.deepcopy(message)}

    def _react(self, params: Json) -> Json:
        ts, name = params.get("timestamp"), str(params.get("name") or "").strip(":")
        if not ts or not name:
            return error_reply("no_item_specified" if not ts else "invalid_name")
        message = self.messages.get(str(ts))
        if message is None or message["channel"] != self.channel(params.get("channel")):
            return error_reply("message_not_found")
        names = self.reactions.setdefault(message["ts"], [])
        if name in names:
            return error_reply("already_reacted")
        names.append(name)
        message.setdefault("reactions", []).append(
            {"name": name, "users": [BOT_USER_ID], "count": 1})
        return {"ok": True}

    def _user_info(self, params: Json) -> Json:
        user_id = str(params.get("user") or "")
        if user_id == BOT_USER_ID:
            real, is_bot = "Wismo", True
        elif user_id in self.agents:
            real, is_bot = self.agents[user_id], False
        else:
            return error_reply("user_not_found")
        first, _, last = real.partition(" ")
        handle = BOT_NAME if is_bot else first.lower()
        profile = {"real_name": real, "real_name_normalized": real, "display_name": first,
                   "display_name_normalized": first, "first_name": first, "last_name": last,
                   "status_text": "", "status_emoji": "", "team": TEAM_ID}
        if is_bot:
            profile |= {"bot_id": BOT_ID, "api_app_id": APP_ID, "always_active": True}
        return {"ok": True, "user": {
            "id": user_id, "team_id": TEAM_ID, "name": handle, "deleted": False,
            "real_name": real, "tz": "America/New_York", "tz_label": "Eastern Standard Time",
            "tz_offset": -18000, "profile": profile, "is_admin": False, "is_owner": False,
            "is_bot": is_bot, "is_app_user": False, "updated": 1732400000}}

    def _connections_open(self, params: Json) -> Json:
        ticket = str(uuid.uuid4())
        self.tickets.add(ticket)
        return {"ok": True, "url": f"{self.link_url}?ticket={ticket}&app_id={APP_ID}"}
