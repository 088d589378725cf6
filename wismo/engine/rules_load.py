"""The notification rules a store owner writes (`rules/notifications.yml`), read and checked once.

A typo in a rules file must never turn into a silent default: every key is known, every value
is checked, and an error names the file, the key path, what is wrong and what is allowed::

    rules/notifications.yml: notify.stuck.channels[1]: 'fax' is not a channel; use one of
    webchat, telegram, whatsapp, sms, email, last_used

A missing key takes the default below; `load_rules(DEFAULT_RULES_PATH) == Rules()` (tested), so
the default file documents exactly what wismo does when it is left alone. The file and its keys
are described in docs/engine-rules.md.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from wismo.domain import ExceptionReason
from wismo.engine.model import Detection, Kind
from wismo.errors import ConfigError

PROJECT = Path(__file__).resolve().parent.parent.parent
DEFAULT_RULES_PATH = PROJECT / "rules" / "notifications.yml"

# Channels a conversation can be on and the engine can push to (Rasa's "rest" cannot be pushed).
CHAT_CHANNELS = ("webchat", "telegram", "whatsapp", "sms")
EMAIL = "email"
LAST_USED = "last_used"  # the chat channels the customer used, most recent first
CHANNEL_NAMES = (*CHAT_CHANNELS, EMAIL, LAST_USED)

# A topic is what a rule is about: a kind, or "exception.<reason>" for exceptions.
_KIND_TOPICS = tuple(k.value for k in Kind if k is not Kind.EXCEPTION)
_EXCEPTION_TOPICS = tuple(f"exception.{r.value}" for r in ExceptionReason)
TOPICS = _KIND_TOPICS + _EXCEPTION_TOPICS
_EXCEPTIONS = frozenset(_EXCEPTION_TOPICS)
_MILESTONE_TOPICS = frozenset(k.value for k in Kind if k.is_milestone)
# What a list of topics (urgent, handoff) may name: plain "exception" is every reason.
_LISTABLE = (*_KIND_TOPICS, "exception", *_EXCEPTION_TOPICS)


def topic(detection: Detection) -> str:
    """The rule topic of a detection; an exception without a reason counts as `other`."""
    if detection.kind is Kind.EXCEPTION:
        return f"exception.{(detection.reason or ExceptionReason.OTHER).value}"
    return detection.kind.value


@dataclass(frozen=True)
class QuietHours:
    """No messages between `start` and `end` in the customer's local time (may span midnight)."""

    start: time = time(21, 0)
    end: time = time(8, 0)
    interrupt_for_urgent: bool = True  # urgent news is sent even during quiet hours

    def contains(self, wall: time) -> bool:
        """Whether a local wall-clock time falls in the quiet hours."""
        if self.start < self.end:
            return self.start <= wall < self.end
        return wall >= self.start or wall < self.end


@dataclass(frozen=True)
class Rules:
    """What `rules/notifications.yml` says, typed. The defaults are the default file's values."""

    notify: frozenset[str] = frozenset(TOPICS) - {"order_confirmed", "exception.other"}
    channels: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # per-topic override
    problem_channels: tuple[str, ...] = ("whatsapp", "sms", "telegram", EMAIL, "webchat")
    milestone_channels: tuple[str, ...] = (LAST_USED, EMAIL)
    urgent: frozenset[str] = frozenset(
        {"late", "attempt_failed", "exception.lost", "exception.damaged",
         "exception.address_issue"}
    )
    quiet_hours: QuietHours | None = QuietHours()  # None: no quiet hours
    default_time_zone: str = "America/New_York"
    max_per_order_per_day: int = 3
    digest_window: timedelta = timedelta(minutes=10)  # zero: every detection its own message
    email_when_opted_out: bool = False
    whatsapp_template_outside_window: bool = True
    handoff: frozenset[str] = frozenset(
        {"exception.lost", "exception.damaged", "exception.address_issue", "return_to_sender"}
    )

    def channels_for(self, topic: str) -> tuple[str, ...]:
        """The channel preference for one topic: its own list, else milestones' or problems'."""
        if topic in self.channels:
            return self.channels[topic]
        return self.milestone_channels if topic in _MILESTONE_TOPICS else self.problem_channels


def load_rules(path: Path = DEFAULT_RULES_PATH) -> Rules:
    """Read and validate a rules file; anything wrong raises ConfigError naming file and key."""
    name = _display(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{name}: file not found") from None
    except OSError as e:
        raise ConfigError(f"{name}: cannot be read ({e.strerror})") from None
    try:
        data = yaml.load(text, Loader=_Loader)  # a SafeLoader: plain data only
    except yaml.YAMLError as e:
        where = getattr(e, "problem_mark", None)
        line = f" (line {where.line + 1})" if where else ""
        raise ConfigError(f"{name}: not valid YAML{line}: {getattr(e, 'problem', e)}") from None
    try:
        return _rules({} if data is None else data)
    except _Invalid as e:
        raise ConfigError(f"{name}: {e.where}: {e.what}") from None


class _Loader(yaml.SafeLoader):
    """safe_load's loader, except that 21:00 stays the text "21:00" and a key may not repeat.

    YAML 1.1 reads unquoted 21:00 as the base-60 number 1260 (but 08:00 as text); a store
    owner writing quiet hours should not have to know that. A repeated key would silently
    override the first one.
    """

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: set[object] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if not isinstance(key, Hashable):
                break  # the base class reports it
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"{key} is written twice", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


_INT = "tag:yaml.org,2002:int"
_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _INT]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(_INT, re.compile(r"^[-+]?(?:0|[1-9][0-9_]*)$"), list("-+0123456789"))


class _Invalid(Exception):
    def __init__(self, where: str, what: str) -> None:
        super().__init__(f"{where}: {what}")
        self.where = where
        self.what = what


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _one_of(names: Iterable[str]) -> str:
    return "use one of " + ", ".join(names)


def _hint(value: object, names: Iterable[str]) -> str:
    close = difflib.get_close_matches(str(value), list(names), n=1)
    return f" (did you mean {close[0]}?)" if close else ""


def _mapping(raw: object, where: str, keys: Iterable[str]) -> dict[str, Any]:
    """A mapping whose every key is known: a typo is an error, never ignored."""
    keys = list(keys)
    if not isinstance(raw, dict):
        raise _Invalid(where or "(top level)", f"{raw!r} is not a section of keys; "
                       + _one_of(keys))
    for key in raw:
        if key not in keys:
            raise _Invalid(_join(where, str(key)),
                           f"unknown key{_hint(key, keys)}; {_one_of(keys)}")
    return raw


def _switch(raw: object, where: str) -> bool:
    if not isinstance(raw, bool):
        raise _Invalid(where, f"{raw!r} is not on or off; use on or off")
    return raw


def _whole(raw: object, where: str, minimum: int) -> int:
    allowed = f"use a whole number, {minimum} or more"
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise _Invalid(where, f"{raw!r} is not a whole number; {allowed}")
    if raw < minimum:
        raise _Invalid(where, f"{raw!r} is too small; {allowed}")
    return raw


def _time(raw: object, where: str) -> time:
    match = re.fullmatch(r"([01]?\d|2[0-3]):([0-5]\d)", raw) if isinstance(raw, str) else None
    if match is None:
        raise _Invalid(where, f"{raw!r} is not a time; use HH:MM on a 24-hour clock, like 21:00")
    return time(int(match[1]), int(match[2]))


def _zone(raw: object, where: str) -> str:
    try:
        if not isinstance(raw, str):
            raise ValueError(raw)
        ZoneInfo(raw)
    except (ZoneInfoNotFoundError, ValueError):
        raise _Invalid(where, f"{raw!r} is not a time zone; use an IANA name like "
                              "America/New_York or Europe/Berlin") from None
    return raw


def _list(raw: object, where: str, what: str) -> list[Any]:
    if not isinstance(raw, list) or not raw:
        raise _Invalid(where, f"{raw!r} is not a list; write a list of {what}, like [a, b]")
    return raw


def _channels(raw: object, where: str) -> tuple[str, ...]:
    names = _list(raw, where, "channels")
    for i, name in enumerate(names):
        if name not in CHANNEL_NAMES:
            hint = _hint(name, CHANNEL_NAMES)
            raise _Invalid(f"{where}[{i}]", f"{name!r} is not a channel{hint}; "
                                            + _one_of(CHANNEL_NAMES))
    return tuple(names)


def _topics(raw: object, where: str) -> frozenset[str]:
    """A list of topics; plain `exception` stands for every exception reason."""
    allowed = _LISTABLE
    topics: set[str] = set()
    for i, name in enumerate(_list(raw, where, "kinds of news")):
        if name not in allowed:
            raise _Invalid(f"{where}[{i}]", f"{name!r} is not a kind of news"
                                            f"{_hint(name, allowed)}; {_one_of(allowed)}")
        topics |= _EXCEPTIONS if name == "exception" else {name}
    return frozenset(topics)


def _setting(raw: object, where: str) -> tuple[bool, tuple[str, ...] | None]:
    """One topic's entry in `notify`: on, off, or {channels: [...]} (on, with its own channels)."""
    if isinstance(raw, bool):
        return raw, None
    if isinstance(raw, dict):
        section = _mapping(raw, where, ["channels"])
        if "channels" not in section:
            return True, None
        return True, _channels(section["channels"], _join(where, "channels"))
    raise _Invalid(where, f"{raw!r} is not on, off or a channel list; use on, off or "
                          "channels: [whatsapp, email]")


def _notify(raw: object, base: Rules) -> tuple[frozenset[str], dict[str, tuple[str, ...]]]:
    section = _mapping(raw, "notify", [k.value for k in Kind])
    settings: dict[str, tuple[bool, tuple[str, ...] | None]] = {}
    for key, value in section.items():
        where = "notify." + key
        if key == "exception" and isinstance(value, dict):  # one entry per reason
            reasons = _mapping(value, where, [r.value for r in ExceptionReason])
            for reason, entry in reasons.items():
                settings[f"exception.{reason}"] = _setting(entry, f"{where}.{reason}")
        elif key == "exception":  # on or off for every reason at once
            settings.update(dict.fromkeys(_EXCEPTION_TOPICS, _setting(value, where)))
        else:
            settings[key] = _setting(value, where)
    notify, channels = set(base.notify), dict(base.channels)
    for key, (on, own) in settings.items():
        (notify.add if on else notify.discard)(key)
        if own:
            channels[key] = own
    return frozenset(notify), channels


def _rules(data: object) -> Rules:
    base = Rules()
    top = _mapping(data, "", ["notify", "channels", "urgent", "quiet_hours", "default_time_zone",
                              "limits", "digest", "email_when_opted_out", "whatsapp", "handoff"])
    values: dict[str, Any] = {}
    if "notify" in top:
        values["notify"], values["channels"] = _notify(top["notify"], base)
    if "channels" in top:
        section = _mapping(top["channels"], "channels", ["problems", "milestones"])
        if "problems" in section:
            values["problem_channels"] = _channels(section["problems"], "channels.problems")
        if "milestones" in section:
            values["milestone_channels"] = _channels(section["milestones"], "channels.milestones")
    for key in ("urgent", "handoff"):
        if key in top:
            values[key] = _topics(top[key], key)
    if "quiet_hours" in top:
        values["quiet_hours"] = _quiet_hours(top["quiet_hours"])
    if "default_time_zone" in top:
        values["default_time_zone"] = _zone(top["default_time_zone"], "default_time_zone")
    if "limits" in top:
        section = _mapping(top["limits"], "limits", ["per_order_per_day"])
        if "per_order_per_day" in section:
            values["max_per_order_per_day"] = _whole(
                section["per_order_per_day"], "limits.per_order_per_day", 1)
    if "digest" in top:
        values["digest_window"] = _digest(top["digest"])
    if "email_when_opted_out" in top:
        values["email_when_opted_out"] = _switch(top["email_when_opted_out"],
                                                 "email_when_opted_out")
    if "whatsapp" in top:
        section = _mapping(top["whatsapp"], "whatsapp", ["template_outside_window"])
        if "template_outside_window" in section:
            values["whatsapp_template_outside_window"] = _switch(
                section["template_outside_window"], "whatsapp.template_outside_window")
    return replace(base, **values)


def _quiet_hours(raw: object) -> QuietHours | None:
    if raw is False:
        return None
    base = QuietHours()
    section = _mapping(raw, "quiet_hours", ["start", "end", "interrupt_for_urgent"])
    start = _time(section["start"], "quiet_hours.start") if "start" in section else base.start
    end = _time(section["end"], "quiet_hours.end") if "end" in section else base.end
    if start == end:
        raise _Invalid("quiet_hours", f"start and end are both {start:%H:%M}; to have no quiet "
                                      "hours write quiet_hours: off")
    interrupt = base.interrupt_for_urgent
    if "interrupt_for_urgent" in section:
        interrupt = _switch(section["interrupt_for_urgent"], "quiet_hours.interrupt_for_urgent")
    return QuietHours(start, end, interrupt)


def _digest(raw: object) -> timedelta:
    if raw is False:
        return timedelta(0)
    section = _mapping(raw, "digest", ["window_minutes"])
    if "window_minutes" not in section:
        return Rules().digest_window
    return timedelta(minutes=_whole(section["window_minutes"], "digest.window_minutes", 0))
