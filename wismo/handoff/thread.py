"""The lines posted in a case's Slack thread: the customer's and the bot's messages, system
notes, re-pings and who pressed which button.

Customer and bot text is escaped (``wismo.handoff.mrkdwn``), so it pings nobody; the
mentions in notes and pings are ours and stay live.
"""

from __future__ import annotations

from datetime import timedelta

from wismo.handoff.card import MAX_SECTION, channel_label
from wismo.handoff.mrkdwn import clip, escape, mention


def thread_message(who: str, text: str, *, channel: str | None = None,
                   name: str | None = None) -> str:
    """A message relayed into the case thread: '💬 *Ana (Telegram):* …' or '🤖 *Bot:* …'.

    Raises:
        ValueError: ``who`` is not "customer", "bot" or "agent".
    """
    body = clip(text.strip(), MAX_SECTION) if text and text.strip() else "_(no text)_"
    if who == "customer":
        where = f" ({clip(channel_label(channel), 100)})" if channel else ""
        return f"💬 *{clip(name or 'Customer', 80)}{where}:* {body}"
    if who == "bot":
        return f"🤖 *Bot:* {body}"
    if who == "agent":
        return f"🧑‍💻 *{clip(name or 'Agent', 80)}:* {body}"
    raise ValueError(f"unknown speaker {who!r}")


def note(text: str) -> str:
    """A system note in the thread ('ℹ️ The customer went quiet for a day.')."""
    return f"ℹ️ {clip(text, MAX_SECTION)}"


def ping_message(case_id: str, waiting: timedelta, assignee: str | None) -> str:
    """Re-ping for a case nobody answered: the assignee if there is one, else the channel."""
    who = mention(assignee) if assignee else "<!here>"
    return (f"{who} Case {escape(case_id)}: the customer has been waiting {_duration(waiting)} "
            "for a reply.")


def state_note(state: str, user: str) -> str:
    """The thread note when someone presses a button on the case."""
    who = mention(user)
    notes = {
        "open": f"{who} reopened the case; the bot is paused.",
        "taken": f"{who} took the case; the bot is paused.",
        "handed_back": f"{who} handed the conversation back to the bot.",
        "resolved": f"{who} resolved the case.",
    }
    if state not in notes:
        raise ValueError(f"unknown case state {state!r}")
    return notes[state]


def _duration(waiting: timedelta) -> str:
    minutes = int(waiting.total_seconds() // 60)
    if minutes < 1:
        return "less than a minute"
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"
