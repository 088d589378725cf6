"""One real stack per test session: trained model, sandbox, action server, Rasa server.

Conversations go through Rasa's REST channel exactly as `wismo chat` sends them.
"""

from __future__ import annotations

import socket
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from wismo.chat import send
from wismo.config import Settings
from wismo.stack import Stack, start_stack


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def stack(model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    settings = Settings(
        var_dir=tmp_path_factory.mktemp("var"),
        rasa_port=free_port(),
        action_port=free_port(),
        sandbox_port=0,
        http_timeout=2.0,
        http_retries=1,
    )
    running = start_stack(settings, model)
    yield running
    running.stop()


Say = Callable[[str], str]


@pytest.fixture
def customer(stack: Stack) -> Say:
    """A new conversation; `customer("hi")` returns the bot's replies as one text."""
    sender = f"test-{uuid.uuid4().hex[:10]}"

    def say(message: str) -> str:
        replies = send(stack.rasa_url, sender, message)
        say.replies = replies  # type: ignore[attr-defined]
        return "\n".join(r.get("text", "") for r in replies)

    say.sender = sender  # type: ignore[attr-defined]
    return say
