"""The notification rules: the file (defaults, validation messages) and `decide`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, time, timedelta, timezone
from pathlib import Path

import pytest
import yaml

from tests.engine.factories import EMAIL, NOW, make_contact, make_detection, make_sent
from wismo.contacts import Contact
from wismo.domain import ExceptionReason
from wismo.engine.model import Detection, Kind
from wismo.engine.rules import (
    DEFAULT_RULES_PATH,
    Action,
    Decision,
    History,
    QuietHours,
    Rules,
    Target,
    decide,
    load_rules,
    topic,
)
from wismo.errors import ConfigError
from wismo.stack import PROJECT

RULES = Rules()
NOTHING_SENT = History()
LOST = ExceptionReason.LOST
TELEGRAM = make_contact("telegram")
SMS = make_contact("sms")
WHATSAPP = make_contact("whatsapp")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


def run(
    detections: Sequence[Detection],
    contacts: Sequence[Contact] = (TELEGRAM,),
    *,
    history: History = NOTHING_SENT,
    now: datetime = NOW,
    rules: Rules = RULES,
    tz: str | None = "America/New_York",
    email: str | None = EMAIL,
) -> list[Decision]:
    return decide(list(detections), list(contacts), history, now, rules, customer_tz=tz,
                  email=email)


def outline(decisions: Sequence[Decision]) -> list[str]:
    """Each decision in words: "send shipped+late -> sms", "drop late: cap reached"."""
    lines = []
    for d in decisions:
        about = "+".join(topic(x) for x in d.detections)
        if d.action is Action.DROP:
            lines.append(f"drop {about}: {d.reason}")
        else:
            template = " (template)" if d.target and d.target.template else ""
            lines.append(f"{d.action.value} {about} -> {d.target.channel}{template}")
    return lines


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rules" / "notifications.yml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# --- the file ---------------------------------------------------------------------------


def test_the_default_file_says_what_the_defaults_are() -> None:
    assert DEFAULT_RULES_PATH == PROJECT / "rules" / "notifications.yml"
    assert load_rules(DEFAULT_RULES_PATH) == Rules()


def test_the_default_file_lists_every_kind_and_reason() -> None:
    notify = yaml.safe_load(DEFAULT_RULES_PATH.read_text())["notify"]
    assert set(notify) == {k.value for k in Kind}
    assert set(notify["exception"]) == {r.value for r in ExceptionReason}


def test_an_empty_file_means_the_defaults(tmp_path: Path) -> None:
    assert load_rules(write(tmp_path, "# nothing changed\n")) == Rules()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("notify: {shipped: off}", replace(RULES, notify=RULES.notify - {"shipped"})),
        ("notify: {order_confirmed: on}",
         replace(RULES, notify=RULES.notify | {"order_confirmed"})),
        ("notify: {exception: off}",
         replace(RULES, notify=frozenset(t for t in RULES.notify if "." not in t))),
        ("notify: {exception: {other: on}}",
         replace(RULES, notify=RULES.notify | {"exception.other"})),
        ("notify: {stuck: {channels: [email]}}", replace(RULES, channels={"stuck": ("email",)})),
        ("notify: {exception: {weather: {channels: [sms]}}}",
         replace(RULES, channels={"exception.weather": ("sms",)})),
        ("channels: {milestones: [telegram, email]}",
         replace(RULES, milestone_channels=("telegram", "email"))),
        ("urgent: [exception]", replace(RULES, urgent=frozenset(
            f"exception.{r.value}" for r in ExceptionReason))),
        ("quiet_hours: off", replace(RULES, quiet_hours=None)),
        ("quiet_hours: {start: 22:30, end: 07:00}",  # unquoted, as a store owner would write it
         replace(RULES, quiet_hours=QuietHours(time(22, 30), time(7, 0)))),
        ("quiet_hours: {interrupt_for_urgent: no}",
         replace(RULES, quiet_hours=QuietHours(interrupt_for_urgent=False))),
        ("default_time_zone: Europe/Berlin", replace(RULES, default_time_zone="Europe/Berlin")),
        ("limits: {per_order_per_day: 1}", replace(RULES, max_per_order_per_day=1)),
        ("digest: off", replace(RULES, digest_window=timedelta(0))),
        ("digest: {window_minutes: 30}", replace(RULES, digest_window=timedelta(minutes=30))),
        ("email_when_opted_out: true", replace(RULES, email_when_opted_out=True)),
        ("whatsapp: {template_outside_window: off}",
         replace(RULES, whatsapp_template_outside_window=False)),
        ("handoff: [exception.lost]",
         replace(RULES, handoff=frozenset({"exception.lost"}))),
    ],
)
def test_a_key_changes_only_what_it_names(tmp_path: Path, text: str, expected: Rules) -> None:
    assert load_rules(write(tmp_path, text)) == expected


CHANNELS = "use one of webchat, telegram, whatsapp, sms, email, last_used"
TOP_KEYS = ("use one of notify, channels, urgent, quiet_hours, default_time_zone, limits, "
            "digest, email_when_opted_out, whatsapp, handoff")
KINDS_OF_NEWS = "use one of " + ", ".join(
    [k.value for k in Kind if k is not Kind.EXCEPTION] + ["exception"]
    + [f"exception.{r.value}" for r in ExceptionReason]
)


@pytest.mark.parametrize(
    ("text", "error"),
    [
        # unknown keys: typos are never ignored
        ("quiet_hour: off", f"quiet_hour: unknown key (did you mean quiet_hours?); {TOP_KEYS}"),
        ("notify: {shiped: on}",
         "notify.shiped: unknown key (did you mean shipped?); use one of order_confirmed, "
         "shipped, out_for_delivery, delivered, available_for_pickup, late, trending_late, "
         "stuck, no_first_scan, unfulfilled_too_long, attempt_failed, exception, "
         "return_to_sender"),
        ("notify: {exception: {stolen: on}}",
         "notify.exception.stolen: unknown key; use one of carrier_delay, weather, "
         "address_issue, customs, damaged, lost, refused, other"),
        ("notify: {stuck: {chanels: [sms]}}",
         "notify.stuck.chanels: unknown key (did you mean channels?); use one of channels"),
        ("quiet_hours: {start: '21:00', urgent: on}",
         "quiet_hours.urgent: unknown key; use one of start, end, interrupt_for_urgent"),
        # channels
        ("notify: {stuck: {channels: [email, fax]}}",
         f"notify.stuck.channels[1]: 'fax' is not a channel; {CHANNELS}"),
        ("channels: {problems: [whatsap, sms]}",
         f"channels.problems[0]: 'whatsap' is not a channel (did you mean whatsapp?); {CHANNELS}"),
        ("channels: {problems: sms}",
         "channels.problems: 'sms' is not a list; write a list of channels, like [a, b]"),
        ("channels: {milestones: []}",
         "channels.milestones: [] is not a list; write a list of channels, like [a, b]"),
        # kinds of news
        ("urgent: [lost]", f"urgent[0]: 'lost' is not a kind of news; {KINDS_OF_NEWS}"),
        ("handoff: [exception.lots]",
         "handoff[0]: 'exception.lots' is not a kind of news (did you mean exception.lost?); "
         + KINDS_OF_NEWS),
        # switches
        ("notify: {exception: [lost]}",
         "notify.exception: ['lost'] is not on, off or a channel list; use on, off or "
         "channels: [whatsapp, email]"),
        ("notify: {shipped: maybe}",
         "notify.shipped: 'maybe' is not on, off or a channel list; use on, off or "
         "channels: [whatsapp, email]"),
        ("email_when_opted_out: 1", "email_when_opted_out: 1 is not on or off; use on or off"),
        # times
        ("quiet_hours: {start: '25:00'}",
         "quiet_hours.start: '25:00' is not a time; use HH:MM on a 24-hour clock, like 21:00"),
        ("quiet_hours: {end: 9pm}",
         "quiet_hours.end: '9pm' is not a time; use HH:MM on a 24-hour clock, like 21:00"),
        ("quiet_hours: {start: '08:00'}",
         "quiet_hours: start and end are both 08:00; to have no quiet hours write "
         "quiet_hours: off"),
        # time zones
        ("default_time_zone: Mars/Olympus_Mons",
         "default_time_zone: 'Mars/Olympus_Mons' is not a time zone; use an IANA name like "
         "America/New_York or Europe/Berlin"),
        ("default_time_zone: 5",
         "default_time_zone: 5 is not a time zone; use an IANA name like America/New_York or "
         "Europe/Berlin"),
        # numbers
        ("limits: {per_order_per_day: three}",
         "limits.per_order_per_day: 'three' is not a whole number; use a whole number, 1 or more"),
        ("limits: {per_order_per_day: 0}",
         "limits.per_order_per_day: 0 is too small; use a whole number, 1 or more"),
        ("digest: {window_minutes: 2.5}",
         "digest.window_minutes: 2.5 is not a whole number; use a whole number, 0 or more"),
        ("digest: {window_minutes: -5}",
         "digest.window_minutes: -5 is too small; use a whole number, 0 or more"),
        # shape
        ("- notify", f"(top level): ['notify'] is not a section of keys; {TOP_KEYS}"),
        ("notify:\n  shipped: on\n  shipped: off\n",
         "not valid YAML (line 3): shipped is written twice"),
        ("? [a, b]\n: 1\n", "not valid YAML (line 1): found unhashable key"),
        ("limits: 3", "limits: 3 is not a section of keys; use one of per_order_per_day"),
        ("notify: {shipped: on",
         "not valid YAML (line 1): expected ',' or '}', but got '<stream end>'"),
    ],
)
def test_a_mistake_is_named_with_its_key_and_what_is_allowed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, error: str
) -> None:
    monkeypatch.chdir(tmp_path)
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as raised:
        load_rules(path)
    assert str(raised.value) == f"rules/notifications.yml: {error}"


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as raised:
        load_rules(tmp_path / "nope.yml")
    assert str(raised.value) == f"{tmp_path / 'nope.yml'}: file not found"


# --- what notifies, dedup, superseded news ----------------------------------------------


@pytest.mark.parametrize(
    ("detection", "expected"),
    [
        (make_detection(Kind.SHIPPED), "send shipped -> telegram"),
        (make_detection(Kind.ORDER_CONFIRMED, shipment_id=None),
         "drop order_confirmed: not notified by rules"),
        (make_detection(Kind.EXCEPTION, reason=ExceptionReason.OTHER),
         "drop exception.other: not notified by rules"),
        (make_detection(Kind.EXCEPTION, reason=None),  # an unexplained exception is "other"
         "drop exception.other: not notified by rules"),
        (make_detection(Kind.EXCEPTION, reason=ExceptionReason.WEATHER),
         "send exception.weather -> telegram"),
    ],
)
def test_the_rules_say_which_news_is_sent(detection: Detection, expected: str) -> None:
    assert outline(run([detection])) == [expected]


def test_news_already_sent_or_repeated_in_the_call_is_dropped() -> None:
    old, again, new = (make_detection(Kind.STUCK, revision="1"),
                       make_detection(Kind.SHIPPED), make_detection(Kind.STUCK, revision="2"))
    history = History((make_sent(keys=(old.dedup_key,)),))
    assert outline(run([old, again, again, new], history=history)) == [
        "drop stuck: already sent",
        "send shipped+stuck -> telegram",
        "drop shipped: duplicate",
    ]


@pytest.mark.parametrize(
    ("kinds", "expected"),
    [
        ([Kind.OUT_FOR_DELIVERY, Kind.DELIVERED],
         ["drop out_for_delivery: superseded by delivered", "send delivered -> telegram"]),
        ([Kind.SHIPPED, Kind.OUT_FOR_DELIVERY, Kind.DELIVERED],
         ["drop shipped: superseded by delivered",
          "drop out_for_delivery: superseded by delivered", "send delivered -> telegram"]),
        ([Kind.AVAILABLE_FOR_PICKUP, Kind.DELIVERED],
         ["drop available_for_pickup: superseded by delivered", "send delivered -> telegram"]),
        ([Kind.STUCK, Kind.OUT_FOR_DELIVERY],
         ["drop stuck: superseded by out_for_delivery", "send out_for_delivery -> telegram"]),
        ([Kind.LATE, Kind.DELIVERED],
         ["drop late: superseded by delivered", "send delivered -> telegram"]),
        # still news: late but on its way today; a parcel marked lost, then delivered
        ([Kind.LATE, Kind.OUT_FOR_DELIVERY], ["send late+out_for_delivery -> whatsapp"]),
        ([Kind.DELIVERED, Kind.OUT_FOR_DELIVERY],  # order in the call does not matter
         ["send delivered -> telegram", "drop out_for_delivery: superseded by delivered"]),
    ],
)
def test_a_later_milestone_arriving_together_makes_earlier_news_old(
    kinds: list[Kind], expected: list[str]
) -> None:
    detections = [make_detection(k) for k in kinds]
    assert outline(run(detections, [TELEGRAM, WHATSAPP])) == expected


def test_only_the_same_parcel_is_superseded() -> None:
    detections = [make_detection(Kind.OUT_FOR_DELIVERY, shipment_id="ful-1"),
                  make_detection(Kind.DELIVERED, shipment_id="ful-2"),
                  make_detection(Kind.UNFULFILLED_TOO_LONG, shipment_id=None)]
    assert outline(run(detections)) == [
        "send out_for_delivery+delivered -> telegram",
        "drop unfulfilled_too_long: superseded by delivered",  # any parcel shipping clears it
    ]


# --- digests ----------------------------------------------------------------------------


def test_news_about_one_order_goes_as_one_message_per_order() -> None:
    shipped, weather, other_order = (
        make_detection(Kind.SHIPPED),
        make_detection(Kind.EXCEPTION, reason=ExceptionReason.WEATHER),
        make_detection(Kind.SHIPPED, order_number="1043"),
    )
    decisions = run([shipped, other_order, weather], [TELEGRAM, SMS])
    assert outline(decisions) == [
        "send shipped+exception.weather -> sms",  # a problem in it: the problems' channels
        "send shipped -> telegram",
    ]
    assert decisions[0].keys == (shipped.dedup_key, weather.dedup_key)


def test_with_digests_off_each_piece_of_news_is_its_own_message() -> None:
    rules = replace(RULES, digest_window=timedelta(0))
    detections = [make_detection(Kind.SHIPPED), make_detection(Kind.STUCK)]
    assert outline(run(detections, [TELEGRAM, SMS], rules=rules)) == [
        "send shipped -> telegram", "send stuck -> sms"]


# --- quiet hours ------------------------------------------------------------------------

LA_NIGHT = utc(2026, 11, 24, 7, 30)  # 23:30 in Los Angeles, 08:30 in Berlin


@pytest.mark.parametrize(
    ("now", "tz", "until"),
    [
        (LA_NIGHT, "America/Los_Angeles", utc(2026, 11, 24, 16)),  # 08:00 PST
        (LA_NIGHT, "Europe/Berlin", None),  # the same instant is morning in Berlin
        (LA_NIGHT, "Asia/Tokyo", None),  # 16:30
        (LA_NIGHT, None, utc(2026, 11, 24, 13)),  # unknown: New York, 02:30 → 08:00 EST
        (LA_NIGHT, "Nowhere/Land", utc(2026, 11, 24, 13)),  # unplaceable: the default too
        (utc(2026, 11, 24, 14), "America/Los_Angeles", utc(2026, 11, 24, 16)),  # 06:00: same day
        (utc(2026, 11, 24, 16), "America/Los_Angeles", None),  # 08:00 sharp: quiet hours over
        (utc(2026, 11, 25, 4, 59), "America/Los_Angeles", None),  # 20:59
        (utc(2026, 11, 25, 5), "America/Los_Angeles", utc(2026, 11, 25, 16)),  # 21:00
        # the night clocks spring forward: 08:00 PDT is 15:00 UTC, not 16:00
        (utc(2026, 3, 8, 7, 30), "America/Los_Angeles", utc(2026, 3, 8, 15)),
        # and fall back: 08:00 PST is 16:00 UTC
        (utc(2026, 11, 1, 6, 30), "America/Los_Angeles", utc(2026, 11, 1, 16)),
    ],
)
def test_quiet_hours_are_the_customers_own(
    now: datetime, tz: str | None, until: datetime | None
) -> None:
    contact = make_contact("telegram", last_inbound_at=now - timedelta(hours=1))
    [decision] = run([make_detection(Kind.SHIPPED)], [contact], now=now, tz=tz)
    assert decision.action is (Action.DEFER if until else Action.SEND)
    assert decision.until == until
    assert decision.target == Target("telegram", contact.conversation_id)


@pytest.mark.parametrize(
    ("kinds", "interrupt", "expected"),
    [
        ([Kind.ATTEMPT_FAILED], True, "send"),
        ([Kind.ATTEMPT_FAILED], False, "defer"),
        ([Kind.STUCK], True, "defer"),  # a problem, but not urgent
        ([Kind.SHIPPED, Kind.ATTEMPT_FAILED], True, "send"),  # the digest goes with it
    ],
)
def test_urgent_news_may_interrupt_quiet_hours(
    kinds: list[Kind], interrupt: bool, expected: str
) -> None:
    rules = replace(RULES, quiet_hours=QuietHours(interrupt_for_urgent=interrupt))
    contact = make_contact("sms", last_inbound_at=None)
    [decision] = run([make_detection(k) for k in kinds], [contact], now=LA_NIGHT,
                     tz="America/Los_Angeles", rules=rules)
    assert decision.action.value == expected


def test_without_quiet_hours_night_is_no_different() -> None:
    rules = replace(RULES, quiet_hours=None)
    [decision] = run([make_detection()], now=LA_NIGHT, tz="America/Los_Angeles", rules=rules)
    assert decision.action is Action.SEND


def test_a_deferred_message_is_routed_for_when_it_will_be_sent() -> None:
    # WhatsApp's window is open now (20 hours) but closed at 08:00 (28.5 hours).
    whatsapp = make_contact("whatsapp", last_inbound_at=LA_NIGHT - timedelta(hours=20))
    [decision] = run([make_detection(Kind.STUCK)], [whatsapp], now=LA_NIGHT,
                     tz="America/Los_Angeles")
    assert decision == Decision(
        Action.DEFER, (make_detection(Kind.STUCK),),
        Target("whatsapp", whatsapp.conversation_id, template=True),
        until=utc(2026, 11, 24, 16),
    )


# --- the daily cap ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sent", "now", "tz", "expected"),
    [
        # three today in New York: the fourth is one too many
        ([utc(2026, 11, 24, 13)] * 3, NOW, "America/New_York", "drop shipped: cap reached"),
        ([utc(2026, 11, 24, 13)] * 2, NOW, "America/New_York", "send shipped -> telegram"),
        # 06:00 UTC is the evening before in Los Angeles: yesterday's messages
        ([utc(2026, 11, 24, 6)] * 3, utc(2026, 11, 24, 18), "America/Los_Angeles",
         "send shipped -> telegram"),
        # ... but the same day in Berlin
        ([utc(2026, 11, 24, 6)] * 3, utc(2026, 11, 24, 18), "Europe/Berlin",
         "drop shipped: cap reached"),
        # 23:30 UTC yesterday is today in Berlin (00:30)
        ([utc(2026, 11, 23, 23, 30)] * 3, NOW, "Europe/Berlin", "drop shipped: cap reached"),
    ],
)
def test_at_most_n_messages_per_order_per_local_day(
    sent: list[datetime], now: datetime, tz: str, expected: str
) -> None:
    history = History(tuple(make_sent(at=at, keys=(f"k{i}",)) for i, at in enumerate(sent)))
    contact = make_contact("telegram", last_inbound_at=now)
    assert outline(run([make_detection()], [contact], history=history, now=now, tz=tz)) == [
        expected]


def test_the_cap_counts_per_order_and_within_the_call() -> None:
    rules = replace(RULES, digest_window=timedelta(0), max_per_order_per_day=2)
    history = History((make_sent(order_number="1043"),) * 5)  # another order
    detections = [make_detection(Kind.SHIPPED), make_detection(Kind.STUCK),
                  make_detection(Kind.LATE)]
    assert outline(run(detections, [TELEGRAM, SMS], history=history, rules=rules)) == [
        "send shipped -> telegram", "send stuck -> sms", "drop late: cap reached"]


# --- channels, opt-out, WhatsApp --------------------------------------------------------


def ago(hours: float) -> datetime:
    return NOW - timedelta(hours=hours)


@pytest.mark.parametrize(
    ("contacts", "expected"),
    [
        # the customer's most recent chat, whichever channel
        ([make_contact("webchat", last_inbound_at=ago(50)), make_contact("telegram",
          last_inbound_at=ago(1)), make_contact("sms", last_inbound_at=ago(3))], "telegram"),
        ([make_contact("webchat", last_inbound_at=ago(1)), make_contact("telegram",
          last_inbound_at=ago(30))], "webchat"),
        # opted out there: the next most recent
        ([make_contact("telegram", last_inbound_at=ago(1), notifications=False),
          make_contact("sms", last_inbound_at=ago(3))], "sms"),
        # no chat at all: e-mail
        ([], "email"),
        # Rasa's REST channel cannot be written to
        ([make_contact("rest", last_inbound_at=ago(1))], "email"),
    ],
)
def test_milestones_go_to_the_chat_the_customer_last_used(
    contacts: list[Contact], expected: str
) -> None:
    [decision] = run([make_detection(Kind.SHIPPED)], contacts)
    assert decision.target and decision.target.channel == expected


@pytest.mark.parametrize(
    ("contacts", "email_when_opted_out", "expected"),
    [
        ([TELEGRAM, SMS, WHATSAPP], False, "send stuck -> whatsapp"),
        ([TELEGRAM, SMS, replace(WHATSAPP, notifications=False)], False, "send stuck -> sms"),
        ([TELEGRAM, replace(SMS, notifications=False), replace(WHATSAPP, notifications=False)],
         False, "send stuck -> telegram"),
        # A problem goes by email before the web chat, which only an open page shows.
        ([replace(SMS, notifications=False), make_contact("webchat")], False,
         "send stuck -> email"),
        # STOP everywhere means stop, unless the rules say e-mail anyway
        ([replace(TELEGRAM, notifications=False), replace(SMS, notifications=False)], False,
         "drop stuck: opted out"),
        ([replace(TELEGRAM, notifications=False), replace(SMS, notifications=False)], True,
         "send stuck -> email"),
        ([], False, "send stuck -> email"),
    ],
)
def test_problems_go_by_preference_never_to_an_opted_out_chat(
    contacts: list[Contact], email_when_opted_out: bool, expected: str
) -> None:
    rules = replace(RULES, email_when_opted_out=email_when_opted_out)
    assert outline(run([make_detection(Kind.STUCK)], contacts, rules=rules)) == [expected]


def test_stop_in_one_chat_is_not_stop_everywhere() -> None:
    rules = replace(RULES, channels={"stuck": ("telegram", "email")})
    contacts = [replace(TELEGRAM, notifications=False), SMS]
    assert outline(run([make_detection(Kind.STUCK)], contacts, rules=rules)) == [
        "send stuck -> email"]


def test_with_no_way_to_reach_the_customer_nothing_is_sent() -> None:
    assert outline(run([make_detection()], [], email=None)) == [
        "drop shipped: no reachable channel"]


@pytest.mark.parametrize(
    ("last_inbound_at", "template_outside_window", "expected"),
    [
        (ago(2), True, "send stuck -> whatsapp"),
        (ago(2), False, "send stuck -> whatsapp"),
        (ago(30), True, "send stuck -> whatsapp (template)"),
        (ago(30), False, "send stuck -> sms"),  # skip to the next channel
        (None, True, "send stuck -> whatsapp (template)"),  # never wrote: only a template
    ],
)
def test_whatsapp_outside_the_24_hour_window(
    last_inbound_at: datetime | None, template_outside_window: bool, expected: str
) -> None:
    rules = replace(RULES, whatsapp_template_outside_window=template_outside_window)
    whatsapp = make_contact("whatsapp", last_inbound_at=last_inbound_at)
    sms = make_contact("sms", last_inbound_at=ago(100))
    assert outline(run([make_detection(Kind.STUCK)], [whatsapp, sms], rules=rules)) == [
        expected]


def test_a_kind_may_have_its_own_channels() -> None:
    rules = replace(RULES, channels={"stuck": ("email",)})
    assert outline(run([make_detection(Kind.STUCK)], [TELEGRAM], rules=rules)) == [
        "send stuck -> email"]


# --- handoff ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("detections", "contacts", "handoff"),
    [
        ([make_detection(Kind.EXCEPTION, reason=LOST)], [TELEGRAM], True),
        ([make_detection(Kind.EXCEPTION, reason=ExceptionReason.DAMAGED)], [TELEGRAM], True),
        ([make_detection(Kind.RETURN_TO_SENDER)], [TELEGRAM], True),
        ([make_detection(Kind.EXCEPTION, reason=ExceptionReason.WEATHER)], [TELEGRAM], False),
        ([make_detection(Kind.SHIPPED), make_detection(Kind.EXCEPTION, reason=LOST)],
         [TELEGRAM], True),
        # the case is opened even when the customer cannot be told
        ([make_detection(Kind.EXCEPTION, reason=LOST)],
         [replace(TELEGRAM, notifications=False)], True),
    ],
)
def test_problems_a_person_must_handle_open_a_case(
    detections: list[Detection], contacts: list[Contact], handoff: bool
) -> None:
    [decision] = run(detections, contacts, email=None)
    assert decision.handoff is handoff


def test_a_case_is_opened_even_when_the_rules_keep_the_news_quiet() -> None:
    rules = replace(RULES, notify=RULES.notify - {"exception.lost"})
    [decision] = run([make_detection(Kind.EXCEPTION, reason=LOST)], rules=rules)
    assert (decision.action, decision.reason, decision.handoff) == (
        Action.DROP, "not notified by rules", True)


def test_the_clock_must_say_its_time_zone() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        run([make_detection()], now=NOW.replace(tzinfo=None))
