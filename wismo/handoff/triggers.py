"""When a conversation should reach a person: a frustrated customer, or a valued one in trouble.

The rules come from `rules/handoff.yml` (or the file WISMO_HANDOFF_RULES names), read once by
`load_handoff_rules`; everything else here is pure.

Frustration is scored over the customer's last few messages, oldest first. Each signal counts
once however many messages show it, except phrases, which count once each:

* a frustration phrase ("ridiculous", "third time", "fed up", ...)        +2 each
* profanity, masked forms included ("f***", "sh*t", "wtf")               +2
* a message mostly in capitals (12+ letters, 70%+ of them upper case)     +1
* "!!" or "?!" (a run of exclamation marks, or ?! mixed)                  +1
* the same question in two or more messages (near-identical text)         +1

The case goes to a person at `frustration_threshold` (2 by default), so one strong phrase or a
swear word is enough, but a shout alone ("WHERE IS MY ORDER") or "thanks!!" is not. Order
numbers, tracking numbers, e-mail addresses and links never count as capitals, and capitals or
"!!" in a message that says thanks are joy, not anger.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from difflib import SequenceMatcher
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from wismo import eta
from wismo.answers.status import unshipped
from wismo.domain import Order, Shipment, Status
from wismo.engine.detect import reason
from wismo.errors import ConfigError

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
        frustration_phrases=(_words(feel["phrases"], source, "frustration.phrases")
                             if "phrases" in feel else base.frustration_phrases),
        frustration_threshold=(_whole(feel["threshold"], source, "frustration.threshold")
                               if "threshold" in feel else base.frustration_threshold),
        vip_tags=(_words(prio["vip_tags"], source, "priority.vip_tags")
                  if "vip_tags" in prio else base.vip_tags),
        value_above=(_amount(prio["value_above"], source, "priority.value_above")
                     if "value_above" in prio else base.value_above),
        low_confidence_turns=(_whole(top["low_confidence_turns"], source, "low_confidence_turns")
                              if "low_confidence_turns" in top else base.low_confidence_turns),
        reping_minutes=(_whole(top["reping_minutes"], source, "reping_minutes")
                        if "reping_minutes" in top else base.reping_minutes),
    )


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
    value = None if isinstance(raw, bool) else _decimal(raw)
    if value is None or value < 0:
        raise _bad(source, where, f"{raw!r} is not an amount; write a number like 500, "
                                  "or off")
    return value


def _decimal(raw: object) -> Decimal | None:
    """A finite amount from YAML or Shopify ("640.00", 500, 499.5); None when it is not one."""
    try:
        value = Decimal(str(raw).strip())
    except (InvalidOperation, ValueError):
        return None
    return value if value.is_finite() else None


# --- Frustration -----------------------------------------------------------------------------

_PROFANITY = (
    "fuck", "fucks", "fucking", "fucked", "fucker", "fck", "fcking", "fuk", "fking", "fkn",
    "effing", "shit", "shitty", "bullshit", "crap", "crappy", "asshole", "bastard", "bastards",
    "bitch", "dammit", "damnit", "goddamn", "goddamnit", "piss", "pissed", "wtf", "ffs", "stfu",
)
_MASK = "*#@$%"
# A word, kept with any mask characters inside it ("f***", "sh*t", "$hit").
_TOKEN = re.compile(rf"[\w{re.escape(_MASK)}]+")
# Tokens that are not words: numbers, order and tracking numbers, e-mails, links.
_NOT_WORDS = re.compile(r"\S*(?:\d|@|://|www\.)\S*")
_BANGS = re.compile(r"!{2,}|\?+!|!+\?")
# Capitals and "!!" in a thank-you are joy, not anger.
_THANKS = re.compile(r"(?<!\w)(?:thank|thx|appreciate)", re.IGNORECASE)
_LETTERS_FOR_CAPS = 12
_CAPS_SHARE = 0.7
_SAME_QUESTION = 0.85  # SequenceMatcher ratio of two normalised messages
_QUESTION_MIN_WORDS = 3


@lru_cache(maxsize=8)
def _phrase_pattern(phrases: tuple[str, ...]) -> re.Pattern[str] | None:
    """One regex for every phrase: whole words, any case, spaces, commas or hyphens between."""
    words = [re.findall(r"\w+(?:'\w+)?", p.lower()) for p in phrases]
    parts = sorted({r"[\s,-]*".join(map(re.escape, w)) for w in words if w},
                   key=len, reverse=True)
    if not parts:
        return None
    return re.compile(r"(?<!\w)(?:" + "|".join(parts) + r")(?!\w)", re.IGNORECASE)


def _plain(text: str) -> str:
    return text.replace("\u2019", "'").replace("\u2018", "'")


def _swears(text: str) -> bool:
    for token in _TOKEN.findall(text.lower()):
        if token in _PROFANITY:
            return True
        if any(c in _MASK for c in token) and any(c.isalpha() for c in token):
            masked = re.compile("".join("." if c in _MASK else re.escape(c) for c in token))
            if any(masked.fullmatch(word) for word in _PROFANITY):
                return True
    return False


def _shouts(text: str) -> bool:
    letters = [c for c in _NOT_WORDS.sub(" ", text) if c.isalpha()]
    upper = sum(c.isupper() for c in letters)
    return len(letters) >= _LETTERS_FOR_CAPS and upper >= _CAPS_SHARE * len(letters)


def _normalised(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


def _repeats(texts: Sequence[str]) -> bool:
    said = [n for n in map(_normalised, texts) if len(n.split()) >= _QUESTION_MIN_WORDS]
    return any(SequenceMatcher(None, a, b).ratio() >= _SAME_QUESTION
               for i, a in enumerate(said) for b in said[i + 1:])


def _quote(text: str, match: re.Match[str], width: int = 50) -> str:
    """The part of the sentence around a phrase, as the customer wrote it."""
    start = max(text.rfind(c, 0, match.start()) for c in ".!?\n") + 1
    ends = [i for i in (text.find(c, match.end()) for c in ".!?\n") if i >= 0]
    clause = text[start:min(ends, default=len(text))].strip()
    if len(clause) <= width:
        return clause
    return match.group(0)


def frustration(texts: Sequence[str], rules: HandoffRules) -> str | None:
    """Evidence that the customer is fed up ('said "this is ridiculous", wrote in capitals').

    None while the score stays under the threshold (see the module docstring for the score).
    """
    texts = [_plain(t) for t in texts if t and t.strip()]
    pattern = _phrase_pattern(tuple(rules.frustration_phrases))
    score = 0
    evidence: list[str] = []
    seen: set[str] = set()
    for text in texts:
        for match in pattern.finditer(text) if pattern else ():
            phrase = " ".join(match.group(0).lower().replace("-", " ").split())
            if phrase in seen:
                continue
            seen.add(phrase)
            score += 2
            note = f'said "{_quote(text, match)}"'
            if note not in evidence:
                evidence.append(note)
    loud = [t for t in texts if not _THANKS.search(t)]
    signals = (
        (2, "swore", any(map(_swears, texts))),
        (1, "wrote in capitals", any(map(_shouts, loud))),
        (1, 'used "!!"', any(_BANGS.search(t) for t in loud)),
        (1, "asked the same thing again", _repeats(texts)),
    )
    for points, note, found in signals:
        if found:
            score += points
            evidence.append(note)
    return ", ".join(evidence) if score >= rules.frustration_threshold else None


# --- Priority customers ----------------------------------------------------------------------


def priority_reason(orders: Sequence[Order], rules: HandoffRules, today: date) -> str | None:
    """Why a person should take over: a VIP's or a big order has a problem worth a person.

    e.g. 'VIP customer (tag VIP), order value 640.00 USD over 500 — #1042: a delivery attempt
    failed'. None when no such order has a problem; an unreadable total is simply unknown.
    """
    notes = []
    for order in orders:
        why = _priority(order, rules)
        problem = problem_note(order, today) if why else None
        if why and problem:
            notes.append(f"{', '.join(why)} — {order.display_number}: {problem}")
    return "; ".join(notes) or None


def _priority(order: Order, rules: HandoffRules) -> list[str]:
    wanted = {t.strip().casefold() for t in rules.vip_tags}
    why = [f"VIP customer (tag {tag.strip()})" for tag in order.tags
           if tag.strip().casefold() in wanted][:1]
    total = _decimal(order.total_price) if order.total_price else None
    if rules.value_above is not None and total is not None and total > rules.value_above:
        money = f"{order.total_price} {(order.currency or '').upper()}".strip()
        why.append(f"order value {money} over {rules.value_above}")
    return why


def problem_note(order: Order, today: date) -> str | None:
    """What is wrong with an order, by the bot's own answers' definitions; None when on track.

    A parcel in exception, a failed attempt, a return, lateness against the promise
    (eta.outlook), a parcel with no scan for days (eta.looks_stuck), a label never scanned.
    """
    if order.is_cancelled:
        return None
    for s in order.shipments:
        note = _parcel_problem(s, order, today)
        if note:
            return note
    if not order.shipments or unshipped(order):
        out = eta.outlook(None, order, today)
        if out.is_late:
            return f"not shipped, {_days(out.days_late)} late"
    return None


def _parcel_problem(s: Shipment, order: Order, today: date) -> str | None:
    if s.status is Status.EXCEPTION:
        why = reason(s)
        return f"carrier exception ({why.value.replace('_', ' ')})" if why else \
            "carrier exception"
    if s.status is Status.ATTEMPT_FAILED:
        return "a delivery attempt failed"
    if s.status is Status.RETURN_TO_SENDER:
        return "going back to the sender"
    out = eta.outlook(s, order, today)
    if out.is_late:
        return f"{_days(out.days_late)} late"
    waited = eta.days_without_scan(s, today)
    if s.status is Status.LABEL_CREATED and waited >= eta.NO_SCAN_WORRY_DAYS:
        return f"label made {_days(waited)} ago, never scanned"
    if eta.looks_stuck(s, today):
        last = eta.last_checkpoint(s)
        quiet = (today - last.date()).days if last else eta.STUCK_AFTER.days
        return f"no carrier scan for {_days(quiet)}"
    return None


def _days(n: int) -> str:
    return "1 day" if n == 1 else f"{n} days"
