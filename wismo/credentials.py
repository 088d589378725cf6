"""Which channels to open: the blocks of credentials.yml whose variables are set.

credentials.yml holds every channel with its values as `${VARIABLE}`s (Rasa's own
syntax). Rasa refuses a file that names an unset variable, so `wismo up` writes the
file it actually starts with (var/credentials.yml): a block whose variables are all
unset is left out (the channel is simply not configured); in a block with some set,
keys whose variable is unset are dropped and reported, so the connector can say
which setting it is missing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass
class ChannelPlan:
    """The blocks to start with, values expanded; what was left out and why."""

    blocks: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    skipped: dict[str, list[str]] = field(default_factory=dict)  # block → its unset variables
    partial: dict[str, list[str]] = field(default_factory=dict)  # block → unset variables

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
        kept: dict[str, Any] = {}
        unset: list[str] = []
        used = 0
        for key, value in values.items():
            names = _VARIABLE.findall(value) if isinstance(value, str) else []
            missing = [n for n in names if not env.get(n)]
            used += len(names)
            if missing:
                unset.extend(missing)
                continue
            kept[key] = _VARIABLE.sub(lambda m: env[m.group(1)], value) \
                if isinstance(value, str) else value
        if used and len(unset) == used:
            plan.skipped[block] = unset
            continue
        if unset:
            plan.partial[block] = unset
        plan.blocks[block] = kept
    return plan


def write_credentials(plan: ChannelPlan, path: Path) -> Path:
    """The credentials file `rasa run` starts with (secrets stay in var/, never committed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(plan.blocks, sort_keys=False, allow_unicode=True))
    path.chmod(0o600)
    return path


def short_name(block: str) -> str:
    """'channels.telegram.TelegramInput' → 'telegram'; 'rest' → 'rest'."""
    if "." not in block:
        return block
    cls = block.rsplit(".", 1)[1]
    return cls.removesuffix("Input").lower()
