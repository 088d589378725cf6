from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

from wismo.errors import ConfigError
from wismo.handoff.handoff_rules import (
    DEFAULT_RULES,
    DEFAULT_RULES_PATH,
    HandoffRules,
    load_handoff_rules,
    parse_handoff_rules,
)

# --- The rules file --------------------------------------------------------------------------


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "handoff.yml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_file_says_what_the_defaults_are() -> None:
    assert load_handoff_rules(DEFAULT_RULES_PATH) == DEFAULT_RULES


def test_no_file_means_the_defaults(tmp_path: Path) -> None:
    assert load_handoff_rules(None) == DEFAULT_RULES
    assert load_handoff_rules(tmp_path / "absent.yml") == DEFAULT_RULES
    assert load_handoff_rules(write(tmp_path, "# nothing yet\n")) == DEFAULT_RULES


def test_a_key_changes_only_what_it_names(tmp_path: Path) -> None:
    path = write(tmp_path, "priority:\n  value_above: 499.50\n  vip_tags: [VIP, gold]\n"
                           "frustration:\n  threshold: 3\nreping_minutes: 30\n")

    assert load_handoff_rules(path) == replace(
        DEFAULT_RULES, value_above=Decimal("499.50"), vip_tags=("VIP", "gold"),
        frustration_threshold=3, reping_minutes=30)


def test_value_above_may_be_switched_off() -> None:
    rules = parse_handoff_rules({"priority": {"value_above": False}}, "handoff.yml")

    assert rules.value_above is None
    assert isinstance(rules, HandoffRules)


@pytest.mark.parametrize(
    ("raw", "where"),
    [
        ({"frustration": {"treshold": 2}}, "frustration.treshold: unknown key"),
        ({"frustration": {"threshold": 0}}, "frustration.threshold: 0 is not a whole number"),
        ({"frustration": {"threshold": "two"}}, "frustration.threshold: 'two'"),
        ({"frustration": {"phrases": "scam"}}, "frustration.phrases: 'scam' is not a list"),
        ({"frustration": {"phrases": ["scam", 3]}}, "frustration.phrases[1]: 3 is not a word"),
        ({"priority": {"value_above": "lots"}}, "priority.value_above: 'lots' is not an amount"),
        ({"priority": {"value_above": -5}}, "priority.value_above: -5 is not an amount"),
        ({"priority": {"vip_tags": [True]}}, "priority.vip_tags[0]: True is not a word"),
        ({"priority": ["vip"]}, "priority: ['vip'] is not a section"),
        ({"reping_minutes": 0}, "reping_minutes: 0 is not a whole number"),
        ({"low_confidence_turns": True}, "low_confidence_turns: True is not a whole number"),
        ({"slack": {}}, "slack: unknown key"),
    ],
)
def test_a_mistake_names_the_file_and_the_key(raw: dict, where: str) -> None:
    with pytest.raises(ConfigError) as raised:
        parse_handoff_rules(raw, "rules/handoff.yml")

    assert str(raised.value).startswith(f"rules/handoff.yml: {where}")


def test_broken_yaml_names_the_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "priority:\n  vip_tags: [vip\n")

    with pytest.raises(ConfigError) as raised:
        load_handoff_rules(path)

    assert str(raised.value).startswith(f"{path}: not valid YAML (line ")
