"""A real local HTTP server that answers like the EasyPost Trackers API.

Why not a mock: auth headers, request bodies, timeouts and retries only prove
themselves over a real socket. Tests queue replies; the last one repeats.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

SHARED_PROVIDERS = Path(__file__).parents[3] / "shared" / "data" / "providers"


def _load_shared(relative: str) -> Any:
    path = SHARED_PROVIDERS / relative
    if not path.is_file():
        pytest.skip(f"{path} is absent: clone the shared/ folder beside the repository")
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture
def shared_payload() -> Callable[[str], Any]:
    """Loads a provider payload from ``shared/data/providers`` (skips the test when absent)."""
    return _load_shared


@dataclass
class Reply:
    """One canned answer: a JSON body (or raw bytes), a status, headers and a delay."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass
class Seen:
    """One request as the server received it (header names lower-cased)."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any


class FakeEasyPost:
    """Answers every request with the queued replies in order; the last one repeats."""

    def __init__(self) -> None:
        self.replies: list[Reply] = []
        self.requests: list[Seen] = []
        self.url = ""
        self._lock = threading.Lock()

    def add(
        self,
        status: int,
        body: Any = None,
        *,
        headers: dict[str, str] | None = None,
        delay: float = 0.0,
    ) -> FakeEasyPost:
        """Queue one reply (a dict/list becomes JSON; bytes are sent as they are)."""
        self.replies.append(Reply(status, body, headers or {}, delay))
        return self

    def answer(self, seen: Seen) -> Reply:
        with self._lock:
            self.requests.append(seen)
            if not self.replies:
                return Reply(404, {"error": {"code": "NOT_FOUND", "message": "no reply queued"}})
            return self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]


def _handler(fake: FakeEasyPost) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = raw
            headers = {k.lower(): v for k, v in self.headers.items()}
            reply = fake.answer(Seen(self.command, self.path, headers, body))
            if reply.delay:
                time.sleep(reply.delay)
            data = reply.body if isinstance(reply.body, bytes) else json.dumps(reply.body).encode()
            try:
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)
            except OSError:
                pass  # the client gave up (read-timeout test)

        do_GET = do_POST = _serve

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

    return Handler


@pytest.fixture
def easypost_server() -> Iterator[FakeEasyPost]:
    fake = FakeEasyPost()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    server.daemon_threads = True
    server.block_on_close = False
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
