"""The Shopify Admin REST API as a real local server (see tests/fake_provider.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fake_provider import FakeProvider, Reply


@pytest.fixture
def shopify_server() -> Iterator[FakeProvider]:
    """A fake Shopify on a free local port, for one test; unrouted requests get Shopify's 404."""
    with FakeProvider(not_found=Reply(404, {"errors": "Not Found"})) as fake:
        yield fake
