"""Mount a connector on a real Sanic app, as `rasa run` does, with a stand-in bot.

The bot is what Rasa's agent is to a connector: it receives each `UserMessage` and
answers through the message's output channel. Tests script its replies and read
what reached it; the connector itself, its HTTP route and its outbound client are
the real code, over real sockets.

    bot = ScriptedBot(reply=lambda m: [{"text": "Hello"}])
    with ConnectorHost(channel, bot) as host:
        requests.post(f"{host.url}/webhooks/telegram/webhook", ...)
        [message] = bot.received
"""

from __future__ import annotations

import asyncio
import socket
import threading
import uuid
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from rasa.core.channels.channel import InputChannel, UserMessage, register
from sanic import Sanic


class ScriptedBot:
    """Records each message and answers it with `reply(message)` (default: an echo)."""

    def __init__(self, reply: Callable[[UserMessage], list[dict[str, Any]]] | None = None):
        self.reply = reply or (lambda m: [{"text": f"You said: {m.text}"}])
        self.received: list[UserMessage] = []

    async def handle_message(self, message: UserMessage) -> None:
        self.received.append(message)
        for response in self.reply(message):
            await message.output_channel.send_response(message.sender_id, dict(response))


class AppHost:
    """Any Sanic app served on 127.0.0.1 (a free port) from a thread, for one test."""

    def __init__(self, app: Sanic) -> None:
        self.app = app
        self.url = ""
        self.loop: asyncio.AbstractEventLoop | None = None
        self._ready = threading.Event()
        self._thread: threading.Thread | None = None
        self._server: Any = None

    def __enter__(self) -> AppHost:
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the Sanic test app did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        if self.loop and self._server:
            asyncio.run_coroutine_threadsafe(self._stop(), self.loop).result(5)
            self.loop.call_soon_threadsafe(self.loop.stop)
        if self._thread:
            self._thread.join(5)

    def run(self, coro: Any, timeout: float = 10) -> Any:
        """Run a coroutine on the app's loop (e.g. a push through the output channel)."""
        assert self.loop is not None
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def _serve(self) -> None:
        self.loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self._start())
        self._ready.set()
        self.loop.run_forever()

    async def _stop(self) -> None:
        await self._server.before_stop()
        for connection in list(self._server.connections):
            connection.close_if_idle()
        await self._server.close()
        await self._server.after_stop()

    async def _start(self) -> None:
        # Sanic 21.12 reads port=0 as "use 8000", so bind a free port ourselves.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        self._server = await self.app.create_server(
            sock=sock, return_asyncio_server=True, access_log=False
        )
        await self._server.startup()
        await self._server.before_start()
        await self._server.after_start()
        port = self._server.server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"


class ConnectorHost(AppHost):
    """A Sanic app serving `channel` under /webhooks/, with `bot` as Rasa's agent."""

    def __init__(self, channel: InputChannel, bot: ScriptedBot) -> None:
        Sanic.test_mode = True
        self.channel = channel
        self.bot = bot
        app = Sanic(f"host_{uuid.uuid4().hex[:8]}")
        app.ctx.agent = SimpleNamespace(handle_message=bot.handle_message)
        register([channel], app, "/webhooks/")
        super().__init__(app)
