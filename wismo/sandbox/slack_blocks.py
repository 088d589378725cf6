"""Block Kit: the checks Slack makes before it accepts blocks, and where buttons are.

Why apart from the workspace: what makes blocks valid is a concept of its own, with its own
rules, used both when the app posts (``invalid_blocks``) and when a person presses a button.
"""

from __future__ import annotations

from typing import Any

from wismo.sandbox.slack_payloads import Json

BLOCK_TYPES = {"actions", "context", "divider", "file", "header", "image", "input", "markdown",
               "rich_text", "section", "video"}


def _text_error(obj: Any, where: str, limit: int, plain_only: bool = False) -> str | None:
    kinds = ("plain_text",) if plain_only else ("plain_text", "mrkdwn")
    if not isinstance(obj, dict) or obj.get("type") not in kinds:
        return f"must be a {' or '.join(kinds)} text object [json-pointer:{where}]"
    if not 1 <= len(str(obj.get("text") or "")) <= limit:
        return f"must be 1 to {limit} characters [json-pointer:{where}/text]"
    return None


def _buttons(block: Json) -> list[Json]:
    elements = list(block.get("elements") or []) if block.get("type") == "actions" else []
    accessory = block.get("accessory")
    return [e for e in [*elements, accessory] if isinstance(e, dict) and e.get("type") == "button"]


def block_errors(blocks: list[Any]) -> list[str]:
    """What Slack would answer with ``invalid_blocks`` (the usual mistakes, not the whole spec)."""
    errors: list[str] = []
    if len(blocks) > 50:
        errors.append("no more than 50 items allowed [json-pointer:/blocks]")
    action_ids: set[str] = set()
    for i, block in enumerate(blocks):
        where = f"/blocks/{i}"
        if not isinstance(block, dict) or block.get("type") not in BLOCK_TYPES:
            errors.append(f"unsupported block type [json-pointer:{where}]")
            continue
        kind, found = block["type"], []
        if kind == "header":
            found.append(_text_error(block.get("text"), f"{where}/text", 150, plain_only=True))
        elif kind == "section" and "fields" in block:
            fields = block["fields"] if isinstance(block["fields"], list) else []
            if not 1 <= len(fields) <= 10:
                found.append(f"must have 1 to 10 fields [json-pointer:{where}/fields]")
            found += [_text_error(f, f"{where}/fields/{n}", 2000) for n, f in enumerate(fields)]
        elif kind == "section":
            found.append(_text_error(block.get("text"), f"{where}/text", 3000))
        elif kind in ("actions", "context") and not 1 <= len(block.get("elements") or []) <= (
                25 if kind == "actions" else 10):
            found.append(f"wrong number of elements [json-pointer:{where}/elements]")
        for button in _buttons(block):
            found.append(_text_error(button.get("text"), f"{where}/elements", 75, True))
            action_id = str(button.get("action_id") or "")
            if action_id in action_ids:
                found.append(f"duplicate action_id {action_id!r} [json-pointer:{where}]")
            action_ids.add(action_id)
            if len(str(button.get("value") or "")) > 2000:
                found.append(f"value must be at most 2000 characters [json-pointer:{where}]")
            if button.get("style") not in (None, "primary", "danger"):
                found.append(f"style must be primary or danger [json-pointer:{where}]")
        errors += [e for e in found if e]
    return errors


def find_button(blocks: list[Json], action_id: str) -> tuple[str, Json]:
    """The block_id and element of the button ``action_id``; KeyError if there is none."""
    for block in blocks:
        for button in _buttons(block):
            if button.get("action_id") == action_id:
                return str(block.get("block_id", "")), button
    raise KeyError(f"no button {action_id!r} in the message")
