"""The fake Slack workspace, driven by the real slack_sdk clients as the app will drive it."""

from __future__ import annotations

import asyncio
import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import aiohttp
import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from slack_sdk.web.async_client import AsyncWebClient

from wismo.sandbox.slack import SlackWorkspace
from wismo.sandbox.slack_payloads import sign, url_verification_body

CHANNEL = "C0SUPPORT"


@pytest.fixture
def workspace():
    with SlackWorkspace(ack_timeout=0.3, http_retry_delays=(0.0,)) as ws:
        yield ws


def web(ws: SlackWorkspace, token: str | None = None) -> WebClient:
    return WebClient(token or ws.bot_token, base_url=ws.api_url)


def handoff_blocks(*, order: str = "#1042", claim: str = "claim") -> list[dict[str, Any]]:
    """A handoff card: a header, the question, and the buttons an agent presses."""
    return [
        {"type": "header", "text": {"type": "plain_text", "text": f"Order {order} needs a human"}},
        {"type": "section", "text": {"type": "mrkdwn", "text": "*Ava*: where is my order?"}},
        {"type": "actions", "block_id": "handoff", "elements": [
            {"type": "button", "action_id": claim, "value": order, "style": "primary",
             "text": {"type": "plain_text", "text": "Claim"}},
            {"type": "button", "action_id": "close", "value": order,
             "text": {"type": "plain_text", "text": "Close"}},
        ]},
    ]


def post_handoff(ws: SlackWorkspace, **kwargs: Any) -> str:
    reply = web(ws).chat_postMessage(channel=CHANNEL, text="Order #1042 needs a human",
                                     blocks=handoff_blocks(**kwargs))
    return reply["ts"]


def slack_error(call: Callable[[], Any]) -> SlackApiError:
    with pytest.raises(SlackApiError) as caught:
        call()
    return caught.value


# -- Web API -------------------------------------------------------------------------------


def test_auth_test_answers_as_the_bot(workspace):
    reply = web(workspace).auth_test()
    assert reply.data == {
        "ok": True, "url": "https://wismo-sandbox.slack.com/", "team": "Wismo Sandbox",
        "user": "wismo", "team_id": "T0SANDBOX", "user_id": "U0WISMOBOT", "bot_id": "B0WISMO",
        "is_enterprise_install": False}


def test_post_thread_and_update_are_kept_as_slack_message_objects(workspace):
    client = web(workspace)
    parent = client.chat_postMessage(channel="#support", text="Handoff", blocks=handoff_blocks())
    assert (parent["ok"], parent["channel"]) == (True, CHANNEL)
    assert parent["message"]["bot_id"] == "B0WISMO"
    assert parent["message"]["blocks"][2]["block_id"] == "handoff"
    assert parent["message"]["blocks"][0]["block_id"]  # Slack names unnamed blocks
    reply = client.chat_postMessage(channel=CHANNEL, text="Customer said: thanks",
                                    thread_ts=parent["ts"])
    assert float(reply["ts"]) > float(parent["ts"])
    updated = client.chat_update(channel=CHANNEL, ts=parent["ts"], text="Claimed by Sam")

    assert (updated["ts"], updated["text"]) == (parent["ts"], "Claimed by Sam")
    latest = workspace.message(parent["ts"])
    assert latest["text"] == "Claimed by Sam"
    assert latest["blocks"] == parent["message"]["blocks"]  # kept when not sent again
    assert latest["edited"]["user"] == "U0WISMOBOT"
    assert (latest["reply_count"], latest["latest_reply"]) == (1, reply["ts"])
    assert [m["text"] for m in workspace.thread(parent["ts"])] == ["Customer said: thanks"]
    assert [m["ts"] for m in workspace.messages(CHANNEL)] == [parent["ts"], reply["ts"]]
    assert [name for name, _ in workspace.calls] == [
        "chat.postMessage", "chat.postMessage", "chat.update"]


def test_blocks_may_arrive_as_a_json_string(workspace):
    reply = web(workspace).chat_postMessage(channel=CHANNEL, text="x",
                                            blocks=json.dumps(handoff_blocks()))
    assert workspace.message(reply["ts"])["blocks"][0]["type"] == "header"


def test_reactions_and_users(workspace):
    client = web(workspace)
    ts = post_handoff(workspace)
    assert client.reactions_add(channel=CHANNEL, timestamp=ts, name="eyes").data == {"ok": True}
    assert workspace.reactions(ts) == ["eyes"]
    assert slack_error(lambda: client.reactions_add(
        channel=CHANNEL, timestamp=ts, name="eyes")).response["error"] == "already_reacted"
    user = client.users_info(user="U0SAM")["user"]
    assert (user["name"], user["real_name"], user["is_bot"]) == ("sam", "Sam Rivera", False)
    assert user["profile"]["display_name"] == "Sam"
    assert slack_error(lambda: client.users_info(user="U0NOBODY")).response["error"] == \
        "user_not_found"


@pytest.mark.parametrize(("call", "error"), [
    (lambda c: c.chat_postMessage(channel="C0ELSEWHERE", text="x"), "channel_not_found"),
    (lambda c: c.chat_postMessage(channel=CHANNEL, text=""), "no_text"),
    (lambda c: c.chat_update(channel=CHANNEL, ts="1.000001", text="x"), "message_not_found"),
    (lambda c: c.api_call("conversations.teleport"), "unknown_method"),
    (lambda c: c.chat_postMessage(channel=CHANNEL, text="x", blocks=[
        {"type": "header", "text": {"type": "mrkdwn", "text": "*bold* headers are refused"}}]),
     "invalid_blocks"),
])
@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")
def test_errors_are_answered_as_slack_does(workspace, call, error):
    assert slack_error(lambda: call(web(workspace))).response["error"] == error


def test_tokens_are_checked(workspace):
    assert slack_error(lambda: web(workspace, "xoxb-wrong").auth_test()).response["error"] == \
        "invalid_auth"
    assert slack_error(lambda: WebClient(base_url=workspace.api_url).auth_test()) \
        .response["error"] == "not_authed"
    opened = web(workspace).apps_connections_open(app_token=workspace.app_token)
    assert opened["url"].startswith(f"ws://127.0.0.1:{workspace.port}/link/?ticket=")
    assert slack_error(lambda: web(workspace).apps_connections_open(
        app_token="xapp-wrong")).response["error"] == "invalid_auth"


def test_fail_next_fails_one_call_of_that_method(workspace):
    workspace.fail_next("chat.postMessage", "invalid_blocks")
    assert slack_error(lambda: post_handoff(workspace)).response["error"] == "invalid_blocks"
    assert post_handoff(workspace)


def test_rate_limit_answers_429_with_retry_after(workspace):
    workspace.rate_limit(2, retry_after=7)
    for _ in range(2):
        error = slack_error(lambda: web(workspace).auth_test())
        assert (error.response.status_code, error.response.headers["Retry-After"]) == (429, "7")
        assert error.response.data == {"ok": False, "error": "ratelimited"}
    assert web(workspace).auth_test()["ok"]


def test_while_down_every_call_fails_until_it_comes_back(workspace):
    workspace.go_down()
    assert slack_error(lambda: post_handoff(workspace)).response.status_code == 503
    assert slack_error(lambda: web(workspace).apps_connections_open(
        app_token=workspace.app_token)).response.status_code == 503
    workspace.come_back()
    assert post_handoff(workspace)


# -- Socket Mode ---------------------------------------------------------------------------


async def eventually(predicate: Callable[[], Any], timeout: float = 5.0) -> Any:
    """Poll without blocking the client's event loop."""
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)
    return value


async def socket_client(ws: SlackWorkspace, received: list[SocketModeRequest], *,
                        ack: bool = True, ping_interval: float = 1) -> SocketModeClient:
    """A real slack_sdk Socket Mode client, connected, recording (and acking) requests."""
    client = SocketModeClient(app_token=ws.app_token, web_client=AsyncWebClient(
        token=ws.bot_token, base_url=ws.api_url), ping_interval=ping_interval)

    async def listen(client: SocketModeClient, request: SocketModeRequest) -> None:
        received.append(request)
        if ack:
            await client.send_socket_mode_response(SocketModeResponse(request.envelope_id))

    client.socket_mode_request_listeners.append(listen)
    await client.connect()
    return client


def test_socket_mode_delivers_replies_and_clicks_and_records_acks(workspace):
    ts = post_handoff(workspace)

    async def scenario() -> list[SocketModeRequest]:
        received: list[SocketModeRequest] = []
        client = await socket_client(workspace, received)
        await eventually(lambda: workspace.connected)
        workspace.agent_reply(ts, "Hi Ava, I'm on it", user="U0ALEX")
        workspace.click(ts, "claim")
        await eventually(lambda: len(workspace.acks) == 2)
        await client.close()
        return received

    event, click = asyncio.run(scenario())

    assert (event.type, event.retry_attempt, event.retry_reason) == ("events_api", 0, "")
    body = event.payload
    assert (body["type"], body["api_app_id"], body["team_id"]) == (
        "event_callback", "A0WISMO", "T0SANDBOX")
    assert body["event_id"].startswith("Ev")
    assert body["authorizations"][0]["user_id"] == "U0WISMOBOT"
    message = body["event"]
    assert (message["type"], message["user"], message["text"], message["thread_ts"],
            message["channel"], message["channel_type"]) == (
        "message", "U0ALEX", "Hi Ava, I'm on it", ts, CHANNEL, "channel")
    assert message["blocks"][0]["type"] == "rich_text"
    assert workspace.thread(ts)[0]["ts"] == message["ts"] == message["event_ts"]

    assert click.type == "interactive"
    payload = click.payload
    (action,) = payload["actions"]
    assert (payload["type"], payload["user"]["id"], payload["container"]["message_ts"]) == (
        "block_actions", "U0SAM", ts)
    assert (action["action_id"], action["block_id"], action["value"], action["style"]) == (
        "claim", "handoff", "#1042", "primary")
    assert payload["message"]["blocks"] == workspace.message(ts)["blocks"]
    assert payload["response_url"].startswith(workspace.url + "/actions/")
    assert set(workspace.acks) == {event.envelope_id, click.envelope_id}


def test_a_connection_starts_with_hello_and_its_url_works_once(workspace):
    url = web(workspace).apps_connections_open(app_token=workspace.app_token)["url"]

    async def scenario() -> tuple[dict, int]:
        async with aiohttp.ClientSession() as session:
            async with session.ws_connect(url) as sock:
                hello = await sock.receive_json(timeout=5)
            with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                await session.ws_connect(url)
        return hello, refused.value.status

    assert asyncio.run(scenario()) == ({
        "type": "hello", "num_connections": 1,
        "debug_info": {"host": "applink-sandbox", "approximate_connection_time": 18060},
        "connection_info": {"app_id": "A0WISMO"}}, 401)


def test_events_wait_for_the_app_and_an_unacked_one_comes_again_once(workspace):
    ts = post_handoff(workspace)
    workspace.agent_reply(ts, "first")
    workspace.agent_reply(ts, "second")
    assert workspace.pending == 2

    async def scenario() -> list[SocketModeRequest]:
        received: list[SocketModeRequest] = []
        client = await socket_client(workspace, received, ack=False)
        await eventually(lambda: len(received) == 4)
        await asyncio.sleep(0.5)  # no third attempt
        await client.close()
        return received

    received = asyncio.run(scenario())
    assert [(r.payload["event"]["text"], r.retry_attempt, r.retry_reason) for r in received] == [
        ("first", 0, ""), ("second", 0, ""), ("first", 1, "timeout"), ("second", 1, "timeout")]


def test_after_an_outage_the_client_reconnects_and_gets_what_waited(workspace):
    ts = post_handoff(workspace)

    async def scenario() -> list[SocketModeRequest]:
        received: list[SocketModeRequest] = []
        client = await socket_client(workspace, received, ping_interval=0.2)
        await eventually(lambda: workspace.connected)
        await asyncio.to_thread(workspace.go_down)
        assert not workspace.connected
        workspace.agent_reply(ts, "sent while Slack was down")
        await asyncio.sleep(0.5)
        assert received == []
        workspace.come_back()
        await eventually(lambda: received)
        await client.close()
        return received

    (event,) = asyncio.run(scenario())
    assert event.payload["event"]["text"] == "sent while Slack was down"


# -- Events API over HTTP --------------------------------------------------------------------


class Receiver:
    """The app's Request URL: records signed POSTs and answers with ``statuses`` in turn."""

    def __init__(self, statuses: list[int] | None = None) -> None:
        self.requests: list[tuple[str, dict[str, str], bytes]] = []
        self.statuses = statuses or []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((self.path, dict(self.headers), body))
                self.send_response(receiver.statuses.pop(0) if receiver.statuses else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


def verified(ws: SlackWorkspace, headers: dict[str, str], body: bytes) -> bool:
    return SignatureVerifier(ws.signing_secret).is_valid(
        body, headers["X-Slack-Request-Timestamp"], headers["X-Slack-Signature"])


def test_deliver_to_posts_signed_events_and_form_encoded_interactions(workspace, receiver):
    ts = post_handoff(workspace)
    workspace.deliver_to(receiver.url + "/slack/events", receiver.url + "/slack/interactive")
    workspace.agent_reply(ts, "On it")
    workspace.click(ts, "close", user="U0ALEX")
    (path, headers, body), (path2, headers2, body2) = workspace.wait_for(
        lambda: receiver.requests if len(receiver.requests) == 2 else None, timeout=5)

    assert (path, headers["Content-Type"]) == ("/slack/events", "application/json")
    assert verified(workspace, headers, body)
    assert json.loads(body)["event"]["text"] == "On it"
    assert (path2, headers2["Content-Type"]) == (
        "/slack/interactive", "application/x-www-form-urlencoded")
    assert verified(workspace, headers2, body2)
    (raw,) = parse_qs(body2.decode())["payload"]
    assert json.loads(raw)["actions"][0]["action_id"] == "close"
    assert [d["status"] for d in workspace.deliveries] == [200, 200]


def test_a_failed_event_post_is_retried_with_slacks_retry_headers(workspace, receiver):
    receiver.statuses = [500]
    workspace.deliver_to(receiver.url + "/slack/events")
    workspace.agent_reply(post_handoff(workspace), "On it")
    first, retry = workspace.wait_for(
        lambda: receiver.requests if len(receiver.requests) == 2 else None, timeout=5)
    assert "X-Slack-Retry-Num" not in first[1]
    assert (retry[1]["X-Slack-Retry-Num"], retry[1]["X-Slack-Retry-Reason"]) == ("1", "http_error")
    assert json.loads(retry[2])["event_id"] == json.loads(first[2])["event_id"]


def test_deliver_to_is_preferred_over_a_socket(workspace, receiver):
    ts = post_handoff(workspace)
    workspace.deliver_to(receiver.url + "/slack/events")

    async def scenario() -> list[SocketModeRequest]:
        received: list[SocketModeRequest] = []
        client = await socket_client(workspace, received)
        await eventually(lambda: workspace.connected)
        workspace.agent_reply(ts, "On it")
        await eventually(lambda: receiver.requests)
        await client.close()
        return received

    assert asyncio.run(scenario()) == []


def test_the_bots_own_posts_come_back_as_events_when_asked(receiver):
    with SlackWorkspace(echo_bot_messages=True) as ws:
        ws.deliver_to(receiver.url + "/slack/events")
        ts = post_handoff(ws)
        [(_, _, body)] = ws.wait_for(lambda: receiver.requests, timeout=5)
    event = json.loads(body)["event"]
    assert (event["ts"], event["bot_id"], event["user"]) == (ts, "B0WISMO", "U0WISMOBOT")


def test_sign_matches_slacks_documented_example():
    body = (b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&"
            b"channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&"
            b"command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2F"
            b"commands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&"
            b"trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c")
    assert sign("8f742231b10e8888abcd99yyyzzz85a5", body, 1531420618) == {
        "X-Slack-Request-Timestamp": "1531420618",
        "X-Slack-Signature": "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"}


def test_url_verification_body():
    assert url_verification_body("3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P") == {
        "token": "sandbox-verification-token",
        "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
        "type": "url_verification"}


# -- response_url and the desk page ----------------------------------------------------------


def http_json(url: str, body: dict | None = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=5) as answer:
        raw = answer.read()
    return raw.decode() if answer.headers.get_content_type() == "text/html" else json.loads(raw)


def test_response_url_can_replace_the_original(workspace, receiver):
    ts = post_handoff(workspace)
    workspace.deliver_to(receiver.url + "/slack/events")
    workspace.click(ts, "claim")
    [(_, _, body)] = workspace.wait_for(lambda: receiver.requests, timeout=5)
    payload = json.loads(parse_qs(body.decode())["payload"][0])
    http_json(payload["response_url"], {"replace_original": True, "text": "Claimed by Sam"})
    assert workspace.message(ts)["text"] == "Claimed by Sam"
    assert workspace.responses[0]["body"]["replace_original"] is True


def test_the_desk_shows_the_channel_and_acts_as_an_agent(workspace):
    ts = post_handoff(workspace)
    assert "#support — Wismo Sandbox (fake Slack)" in http_json(workspace.url + "/")
    http_json(workspace.url + "/_desk/reply", {"thread_ts": ts, "text": "On it", "user": "U0SAM"})
    http_json(workspace.url + "/_desk/click",
              {"message_ts": ts, "action_id": "claim", "user": "U0ALEX"})
    state = http_json(workspace.url + "/_desk/state")
    (message,) = state["messages"]
    assert [r["text"] for r in message["replies"]] == ["On it"]
    assert (state["socket"], state["pending"]) == (False, 2)
    with pytest.raises(KeyError):
        workspace.click(ts, "no_such_button")
    with pytest.raises(urllib.error.HTTPError) as refused:
        http_json(workspace.url + "/_desk/reply", {"thread_ts": "1.000001", "text": "?",
                                                   "user": "U0SAM"})
    assert refused.value.code == 400
