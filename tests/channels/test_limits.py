"""SendLimiter on a fake clock: the waits it asks for are recorded, never slept."""

from __future__ import annotations

import asyncio

import pytest

from channels.limits import SendLimiter


class FakeTime:
    """A clock that moves only when the limiter sleeps (or a test says so)."""

    def __init__(self) -> None:
        self.now = 0.0
        self.waits: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.waits.append(round(seconds, 6))
        self.now += seconds


def make_limiter(time: FakeTime, per_key: float = 1.0, per_second: float = 30) -> SendLimiter:
    return SendLimiter(per_key, per_second, clock=time.clock, sleep=time.sleep)


async def send(limiter: SendLimiter, time: FakeTime, key: str, log: list) -> None:
    async with limiter.turn(key):
        log.append((key, round(time.now, 6)))


def test_one_recipient_waits_the_interval_between_messages():
    time = FakeTime()
    limiter = make_limiter(time, per_key=1.0, per_second=1000)
    log: list = []

    async def scenario() -> None:
        for _ in range(3):
            await send(limiter, time, "chat-1", log)

    asyncio.run(scenario())

    assert log == [("chat-1", 0.0), ("chat-1", 1.0), ("chat-1", 2.0)]


def test_different_recipients_share_only_the_global_budget():
    time = FakeTime()
    limiter = make_limiter(time, per_key=1.0, per_second=10)
    log: list = []

    async def scenario() -> None:
        for key in ("a", "b", "c"):
            await send(limiter, time, key, log)

    asyncio.run(scenario())

    assert log == [("a", 0.0), ("b", 0.1), ("c", 0.2)]


def test_retry_after_for_a_key_holds_back_only_that_key():
    time = FakeTime()
    limiter = make_limiter(time, per_key=0.0, per_second=1000)
    log: list = []

    async def scenario() -> None:
        limiter.retry_after(5, key="slow")
        await send(limiter, time, "fast", log)
        await send(limiter, time, "slow", log)

    asyncio.run(scenario())

    assert log == [("fast", 0.0), ("slow", 5.0)]


def test_retry_after_for_everyone_holds_back_every_key():
    time = FakeTime()
    limiter = make_limiter(time, per_key=0.0, per_second=1000)
    log: list = []

    async def scenario() -> None:
        limiter.retry_after(3)
        await send(limiter, time, "a", log)
        await send(limiter, time, "b", log)

    asyncio.run(scenario())

    assert [when for _, when in log] == [3.0, pytest.approx(3.001)]


def test_concurrent_messages_to_one_recipient_keep_their_order():
    time = FakeTime()
    limiter = make_limiter(time, per_key=1.0, per_second=1000)
    log: list = []

    async def scenario() -> None:
        await asyncio.gather(*(send(limiter, time, "chat-1", log) for _ in range(3)))

    asyncio.run(scenario())

    assert [when for _, when in log] == [0.0, 1.0, 2.0]


def test_a_negative_retry_after_is_ignored():
    time = FakeTime()
    limiter = make_limiter(time, per_key=0.0, per_second=1000)
    log: list = []

    limiter.retry_after(-4, key="chat-1")
    asyncio.run(send(limiter, time, "chat-1", log))

    assert log == [("chat-1", 0.0)]
    assert time.waits == []


def test_a_burst_allowance_lets_a_quiet_channel_send_at_once_then_paces_it():
    time = FakeTime()
    limiter = SendLimiter(1.0, 0, per_key_burst=3, clock=time.clock, sleep=time.sleep)
    log: list = []

    async def scenario() -> None:
        for _ in range(5):
            await send(limiter, time, "C0SUPPORT", log)
        time.now += 10  # quiet for a while: the whole burst is available again
        for _ in range(3):
            await send(limiter, time, "C0SUPPORT", log)

    asyncio.run(scenario())
    assert [at for _, at in log] == [0.0, 0.0, 0.0, 1.0, 2.0, 12.0, 12.0, 12.0]


def test_a_429_is_waited_out_in_full_whatever_the_burst_allowance():
    time = FakeTime()
    limiter = SendLimiter(1.0, 0, per_key_burst=3, clock=time.clock, sleep=time.sleep)
    log: list = []

    async def scenario() -> None:
        await send(limiter, time, "C0SUPPORT", log)
        limiter.retry_after(5, "C0SUPPORT")
        await send(limiter, time, "C0SUPPORT", log)

    asyncio.run(scenario())
    assert [at for _, at in log] == [0.0, 5.0]
