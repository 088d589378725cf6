"""What `rules/handoff.yml` says about reaching a person, typed and checked.

The rules come from `rules/handoff.yml` (or the file WISMO_HANDOFF_RULES names), read once by
`load_handoff_rules`; a missing key keeps its default, and a mistake stops start-up with a
ConfigError naming the file and the key. `wismo.handoff.triggers` applies them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, TypeVar

import yaml

from wismo.errors import ConfigError

T = TypeVar("T")

PROJECT = Path(__file__).resolve().parent.parent.parent
DEFAULT_RULES_PATH = PROJECT / "rules" / "handoff.yml"

DEFAULT_PHRASES: tuple[str, ...] = (
    # anger and contempt
    "ridiculous", "unacceptable", "outrageous", "pathetic", "disgusting", "disgraceful",
    "useless", "incompetent", "worst service", "worst customer service", "worst company",
    "terrible service", "horrible service", "is a joke", "what a joke",
    "waste of time", "waste of money", "never again", "never ordering again",
    # how they feel, politely or not
    "fed up", "sick of", "sick and tired", "had enough", "losing patience", "lost patience",
    "frustrated", "frustrating", "furious", "livid", "angry", "annoyed", "upset",
    "very disappointed", "really disappointed", "so disappointed",
    "where the hell", "what the hell",
    # asking again
    "third time", "3rd time", "fourth time", "4th time", "how many times", "again and again",
    "already asked", "asked twice", "keep asking", "kept asking", "still no answer",
    "still no response",
    # sarcasm
    "thanks for nothing", "great, just great", "yeah right", "so much for",
    # money back by force, or the law
    "scam", "scammed", "scammers", "fraud", "rip off", "stole my money",
    "chargeback", "charge back", "dispute the charge", "lawyer", "attorney", "legal action",
    "report you", "better business bureau", "bbb", "trading standards",
)


@dataclass(frozen=True)
class HandoffRules:
    """What `rules/handoff.yml` says, typed. The defaults are the shipped file's values."""

    frustration_phrases: tuple[str, ...] = DEFAULT_PHRASES  # whole words, any case
    frustration_threshold: int = 2
    vip_tags: tuple[str, ...] = ("vip",)  # Shopify order tags, any case
    value_above: Decimal | None = None  # in the order's own currency; None: no value rule
    low_confidence_turns: int = 2  # misunderstood turns in a row before a person steps in
    reping_minutes: int = 15  # Slack: re-ping a case no agent has answered


DEFAULT_RULES = HandoffRules()


# --- Loading ---------------------------------------------------------------------------------


def load_handoff_rules(path: Path | None) -> HandoffRules:
    """Read and check a rules file; no path or no file means the defaults.

    Anything wrong raises ConfigError naming the file and the key, so a typo stops start-up
    instead of silently switching a rule off.
    """
    if path is None or not path.exists():
        return DEFAULT_RULES
    name = str(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise ConfigError(f"{name}: cannot be read ({e.strerror})") from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = f" (line {mark.line + 1})" if mark else ""
        raise ConfigError(f"{name}: not valid YAML{line}: {getattr(e, 'problem', e)}") from None
    return parse_handoff_rules({} if data is None else data, name)


def parse_handoff_rules(raw: Mapping[str, Any], source: str) -> HandoffRules:
    """The rules from parsed YAML; a missing key keeps its default, an unknown one is an error."""
    base = DEFAULT_RULES
    top = _section(raw, source, "", ["frustration", "priority", "low_confidence_turns",
                                     "reping_minutes"])
    feel = _section(top.get("frustration", {}), source, "frustration", ["threshold", "phrases"])
    prio = _section(top.get("priority", {}), source, "priority", ["vip_tags", "value_above"])
    return HandoffRules(
        frustration_phrases=_value(feel, "phrases", _words, source, "frustration.",
                                   base.frustration_phrases),
        frustration_threshold=_value(feel, "threshold", _whole, source, "frustration.",
                                     base.frustration_threshold),
        vip_tags=_value(prio, "vip_tags", _words, source, "priority.", base.vip_tags),
        value_above=_value(prio, "value_above", _amount, source, "priority.", base.value_above),
        low_confidence_turns=_value(top, "low_confidence_turns", _whole, source, "",
                                    base.low_confidence_turns),
        reping_minutes=_value(top, "reping_minutes", _whole, source, "", base.reping_minutes),
    )


def _value(section: Mapping[str, Any], key: str, parse: Callable[[object, str, str], T],
           source: str, prefix: str, default: T) -> T:
    """``section[key]`` checked by ``parse`` (errors name ``prefix + key``), or the default."""
    return parse(section[key], source, prefix + key) if key in section else default


def _bad(source: str, where: str, what: str) -> ConfigError:
    return ConfigError(f"{source}: {where or '(top level)'}: {what}")


def _section(raw: object, source: str, where: str, keys: list[str]) -> Mapping[str, Any]:
    if not isinstance(raw, Mapping):
        raise _bad(source, where, f"{raw!r} is not a section of keys; use " + ", ".join(keys))
    for key in raw:
        if key not in keys:
            full = f"{where}.{key}" if where else str(key)
            raise _bad(source, full, "unknown key; use one of " + ", ".join(keys))
    return raw


def _whole(raw: object, source: str, where: str) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < 1:
        raise _bad(source, where, f"{raw!r} is not a whole number of 1 or more")
    return raw


def _words(raw: object, source: str, where: str) -> tuple[str, ...]:
    if not isinstance(raw, list):
        raise _bad(source, where, f"{raw!r} is not a list; write [word, other phrase]")
    for i, item in enumerate(raw):
        if not isinstance(item, str) or not item.strip():
            raise _bad(source, f"{where}[{i}]", f"{item!r} is not a word or phrase; "
                                                "put it in quotes")
    return tuple(item.strip() for item in raw)


def _amount(raw: object, source: str, where: str) -> Decimal | None:
    if raw is None or raw is False:
        return None
    value = None if isinstance(raw, bool) else finite_decimal(raw)
    if value is None or value < 0:
        raise _bad(source, where, f"{raw!r} is not an amount; write a number like 500, "
                                  "or off")
    return value


def finite_decimal(raw: object) -> Decimal | None:
    """A finite amount from YAML or Shopify ("640.00", 500, 499.5); None when it is not one."""
    try:
        value = Decimal(str(raw).strip())
    except (InvalidOperation, ValueError):
        return None
    return value if value.is_finite() else None
