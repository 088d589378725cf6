"""When a person is at the desk: the support team's opening hours, and the words for them.

Pure (no I/O, no clock): callers pass ``now``. A handoff tells the customer when a person is
expected, so the hours are parsed from one compact setting (``WISMO_BUSINESS_HOURS``):

    "Mon-Fri 09:00-17:00; Sat 10:00-14:00"

Segments are separated by ``;``; each is days (``Mon``..``Sun``, ranges ``Mon-Fri`` and lists
``Mon,Wed,Fri``, mixable: ``Mon-Wed,Fri``) then ``HH:MM-HH:MM`` in 24-hour wall-clock time of the
store's time zone (``24:00`` ends at midnight). ``24/7`` (or an empty value) means always open;
``closed`` means nobody is answering (holidays). Hours are wall-clock, so DST shifts are handled
by zoneinfo: "09:00" stays 9 in the morning either side of the change.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from wismo.errors import ConfigError
from wismo.eta import format_time, on_day

VARIABLE = "WISMO_BUSINESS_HOURS"
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
FULL_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
ALWAYS_OPEN = ("", "24/7", "always")
NEVER_OPEN = ("closed", "never")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")


@dataclass(frozen=True)
class Window:
    """One opening period on one weekday (0 = Monday), in minutes after local midnight."""

    weekday: int
    start: int
    end: int  # up to 1440 (24:00)


@dataclass(frozen=True)
class Schedule:
    """Opening hours in one time zone; ``always_open`` ignores ``windows``."""

    tz: ZoneInfo
    windows: tuple[Window, ...] = ()
    always_open: bool = False


def parse_schedule(text: str, tz_name: str = "UTC") -> Schedule:
    """Parse the setting; a malformed part raises ConfigError naming the variable and part."""
    try:
        tz = ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"WISMO_TIMEZONE must be an IANA time zone, got {tz_name!r}") from None
    cleaned = text.strip().lower()
    if cleaned in ALWAYS_OPEN:
        return Schedule(tz, always_open=True)
    if cleaned in NEVER_OPEN:
        return Schedule(tz)
    windows: list[Window] = []
    for segment in (s.strip() for s in text.split(";")):
        if not segment:
            continue
        parts = segment.split()
        if len(parts) != 2:
            raise _bad(segment, "expected days then hours, like 'Mon-Fri 09:00-17:00'")
        days, hours = parts
        start, end = _hours(hours, segment)
        windows += [Window(d, start, end) for d in _days(days, segment)]
    if not windows:
        raise _bad(text, "no opening hours found")
    return Schedule(tz, tuple(sorted(set(windows), key=lambda w: (w.weekday, w.start))))


def _bad(part: str, why: str) -> ConfigError:
    return ConfigError(f"{VARIABLE}: {why}, got {part!r}")


def _day(name: str, segment: str) -> int:
    """'Mon' or 'Monday', any case."""
    key = name.strip().lower()
    for i, day in enumerate(DAYS):
        if key in (day, FULL_DAYS[i]):
            return i
    raise _bad(segment, f"unknown day {name.strip()!r} (use Mon, Tue, … Sun)")


def _days(spec: str, segment: str) -> list[int]:
    found: list[int] = []
    for item in spec.split(","):
        if "-" in item:
            first, _, last = item.partition("-")
            a, b = _day(first, segment), _day(last, segment)
            # Wraps the week end: "Fri-Mon" is Fri, Sat, Sun, Mon.
            found += [(a + i) % 7 for i in range((b - a) % 7 + 1)]
        else:
            found.append(_day(item, segment))
    return found


def _minutes(value: str, segment: str) -> int:
    m = _TIME.match(value)
    if not m:
        raise _bad(segment, f"time {value!r} is not HH:MM")
    h, mi = int(m.group(1)), int(m.group(2))
    if mi > 59 or h > 24 or (h == 24 and mi):
        raise _bad(segment, f"time {value!r} is out of range (00:00 to 24:00)")
    return h * 60 + mi


def _hours(spec: str, segment: str) -> tuple[int, int]:
    first, sep, last = spec.partition("-")
    if not sep:
        raise _bad(segment, f"hours {spec!r} are not HH:MM-HH:MM")
    start, end = _minutes(first, segment), _minutes(last, segment)
    if end <= start:
        raise _bad(segment, f"hours {spec!r} end before they start (split overnight hours "
                   "across two days, ending at 24:00)")
    return start, end


def _local(schedule: Schedule, now: datetime) -> datetime:
    """``now`` on the store's wall clock (a naive ``now`` is taken to be store time already)."""
    return now.astimezone(schedule.tz) if now.tzinfo else now.replace(tzinfo=schedule.tz)


def is_open(schedule: Schedule, now: datetime) -> bool:
    """True when a person is at the desk at ``now``."""
    if schedule.always_open:
        return True
    local = _local(schedule, now)
    minute = local.hour * 60 + local.minute
    return any(w.weekday == local.weekday() and w.start <= minute < w.end
               for w in schedule.windows)


def next_opening(schedule: Schedule, now: datetime) -> datetime | None:
    """When a person is next at the desk, in store time: ``now`` itself when open already,
    None when the schedule never opens."""
    if is_open(schedule, now):
        return _local(schedule, now)
    local = _local(schedule, now)
    minute = local.hour * 60 + local.minute
    for offset in range(8):
        day = local.date() + timedelta(days=offset)
        for w in schedule.windows:
            if w.weekday == day.weekday() and (offset or w.start > minute):
                return _at(schedule, day, w.start)
    return None


def _at(schedule: Schedule, day: date, minute: int) -> datetime:
    """Wall-clock ``minute`` on ``day``; a time skipped by DST moves to the real instant."""
    wall = datetime.combine(day, time(minute // 60, minute % 60), tzinfo=schedule.tz)
    return wall.astimezone(timezone.utc).astimezone(schedule.tz)


def when_words(when: datetime, now: datetime) -> str:
    """'today at 10 AM', 'tomorrow at 9 AM', 'on Monday at 9 AM', 'on Friday, May 1 at 9 AM'."""
    today = _local_date(when, now)
    d = when.date()
    delta = (d - today).days
    day = f"on {d:%A}" if 2 <= delta <= 6 else on_day(d, today)
    return f"{day} at {format_time(when.time())}"


def _local_date(when: datetime, now: datetime) -> date:
    return now.astimezone(when.tzinfo).date() if now.tzinfo else now.date()


def when_a_person_replies(
    schedule: Schedule, now: datetime, typical_reply: str | None = None
) -> str:
    """One sentence for the customer: when a person is expected to answer.

    ``typical_reply`` (e.g. "usually within 15 minutes") replaces "shortly" inside hours.
    """
    if is_open(schedule, now):
        return f"A person will reply here {typical_reply or 'shortly'}."
    opening = next_opening(schedule, now)
    if opening is None:
        return "Our team is offline right now; someone will reply here as soon as they're back."
    return ("Our team is offline right now; someone will reply here when they're back "
            f"{when_words(opening, now)}.")
