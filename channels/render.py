"""Bot replies shaped for text-only channels (SMS, WhatsApp) and provider size limits.

Pure: no I/O. Buttons become numbered lines the customer answers with a number;
long replies split at paragraph, then sentence, then word boundaries.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")
_CHOICE = re.compile(r"^\s*(\d{1,2})\s*[.)]?\s*$")


def split_text(text: str, limit: int) -> list[str]:
    """`text` in pieces of at most `limit` characters, cut where a reader would pause."""
    text = text.strip()
    if len(text) <= limit:
        return [text] if text else []
    for separator, pieces in (("\n\n", text.split("\n\n")), ("\n", text.split("\n")),
                              (" ", _SENTENCE_END.split(text)), (" ", text.split(" "))):
        if len(pieces) > 1:
            return _pack(pieces, separator, limit)
    return [text[i:i + limit] for i in range(0, len(text), limit)]


def _pack(pieces: list[str], separator: str, limit: int) -> list[str]:
    chunks: list[str] = []
    current = ""
    for piece in pieces:
        candidate = f"{current}{separator}{piece}" if current else piece
        if len(candidate) <= limit:
            current = candidate
            continue
        if current:
            chunks.append(current.strip())
        if len(piece) > limit:
            *whole, current = split_text(piece, limit)
            chunks.extend(whole)
        else:
            current = piece
    if current.strip():
        chunks.append(current.strip())
    return chunks


def button_options(buttons: Iterable[Mapping[str, Any]]) -> list[tuple[str, str]]:
    """(title, payload) pairs from Rasa buttons; a button with no payload sends its title."""
    return [(str(b.get("title") or ""), str(b.get("payload") or b.get("title") or ""))
            for b in buttons if b.get("title") or b.get("payload")]


def numbered(text: str, options: list[tuple[str, str]]) -> str:
    """The reply with its choices as numbered lines, for channels without buttons."""
    if not options:
        return text
    lines = "\n".join(f"{i}. {title}" for i, (title, _) in enumerate(options, start=1))
    return f"{text}\n\n{lines}\nReply with a number."


def chosen_option(reply: str, options: list[tuple[str, str]]) -> str | None:
    """The payload the customer picked by number ('2', '2.') or by title, else None."""
    match = _CHOICE.match(reply)
    if match:
        index = int(match.group(1))
        return options[index - 1][1] if 1 <= index <= len(options) else None
    wanted = reply.strip().casefold()
    for title, payload in options:
        if title.strip().casefold() == wanted:
            return payload
    return None
