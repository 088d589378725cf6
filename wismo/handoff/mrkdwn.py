"""Slack mrkdwn in and out: customer and bot text made safe for Slack, an agent's reply made
plain for the customer.

Text is escaped per Slack's "Escaping text" rules (&, <, >), so "<!channel>" typed by a
customer shows as text and pings nobody; the worker must also leave ``link_names`` off.
``clip`` escapes and cuts to a length limit without breaking an entity. ``from_slack`` goes
the other way: an agent's reply, with Slack's markup undone, for the customer's channel.
"""

from __future__ import annotations

import re

_USER_ID = re.compile(r"[UW][A-Z0-9]{2,}")
_MARKUP = re.compile(r"<([^<>]+)>")


def escape(text: str) -> str:
    """Slack's three control characters as entities; nothing else changes."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int) -> str:
    """``text`` escaped and cut to at most ``limit`` characters, never inside an entity."""
    out, size = [], 0
    for ch in text:
        piece = escape(ch)
        if size + len(piece) > limit - 1:
            return "".join(out).rstrip() + "…"
        out.append(piece)
        size += len(piece)
    return "".join(out)


def mention(user: str | None) -> str:
    """'<@U0SAM>' for a Slack user id; anything else shown as (escaped) text."""
    if not user:
        return "someone"
    return f"<@{user}>" if _USER_ID.fullmatch(user) else escape(user)


def from_slack(text: str) -> str:
    """An agent's thread reply as the customer should read it: Slack's <…> markup and
    entities undone ('<https://x.co|the form>' → 'the form (https://x.co)')."""

    def plain(match: re.Match[str]) -> str:
        target, _, label = match.group(1).partition("|")
        if target.startswith("!"):  # <!here>, <!subteam^S1|@team>, <!date^…|Feb 1>
            return label or "@" + target[1:].split("^")[0]
        if target[:1] in ("@", "#"):  # <@U0SAM|sam>, <#C1|general>
            return target[0] + (label or target[1:])
        bare = target.removeprefix("mailto:")
        if not label or label in (target, bare, target.split("://", 1)[-1]):
            return label or bare
        return f"{label} ({target})"

    out = _MARKUP.sub(plain, text)
    return out.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
