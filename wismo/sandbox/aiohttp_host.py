"""An aiohttp app served on 127.0.0.1 from a daemon thread with its own event loop.

Why: the sandbox Slack workspace runs inside ``wismo up`` and inside tests, beside code that
is not async; this is the serving part (bind, start, run coroutines on its loop, stop),
apart from what the workspace does.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from aiohttp import web


class AiohttpHost:
    """Serves ``app_factory()`` once started; ``on_stop`` runs on the loop before cleanup."""

    def __init__(self, app_factory: Callable[[], web.Application], *, name: str,
                 on_start: Callable[[asyncio.AbstractEventLoop], None] = lambda loop: None,
                 on_stop: Callable[[], Awaitable[None]] | None = None) -> None:
        self.app_factory, self.name = app_factory, name
        self.on_start, self.on_stop = on_start, on_stop
        self.port = 0
        self.loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self.loop is not None

    def start(self, port: int = 0) -> int:
        """Bind 127.0.0.1:port (0: a free one), serve from a daemon thread; the port."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))
        self.port = sock.getsockname()[1]
        self.loop = asyncio.new_event_loop()
        self.on_start(self.loop)
        ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, args=(sock, ready),
                                        name=self.name, daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError(f"{self.name} did not start")
        return self.port

    def _serve(self, sock: socket.socket, ready: threading.Event) -> None:
        loop = self.loop
        assert loop is not None
        asyncio.set_event_loop(loop)
        runner = web.AppRunner(self.app_factory(), access_log=None)
        loop.run_until_complete(runner.setup())
        loop.run_until_complete(web.SockSite(runner, sock).start())
        ready.set()
        loop.run_forever()
        loop.run_until_complete(self._shutdown(runner))
        loop.close()

    async def _shutdown(self, runner: web.AppRunner) -> None:
        if self.on_stop is not None:
            await self.on_stop()
        await runner.cleanup()
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def stop(self) -> None:
        loop, thread = self.loop, self._thread
        if loop is None or thread is None:
            return
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        self.loop = self._thread = None

    def run(self, coro: Coroutine[Any, Any, Any]) -> None:
        """Run ``coro`` on the server loop; wait for it unless we are that loop."""
        loop = self.loop
        if loop is None:
            coro.close()
            return
        if threading.current_thread() is self._thread:
            loop.create_task(coro)
        else:
            asyncio.run_coroutine_threadsafe(coro, loop).result(timeout=10)
