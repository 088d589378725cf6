"""One local HTTP server that speaks Shopify Admin REST and EasyPost Trackers.

The real adapters talk to it unchanged; only their base URL differs. State lives in
memory, built from ``seed.build_seed(today)`` when the server starts.

Fault injection (see docs/sandbox.md):
  * seeded parcels whose tracker answers 500, malformed JSON, or after ``slow_delay``;
  * header ``X-Sandbox-Fault: 429`` or query ``sandbox_fault=429``: the first such
    request for a method and path answers 429 with ``Retry-After: 1``, repeats succeed;
  * ``POST /_sandbox/rate-limit?count=N`` (or ``SandboxServer.arm_rate_limit(N)``): the
    next N API requests, whatever they carry, answer 429.

With a webhook target, a clock (clock.py) moves the live orders along and sends their
signed webhooks there.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from wismo.sandbox import easypost_api, shopify_api
from wismo.sandbox.clock import DEFAULT_TICK, SandboxClock
from wismo.sandbox.http import Reply
from wismo.sandbox.seed import Seed, build_seed

log = logging.getLogger(__name__)

DEFAULT_TOKEN = "shpat_sandbox"
DEFAULT_KEY = "EZAK_sandbox"
DEFAULT_SLOW_DELAY = 8.0
BUCKET_SIZE, LEAK_PER_SECOND = 40, 2.0  # Shopify's REST leaky bucket


class SandboxState:
    """Everything the handlers share, guarded by one lock."""

    def __init__(self, seed: Seed, shopify_token: str, easypost_key: str,
                 slow_delay: float) -> None:
        self.seed = seed
        self.shopify_token = shopify_token
        self.easypost_key = easypost_key
        self.slow_delay = slow_delay
        self.lock = threading.RLock()
        self.rate_limit_armed = 0
        self._faulted: set[str] = set()
        self._bucket = 0.0
        self._bucket_at = time.monotonic()

    def shopify_calls(self) -> int:
        """Calls in Shopify's leaky bucket after this one (the n of n/40)."""
        with self.lock:
            now = time.monotonic()
            self._bucket = max(0.0, self._bucket - (now - self._bucket_at) * LEAK_PER_SECOND)
            self._bucket = min(BUCKET_SIZE, self._bucket + 1)
            self._bucket_at = now
            return max(1, round(self._bucket))

    def take_rate_limit(self, method: str, path: str, query: dict[str, list[str]],
                        headers: Any) -> bool:
        """True when this request must answer 429 (armed, or a first forced one)."""
        with self.lock:
            if self.rate_limit_armed > 0:
                self.rate_limit_armed -= 1
                return True
            forced = headers.get("X-Sandbox-Fault") == "429" or \
                query.get("sandbox_fault") == ["429"]
            if not forced:
                return False
            rest = {k: v for k, v in query.items() if k != "sandbox_fault"}
            key = f"{method} {path}?{urlencode(sorted(rest.items()), doseq=True)}"
            if key in self._faulted:
                return False
            self._faulted.add(key)
            return True


def _rate_limited(path: str) -> Reply:
    if path.startswith("/v2/"):
        reply = easypost_api.error(429, "RATE_LIMITED", "You have exceeded the rate limit. "
                                   "Please slow down and try again.")
    else:
        reply = Reply(429, {"errors": "Exceeded 2 calls per second for api client. Reduce "
                                      "request rates to resume uninterrupted service."})
    reply.headers["Retry-After"] = "1"
    return reply


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_PUT(self) -> None:
        self._serve("PUT")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    def _serve(self, method: str) -> None:
        state = self.server.state
        parts = urlsplit(self.path)
        path, query = parts.path, parse_qs(parts.query)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            self._send(Reply(400, {"errors": "body is not valid JSON"}))
            return
        reply = self._control(method, path, query)
        if reply is None and state.take_rate_limit(method, path, query, self.headers):
            reply = _rate_limited(path)
        for api in (shopify_api, easypost_api):
            if reply is None:
                reply = api.handle(state, method, path, query, body, self.headers)
        self._send(reply or Reply(404, {"errors": "Not Found"}))

    def _control(self, method: str, path: str, query: dict[str, list[str]]) -> Reply | None:
        state = self.server.state
        if path == "/_sandbox/health" and method == "GET":
            return Reply(200, {"ok": True, "today": state.seed.today.isoformat(),
                               "orders": len(state.seed.orders)})
        if path == "/_sandbox/rate-limit" and method == "POST":
            count = int((query.get("count") or ["1"])[0])
            with state.lock:
                state.rate_limit_armed += count
            return Reply(200, {"armed": state.rate_limit_armed})
        return None

    def _send(self, reply: Reply) -> None:
        if reply.delay:
            time.sleep(reply.delay)
        payload = reply.payload()
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (e.g. timed out on the slow tracker)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        log.debug("sandbox %s", format % args)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], state: SandboxState) -> None:
        super().__init__(address, _Handler)
        self.state = state


class SandboxServer:
    """A running sandbox: its base URL, credentials and a way to stop it."""

    def __init__(self, httpd: _Server, thread: threading.Thread) -> None:
        self._httpd = httpd
        self._thread = thread
        host, port = httpd.server_address[:2]
        self.host, self.port = str(host), int(port)
        self.url = f"http://{self.host}:{self.port}"
        self.clock: SandboxClock | None = None

    @property
    def state(self) -> SandboxState:
        return self._httpd.state

    @property
    def seed(self) -> Seed:
        return self.state.seed

    @property
    def shopify_token(self) -> str:
        return self.state.shopify_token

    @property
    def easypost_key(self) -> str:
        return self.state.easypost_key

    def arm_rate_limit(self, count: int = 1) -> None:
        """Make the next ``count`` API requests answer 429 with ``Retry-After: 1``."""
        with self.state.lock:
            self.state.rate_limit_armed += count

    def start_clock(self, target: str, tick: float = DEFAULT_TICK,
                    **options: Any) -> SandboxClock | None:
        """Move the live orders every ``tick`` seconds and POST their webhooks to ``target``
        (a base URL: ``/webhooks/shopify`` and ``/webhooks/easypost`` are added); options go
        to SandboxClock. A tick of 0 or less means no clock: None."""
        if tick <= 0:
            log.info("sandbox clock off")
            return None
        if self.clock is not None:
            self.clock.stop()
        self.clock = SandboxClock(self.state, target, tick=tick, **options).start()
        return self.clock

    def stop(self) -> None:
        if self.clock is not None:
            self.clock.stop()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> SandboxServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_sandbox(
    host: str = "127.0.0.1",
    port: int = 0,
    today: date | None = None,
    *,
    shopify_token: str = DEFAULT_TOKEN,
    easypost_key: str = DEFAULT_KEY,
    slow_delay: float = DEFAULT_SLOW_DELAY,
    webhook_target: str | None = None,
    tick: float | None = None,
) -> SandboxServer:
    """Start the sandbox in a daemon thread; port 0 picks a free port. With a
    ``webhook_target``, its clock runs too (every ``tick`` seconds; 0 = off)."""
    seed = build_seed(today or date.today())
    state = SandboxState(seed, shopify_token, easypost_key, slow_delay)
    httpd = _Server((host, port), state)
    thread = threading.Thread(target=httpd.serve_forever, name="wismo-sandbox", daemon=True)
    thread.start()
    server = SandboxServer(httpd, thread)
    log.info("sandbox listening", extra={"url": server.url, "orders": len(seed.orders)})
    if webhook_target:
        server.start_clock(webhook_target, DEFAULT_TICK if tick is None else tick)
    return server
