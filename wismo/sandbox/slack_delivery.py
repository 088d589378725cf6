"""How the fake workspace hands the app its events: Socket Mode, or signed Events API POSTs.

Why apart from the workspace: delivery is a protocol of its own (hello, envelopes, acks, a
redelivery after 3 s, disconnects; signed HTTP posts and their retries), with its own queue and
connections; the workspace around it keeps the channel, serves the Web API and acts as people.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import threading
import time
import uuid
from collections import deque
from urllib.parse import urlencode

import aiohttp
from aiohttp import web

from wismo.sandbox.slack_payloads import APP_ID, Json, sign

log = logging.getLogger(__name__)

ACK_TIMEOUT = 3.0  # Socket Mode: an unacknowledged event is sent once more after this
HTTP_TIMEOUT = 3.0  # Events API: a slower answer counts as failed (http_timeout)
HTTP_RETRY_DELAYS = (0.0, 60.0, 300.0)  # Events API retries: at once, after 1 and 5 minutes
USER_AGENT = "Slackbot 1.0 (+https://api.slack.com/robots)"


@dataclasses.dataclass
class Outgoing:
    """One event or interaction on its way to the app, kept as it is for a retry."""

    kind: str  # "events_api" or "interactive", as Socket Mode names them
    payload: Json
    envelope_id: str = dataclasses.field(default_factory=lambda: str(uuid.uuid4()))
    retry_attempt: int = 0
    retry_reason: str = ""

    def envelope(self) -> Json:
        envelope = {"envelope_id": self.envelope_id, "type": self.kind,
                    "accepts_response_payload": False, "payload": self.payload}
        if self.kind == "events_api":
            envelope |= {"retry_attempt": self.retry_attempt, "retry_reason": self.retry_reason}
        return envelope


class Delivery:
    """The outbox, the Socket Mode connections and the HTTP targets; runs on the server loop.

    State is guarded by the workspace's ``lock``; ``loop`` is set while the workspace serves.
    """

    def __init__(self, lock: threading.RLock, *, signing_secret: str, tickets: set[str],
                 ack_timeout: float = ACK_TIMEOUT,
                 http_retry_delays: tuple[float, ...] = HTTP_RETRY_DELAYS) -> None:
        self.lock, self.signing_secret, self.tickets = lock, signing_secret, tickets
        self.ack_timeout, self.http_retry_delays = ack_timeout, http_retry_delays
        self.loop: asyncio.AbstractEventLoop | None = None
        self.down = False  # while true nothing goes out and no connection is accepted
        self.deliveries: list[Json] = []
        self.acks: dict[str, Json] = {}
        self.outbox: deque[Outgoing] = deque()
        self.sockets: list[web.WebSocketResponse] = []
        self.targets: tuple[str, str | None] | None = None
        self._pumping = False
        self._session: aiohttp.ClientSession | None = None

    def deliver_to(self, url_events: str, url_interactive: str | None = None) -> None:
        with self.lock:
            self.targets = (url_events, url_interactive)
        self.pump_soon()

    def submit(self, item: Outgoing) -> None:
        with self.lock:
            self.outbox.append(item)
        self.pump_soon()

    def pump_soon(self) -> None:
        loop = self.loop
        if loop is not None:
            with contextlib.suppress(RuntimeError):  # stopping: nothing more goes out
                loop.call_soon_threadsafe(lambda: loop.create_task(self._pump()))

    async def close(self) -> None:
        await self.close_sockets()
        if self._session is not None:
            await self._session.close()

    async def _pump(self) -> None:
        """Hand the app what waits, oldest first, by HTTP if deliver_to was called, else socket."""
        if self._pumping:
            return
        self._pumping = True
        try:
            while True:
                with self.lock:
                    targets, sock = self.targets, next(iter(self.sockets), None)
                    if self.down or not self.outbox or (targets is None and sock is None):
                        return
                    item = self.outbox.popleft()
                if targets is not None:
                    await self._post(item, *targets)
                elif sock is not None:
                    await self._send(sock, item)
        finally:
            self._pumping = False

    async def _send(self, sock: web.WebSocketResponse, item: Outgoing) -> None:
        try:
            await sock.send_str(json.dumps(item.envelope()))
        except ConnectionError:
            with self.lock:
                self.outbox.appendleft(item)
                if sock in self.sockets:
                    self.sockets.remove(sock)
            return
        with self.lock:
            self.deliveries.append({"via": "socket", "type": item.kind,
                                    "envelope_id": item.envelope_id,
                                    "retry_attempt": item.retry_attempt, "payload": item.payload})
        if item.kind == "events_api" and item.retry_attempt == 0:
            asyncio.get_running_loop().call_later(self.ack_timeout, self._check_ack, item)

    def _check_ack(self, item: Outgoing) -> None:
        with self.lock:
            if item.envelope_id in self.acks:
                return
        self.submit(dataclasses.replace(item, retry_attempt=1, retry_reason="timeout"))

    async def _post(self, item: Outgoing, url_events: str, url_interactive: str | None) -> None:
        payload = json.dumps(item.payload, separators=(",", ":"))
        if item.kind == "events_api":
            url, body, ctype = url_events, payload.encode(), "application/json"
        else:
            url, ctype = url_interactive or url_events, "application/x-www-form-urlencoded"
            body = urlencode({"payload": payload}).encode()
        headers = {"Content-Type": ctype, "User-Agent": USER_AGENT,
                   **sign(self.signing_secret, body, int(time.time()))}
        if item.retry_attempt:
            headers |= {"X-Slack-Retry-Num": str(item.retry_attempt),
                        "X-Slack-Retry-Reason": item.retry_reason}
        status, reason = None, "connection_failed"
        if self._session is None:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=HTTP_TIMEOUT))
        try:
            async with self._session.post(url, data=body, headers=headers) as answer:
                status, reason = answer.status, "http_error"
                await answer.read()
        except asyncio.TimeoutError:
            reason = "http_timeout"
        except aiohttp.ClientError:
            pass
        with self.lock:
            self.deliveries.append({"via": "http", "type": item.kind, "url": url,
                                    "status": status, "retry_attempt": item.retry_attempt,
                                    "payload": item.payload})
        ok = status is not None and 200 <= status < 300
        if ok or item.kind != "events_api" or item.retry_attempt >= len(self.http_retry_delays):
            if not ok:
                log.warning("fake slack gave up delivering %s to %s (%s)", item.kind, url, reason)
            return
        retry = dataclasses.replace(item, retry_attempt=item.retry_attempt + 1,
                                    retry_reason=reason)
        delay = self.http_retry_delays[item.retry_attempt]
        asyncio.get_running_loop().call_later(delay, self.submit, retry)

    # -- Socket Mode -------------------------------------------------------------------------

    async def link(self, request: web.Request) -> web.StreamResponse:
        """``GET /link/?ticket=…``: a Socket Mode connection, greeted with ``hello``."""
        with self.lock:
            if self.down:
                return web.Response(status=503)
            ticket = request.query.get("ticket", "")
            if ticket not in self.tickets:
                return web.Response(status=401)
            self.tickets.discard(ticket)
        sock = web.WebSocketResponse(autoping=True, timeout=1.0)  # close() waits no longer
        await sock.prepare(request)
        with self.lock:
            self.sockets.append(sock)
            count = len(self.sockets)
        await sock.send_json({"type": "hello", "num_connections": count,
                              "debug_info": {"host": "applink-sandbox",
                                             "approximate_connection_time": 18060},
                              "connection_info": {"app_id": APP_ID}})
        self.pump_soon()
        try:
            async for frame in sock:
                if frame.type == aiohttp.WSMsgType.TEXT:
                    self._on_ack(frame.data)
        finally:
            with self.lock:
                if sock in self.sockets:
                    self.sockets.remove(sock)
        return sock

    def _on_ack(self, data: str) -> None:
        try:
            ack = json.loads(data)
        except ValueError:
            return
        if isinstance(ack, dict) and isinstance(ack.get("envelope_id"), str):
            with self.lock:
                self.acks[ack["envelope_id"]] = ack

    async def broadcast(self, body: Json) -> None:
        with self.lock:
            sockets = list(self.sockets)
        for sock in sockets:
            await sock.send_json(body)

    async def close_sockets(self) -> None:
        with self.lock:
            sockets, self.sockets = list(self.sockets), []
        for sock in sockets:
            await sock.close(code=aiohttp.WSCloseCode.GOING_AWAY)
