"""The web chat: Rasa's socket.io channel, plus the widget, a demo page and the history.

`WebChatInput` is Rasa's `SocketIOInput` under the name "webchat", so a push through
`POST /conversations/<session id>/trigger_intent?output_channel=webchat` reaches the
open page. The conversation id is the widget's session id (a random UUID kept in the
visitor's localStorage); every socket that asks for that session joins a room of the
same name, and replies and pushes are emitted to the room.

Two things differ from Rasa 3.6's own handlers: `enter_room` is awaited (it is a
coroutine in python-socketio 5.x, and Rasa's unawaited call leaves the socket outside
the room, so nothing sent to the session arrives), and session ids are checked, so a
conversation id is always a UUID the widget made.

Routes under /webhooks/webchat/: the socket.io endpoint (`socketio_path`), `widget.js`,
`widget.css`, `vendor/socket.io.min.js`, `demo` and `history/<session id>`.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import Any

from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.channels.socketio import SocketBlueprint, SocketIOInput, SocketIOOutput
from rasa.shared.core.events import BotUttered, Event, UserUttered
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from socketio import AsyncServer

from channels.common import MAX_WEBHOOK_BYTES, default_contacts

log = logging.getLogger(__name__)

WEB = Path(__file__).resolve().parent.parent / "web"

# What crypto.randomUUID() makes (any version, lowercase, canonical form).
_SESSION_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")

# The history a page reloads with; older turns stay in the tracker store.
HISTORY_LIMIT = 200

_ASSETS = {
    "widget.js": ("widget.js", "text/javascript; charset=utf-8"),
    "widget.css": ("widget.css", "text/css; charset=utf-8"),
    "demo": ("demo.html", "text/html; charset=utf-8"),
    "vendor/socket.io.min.js": ("vendor/socket.io.min.js", "text/javascript; charset=utf-8"),
    "vendor/socket.io-client.LICENSE": ("vendor/socket.io-client.LICENSE",
                                        "text/plain; charset=utf-8"),
}


def valid_session_id(value: Any) -> bool:
    """Whether `value` is a session id the widget could have made (a lowercase UUID)."""
    return isinstance(value, str) and bool(_SESSION_ID.match(value))


def history_messages(events: Iterable[Event]) -> list[dict[str, Any]]:
    """The conversation as the widget showed it: user and bot messages, oldest first.

    Bot texts are split at blank lines and buttons go on the last part, as the socket.io
    output sends them live. Pushed intents (`trigger_intent`) are not user messages; a
    button click shows the title the customer clicked, not its payload.
    """
    messages: list[dict[str, Any]] = []
    for event in events:
        if isinstance(event, UserUttered):
            metadata = event.metadata or {}
            if metadata.get("is_external") or not event.text:
                continue
            title = metadata.get("title")
            text = title if isinstance(title, str) and title else event.text
            messages.append({"sender": "user", "text": text, "timestamp": event.timestamp})
        elif isinstance(event, BotUttered):
            data = event.data or {}
            buttons = [
                {"title": str(b.get("title", "")), "payload": str(b.get("payload", ""))}
                for b in (data.get("buttons") or data.get("quick_replies") or [])
                if isinstance(b, dict)
            ]
            parts = [p for p in (event.text or "").strip().split("\n\n") if p] or [""]
            if parts == [""] and not buttons:
                continue
            for i, part in enumerate(parts):
                last = i == len(parts) - 1
                messages.append({"sender": "bot", "text": part,
                                 "buttons": buttons if last else [],
                                 "timestamp": event.timestamp})
    return messages[-HISTORY_LIMIT:]


class WebChatOutput(SocketIOOutput):
    """Rasa's socket.io output under the web chat's name, with custom JSON kept intact."""

    @classmethod
    def name(cls) -> str:
        return "webchat"

    async def send_custom_json(
        self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any
    ) -> None:
        """Send custom JSON as `{"custom": ...}` (Rasa's spreads it into `emit` arguments)."""
        await self._send_message(recipient_id, {"custom": json_message})


class WebChatInput(SocketIOInput):
    """The socket.io channel the widget talks to, with session persistence always on."""

    @classmethod
    def name(cls) -> str:
        return "webchat"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        """Read the credentials.yml block; `session_persistence` cannot be turned off."""
        credentials = credentials or {}
        if credentials.get("session_persistence") is False:
            log.warning("webchat: session_persistence is required (history and pushes use "
                        "the session id); keeping it on")
        if credentials.get("jwt_key"):
            raise ValueError("webchat: jwt_key is not supported; the widget sends no token")
        return cls(
            user_message_evt=credentials.get("user_message_evt", "user_uttered"),
            bot_message_evt=credentials.get("bot_message_evt", "bot_uttered"),
            namespace=credentials.get("namespace"),
            session_persistence=True,
            socketio_path=credentials.get("socketio_path", "/webhooks/webchat/socket.io"),
            metadata_key=credentials.get("metadata_key", "metadata"),
        )

    def get_output_channel(self) -> WebChatOutput | None:
        """The output for pushes (`trigger_intent?output_channel=webchat`): emit to the room."""
        if self.sio is None:  # no blueprint in this process (another worker, a script)
            log.warning("webchat: no socket.io server in this process; a push is stored, not sent")
            return None
        return WebChatOutput(self.sio, self.bot_message_evt)

    def blueprint(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Blueprint:
        """The socket.io endpoint plus the widget's files, the demo page and the history."""
        # cors_allowed_origins=[] leaves CORS to the Rasa server's --cors, as Rasa does.
        sio = AsyncServer(async_mode="sanic", cors_allowed_origins=[],
                          max_http_buffer_size=MAX_WEBHOOK_BYTES)
        self.sio = sio
        bp = SocketBlueprint(sio, self.socketio_path, "webchat_webhook", __name__)
        namespace = self.namespace

        @bp.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @bp.route("/widget.js", methods=["GET"])
        async def widget(_: Request) -> HTTPResponse:
            return await _asset("widget.js")

        @bp.route("/widget.css", methods=["GET"])
        async def widget_css(_: Request) -> HTTPResponse:
            return await _asset("widget.css")

        @bp.route("/vendor/<name>", methods=["GET"])
        async def vendor(_: Request, name: str) -> HTTPResponse:
            return await _asset(f"vendor/{name}")

        @bp.route("/demo", methods=["GET"])
        async def demo(_: Request) -> HTTPResponse:
            return await _asset("demo")

        @bp.route("/history/<session_id>", methods=["GET"])
        async def history(request: Request, session_id: str) -> HTTPResponse:
            if not valid_session_id(session_id):
                return response.json({"error": "not a session id"}, status=400)
            agent = getattr(request.app.ctx, "agent", None)
            store = getattr(agent, "tracker_store", None)
            if store is None:
                return response.json({"error": "the assistant is starting"}, status=503)
            tracker = await store.retrieve_full_tracker(session_id)
            events = tracker.events if tracker is not None else []
            return response.json(history_messages(events), headers={"Cache-Control": "no-store"})

        @sio.on("session_request", namespace=namespace)
        async def session_request(sid: str, data: Any) -> None:
            requested = data.get("session_id") if isinstance(data, dict) else None
            session_id = requested if valid_session_id(requested) else str(uuid.uuid4())
            await self._join(sid, session_id)
            await sio.emit("session_confirm", session_id, room=sid, namespace=namespace)

        @sio.on(self.user_message_evt, namespace=namespace)
        async def handle_message(sid: str, data: Any) -> None:
            if not isinstance(data, dict) or not isinstance(data.get("message"), str):
                return
            session = await sio.get_session(sid, namespace=namespace)
            session_id = session.get("session_id")
            if session_id is None:
                # A message sent before session_request (a client's buffered emit).
                if not valid_session_id(data.get("session_id")):
                    log.info("webchat: message without a session ignored (socket %s)", sid)
                    return
                session_id = data["session_id"]
                await self._join(sid, session_id)
            # When the customer last wrote: the engine sends milestones to the chat used last.
            default_contacts().seen(session_id, self.name())
            metadata = data.get(self.metadata_key)
            await on_new_message(UserMessage(
                data["message"],
                WebChatOutput(sio, self.bot_message_evt),
                session_id,
                input_channel=self.name(),
                metadata=metadata if isinstance(metadata, dict) else None,
            ))

        return bp

    async def _join(self, sid: str, session_id: str) -> None:
        """Put the socket in its session's room (awaited: a coroutine in python-socketio 5)."""
        assert self.sio is not None
        await self.sio.enter_room(sid, session_id, namespace=self.namespace)
        await self.sio.save_session(sid, {"session_id": session_id}, namespace=self.namespace)
        log.debug("webchat: socket %s joined session %s", sid, session_id)


async def _asset(name: str) -> HTTPResponse:
    """One of the widget's files from web/ (a fixed list: no paths from the request)."""
    if name not in _ASSETS:
        return response.text("not found", status=404)
    filename, content_type = _ASSETS[name]
    cache = "public, max-age=86400" if name.startswith("vendor/") else "public, max-age=300"
    return await response.file(WEB / filename, mime_type=content_type,
                               headers={"Cache-Control": cache})
