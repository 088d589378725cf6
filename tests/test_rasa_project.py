"""The Rasa project itself: training data validates, test stories pass `rasa test`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from wismo.stack import PROJECT

ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONWARNINGS": "ignore",
       "SQLALCHEMY_SILENCE_UBER_WARNING": "1"}


def rasa(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "rasa", *args], cwd=PROJECT, env=ENV,
                          capture_output=True, text=True, timeout=timeout)


def test_training_data_validates_without_warnings():
    result = rasa("data", "validate", "--data", "data", "--domain", "domain.yml",
                  "--config", "config.yml")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    warnings = [line for line in output.splitlines() if "UserWarning" in line]
    # Intents the engine sends with trigger_intent are never typed: no NLU data by design.
    unexpected = [w for w in warnings
                  if not ("'EXTERNAL_" in w and "not found in the NLU training data" in w)]
    assert unexpected == [], output[-3000:]


@pytest.mark.e2e
def test_test_stories_pass(model: Path, tmp_path: Path):
    result = rasa("test", "core", "--model", str(model), "--stories", "tests/test_stories.yml",
                  "--out", str(tmp_path), "--fail-on-prediction-errors")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    assert not (tmp_path / "failed_test_stories.yml").exists() or "steps" not in (
        tmp_path / "failed_test_stories.yml").read_text()
