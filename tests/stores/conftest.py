"""A real local HTTP server that answers like the Shopify Admin REST API.

Why not a mock: the adapter's URLs, query strings, headers, bodies and error
handling only prove themselves over a real socket.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest


@dataclass
class Reply:
    """One canned answer: a JSON body (or raw bytes), a status and headers."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass
class Seen:
    """One request as the server received it (header names lower-cased)."""

    method: str
    path: str
    raw_query: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any


class FakeShopify:
    """Answers (method, path) with queued replies; the last one repeats."""

    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], list[Reply]] = {}
        self.requests: list[Seen] = []
        self.url = ""
        self._lock = threading.Lock()

    def on(self, method: str, path: str, *replies: Reply) -> None:
        self.routes[(method, path)] = list(replies)

    def seen(self, method: str | None = None, path: str | None = None) -> list[Seen]:
        return [r for r in self.requests
                if (method is None or r.method == method) and (path is None or r.path == path)]

    def answer(self, method: str, path: str, raw_query: str, headers: dict[str, str],
               raw: bytes) -> Reply:
        body: Any = None
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                body = raw
        with self._lock:
            self.requests.append(Seen(method, path, raw_query, parse_qs(raw_query), headers, body))
            queue = self.routes.get((method, path))
            if not queue:
                return Reply(404, {"errors": "Not Found"})
            return queue.pop(0) if len(queue) > 1 else queue[0]


def _handler(fake: FakeShopify) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            reply = fake.answer(self.command, parts.path, parts.query,
                                {k.lower(): v for k, v in self.headers.items()}, raw)
            if reply.delay:
                time.sleep(reply.delay)
            data = reply.body if isinstance(reply.body, bytes) else json.dumps(reply.body).encode()
            try:
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout test)

        do_GET = do_POST = do_PUT = _serve

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def shopify_server() -> Iterator[FakeShopify]:
    """A FakeShopify listening on 127.0.0.1 on a free port, for one test."""
    fake = FakeShopify()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
