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
desk page at ``url`` shows the channel and lets a person reply or click (slack_desk.py).
"""

from __future__ import annotations

import copy
import json
import logging
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import TypeVar

from aiohttp import web

from wismo.sandbox.aiohttp_host import AiohttpHost
from wismo.sandbox.slack_api import WebApi, error_reply
from wismo.sandbox.slack_blocks import find_button
from wismo.sandbox.slack_delivery import ACK_TIMEOUT, HTTP_RETRY_DELAYS, Delivery, Outgoing
from wismo.sandbox.slack_desk import desk_routes
from wismo.sandbox.slack_payloads import (
    APP_ID,
    BOT_ID,
    BOT_USER_ID,
    TEAM_ID,
    Json,
    block_actions,
    button_action,
    event_callback,
    message_event,
    rich_text,
)

log = logging.getLogger(__name__)
T = TypeVar("T")

AGENTS = {"U0SAM": "Sam Rivera", "U0ALEX": "Alex Chen"}


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
        self.echo_bot_messages = echo_bot_messages  # Slack sends the bot its own posts too
        self.url = self.api_url = ""
        self._lock = threading.RLock()
        self._web = WebApi(bot_token=bot_token, app_token=app_token, channel_id=channel_id,
                           channel_name=channel_name, agents=self.agents,
                           on_bot_post=self._echo)
        self._delivery = Delivery(self._lock, signing_secret=signing_secret,
                                  tickets=self._web.tickets, ack_timeout=ack_timeout,
                                  http_retry_delays=http_retry_delays)
        self._calls: list[tuple[str, Json]] = []
        self._responses: list[Json] = []
        self._response_urls: dict[str, str] = {}  # response_url id -> message ts
        self._rate_limited, self._retry_after = 0, 1
        self._fail_next: dict[str, deque[str]] = {}
        self._host = AiohttpHost(self._app, name="wismo-slack", on_stop=self._delivery.close,
                                 on_start=lambda loop: setattr(self._delivery, "loop", loop))

    @property
    def ack_timeout(self) -> float:
        return self._delivery.ack_timeout

    @ack_timeout.setter
    def ack_timeout(self, value: float) -> None:
        self._delivery.ack_timeout = value

    @property
    def http_retry_delays(self) -> tuple[float, ...]:
        return self._delivery.http_retry_delays

    @http_retry_delays.setter
    def http_retry_delays(self, value: tuple[float, ...]) -> None:
        self._delivery.http_retry_delays = value

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> SlackWorkspace:
        """Bind 127.0.0.1:port (0: a free one) and serve from a daemon thread."""
        self.port = self._host.start(self.port)
        self.url = f"http://127.0.0.1:{self.port}"
        self.api_url = self.url + "/api/"
        self._web.link_url = f"ws://127.0.0.1:{self.port}/link/"
        self._delivery.pump_soon()
        log.info("sandbox slack listening", extra={"url": self.url})
        return self

    def stop(self) -> None:
        self._host.stop()
        self._delivery.loop = None

    def __enter__(self) -> SlackWorkspace:
        return self if self._host.running else self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_get("/link/", self._delivery.link)
        app.router.add_post("/actions/{rid}", self._response_url)
        app.add_routes(desk_routes(self))
        return app

    # -- what the app did (copies, safe from any thread) -------------------------------------

    def messages(self, channel: str | None = None) -> list[Json]:
        """Top-level messages and thread replies, in post order, each in its latest version."""
        with self._lock:
            return [copy.deepcopy(m) for m in self._web.messages.values()
                    if channel is None or m["channel"] == channel]

    def thread(self, ts: str) -> list[Json]:
        """The replies under ``ts``, without the parent."""
        with self._lock:
            return [copy.deepcopy(m) for m in self._web.messages.values()
                    if m.get("thread_ts") == ts and m["ts"] != ts]

    def message(self, ts: str) -> Json | None:
        with self._lock:
            found = self._web.messages.get(ts)
            return copy.deepcopy(found) if found else None

    def reactions(self, ts: str) -> list[str]:
        with self._lock:
            return list(self._web.reactions.get(ts, []))

    @property
    def calls(self) -> list[tuple[str, Json]]:
        """Every Web API call received, as (method, params), even the refused ones."""
        with self._lock:
            return copy.deepcopy(self._calls)

    @property
    def deliveries(self) -> list[Json]:
        """Every attempt to hand the app an event or interaction, and how it went."""
        with self._lock:
            return copy.deepcopy(self._delivery.deliveries)

    @property
    def acks(self) -> dict[str, Json]:
        """Socket Mode acknowledgements by envelope_id."""
        with self._lock:
            return copy.deepcopy(self._delivery.acks)

    @property
    def responses(self) -> list[Json]:
        """Bodies POSTed to response_urls."""
        with self._lock:
            return copy.deepcopy(self._responses)

    @property
    def connected(self) -> bool:
        """True while the app holds a Socket Mode connection."""
        with self._lock:
            return bool(self._delivery.sockets)

    @property
    def pending(self) -> int:
        """Events and interactions waiting for the app to connect."""
        with self._lock:
            return len(self._delivery.outbox)

    def status(self) -> Json:
        """How the app is reached: down, over Socket Mode, over HTTP, and what waits."""
        with self._lock:
            return {"down": self._delivery.down, "socket": bool(self._delivery.sockets),
                    "http": self._delivery.targets is not None,
                    "pending": len(self._delivery.outbox)}

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
            parent = self._web.messages.get(thread_ts)
            if parent is None:
                raise KeyError(f"no message {thread_ts}")
            if user not in self.agents:
                raise KeyError(f"no agent {user}")
            message = self._web.store(parent["channel"], text, [rich_text(text)],
                                      parent.get("thread_ts", thread_ts), user=user)
            self._delivery.submit(Outgoing("events_api", event_callback(message_event(message))))
            return copy.deepcopy(message)

    def click(self, message_ts: str, action_id: str, user: str = "U0SAM") -> None:
        """Press the button ``action_id`` in a message as ``user``: a block_actions payload."""
        with self._lock:
            message = self._web.messages.get(message_ts)
            if message is None:
                raise KeyError(f"no message {message_ts}")
            if user not in self.agents:
                raise KeyError(f"no agent {user}")
            action = button_action(*find_button(message.get("blocks", []), action_id))
            rid = secrets.token_hex(12)
            self._response_urls[rid] = message_ts
            handle = _first_name(self.agents[user]).lower()
            payload = block_actions(
                action, message=copy.deepcopy(message),
                user={"id": user, "username": handle, "name": handle, "team_id": TEAM_ID},
                channel={"id": message["channel"], "name": self.channel_name},
                response_url=f"{self.url}/actions/{rid}")
            self._delivery.submit(Outgoing("interactive", payload))

    # -- faults ------------------------------------------------------------------------------

    def go_down(self) -> None:
        """Every Web API call answers 503 and Socket Mode connections drop until come_back()."""
        with self._lock:
            self._delivery.down = True
        self._host.run(self._delivery.close_sockets())

    def come_back(self) -> None:
        with self._lock:
            self._delivery.down = False
        self._delivery.pump_soon()

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
        self._host.run(self._delivery.broadcast(body))

    # -- delivery (the protocols themselves are in slack_delivery) ---------------------------

    def deliver_to(self, url_events: str, url_interactive: str | None = None) -> None:
        """POST events (and interactions, to ``url_interactive`` if given) to the app, signed."""
        self._delivery.deliver_to(url_events, url_interactive)

    def _echo(self, message: Json) -> None:
        """The bot posted ``message``: send it back as a ``message`` event if Slack would."""
        if self.echo_bot_messages:
            self._delivery.submit(Outgoing("events_api", event_callback(message_event(message))))

    # -- Web API over HTTP (the methods themselves are in slack_api) ------------------------

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
            return web.json_response(error_reply("invalid_json"))
        auth = request.headers.get("Authorization", "")
        token = auth[7:] if auth.startswith("Bearer ") else params.pop("token", None)
        with self._lock:
            self._calls.append((method, copy.deepcopy(params)))
            if self._delivery.down:
                return web.json_response(error_reply("service_unavailable"), status=503)
            if self._rate_limited > 0:
                self._rate_limited -= 1
                return web.json_response(error_reply("ratelimited"), status=429,
                                         headers={"Retry-After": str(self._retry_after)})
            handler = self._web.methods.get(method)
            error = "unknown_method" if handler is None else self._web.auth_error(method, token)
            if error is None and self._fail_next.get(method):
                error = self._fail_next[method].popleft()
            reply = error_reply(error) if error or handler is None else handler(params)
        return web.json_response(reply)


    async def _response_url(self, request: web.Request) -> web.Response:
        """A POST to a button's response_url (what it does: WebApi.respond)."""
        try:
            body = await request.json()
        except ValueError:
            return web.json_response(error_reply("invalid_json"), status=400)
        with self._lock:
            ts = self._response_urls.get(request.match_info["rid"])
            if ts is None or not isinstance(body, dict):
                return web.json_response(error_reply("invalid_response_url"), status=404)
            self._responses.append({"message_ts": ts, "body": copy.deepcopy(body)})
            reply, status = self._web.respond(ts, body)
        return web.json_response(reply, status=status)


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
