"""A terminal conversation with a running agent over Rasa's REST channel."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import requests


def send(rasa_url: str, sender: str, message: str, timeout: float = 30.0) -> list[dict[str, Any]]:
    """One customer message in, the bot's replies out (text and buttons)."""
    response = requests.post(
        f"{rasa_url}/webhooks/rest/webhook",
        json={"sender": sender, "message": message},
        timeout=timeout,
    )
    response.raise_for_status()
    return response.json()


def render(replies: list[dict[str, Any]]) -> tuple[str, list[str]]:
    """The replies as terminal text, and the payloads of numbered buttons."""
    lines: list[str] = []
    payloads: list[str] = []
    for reply in replies:
        if reply.get("text"):
            lines.append(f"bot> {reply['text']}")
        for button in reply.get("buttons") or []:
            payloads.append(button["payload"])
            lines.append(f"     [{len(payloads)}] {button['title']}")
    return "\n".join(lines), payloads


def chat_loop(
    rasa_url: str,
    sender: str | None = None,
    read: Callable[[str], str] = input,
    write: Callable[[str], None] = print,
) -> None:
    """Talk until the customer types /quit or presses Ctrl-D."""
    sender = sender or f"terminal-{uuid.uuid4().hex[:8]}"
    write("Type a message as a customer would (e.g. \"where is my order?\"); /quit to leave.")
    payloads: list[str] = []
    while True:
        try:
            text = read("you> ").strip()
        except (EOFError, KeyboardInterrupt):
            write("")
            return
        if text in ("/quit", "/exit"):
            return
        if text.isdigit() and 0 < int(text) <= len(payloads):
            text = payloads[int(text) - 1]
        try:
            shown, payloads = render(send(rasa_url, sender, text))
        except requests.RequestException as exc:
            write(f"(could not reach the agent at {rasa_url}: {exc.__class__.__name__})")
            continue
        write(shown or "bot> (no reply)")
