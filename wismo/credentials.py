"""Which channels to open: the blocks of credentials.yml whose variables are set.

credentials.yml holds every channel with its values as `${VARIABLE}`s (Rasa's own
syntax) and optional ones as `${VARIABLE:-default}`. Rasa refuses a file that names an
unset variable, so `wismo up` writes the file it actually starts with
(var/credentials.yml): a block starts when all its required variables are set; one
with none of them set is simply not configured; one with only some set is not started
and reported with what is missing. Optional keys with an empty value are left out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


@dataclass
class ChannelPlan:
    """The blocks to start with, values expanded; what was left out and why."""

    blocks: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    unconfigured: list[str] = field(default_factory=list)  # none of its variables set
    incomplete: dict[str, list[str]] = field(default_factory=dict)  # block → unset variables

    def channel_names(self) -> list[str]:
        """Short names for people: 'rest', 'webchat', 'telegram', 'sms'."""
        return [short_name(block) for block in self.blocks]


def plan_channels(template: Path, env: Mapping[str, str]) -> ChannelPlan:
    """Read credentials.yml and decide, per block, with the variables in `env`."""
    raw = yaml.safe_load(template.read_text()) or {}
    plan = ChannelPlan()
    for block, values in raw.items():
        if not isinstance(values, dict):
            plan.blocks[block] = values
            continue
        required = [m.group(1) for v in values.values() if isinstance(v, str)
                    for m in _VARIABLE.finditer(v) if m.group(2) is None]
        missing = [name for name in required if not env.get(name)]
        if required and len(missing) == len(required):
            plan.unconfigured.append(block)
        elif missing:
            plan.incomplete[block] = missing
        else:
            expanded = {key: _expand(value, env) for key, value in values.items()}
            plan.blocks[block] = {k: v for k, v in expanded.items() if v not in ("", None)}
    return plan


def _expand(value: Any, env: Mapping[str, str]) -> Any:
    if not isinstance(value, str):
        return value
    return _VARIABLE.sub(lambda m: env.get(m.group(1)) or m.group(2) or "", value)

def write_credentials(plan: ChannelPlan, path: Path) -> Path:
    """The credentials file `rasa run` starts with (secrets stay in var/, never committed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(plan.blocks, sort_keys=False, allow_unicode=True))
    path.chmod(0o600)
    return path


def short_name(block: str) -> str:
    """'channels.telegram.TelegramInput' → 'telegram'; 'rest' → 'rest';
    'channels.slack_handoff.SlackHandoffInput' → 'slack'."""
    if "." not in block:
        return block
    cls = block.rsplit(".", 1)[1]
    return cls.removesuffix("Input").removesuffix("Handoff").lower()
