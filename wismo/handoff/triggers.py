"""When a conversation should reach a person: a frustrated customer, or a valued one in trouble.

Pure functions of the rules in `wismo.handoff.handoff_rules` (`rules/handoff.yml`).

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
from collections.abc import Sequence
from datetime import date
from difflib import SequenceMatcher
from functools import lru_cache

from wismo import eta
from wismo.answers.status import unshipped
from wismo.domain import Order, Shipment, Status
from wismo.engine.detect import reason
from wismo.handoff.handoff_rules import HandoffRules, finite_decimal

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
    total = finite_decimal(order.total_price) if order.total_price else None
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
