"""The web chat channel on a real Sanic app: files, history, and socket.io both ways.

The socket.io client is python-socketio's, over long-polling (its websocket upgrade
needs a newer aiohttp than Rasa 3.6 allows); the browser test covers websockets.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from types import SimpleNamespace
from typing import Any

import pytest
import requests
import socketio
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered, Event, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from channels.webchat import WebChatInput, history_messages
from tests.channels.host import ConnectorHost, ScriptedBot
from wismo.contacts import ContactStore

SOCKET_PATH = "/webhooks/webchat/socket.io"
ORDER_BUTTONS = [{"title": "Where is my order?", "payload": "/order_status"},
                 {"title": "Talk to a person", "payload": "/human_handoff"}]


@pytest.fixture(autouse=True)
def var_dir(tmp_path, monkeypatch):
    """The contact store the connector writes to, per test (never the repo's var/)."""
    monkeypatch.setenv("WISMO_VAR_DIR", str(tmp_path))
    return tmp_path


def session_id() -> str:
    return str(uuid.uuid4())


def make_host(
    bot: ScriptedBot | None = None, events: dict[str, list[Event]] | None = None
) -> ConnectorHost:
    """The channel as `rasa run` mounts it, with a real in-memory tracker store for history."""
    host = ConnectorHost(WebChatInput.from_credentials({"session_persistence": True}),
                         bot or ScriptedBot())
    store = InMemoryTrackerStore(Domain.empty())
    for sender, sender_events in (events or {}).items():
        asyncio.run(store.save(DialogueStateTracker.from_events(sender, sender_events)))
    host.app.ctx.agent.tracker_store = store
    return host


@pytest.fixture
def host() -> Iterator[ConnectorHost]:
    with make_host(ScriptedBot(reply=lambda m: [
        {"text": "Hi! I can tell you where your order is.", "buttons": ORDER_BUTTONS},
    ])) as running:
        yield running


@asynccontextmanager
async def widget(url: str, session: str | None) -> AsyncIterator[SimpleNamespace]:
    """What widget.js does on load: connect, ask for the session, listen for the bot."""
    client = socketio.AsyncClient()
    inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    confirmed: asyncio.Queue[str] = asyncio.Queue()
    client.on("bot_uttered", inbox.put_nowait)
    client.on("session_confirm", confirmed.put_nowait)
    await client.connect(url, socketio_path=SOCKET_PATH, transports=["polling"])
    try:
        await client.emit("session_request", {"session_id": session})
        confirmed_id = await asyncio.wait_for(confirmed.get(), 5)
        yield SimpleNamespace(client=client, inbox=inbox, session_id=confirmed_id)
    finally:
        await hang_up(client)


async def hang_up(client: socketio.AsyncClient) -> None:
    """Leave as a closed browser tab does: a polite polling disconnect waits out a ping (25 s)."""
    await client.eio.disconnect(abort=True)


async def next_message(inbox: asyncio.Queue[dict[str, Any]]) -> dict[str, Any]:
    return await asyncio.wait_for(inbox.get(), 5)


async def on_host(host: ConnectorHost, coro: Any) -> Any:
    """Run `coro` on the server's loop (where the output channel lives) without blocking ours."""
    assert host.loop is not None
    return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, host.loop))


# ---- files ----

@pytest.mark.parametrize(("path", "content_type", "marker"), [
    ("widget.js", "text/javascript", "session_request"),
    ("widget.css", "text/css", ":host"),
    ("vendor/socket.io.min.js", "text/javascript", "Released under the MIT License"),
    ("demo", "text/html", 'src="/webhooks/webchat/widget.js"'),
])
def test_widget_files_are_served_with_their_content_types(host, path, content_type, marker):
    response = requests.get(f"{host.url}/webhooks/webchat/{path}", timeout=5)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith(content_type)
    assert marker in response.text


def test_demo_page_says_which_order_to_try(host):
    page = requests.get(f"{host.url}/webhooks/webchat/demo", timeout=5).text

    assert "1001" in page and "ava.thompson@example.com" in page


@pytest.mark.parametrize("name", ["nope.js", "..%2F..%2Fcredentials.yml", "%2e%2e"])
def test_only_the_vendored_files_are_served(host, name):
    response = requests.get(f"{host.url}/webhooks/webchat/vendor/{name}", timeout=5)

    assert response.status_code == 404


# ---- history ----

def test_history_of_an_unknown_session_is_empty(host):
    response = requests.get(f"{host.url}/webhooks/webchat/history/{session_id()}", timeout=5)

    assert response.status_code == 200
    assert response.json() == []


@pytest.mark.parametrize("bad", [
    "abc", "telegram:42",
    "0B0C1D2E-3F40-4A5B-8C6D-7E8F90A1B2C3",  # crypto.randomUUID() is lowercase
    "0b0c1d2e3f404a5b8c6d7e8f90a1b2c3",
    "0b0c1d2e-3f40-4a5b-8c6d-7e8f90a1b2c3x",
])
def test_history_rejects_what_is_not_a_widget_session_id(host, bad):
    response = requests.get(f"{host.url}/webhooks/webchat/history/{bad}", timeout=5)

    assert response.status_code == 400


def test_history_is_the_conversation_as_the_widget_showed_it():
    session = session_id()
    events: list[Event] = [
        UserUttered("where is my order"),
        BotUttered("What's your order number?"),
        UserUttered("/human_handoff", metadata={"title": "Talk to a person"}),
        BotUttered("I've passed this on.\n\nAnything else?", data={"buttons": ORDER_BUTTONS}),
        UserUttered.create_external("greet"),  # a push: no customer message
        BotUttered("Your order #1001 is out for delivery."),
    ]

    with make_host(events={session: events}) as running:
        response = requests.get(f"{running.url}/webhooks/webchat/history/{session}", timeout=5)

    shown = [{k: v for k, v in m.items() if k != "timestamp"} for m in response.json()]
    assert shown == [
        {"sender": "user", "text": "where is my order"},
        {"sender": "bot", "text": "What's your order number?", "buttons": []},
        {"sender": "user", "text": "Talk to a person"},
        {"sender": "bot", "text": "I've passed this on.", "buttons": []},
        {"sender": "bot", "text": "Anything else?", "buttons": ORDER_BUTTONS},
        {"sender": "bot", "text": "Your order #1001 is out for delivery.", "buttons": []},
    ]


def test_history_skips_empty_bot_events():
    assert history_messages([BotUttered(""), BotUttered(None, data={})]) == []


# ---- socket.io ----

def test_a_message_gets_the_bots_reply_with_buttons(host):
    session = session_id()

    async def talk() -> dict[str, Any]:
        async with widget(host.url, session) as page:
            await page.client.emit("user_uttered", {"message": "hi", "session_id": session})
            return await next_message(page.inbox)

    reply = asyncio.run(talk())

    assert reply["text"] == "Hi! I can tell you where your order is."
    assert [(b["title"], b["payload"]) for b in reply["quick_replies"]] == [
        ("Where is my order?", "/order_status"), ("Talk to a person", "/human_handoff")]
    [message] = host.bot.received
    assert (message.text, message.sender_id, message.input_channel) == ("hi", session, "webchat")


def test_a_button_click_sends_the_payload_and_keeps_the_title_as_metadata(host):
    session = session_id()

    async def click() -> None:
        async with widget(host.url, session) as page:
            await page.client.emit("user_uttered", {
                "message": "/order_status", "session_id": session,
                "metadata": {"title": "Where is my order?"}})
            await next_message(page.inbox)

    asyncio.run(click())

    [message] = host.bot.received
    assert (message.text, message.metadata) == ("/order_status", {"title": "Where is my order?"})


def test_a_push_reaches_the_open_page_of_that_session_only(host):
    session, other = session_id(), session_id()

    async def push() -> tuple[dict[str, Any], bool]:
        async with widget(host.url, session) as page, widget(host.url, other) as bystander:
            output = host.channel.get_output_channel()
            await on_host(host, output.send_text_message(session, "Your order #1001 shipped."))
            received = await next_message(page.inbox)
            await asyncio.sleep(0.3)
            return received, bystander.inbox.empty()

    received, bystander_saw_nothing = asyncio.run(push())

    assert received == {"text": "Your order #1001 shipped."}
    assert bystander_saw_nothing


def test_a_reconnect_with_the_same_session_gets_later_replies(host):
    session = session_id()

    async def reconnect() -> dict[str, Any]:
        async with widget(host.url, session):
            pass
        async with widget(host.url, session) as again:
            output = host.channel.get_output_channel()
            await on_host(host, output.send_text_message(session, "Still here."))
            return await next_message(again.inbox)

    assert asyncio.run(reconnect()) == {"text": "Still here."}


def test_a_session_request_with_a_bad_id_gets_a_fresh_session(host):
    async def ask(requested: str | None) -> str:
        async with widget(host.url, requested) as page:
            return page.session_id

    for requested in ("../../etc", None, "telegram:42"):
        granted = asyncio.run(ask(requested))
        assert granted != requested
        assert str(uuid.UUID(granted)) == granted


def test_a_message_before_session_request_uses_its_session_id(host):
    session = session_id()

    async def early() -> dict[str, Any]:
        client = socketio.AsyncClient()
        inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        client.on("bot_uttered", inbox.put_nowait)
        await client.connect(host.url, socketio_path=SOCKET_PATH, transports=["polling"])
        try:
            await client.emit("user_uttered", {"message": "hi", "session_id": session})
            return await next_message(inbox)
        finally:
            await hang_up(client)

    assert asyncio.run(early())["text"].startswith("Hi!")
    assert host.bot.received[0].sender_id == session


def test_credentials_cannot_turn_session_persistence_off():
    channel = WebChatInput.from_credentials({"session_persistence": False})

    assert channel.session_persistence is True
    assert channel.socketio_path == SOCKET_PATH
    with pytest.raises(ValueError, match="jwt_key"):
        WebChatInput.from_credentials({"jwt_key": "secret"})


def test_a_message_records_when_the_customer_last_wrote_here(host, var_dir):
    session = session_id()

    async def talk() -> None:
        async with widget(host.url, session) as page:
            await page.client.emit("user_uttered", {"message": "hi", "session_id": session})
            await next_message(page.inbox)

    asyncio.run(talk())
    contact = ContactStore(var_dir / "wismo.db").get(session)
    assert (contact.channel, contact.last_inbound_at is not None) == ("webchat", True)
