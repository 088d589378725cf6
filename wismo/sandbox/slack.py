"""A local fake Slack workspace: Web API, Socket Mode, signed Events API posts and a desk page.

Why: the demo (``wismo up`` with no keys) needs a Slack in which store owners can watch the
human handoff, and the tests need a Slack whose payloads are shaped as Slack documents them,
driven through the real slack_sdk clients (only ``base_url`` differs)::

    with SlackWorkspace() as ws:                      # 127.0.0.1, a free port
        client = WebClient(ws.bot_token, base_url=ws.api_url)
        ts = client.chat_postMessage(channel="C0SUPPORT", text="Handoff")["ts"]
        ws.agent_reply(ts, "On it!")                  # a person answers: a `message` event
        ws.click(ts, "claim")                         # a person presses a button: block_actions

Events reach the app over Socket Mode (``apps.connections.open``), or as signed HTTP POSTs once
``deliver_to(url)`` is called (preferred when both exist); with neither they wait, in order.
Faults: ``go_down()``/``come_back()``, ``rate_limit(n)``, ``fail_next(method, error)``. The
desk page at ``url`` shows the channel and lets a person reply or click.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import copy
import dataclasses
import hashlib
import hmac
import json
import logging
import secrets
import socket
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlencode

import aiohttp
from aiohttp import web

log = logging.getLogger(__name__)
T = TypeVar("T")
Json = dict[str, Any]

TEAM_ID, TEAM_NAME, TEAM_DOMAIN = "T0SANDBOX", "Wismo Sandbox", "wismo-sandbox"
APP_ID, BOT_ID, BOT_USER_ID, BOT_NAME = "A0WISMO", "B0WISMO", "U0WISMOBOT", "wismo"
VERIFICATION_TOKEN = "sandbox-verification-token"  # the deprecated token payloads still carry
AGENTS = {"U0SAM": "Sam Rivera", "U0ALEX": "Alex Chen"}
ACK_TIMEOUT = 3.0  # Socket Mode: an unacknowledged event is sent once more after this
HTTP_TIMEOUT = 3.0  # Events API: a slower answer counts as failed (http_timeout)
HTTP_RETRY_DELAYS = (0.0, 60.0, 300.0)  # Events API retries: at once, after 1 and 5 minutes
USER_AGENT = "Slackbot 1.0 (+https://api.slack.com/robots)"
DESK_PAGE = Path(__file__).with_name("slack_desk.html")


def sign(secret: str, body: bytes, timestamp: int) -> dict[str, str]:
    """Slack's request signature headers: ``v0=`` + hex HMAC-SHA256 of ``v0:{ts}:{body}``."""
    base = b"v0:" + str(timestamp).encode() + b":" + body
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": str(timestamp), "X-Slack-Signature": f"v0={digest}"}


def url_verification_body(challenge: str, token: str = VERIFICATION_TOKEN) -> Json:
    """What Slack POSTs when a Request URL is saved; the app must echo ``challenge``."""
    return {"token": token, "challenge": challenge, "type": "url_verification"}


def event_callback(event: Json, *, team_id: str = TEAM_ID, api_app_id: str = APP_ID,
                   bot_user_id: str = BOT_USER_ID, event_id: str | None = None,
                   event_time: int | None = None) -> Json:
    """The Events API body around one event (POSTed as is, or nested in a Socket Mode envelope)."""
    context = {"et": event.get("type"), "tid": team_id, "aid": api_app_id,
               "cid": event.get("channel")}
    packed = base64.urlsafe_b64encode(json.dumps(context, separators=(",", ":")).encode())
    return {
        "token": VERIFICATION_TOKEN, "team_id": team_id, "api_app_id": api_app_id,
        "event": event, "type": "event_callback",
        "event_id": event_id or "Ev" + secrets.token_hex(5).upper(),
        "event_time": int(time.time()) if event_time is None else event_time,
        "authorizations": [{"enterprise_id": None, "team_id": team_id, "user_id": bot_user_id,
                            "is_bot": True, "is_enterprise_install": False}],
        "is_ext_shared_channel": False,
        "event_context": "4-" + packed.decode().rstrip("="),
    }


def message_event(message: Json, channel_type: str = "channel") -> Json:
    """The ``message`` event for a stored message (a person's, or the bot's own echo)."""
    event = {key: message[key] for key in (
        "user", "bot_id", "app_id", "type", "ts", "client_msg_id", "text", "team", "thread_ts",
        "parent_user_id", "blocks", "bot_profile", "channel") if key in message}
    return event | {"event_ts": message["ts"], "channel_type": channel_type}


def block_actions(action: Json, *, message: Json, user: Json, channel: Json, response_url: str,
                  team_id: str = TEAM_ID, team_domain: str = TEAM_DOMAIN,
                  api_app_id: str = APP_ID) -> Json:
    """The interactivity payload Slack sends when someone presses a button in a message."""
    trigger_id = f"{secrets.randbelow(10**11)}.{secrets.randbelow(10**9)}.{secrets.token_hex(16)}"
    return {
        "type": "block_actions", "user": user, "api_app_id": api_app_id,
        "token": VERIFICATION_TOKEN,
        "container": {"type": "message", "message_ts": message["ts"], "channel_id": channel["id"],
                      "is_ephemeral": False},
        "trigger_id": trigger_id, "team": {"id": team_id, "domain": team_domain},
        "enterprise": None, "is_enterprise_install": False, "channel": channel,
        "message": message, "state": {"values": {}}, "response_url": response_url,
        "actions": [action],
    }


# -- Block Kit: the checks Slack makes before it accepts blocks, and where buttons are ----------

BLOCK_TYPES = {"actions", "context", "divider", "file", "header", "image", "input", "markdown",
               "rich_text", "section", "video"}


def rich_text(text: str) -> Json:
    """The block Slack's client attaches to what a person types."""
    return {"type": "rich_text", "block_id": secrets.token_urlsafe(4)[:5], "elements": [
        {"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}]}


def _text_error(obj: Any, where: str, limit: int, plain_only: bool = False) -> str | None:
    kinds = ("plain_text",) if plain_only else ("plain_text", "mrkdwn")
    if not isinstance(obj, dict) or obj.get("type") not in kinds:
        return f"must be a {' or '.join(kinds)} text object [json-pointer:{where}]"
    if not 1 <= len(str(obj.get("text") or "")) <= limit:
        return f"must be 1 to {limit} characters [json-pointer:{where}/text]"
    return None


def _buttons(block: Json) -> list[Json]:
    elements = list(block.get("elements") or []) if block.get("type") == "actions" else []
    accessory = block.get("accessory")
    return [e for e in [*elements, accessory] if isinstance(e, dict) and e.get("type") == "button"]


def block_errors(blocks: list[Any]) -> list[str]:
    """What Slack would answer with ``invalid_blocks`` (the usual mistakes, not the whole spec)."""
    errors: list[str] = []
    if len(blocks) > 50:
        errors.append("no more than 50 items allowed [json-pointer:/blocks]")
    action_ids: set[str] = set()
    for i, block in enumerate(blocks):
        where = f"/blocks/{i}"
        if not isinstance(block, dict) or block.get("type") not in BLOCK_TYPES:
            errors.append(f"unsupported block type [json-pointer:{where}]")
            continue
        kind, found = block["type"], []
        if kind == "header":
            found.append(_text_error(block.get("text"), f"{where}/text", 150, plain_only=True))
        elif kind == "section" and "fields" in block:
            fields = block["fields"] if isinstance(block["fields"], list) else []
            if not 1 <= len(fields) <= 10:
                found.append(f"must have 1 to 10 fields [json-pointer:{where}/fields]")
            found += [_text_error(f, f"{where}/fields/{n}", 2000) for n, f in enumerate(fields)]
        elif kind == "section":
            found.append(_text_error(block.get("text"), f"{where}/text", 3000))
        elif kind in ("actions", "context") and not 1 <= len(block.get("elements") or []) <= (
                25 if kind == "actions" else 10):
            found.append(f"wrong number of elements [json-pointer:{where}/elements]")
        for button in _buttons(block):
            found.append(_text_error(button.get("text"), f"{where}/elements", 75, True))
            action_id = str(button.get("action_id") or "")
            if action_id in action_ids:
                found.append(f"duplicate action_id {action_id!r} [json-pointer:{where}]")
            action_ids.add(action_id)
            if len(str(button.get("value") or "")) > 2000:
                found.append(f"value must be at most 2000 characters [json-pointer:{where}]")
            if button.get("style") not in (None, "primary", "danger"):
                found.append(f"style must be primary or danger [json-pointer:{where}]")
        errors += [e for e in found if e]
    return errors


def find_button(blocks: list[Json], action_id: str) -> tuple[str, Json]:
    """The block_id and element of the button ``action_id``; KeyError if there is none."""
    for block in blocks:
        for button in _buttons(block):
            if button.get("action_id") == action_id:
                return str(block.get("block_id", "")), button
    raise KeyError(f"no button {action_id!r} in the message")


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


def _error(error: str, **extra: Any) -> Json:
    return {"ok": False, "error": error, **extra}


def _first_name(name: str) -> str:
    return name.split()[0]


class SlackWorkspace:
    """One team, one support channel, a bot, a few agents; served from a background thread."""

    bot_user_id, bot_id, team_id, app_id = BOT_USER_ID, BOT_ID, TEAM_ID, APP_ID

    def __init__(self, *, bot_token: str = "xoxb-sandbox", app_token: str = "xapp-sandbox",
                 signing_secret: str = "sandbox-signing-secret", channel_id: str = "C0SUPPORT",
                 channel_name: str = "support", port: int = 0,
                 agents: dict[str, str] | None = None, ack_timeout: float = ACK_TIMEOUT,
                 http_retry_delays: tuple[float, ...] = HTTP_RETRY_DELAYS,
                 echo_bot_messages: bool = False) -> None:
        self.bot_token, self.app_token, self.signing_secret = bot_token, app_token, signing_secret
        self.channel_id, self.channel_name, self.port = channel_id, channel_name, port
        self.agents = dict(AGENTS if agents is None else agents)
        self.ack_timeout, self.http_retry_delays = ack_timeout, http_retry_delays
        self.echo_bot_messages = echo_bot_messages  # Slack sends the bot its own posts too
        self.url = self.api_url = ""
        self._lock = threading.RLock()
        self._messages: dict[str, Json] = {}  # ts -> latest version, in post order
        self._reactions: dict[str, list[str]] = {}
        self._calls: list[tuple[str, Json]] = []
        self._deliveries: list[Json] = []
        self._acks: dict[str, Json] = {}
        self._responses: list[Json] = []
        self._response_urls: dict[str, str] = {}  # response_url id -> message ts
        self._outbox: deque[Outgoing] = deque()
        self._sockets: list[web.WebSocketResponse] = []
        self._tickets: set[str] = set()
        self._targets: tuple[str, str | None] | None = None
        self._down, self._rate_limited, self._retry_after = False, 0, 1
        self._fail_next: dict[str, deque[str]] = {}
        self._last_us = 0
        self._pumping = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._session: aiohttp.ClientSession | None = None
        self._methods: dict[str, Callable[[Json], Json]] = {
            "auth.test": self._auth_test, "chat.postMessage": self._post_message,
            "chat.update": self._update, "reactions.add": self._react,
            "users.info": self._user_info, "apps.connections.open": self._connections_open,
        }

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> SlackWorkspace:
        """Bind 127.0.0.1:port (0: a free one) and serve from a daemon thread."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self.port))
        self.port = sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.api_url = self.url + "/api/"
        self._loop = asyncio.new_event_loop()
        ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, args=(sock, ready),
                                        name="wismo-slack", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("the fake Slack workspace did not start")
        log.info("sandbox slack listening", extra={"url": self.url})
        return self

    def _serve(self, sock: socket.socket, ready: threading.Event) -> None:
        loop = self._loop
        assert loop is not None
        asyncio.set_event_loop(loop)
        runner = web.AppRunner(self._app(), access_log=None)
        loop.run_until_complete(runner.setup())
        loop.run_until_complete(web.SockSite(runner, sock).start())
        ready.set()
        self._pump_soon()
        loop.run_forever()
        loop.run_until_complete(self._shutdown(runner))
        loop.close()

    async def _shutdown(self, runner: web.AppRunner) -> None:
        await self._close_sockets()
        if self._session is not None:
            await self._session.close()
        await runner.cleanup()
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def stop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        self._loop = self._thread = None

    def __enter__(self) -> SlackWorkspace:
        return self if self._loop else self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_get("/link/", self._link)
        app.router.add_post("/actions/{rid}", self._response_url)
        app.router.add_get("/", self._desk_page)
        app.router.add_get("/_desk/state", self._desk_state)
        app.router.add_post("/_desk/reply", self._desk_reply)
        app.router.add_post("/_desk/click", self._desk_click)
        return app

    def _in_loop(self, coro: Coroutine[Any, Any, T]) -> None:
        """Run ``coro`` on the server loop; wait for it unless we are that loop."""
        loop = self._loop
        if loop is None:
            coro.close()
            return
        if threading.current_thread() is self._thread:
            loop.create_task(coro)
        else:
            asyncio.run_coroutine_threadsafe(coro, loop).result(timeout=10)

    # -- what the app did (copies, safe from any thread) -------------------------------------

    def messages(self, channel: str | None = None) -> list[Json]:
        """Top-level messages and thread replies, in post order, each in its latest version."""
        with self._lock:
            return [copy.deepcopy(m) for m in self._messages.values()
                    if channel is None or m["channel"] == channel]

    def thread(self, ts: str) -> list[Json]:
        """The replies under ``ts``, without the parent."""
        with self._lock:
            return [copy.deepcopy(m) for m in self._messages.values()
                    if m.get("thread_ts") == ts and m["ts"] != ts]

    def message(self, ts: str) -> Json | None:
        with self._lock:
            found = self._messages.get(ts)
            return copy.deepcopy(found) if found else None

    def reactions(self, ts: str) -> list[str]:
        with self._lock:
            return list(self._reactions.get(ts, []))

    @property
    def calls(self) -> list[tuple[str, Json]]:
        """Every Web API call received, as (method, params), even the refused ones."""
        with self._lock:
            return copy.deepcopy(self._calls)

    @property
    def deliveries(self) -> list[Json]:
        """Every attempt to hand the app an event or interaction, and how it went."""
        with self._lock:
            return copy.deepcopy(self._deliveries)

    @property
    def acks(self) -> dict[str, Json]:
        """Socket Mode acknowledgements by envelope_id."""
        with self._lock:
            return copy.deepcopy(self._acks)

    @property
    def responses(self) -> list[Json]:
        """Bodies POSTed to response_urls."""
        with self._lock:
            return copy.deepcopy(self._responses)

    @property
    def connected(self) -> bool:
        """True while the app holds a Socket Mode connection."""
        with self._lock:
            return bool(self._sockets)

    @property
    def pending(self) -> int:
        """Events and interactions waiting for the app to connect."""
        with self._lock:
            return len(self._outbox)

    def wait_for(self, predicate: Callable[[], T], timeout: float = 10.0) -> T:
        """Poll ``predicate`` until it is truthy and return its value (tests; not from the loop)."""
        deadline = time.monotonic() + timeout
        while not (value := predicate()):
            if time.monotonic() > deadline:
                name = getattr(predicate, "__name__", repr(predicate))
                raise AssertionError(f"timed out after {timeout}s waiting for {name}")
            time.sleep(0.02)
        return value

    # -- acting as a person in Slack ---------------------------------------------------------

    def agent_reply(self, thread_ts: str, text: str, user: str = "U0SAM") -> Json:
        """Post ``text`` in the thread as agent ``user`` and send the app its ``message`` event."""
        if not text.strip():
            raise ValueError("an empty reply")
        with self._lock:
            parent = self._messages.get(thread_ts)
            if parent is None:
                raise KeyError(f"no message {thread_ts}")
            if user not in self.agents:
                raise KeyError(f"no agent {user}")
            message = self._store(parent["channel"], text, [rich_text(text)],
                                  parent.get("thread_ts", thread_ts), user=user)
            self._submit(Outgoing("events_api", event_callback(message_event(message))))
            return copy.deepcopy(message)

    def click(self, message_ts: str, action_id: str, user: str = "U0SAM") -> None:
        """Press the button ``action_id`` in a message as ``user``: a block_actions payload."""
        with self._lock:
            message = self._messages.get(message_ts)
            if message is None:
                raise KeyError(f"no message {message_ts}")
            if user not in self.agents:
                raise KeyError(f"no agent {user}")
            block_id, button = find_button(message.get("blocks", []), action_id)
            action = {"action_id": action_id, "block_id": block_id, "text": button["text"],
                      "value": button.get("value"), "type": "button",
                      "action_ts": f"{time.time():.6f}"}
            if "style" in button:
                action["style"] = button["style"]
            rid = secrets.token_hex(12)
            self._response_urls[rid] = message_ts
            handle = _first_name(self.agents[user]).lower()
            payload = block_actions(
                action, message=copy.deepcopy(message),
                user={"id": user, "username": handle, "name": handle, "team_id": TEAM_ID},
                channel={"id": message["channel"], "name": self.channel_name},
                response_url=f"{self.url}/actions/{rid}")
            self._submit(Outgoing("interactive", payload))

    # -- faults ------------------------------------------------------------------------------

    def go_down(self) -> None:
        """Every Web API call answers 503 and Socket Mode connections drop until come_back()."""
        with self._lock:
            self._down = True
        self._in_loop(self._close_sockets())

    def come_back(self) -> None:
        with self._lock:
            self._down = False
        self._pump_soon()

    def rate_limit(self, n: int, retry_after: int = 1) -> None:
        """The next ``n`` Web API calls answer 429 with ``Retry-After``."""
        with self._lock:
            self._rate_limited, self._retry_after = n, retry_after

    def fail_next(self, method: str, error: str) -> None:
        """The next call of ``method`` answers ``{"ok": false, "error": error}``."""
        with self._lock:
            self._fail_next.setdefault(method, deque()).append(error)

    def disconnect(self, reason: str = "refresh_requested") -> None:
        """Ask Socket Mode clients to reconnect, as Slack does every few hours."""
        body = {"type": "disconnect", "reason": reason, "debug_info": {"host": "applink-sandbox"}}
        self._in_loop(self._broadcast(body))

    # -- delivery ----------------------------------------------------------------------------

    def deliver_to(self, url_events: str, url_interactive: str | None = None) -> None:
        """POST events (and interactions, to ``url_interactive`` if given) to the app, signed."""
        with self._lock:
            self._targets = (url_events, url_interactive)
        self._pump_soon()

    def _submit(self, item: Outgoing) -> None:
        with self._lock:
            self._outbox.append(item)
        self._pump_soon()

    def _pump_soon(self) -> None:
        loop = self._loop
        if loop is not None:
            with contextlib.suppress(RuntimeError):  # stopping: nothing more goes out
                loop.call_soon_threadsafe(lambda: loop.create_task(self._pump()))

    async def _pump(self) -> None:
        """Hand the app what waits, oldest first, by HTTP if deliver_to was called, else socket."""
        if self._pumping:
            return
        self._pumping = True
        try:
            while True:
                with self._lock:
                    targets, sock = self._targets, next(iter(self._sockets), None)
                    if self._down or not self._outbox or (targets is None and sock is None):
                        return
                    item = self._outbox.popleft()
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
            with self._lock:
                self._outbox.appendleft(item)
                if sock in self._sockets:
                    self._sockets.remove(sock)
            return
        with self._lock:
            self._deliveries.append({"via": "socket", "type": item.kind,
                                     "envelope_id": item.envelope_id,
                                     "retry_attempt": item.retry_attempt, "payload": item.payload})
        if item.kind == "events_api" and item.retry_attempt == 0:
            asyncio.get_running_loop().call_later(self.ack_timeout, self._check_ack, item)

    def _check_ack(self, item: Outgoing) -> None:
        with self._lock:
            if item.envelope_id in self._acks:
                return
        self._submit(dataclasses.replace(item, retry_attempt=1, retry_reason="timeout"))

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
        with self._lock:
            self._deliveries.append({"via": "http", "type": item.kind, "url": url,
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
        asyncio.get_running_loop().call_later(delay, self._submit, retry)

    # -- Socket Mode -------------------------------------------------------------------------

    async def _link(self, request: web.Request) -> web.StreamResponse:
        with self._lock:
            if self._down:
                return web.Response(status=503)
            ticket = request.query.get("ticket", "")
            if ticket not in self._tickets:
                return web.Response(status=401)
            self._tickets.discard(ticket)
        sock = web.WebSocketResponse(autoping=True, timeout=1.0)  # close() waits no longer
        await sock.prepare(request)
        with self._lock:
            self._sockets.append(sock)
            count = len(self._sockets)
        await sock.send_json({"type": "hello", "num_connections": count,
                              "debug_info": {"host": "applink-sandbox",
                                             "approximate_connection_time": 18060},
                              "connection_info": {"app_id": APP_ID}})
        self._pump_soon()
        try:
            async for frame in sock:
                if frame.type == aiohttp.WSMsgType.TEXT:
                    self._on_ack(frame.data)
        finally:
            with self._lock:
                if sock in self._sockets:
                    self._sockets.remove(sock)
        return sock

    def _on_ack(self, data: str) -> None:
        try:
            ack = json.loads(data)
        except ValueError:
            return
        if isinstance(ack, dict) and isinstance(ack.get("envelope_id"), str):
            with self._lock:
                self._acks[ack["envelope_id"]] = ack

    async def _broadcast(self, body: Json) -> None:
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            await sock.send_json(body)

    async def _close_sockets(self) -> None:
        with self._lock:
            sockets, self._sockets = list(self._sockets), []
        for sock in sockets:
            await sock.close(code=aiohttp.WSCloseCode.GOING_AWAY)

    # -- Web API -----------------------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params: Json = dict(request.query)
        try:  # slack_sdk sends an empty JSON body for calls without arguments
            if request.body_exists and request.content_type == "application/json":
                body = json.loads(await request.read())
                params.update(body if isinstance(body, dict) else {})
            elif request.body_exists:
                params.update(await request.post())  # form-encoded or multipart
        except ValueError:
            return web.json_response(_error("invalid_json"))
        auth = request.headers.get("Authorization", "")
        token = auth[7:] if auth.startswith("Bearer ") else params.pop("token", None)
        with self._lock:
            self._calls.append((method, copy.deepcopy(params)))
            if self._down:
                return web.json_response(_error("service_unavailable"), status=503)
            if self._rate_limited > 0:
                self._rate_limited -= 1
                return web.json_response(_error("ratelimited"), status=429,
                                         headers={"Retry-After": str(self._retry_after)})
            handler = self._methods.get(method)
            error = "unknown_method" if handler is None else self._auth_error(method, token)
            if error is None and self._fail_next.get(method):
                error = self._fail_next[method].popleft()
            reply = _error(error) if error or handler is None else handler(params)
        return web.json_response(reply)

    def _auth_error(self, method: str, token: str | None) -> str | None:
        if not token:
            return "not_authed"
        wanted = self.app_token if method == "apps.connections.open" else self.bot_token
        if token == wanted:
            return None
        return "not_allowed_token_type" if token in (self.bot_token, self.app_token) \
            else "invalid_auth"

    def _channel(self, given: Any) -> str | None:
        name = str(given or "").lstrip("#")
        return self.channel_id if name in (self.channel_id, self.channel_name) else None

    def _next_ts(self) -> str:
        us = max(int(time.time() * 1_000_000), self._last_us + 1)
        self._last_us = us
        return f"{us // 1_000_000}.{us % 1_000_000:06d}"

    def _store(self, channel: str, text: str, blocks: list[Json] | None, thread_ts: str | None,
               user: str | None = None) -> Json:
        """Keep a new message (the bot's when ``user`` is None) and thread it under its parent."""
        ts = self._next_ts()
        message: Json = {"type": "message", "ts": ts, "channel": channel, "text": text}
        if user is None:
            message |= {"user": BOT_USER_ID, "bot_id": BOT_ID, "app_id": APP_ID,
                        "bot_profile": {"id": BOT_ID, "app_id": APP_ID, "name": "Wismo",
                                        "deleted": False, "team_id": TEAM_ID}}
        else:
            message |= {"user": user, "client_msg_id": str(uuid.uuid4())}
        message["team"] = TEAM_ID
        if blocks:
            message["blocks"] = blocks
        if thread_ts:
            parent = self._messages[thread_ts]
            message |= {"thread_ts": thread_ts, "parent_user_id": parent["user"]}
            users = parent.setdefault("reply_users", [])
            if message["user"] not in users:
                users.append(message["user"])
            parent |= {"thread_ts": thread_ts, "reply_count": parent.get("reply_count", 0) + 1,
                       "reply_users_count": len(users), "latest_reply": ts}
        self._messages[ts] = message
        if user is None and self.echo_bot_messages:
            self._submit(Outgoing("events_api", event_callback(message_event(message))))
        return message

    def _content(self, params: Json) -> tuple[str, list[Json] | None, Json | None]:
        """Text and blocks of a post or update, or the error Slack would answer."""
        text, blocks = str(params.get("text") or ""), params.get("blocks")
        if isinstance(blocks, str):
            try:
                blocks = json.loads(blocks)
            except ValueError:
                return text, None, _error("invalid_blocks_format")
        if blocks is not None and not isinstance(blocks, list):
            return text, None, _error("invalid_blocks_format")
        if blocks and (errors := block_errors(blocks)):
            return text, None, _error("invalid_blocks", errors=errors, response_metadata={
                "messages": [f"[ERROR] {e}" for e in errors]})
        if len(text) > 40_000:
            return text, None, _error("msg_too_long")
        for block in blocks or []:
            block.setdefault("block_id", secrets.token_urlsafe(4)[:5])
        return text, blocks, None

    def _auth_test(self, params: Json) -> Json:
        return {"ok": True, "url": f"https://{TEAM_DOMAIN}.slack.com/", "team": TEAM_NAME,
                "user": BOT_NAME, "team_id": TEAM_ID, "user_id": BOT_USER_ID, "bot_id": BOT_ID,
                "is_enterprise_install": False}

    def _post_message(self, params: Json) -> Json:
        channel = self._channel(params.get("channel"))
        if channel is None:
            return _error("channel_not_found")
        text, blocks, error = self._content(params)
        if error:
            return error
        if not text and not blocks:
            return _error("no_text")
        thread_ts = params.get("thread_ts") or None
        if thread_ts:
            parent = self._messages.get(thread_ts)
            if parent is None or parent["channel"] != channel:
                return _error("thread_not_found")
            thread_ts = parent.get("thread_ts", thread_ts)
        message = self._store(channel, text, blocks, thread_ts)
        return {"ok": True, "channel": channel, "ts": message["ts"],
                "message": copy.deepcopy(message)}

    def _update(self, params: Json) -> Json:
        channel = self._channel(params.get("channel"))
        if channel is None:
            return _error("channel_not_found")
        message = self._messages.get(str(params.get("ts")))
        if message is None or message["channel"] != channel:
            return _error("message_not_found")
        if message["user"] != BOT_USER_ID:
            return _error("cant_update_message")
        text, blocks, error = self._content(params)
        if error:
            return error
        if not text and blocks is None:
            return _error("no_text")
        if text:
            message["text"] = text
        if blocks is not None:
            message["blocks"] = blocks
        message["edited"] = {"user": BOT_USER_ID, "ts": self._next_ts()}
        return {"ok": True, "channel": channel, "ts": message["ts"], "text": message["text"],
                "message": copy.deepcopy(message)}

    def _react(self, params: Json) -> Json:
        ts, name = params.get("timestamp"), str(params.get("name") or "").strip(":")
        if not ts or not name:
            return _error("no_item_specified" if not ts else "invalid_name")
        message = self._messages.get(str(ts))
        if message is None or message["channel"] != self._channel(params.get("channel")):
            return _error("message_not_found")
        names = self._reactions.setdefault(message["ts"], [])
        if name in names:
            return _error("already_reacted")
        names.append(name)
        message.setdefault("reactions", []).append(
            {"name": name, "users": [BOT_USER_ID], "count": 1})
        return {"ok": True}

    def _user_info(self, params: Json) -> Json:
        user_id = str(params.get("user") or "")
        if user_id == BOT_USER_ID:
            real, is_bot = "Wismo", True
        elif user_id in self.agents:
            real, is_bot = self.agents[user_id], False
        else:
            return _error("user_not_found")
        first, _, last = real.partition(" ")
        handle = BOT_NAME if is_bot else first.lower()
        profile = {"real_name": real, "real_name_normalized": real, "display_name": first,
                   "display_name_normalized": first, "first_name": first, "last_name": last,
                   "status_text": "", "status_emoji": "", "team": TEAM_ID}
        if is_bot:
            profile |= {"bot_id": BOT_ID, "api_app_id": APP_ID, "always_active": True}
        return {"ok": True, "user": {
            "id": user_id, "team_id": TEAM_ID, "name": handle, "deleted": False,
            "real_name": real, "tz": "America/New_York", "tz_label": "Eastern Standard Time",
            "tz_offset": -18000, "profile": profile, "is_admin": False, "is_owner": False,
            "is_bot": is_bot, "is_app_user": False, "updated": 1732400000}}

    def _connections_open(self, params: Json) -> Json:
        ticket = str(uuid.uuid4())
        self._tickets.add(ticket)
        return {"ok": True,
                "url": f"ws://127.0.0.1:{self.port}/link/?ticket={ticket}&app_id={APP_ID}"}

    async def _response_url(self, request: web.Request) -> web.Response:
        """A response_url POST: replace or delete the original, post in channel, or ephemeral."""
        try:
            body = await request.json()
        except ValueError:
            return web.json_response(_error("invalid_json"), status=400)
        with self._lock:
            ts = self._response_urls.get(request.match_info["rid"])
            if ts is None or not isinstance(body, dict):
                return web.json_response(_error("invalid_response_url"), status=404)
            self._responses.append({"message_ts": ts, "body": copy.deepcopy(body)})
            original = self._messages.get(ts)
            text, blocks, error = self._content(body)
            if error or original is None:
                return web.json_response(error or _error("message_not_found"), status=400)
            if body.get("delete_original"):
                del self._messages[ts]
            elif body.get("replace_original"):
                original |= {"text": text, "edited": {"user": BOT_USER_ID, "ts": self._next_ts()}}
                if blocks is not None:
                    original["blocks"] = blocks
            elif body.get("response_type") == "in_channel":
                self._store(original["channel"], text, blocks, body.get("thread_ts"))
        return web.json_response({"ok": True})

    # -- the desk page -----------------------------------------------------------------------

    async def _desk_page(self, request: web.Request) -> web.Response:
        return web.Response(text=DESK_PAGE.read_text(encoding="utf-8"), content_type="text/html")

    async def _desk_state(self, request: web.Request) -> web.Response:
        with self._lock:
            top = [copy.deepcopy(m) for m in self._messages.values()
                   if m.get("thread_ts", m["ts"]) == m["ts"]]
            for message in top:
                message["replies"] = self.thread(message["ts"])
            state = {"team": TEAM_NAME, "channel": {"id": self.channel_id,
                                                    "name": self.channel_name},
                     "bot": {"id": BOT_USER_ID, "name": "Wismo"},
                     "agents": [{"id": k, "name": v} for k, v in self.agents.items()],
                     "down": self._down, "socket": bool(self._sockets),
                     "http": self._targets is not None, "pending": len(self._outbox),
                     "messages": top}
        return web.json_response(state)

    async def _desk_reply(self, request: web.Request) -> web.Response:
        return await self._desk_act(request, lambda body: self.agent_reply(
            str(body["thread_ts"]), str(body["text"]), str(body["user"])))

    async def _desk_click(self, request: web.Request) -> web.Response:
        return await self._desk_act(request, lambda body: self.click(
            str(body["message_ts"]), str(body["action_id"]), str(body["user"])))

    async def _desk_act(self, request: web.Request, act: Callable[[Json], Any]) -> web.Response:
        """Do what a person asked on the page; a bad request is a 400 naming what was wrong."""
        try:
            act(await request.json())
        except (KeyError, TypeError, ValueError) as exc:
            return web.json_response({"error": str(exc)}, status=400)
        return web.json_response({"ok": True})


def main() -> None:
    """``python -m wismo.sandbox.slack [port]``: a workspace to look at in a browser."""
    import sys

    logging.basicConfig(level=logging.INFO)
    workspace = SlackWorkspace(port=int(sys.argv[1]) if len(sys.argv) > 1 else 0).start()
    print(f"fake Slack desk: {workspace.url}  (Web API: {workspace.api_url})")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        workspace.stop()


if __name__ == "__main__":
    main()
