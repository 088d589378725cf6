"""A real local HTTP server that stands in for a provider's API (Shopify, EasyPost) in tests.

Why not a mock: URLs, query strings, headers, bodies, timeouts and retries only
prove themselves over a real socket. A test queues replies for a (method, path),
or for any request, and reads back what the server received. A reply is the sandbox's
`Reply` (a JSON body or raw bytes, a status, headers and a delay)::

    with FakeProvider(not_found=Reply(404, {"errors": "Not Found"})) as fake:
        fake.on("GET", "/admin/api/2024-10/orders.json", Reply(200, {"orders": []}))
        ...
        [request] = fake.seen("GET")
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlsplit

from wismo.sandbox.http import Reply  # the sandbox's canned answer: JSON or raw bytes, delay

ANY_REQUEST = ("*", "*")


@dataclass
class Seen:
    """One request as the server received it (header names lower-cased; the body parsed as
    JSON when it is JSON, else the raw bytes)."""

    method: str
    path: str
    raw_query: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any

    def form(self) -> dict[str, str]:
        """The body as form fields (Twilio's and PTB's posts are form-encoded)."""
        raw = self.body if isinstance(self.body, bytes) else b""
        return dict(parse_qsl(raw.decode(), keep_blank_values=True))


class FakeProvider:
    """Answers each request with the replies queued for its (method, path), else with those
    queued for any request, else with ``not_found``; the last reply of a queue repeats.

    Use it as a context manager: it listens on 127.0.0.1 on a free port (``url``) inside.
    """

    def __init__(self, not_found: Reply) -> None:
        self.not_found = not_found
        self.routes: dict[tuple[str, str], list[Reply]] = {}
        self.requests: list[Seen] = []
        self.url = ""
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def on(self, method: str, path: str, *replies: Reply) -> None:
        """Answer ``method path`` (path without the query) with these replies in order."""
        self.routes[(method, path)] = list(replies)

    def on_any(self, *replies: Reply) -> None:
        """Answer every request that has no route of its own with these replies in order."""
        self.routes[ANY_REQUEST] = list(replies)

    def seen(self, method: str | None = None, path: str | None = None) -> list[Seen]:
        """The requests received so far, oldest first, optionally only one method and path."""
        return [r for r in self.requests
                if (method is None or r.method == method) and (path is None or r.path == path)]

    def answer(self, seen: Seen) -> Reply:
        with self._lock:
            self.requests.append(seen)
            queue = self.routes.get((seen.method, seen.path)) or self.routes.get(ANY_REQUEST)
            if not queue:
                return self.not_found
            return queue.pop(0) if len(queue) > 1 else queue[0]

    def __enter__(self) -> FakeProvider:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.01,), daemon=True)
        self._thread.start()
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        return self

    def __exit__(self, *exc_info: object) -> None:
        assert self._server is not None and self._thread is not None
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def _parse_body(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def _handler(fake: FakeProvider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            reply = fake.answer(Seen(self.command, parts.path, parts.query,
                                     parse_qs(parts.query), headers, _parse_body(raw)))
            if reply.delay:
                time.sleep(reply.delay)
            data = reply.payload()
            try:
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)
            except OSError:
                pass  # the client gave up (timeout tests)

        do_GET = do_POST = do_PUT = _serve

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

    return Handler


__all__ = ["ANY_REQUEST", "FakeProvider", "Reply", "Seen"]
