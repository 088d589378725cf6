"""What the customer reads from the handoff's Slack side: a person's reply, and the notes
when the bot gets the conversation back. (What the bot says when it hands over is in
actions/support.py, with the action that says it.)"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

HANDED_BACK_NOTE = ("You're back with the assistant. Ask me anything about your order, or "
                    "say \"agent\" to reach the team again.")
_STRANDED = ("Sorry, I can't reach our support team right now. Your case {case} is saved "
             "and they'll reply here as soon as they can; in the meantime I'm back to help "
             "with your order.")
RESOLVED_NOTE = ("Our support team has marked your request as resolved. If there's anything "
                 "else, just write here.")


def stranded_note(case_id: str) -> str:
    """The bot takes the conversation back because the case never reached Slack."""
    return _STRANDED.format(case=case_id)


def agent_says(name: str, text: str) -> str:
    """A person's reply as the customer sees it: who wrote it, then their words."""
    return f"{name} (support): {text}"


def first_name(user: Mapping[str, Any]) -> str:
    """The first name to show the customer, from a Slack users.info `user` object."""
    profile = user.get("profile") or {}
    full = (profile.get("display_name") or profile.get("real_name") or user.get("real_name")
            or user.get("name") or "")
    return full.split()[0] if full.split() else "Support"
