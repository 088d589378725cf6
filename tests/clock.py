"""A clock tests move by hand, for code that takes `now` (or `clock`) as a callable."""

from __future__ import annotations

from datetime import datetime, timedelta


class Clock:
    """Returns `now` when called; `advance(minutes=5)` moves it."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now
