"""EasyPost's documented payloads and its Trackers API as a real local server
(see tests/fake_provider.py)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fake_provider import FakeProvider, Reply

SHARED_PROVIDERS = Path(__file__).parents[3] / "shared" / "data" / "providers"


def _load_shared(relative: str) -> Any:
    path = SHARED_PROVIDERS / relative
    if not path.is_file():
        pytest.skip(f"{path} is absent: clone the shared/ folder beside the repository")
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def shared_payload() -> Callable[[str], Any]:
    """Loads a provider payload from ``shared/data/providers`` (skips the test when absent)."""
    return _load_shared


@pytest.fixture
def easypost_server() -> Iterator[FakeProvider]:
    """A fake EasyPost on a free local port, for one test; unanswered requests get a 404."""
    not_found = Reply(404, {"error": {"code": "NOT_FOUND", "message": "no reply queued"}})
    with FakeProvider(not_found=not_found) as fake:
        yield fake
