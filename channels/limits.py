"""Send pacing for providers that limit messages per chat and per bot.

Telegram allows about one message a second per chat and thirty a second per bot;
a Twilio long code sends about one SMS segment a second. `SendLimiter.turn(key)`
holds a per-recipient lock (so one customer's messages keep their order), waits
for that recipient's interval and for a token from the global bucket, and lets a
429's `retry_after` push the recipient's (or everyone's) next send back.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager


class SendLimiter:
    """Per-recipient minimum interval plus a global messages-per-second budget."""

    def __init__(
        self,
        per_key_interval: float,
        global_per_second: float,
        *,
        per_key_burst: int = 1,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.per_key_interval = per_key_interval
        # Sends a recipient may make back to back before the interval applies (Slack allows
        # short bursts above 1 message/s per channel); a 429's retry_after is never shortened.
        self.per_key_burst = max(1, per_key_burst)
        self._blocked_until: dict[str, float] = {}
        self.global_interval = 1.0 / global_per_second if global_per_second > 0 else 0.0
        self._clock = clock
        self._sleep = sleep
        self._locks: dict[str, asyncio.Lock] = {}
        self._next_for_key: dict[str, float] = {}
        self._next_global = 0.0

    @asynccontextmanager
    async def turn(self, key: str) -> AsyncIterator[None]:
        """Wait until `key` may be sent to, then hold its turn while the caller sends."""
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            allowance = (self.per_key_burst - 1) * self.per_key_interval
            await self._wait_until(lambda: max(self._next_for_key.get(key, 0.0) - allowance,
                                               self._blocked_until.get(key, 0.0)))
            # Claim the global slot only once this recipient is ready, so a slow chat
            # never holds a token other chats could use.
            now = self._clock()
            slot = max(now, self._next_global)
            self._next_global = slot + self.global_interval
            if slot > now:
                await self._sleep(slot - now)
            try:
                yield
            finally:
                self._next_for_key[key] = max(self._next_for_key.get(key, 0.0),
                                              self._clock()) + self.per_key_interval

    def retry_after(self, seconds: float, key: str | None = None) -> None:
        """The provider said 'too many requests': nobody (or this key) sends for `seconds`."""
        until = self._clock() + max(0.0, seconds)
        if key is None:
            self._next_global = max(self._next_global, until)
        else:
            self._blocked_until[key] = max(self._blocked_until.get(key, 0.0), until)

    async def _wait_until(self, deadline: Callable[[], float]) -> None:
        while (delay := deadline() - self._clock()) > 0:
            await self._sleep(delay)
