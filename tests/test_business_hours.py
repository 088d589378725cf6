from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from wismo.business_hours import (
    Window,
    is_open,
    next_opening,
    parse_schedule,
    when_a_person_replies,
)
from wismo.config import Settings
from wismo.errors import ConfigError

NY = ZoneInfo("America/New_York")
WEEKDAYS = parse_schedule("Mon-Fri 09:00-17:00", "America/New_York")
WITH_SATURDAY = parse_schedule("Mon-Fri 09:00-17:00; Sat 10:00-14:00", "America/New_York")


def ny(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    """A wall-clock time in New York in 2025 (March 7 is a Friday; DST starts March 9)."""
    return datetime(2025, month, day, hour, minute, tzinfo=NY)


@pytest.mark.parametrize(("text", "windows"), [
    ("Mon 09:00-17:00", [Window(0, 540, 1020)]),
    ("Mon,Wed 08:30-12:00", [Window(0, 510, 720), Window(2, 510, 720)]),
    ("sat-sun 10:00-14:00", [Window(5, 600, 840), Window(6, 600, 840)]),
    ("Fri-Mon 00:00-24:00", [Window(0, 0, 1440), Window(4, 0, 1440), Window(5, 0, 1440),
                             Window(6, 0, 1440)]),
    ("Monday-Tue,Thu 9:00-10:00; Sun 12:00-13:00;",
     [Window(0, 540, 600), Window(1, 540, 600), Window(3, 540, 600), Window(6, 720, 780)]),
])
def test_parsing(text, windows):
    schedule = parse_schedule(text, "Europe/Paris")
    assert list(schedule.windows) == windows
    assert not schedule.always_open
    assert schedule.tz == ZoneInfo("Europe/Paris")


@pytest.mark.parametrize("text", ["", "  ", "24/7", "Always"])
def test_always_open(text):
    schedule = parse_schedule(text)
    assert schedule.always_open
    assert is_open(schedule, ny(8, 3))
    assert when_a_person_replies(schedule, ny(8, 3)) == "A person will reply here shortly."


@pytest.mark.parametrize(("text", "bad_part"), [
    ("Mon-Fri", "'Mon-Fri'"),
    ("Mon-Fri 9-17", "not HH:MM"),
    ("Mon-Fri 09:00", "not HH:MM-HH:MM"),
    ("Mnd 09:00-17:00", "unknown day 'Mnd'"),
    ("Mon-Fri 17:00-09:00", "end before they start"),
    ("Mon 09:00-24:30", "out of range"),
    ("Mon 09:60-10:00", "out of range"),
    ("Mon-Fri 09:00-17:00; Sat 10-14", "'Sat 10-14'"),
    (";", "no opening hours"),
])
def test_malformed_hours_name_the_variable_and_the_part(text, bad_part):
    with pytest.raises(ConfigError, match="WISMO_BUSINESS_HOURS") as error:
        parse_schedule(text)
    assert bad_part in str(error.value)


def test_unknown_time_zone_names_its_variable():
    with pytest.raises(ConfigError, match="WISMO_TIMEZONE"):
        parse_schedule("Mon 09:00-17:00", "Mars/Olympus")


@pytest.mark.parametrize(("now", "expected"), [
    (ny(7, 8, 59), False),  # Friday before opening
    (ny(7, 9), True),  # opening minute
    (ny(7, 16, 59), True),
    (ny(7, 17), False),  # closing minute is closed
    (ny(8, 11), False),  # Saturday
    (datetime(2025, 3, 7, 14, 30, tzinfo=ZoneInfo("UTC")), True),  # 9:30 in New York
    (datetime(2025, 3, 7, 9, 30), True),  # naive: store time
])
def test_is_open(now, expected):
    assert is_open(WEEKDAYS, now) is expected


@pytest.mark.parametrize(("schedule", "now", "expected"), [
    (WEEKDAYS, ny(7, 18), ny(10, 9)),  # late Friday: Monday (after the DST change)
    (WEEKDAYS, ny(8, 12), ny(10, 9)),  # Saturday
    (WEEKDAYS, ny(9, 23, 59), ny(10, 9)),  # late Sunday
    (WEEKDAYS, ny(10, 7), ny(10, 9)),  # early Monday: today
    (WEEKDAYS, ny(10, 10), ny(10, 10)),  # open: now
    (WITH_SATURDAY, ny(7, 18), ny(8, 10)),  # late Friday: Saturday morning
    (WITH_SATURDAY, ny(8, 14), ny(10, 9)),  # Saturday closing time: Monday
    (parse_schedule("Sun 09:00-10:00", "America/New_York"), ny(9, 10), ny(16, 9)),  # a week
    (parse_schedule("closed"), ny(7, 12), None),
])
def test_next_opening(schedule, now, expected):
    assert next_opening(schedule, now) == expected


def test_next_opening_keeps_wall_clock_hours_across_dst():
    opening = next_opening(WEEKDAYS, ny(7, 18))
    assert opening.utcoffset() == timedelta(hours=-4)  # EDT on Monday; Friday was EST
    assert (opening.hour, opening.minute) == (9, 0)
    autumn = next_opening(WEEKDAYS, ny(31, 18, month=10))  # Friday Oct 31; DST ends Nov 2
    assert autumn == datetime(2025, 11, 3, 9, tzinfo=NY)
    assert autumn.utcoffset() == timedelta(hours=-5)


def test_an_opening_skipped_by_dst_moves_to_the_real_instant():
    schedule = parse_schedule("Sun 02:30-05:00", "America/New_York")
    opening = next_opening(schedule, ny(9, 1))  # 02:30 does not exist on March 9
    assert opening.astimezone(ZoneInfo("UTC")) == datetime(2025, 3, 9, 7, 30,
                                                            tzinfo=ZoneInfo("UTC"))


OFFLINE = "Our team is offline right now; someone will reply here when they're back "


@pytest.mark.parametrize(("schedule", "now", "words"), [
    (WEEKDAYS, ny(7, 12), "A person will reply here shortly."),
    (WEEKDAYS, ny(6, 18), OFFLINE + "tomorrow at 9 AM."),  # Thursday evening
    (WEEKDAYS, ny(7, 18), OFFLINE + "on Monday at 9 AM."),
    (WEEKDAYS, ny(10, 7), OFFLINE + "today at 9 AM."),
    (WITH_SATURDAY, ny(8, 8), OFFLINE + "today at 10 AM."),
    (parse_schedule("Mon-Fri 08:30-17:00", "America/New_York"), ny(9, 12),
     OFFLINE + "tomorrow at 8:30 AM."),
    (parse_schedule("Fri 13:00-14:00", "America/New_York"), ny(7, 14),
     OFFLINE + "on Friday, March 14 at 1 PM."),
    (parse_schedule("closed"), ny(7, 12),
     "Our team is offline right now; someone will reply here as soon as they're back."),
])
def test_when_a_person_replies(schedule, now, words):
    assert when_a_person_replies(schedule, now) == words


def test_a_typical_reply_time_replaces_shortly():
    assert when_a_person_replies(WEEKDAYS, ny(7, 12), "usually within 15 minutes") == (
        "A person will reply here usually within 15 minutes.")


def test_settings_read_validate_and_pass_on_the_hours():
    assert Settings.from_env({}).business_hours == "Mon-Fri 09:00-17:00"
    settings = Settings.from_env({"WISMO_BUSINESS_HOURS": "Sat 10:00-14:00"})
    assert Settings.from_env(settings.to_env()).business_hours == "Sat 10:00-14:00"
    with pytest.raises(ConfigError, match="WISMO_BUSINESS_HOURS"):
        Settings.from_env({"WISMO_BUSINESS_HOURS": "weekdays 9 to 5"})
