"""Fixtures shared across test folders."""

from __future__ import annotations

from pathlib import Path

import pytest

from wismo.stack import PROJECT
from wismo.training import ensure_model


@pytest.fixture(scope="session")
def model() -> Path:
    """The model for the current training data: trained once, reused while the data is unchanged."""
    return ensure_model(PROJECT, progress=print)
