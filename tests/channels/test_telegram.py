"""The Telegram connector on a real Sanic app, talking to a fake Bot API over a real socket.

Telegram's side is FakeProvider answering the Bot API's documented payloads; Rasa's side
is ConnectorHost with a ScriptedBot. Assertions are on what reached the bot and what was
sent to Telegram.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest
from telegram.error import Forbidden, RetryAfter

from channels.common import MAX_WEBHOOK_BYTES, UNSUPPORTED_NOTE
from channels.limits import SendLimiter
from channels.telegram import (
    LINK_EXPIRED_NOTE,
    SECRET_HEADER,
    STALE_BUTTON_NOTE,
    TelegramInput,
    secret_matches,
)
from channels.telegram_output import MAX_CALLBACK_BYTES, MAX_TEXT
from tests.channels.host import ConnectorHost, ScriptedBot
from tests.channels.telegram_updates import (
    BOT_USERNAME,
    CHAT_ID,
    callback_update,
    error,
    make_bot_user,
    make_chat,
    make_group_chat,
    make_message,
    make_update,
    make_user,
    media_update,
    ok,
    sent_message,
    text_update,
    too_many_requests,
)
from tests.fake_provider import FakeProvider, Reply
from wismo import cli
from wismo.contacts import ContactStore
from wismo.errors import ConfigError
from wismo.telegram_setup import main_set_webhook, set_webhook

TOKEN = "6100000001:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
SECRET = "wismo-webhook_secret-0123456789"
API = f"/bot{TOKEN}"
WEBHOOK = "/webhooks/telegram/webhook"
CONVERSATION = f"telegram:{CHAT_ID}"


# --- fixtures and helpers -------------------------------------------------------


@pytest.fixture
def telegram_api() -> Iterator[FakeProvider]:
    """A fake api.telegram.org: sendMessage and answerCallbackQuery succeed by default."""
    with FakeProvider(not_found=Reply(404, error(404, "Not Found"))) as fake:
        fake.on("POST", f"{API}/sendMessage", Reply(200, sent_message()))
        fake.on("POST", f"{API}/answerCallbackQuery", Reply(200, ok(True)))
        yield fake


@pytest.fixture
def contacts(tmp_path: Path) -> ContactStore:
    return ContactStore(tmp_path / "wismo.db")


@pytest.fixture
def bot() -> ScriptedBot:
    return ScriptedBot()


def make_channel(api: FakeProvider, contacts: ContactStore, **options: Any) -> TelegramInput:
    return TelegramInput(
        TOKEN, SECRET, contacts, verify=BOT_USERNAME, api_base_url=f"{api.url}/bot",
        **({"limiter": SendLimiter(per_key_interval=0.0, global_per_second=1000)} | options))


@pytest.fixture
def channel(telegram_api: FakeProvider, contacts: ContactStore) -> TelegramInput:
    return make_channel(telegram_api, contacts)


@pytest.fixture
def host(channel: TelegramInput, bot: ScriptedBot) -> Iterator[ConnectorHost]:
    with ConnectorHost(channel, bot) as running:
        yield running


@functools.cache
def http() -> httpx.Client:
    """One client for the whole module (making one costs tens of milliseconds)."""
    return httpx.Client(timeout=10)


def deliver(host: ConnectorHost, update: Any, secret: str | None = SECRET,
            content: bytes | None = None) -> httpx.Response:
    """POST a delivery to the webhook the way Telegram does."""
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers[SECRET_HEADER] = secret
    body = content if content is not None else json.dumps(update).encode()
    return http().post(f"{host.url}{WEBHOOK}", content=body, headers=headers)


def calls(api: FakeProvider, method: str = "sendMessage") -> list[dict[str, Any]]:
    """The parameters of each Bot API call to `method` (PTB posts them form-encoded)."""
    return [{key: json.loads(value) if key == "reply_markup" else value
             for key, value in parse_qsl(seen.body.decode())}
            for seen in api.seen("POST", f"{API}/{method}")]


def texts(api: FakeProvider) -> list[str]:
    return [call["text"] for call in calls(api)]


# --- the webhook secret -----------------------------------------------------------


def test_secret_matches_only_the_exact_secret():
    assert secret_matches(SECRET, SECRET) is True
    assert secret_matches(SECRET + "x", SECRET) is False
    assert secret_matches(SECRET.upper(), SECRET) is False
    assert secret_matches(None, SECRET) is False
    assert secret_matches("", "") is False


def test_text_message_reaches_the_bot_and_the_reply_reaches_the_chat(
        host, bot, telegram_api, contacts):
    update = text_update("where is my order #1001?")

    answer = deliver(host, update)

    assert answer.status_code == 200
    [message] = bot.received
    assert (message.text, message.sender_id, message.input_channel) == (
        "where is my order #1001?", CONVERSATION, "telegram")
    assert message.metadata == {"telegram_update_id": update["update_id"],
                                "telegram_user_id": CHAT_ID,
                                "message_id": update["message"]["message_id"]}
    [call] = calls(telegram_api)
    assert call == {"chat_id": str(CHAT_ID), "text": "You said: where is my order #1001?"}
    assert contacts.get(CONVERSATION).last_inbound_at is not None


@pytest.mark.parametrize("secret", ["not-the-secret", SECRET[:-1], "", None],
                         ids=["wrong", "truncated", "empty", "missing"])
def test_a_delivery_without_our_secret_gets_a_bare_403(host, bot, telegram_api, contacts,
                                                       secret):
    answer = deliver(host, text_update("hi"), secret=secret)

    assert (answer.status_code, answer.content) == (403, b"")
    assert bot.received == []
    assert telegram_api.requests == []
    assert contacts.get(CONVERSATION) is None


def test_an_oversized_body_gets_413_before_anything_else(host, bot, telegram_api):
    update = text_update("x" * (MAX_WEBHOOK_BYTES + 1))

    assert deliver(host, update).status_code == 413
    assert deliver(host, update, secret=None).status_code == 413
    assert bot.received == []
    assert telegram_api.requests == []


@pytest.mark.parametrize("body", [b"{not json", b"", b"[1, 2]", b'"hi"', b'{"message": {}}',
                                  b'{"update_id": 5, "message": "hi"}'])
def test_malformed_deliveries_are_acknowledged_and_ignored(host, bot, telegram_api, body):
    answer = deliver(host, None, content=body)

    assert answer.status_code == 200
    assert bot.received == []
    assert telegram_api.requests == []


@pytest.mark.parametrize("kind", ["edited_message", "channel_post", "my_chat_member"])
def test_other_update_kinds_are_acknowledged_and_logged_by_id_only(host, bot, telegram_api,
                                                                   caplog, kind):
    caplog.set_level(logging.INFO, logger="channels.telegram")
    update = make_update(**{kind: make_message("my address is 12 Main St")})
    if kind == "my_chat_member":
        update = make_update(my_chat_member={
            "chat": make_chat(), "from": make_user(), "date": 1735732800,
            "old_chat_member": {"status": "member", "user": make_bot_user()},
            "new_chat_member": {"status": "kicked", "user": make_bot_user(),
                                "until_date": 0}})

    assert deliver(host, update).status_code == 200
    assert bot.received == []
    assert telegram_api.requests == []
    assert str(update["update_id"]) in caplog.text
    assert "Main St" not in caplog.text


def test_group_chats_are_ignored(host, bot, telegram_api):
    update = text_update("where is my order?", chat=make_group_chat())

    assert deliver(host, update).status_code == 200
    assert bot.received == []
    assert telegram_api.requests == []


# --- what the customer sends ------------------------------------------------------


@pytest.mark.parametrize("kind", ["sticker", "voice", "photo", "video", "animation", "audio",
                                  "document", "location", "contact"])
def test_media_without_text_gets_the_friendly_note_and_never_reaches_the_bot(
        host, bot, telegram_api, contacts, kind):
    assert deliver(host, media_update(kind)).status_code == 200

    assert bot.received == []
    assert calls(telegram_api) == [{"chat_id": str(CHAT_ID), "text": UNSUPPORTED_NOTE}]
    assert contacts.get(CONVERSATION).last_inbound_at is not None


def test_a_photo_caption_is_read_as_the_text(host, bot):
    deliver(host, media_update("photo", caption="this arrived broken, order 1001"))

    assert [m.text for m in bot.received] == ["this arrived broken, order 1001"]


def test_a_long_reply_is_split_into_messages_telegram_accepts(host, bot, telegram_api):
    paragraphs = [f"Paragraph {i}: " + "tracking update " * 60 for i in range(12)]
    bot.reply = lambda m: [{"text": "\n\n".join(paragraphs)}]

    deliver(host, text_update("details please"))

    sent = texts(telegram_api)
    assert len(sent) > 1
    assert all(len(text) <= MAX_TEXT for text in sent)
    assert " ".join(sent).split() == " ".join(paragraphs).split()


# --- buttons -----------------------------------------------------------------------

GREETING_BUTTONS = [{"title": "Where is my order?", "payload": "/order_status"},
                    {"title": "When will it arrive?", "payload": "/delivery_eta"}]


def test_buttons_become_an_inline_keyboard_one_per_row(host, bot, telegram_api):
    bot.reply = lambda m: [{"text": "Hi! What can I do for you?", "buttons": GREETING_BUTTONS}]

    deliver(host, text_update("hello"))

    [call] = calls(telegram_api)
    assert call["text"] == "Hi! What can I do for you?"
    assert call["reply_markup"] == {"inline_keyboard": [
        [{"text": "Where is my order?", "callback_data": "/order_status"}],
        [{"text": "When will it arrive?", "callback_data": "/delivery_eta"}]]}


def test_a_button_press_is_answered_and_its_payload_reaches_the_bot(host, bot, telegram_api):
    update = callback_update("/order_status")

    assert deliver(host, update).status_code == 200

    assert calls(telegram_api, "answerCallbackQuery") == [
        {"callback_query_id": update["callback_query"]["id"]}]
    [message] = bot.received
    assert (message.text, message.sender_id, message.input_channel) == (
        "/order_status", CONVERSATION, "telegram")
    assert message.metadata["message_id"] == update["callback_query"]["message"]["message_id"]


def test_a_payload_longer_than_64_bytes_survives_the_round_trip(host, bot, telegram_api):
    long_payload = '/inform{"order_number": "1001", "email": "ada.lovelace@example.com"}'
    buttons = [{"title": "Order #1001", "payload": long_payload},
               {"title": "Something else", "payload": "/out_of_scope"}]
    bot.reply = lambda m: [{"text": "Which order?", "buttons": buttons}]
    deliver(host, text_update("where is my order?"))
    keyboard = calls(telegram_api)[0]["reply_markup"]["inline_keyboard"]
    pressed = keyboard[0][0]["callback_data"]

    deliver(host, callback_update(pressed))

    assert len(long_payload.encode()) > MAX_CALLBACK_BYTES >= len(pressed.encode())
    assert keyboard[1][0]["callback_data"] == "/out_of_scope"
    assert bot.received[-1].text == long_payload


def test_a_long_payload_button_from_a_replaced_keyboard_is_not_guessed(host, bot,
                                                                        telegram_api):
    first = [{"title": "Order #1001", "payload": "/inform" + "1" * 70}]
    second = [{"title": "Order #1002", "payload": "/inform" + "2" * 70}]
    replies = iter([first, second])
    bot.reply = lambda m: [{"text": "Which order?", "buttons": next(replies)}]
    deliver(host, text_update("where is my order?"))
    deliver(host, text_update("another one"))
    stale = calls(telegram_api)[0]["reply_markup"]["inline_keyboard"][0][0]["callback_data"]

    deliver(host, callback_update(stale))

    assert [m.text for m in bot.received] == ["where is my order?", "another one"]
    [answer] = calls(telegram_api, "answerCallbackQuery")
    assert answer["text"] == STALE_BUTTON_NOTE


# --- /start and deep links ---------------------------------------------------------


def test_start_with_a_valid_link_token_links_the_chat_and_subscribes_it(host, bot, contacts,
                                                                        telegram_api):
    contacts.verified("web-5f2c", "rest", "Ada@Example.com", order_number="#1001")
    token = contacts.issue_link("web-5f2c")

    deliver(host, text_update(f"/start {token}"))

    assert [m.text for m in bot.received] == ["/subscribe_updates"]
    linked = contacts.identity(CONVERSATION)
    assert (linked.email, linked.order_number, linked.channel) == (
        "ada@example.com", "#1001", "telegram")
    assert LINK_EXPIRED_NOTE not in texts(telegram_api)


@pytest.mark.parametrize("used_twice", [False, True], ids=["unknown", "already-used"])
def test_start_with_a_bad_link_token_says_so_and_greets(host, bot, contacts, telegram_api,
                                                        used_twice):
    token = "not-a-token-we-issued"
    if used_twice:
        contacts.verified("web-5f2c", "rest", "ada@example.com")
        token = contacts.issue_link("web-5f2c")
        contacts.redeem_link(token, "telegram:1", "telegram")

    deliver(host, text_update(f"/start {token}"))

    assert [m.text for m in bot.received] == ["/greet"]
    assert contacts.identity(CONVERSATION) is None
    assert texts(telegram_api) == [LINK_EXPIRED_NOTE, "You said: /greet"]


@pytest.mark.parametrize("text", ["/start", f"/start@{BOT_USERNAME}"])
def test_a_plain_start_greets(host, bot, text):
    deliver(host, text_update(text))

    assert [m.text for m in bot.received] == ["/greet"]


# --- sending: limits, errors, pushes -------------------------------------------------


def test_a_push_reaches_any_chat_through_the_output_channel(host, channel, telegram_api):
    output = channel.get_output_channel()

    host.run(output.send_text_message("telegram:555000111", "Your order #1001 has shipped."))

    assert calls(telegram_api) == [{"chat_id": "555000111",
                                    "text": "Your order #1001 has shipped."}]


def paced(waits: list[float]) -> SendLimiter:
    """A limiter on a fake clock: waits are recorded, not slept."""
    now = [0.0]

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    return SendLimiter(per_key_interval=0.0, global_per_second=1000,
                       clock=lambda: now[0], sleep=sleep)


def test_flood_control_retry_after_is_waited_out_and_the_message_sent_once(
        telegram_api, contacts, bot):
    telegram_api.on("POST", f"{API}/sendMessage", Reply(429, too_many_requests(retry_after=1)),
                    Reply(200, sent_message()))
    waits: list[float] = []
    channel = make_channel(telegram_api, contacts, limiter=paced(waits))

    with ConnectorHost(channel, bot) as host:
        host.run(channel.get_output_channel().send_text_message(CONVERSATION, "Shipped!"))

    assert texts(telegram_api) == ["Shipped!", "Shipped!"]  # refused once, then accepted
    assert sum(waits) == pytest.approx(1.0)


def test_flood_control_gives_up_after_a_few_tries(telegram_api, contacts, bot):
    telegram_api.on("POST", f"{API}/sendMessage", Reply(429, too_many_requests(retry_after=1)))
    channel = make_channel(telegram_api, contacts, limiter=paced([]), max_tries=3)

    with ConnectorHost(channel, bot) as host, pytest.raises(RetryAfter):
        host.run(channel.get_output_channel().send_text_message(CONVERSATION, "Shipped!"))

    assert len(texts(telegram_api)) == 3


def test_a_blocked_bot_fails_a_push_but_not_the_webhook(host, channel, bot, telegram_api):
    telegram_api.on("POST", f"{API}/sendMessage",
                    Reply(403, error(403, "Forbidden: bot was blocked by the user")))

    assert deliver(host, text_update("hi")).status_code == 200
    assert [m.text for m in bot.received] == ["hi"]
    with pytest.raises(Forbidden):
        host.run(channel.get_output_channel().send_text_message(CONVERSATION, "Shipped!"))


def test_the_per_chat_interval_spaces_messages_to_one_chat(telegram_api, contacts, bot):
    channel = make_channel(telegram_api, contacts,
                           limiter=SendLimiter(per_key_interval=0.2, global_per_second=1000))
    output = channel.get_output_channel()

    async def two_messages() -> float:
        loop = asyncio.get_running_loop()
        start = loop.time()
        await output.send_text_message(CONVERSATION, "one")
        await output.send_text_message(CONVERSATION, "two")
        return loop.time() - start

    with ConnectorHost(channel, bot) as host:
        elapsed = host.run(two_messages())

    assert texts(telegram_api) == ["one", "two"]
    assert elapsed >= 0.2


# --- the rest of the connector ---------------------------------------------------------


def test_health_route(host):
    answer = http().get(f"{host.url}/webhooks/telegram/")

    assert (answer.status_code, answer.json()) == (200, {"status": "ok"})


def test_from_credentials_reads_the_credentials_block(tmp_path):
    channel = TelegramInput.from_credentials({
        "access_token": TOKEN, "verify": BOT_USERNAME, "secret_token": SECRET,
        "webhook_url": "https://shop.example/webhooks/telegram/webhook",
        "api_base_url": "http://127.0.0.1:9/bot", "var_dir": str(tmp_path)})

    assert (channel.name(), channel.verify, channel.secret_token) == (
        "telegram", BOT_USERNAME, SECRET)
    assert channel.get_output_channel().api_base_url == "http://127.0.0.1:9/bot"
    assert (tmp_path / "wismo.db").exists()


@pytest.mark.parametrize(("credentials", "named"), [
    ({"access_token": TOKEN}, "secret_token"),
    ({"access_token": TOKEN, "secret_token": "has spaces"}, "secret_token"),
    ({"secret_token": SECRET}, "access_token"),
])
def test_from_credentials_names_what_is_missing(tmp_path, credentials, named):
    with pytest.raises(ConfigError, match=named):
        TelegramInput.from_credentials(credentials | {"var_dir": str(tmp_path)})


# --- registering the webhook ---------------------------------------------------------


def test_set_webhook_registers_url_secret_and_update_kinds(telegram_api):
    telegram_api.on("POST", f"{API}/getMe", Reply(200, ok(make_bot_user())))
    telegram_api.on("POST", f"{API}/setWebhook", Reply(200, ok(True)))
    url = "https://shop.example/webhooks/telegram/webhook"

    username = asyncio.run(set_webhook(TOKEN, url, SECRET, api_base_url=f"{telegram_api.url}/bot"))

    assert username == BOT_USERNAME
    [call] = calls(telegram_api, "setWebhook")
    assert (call["url"], call["secret_token"], json.loads(call["allowed_updates"])) == (
        url, SECRET, ["message", "callback_query"])


def test_main_set_webhook_reports_success(telegram_api, capsys):
    telegram_api.on("POST", f"{API}/getMe", Reply(200, ok(make_bot_user())))
    telegram_api.on("POST", f"{API}/setWebhook", Reply(200, ok(True)))
    env = {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_SECRET_TOKEN": SECRET,
           "TELEGRAM_WEBHOOK_URL": "https://shop.example/webhooks/telegram/webhook",
           "TELEGRAM_API_BASE_URL": f"{telegram_api.url}/bot"}

    assert main_set_webhook(env) == 0
    assert f"@{BOT_USERNAME}" in capsys.readouterr().out


@pytest.mark.parametrize("missing", ["TELEGRAM_BOT_TOKEN", "TELEGRAM_WEBHOOK_URL",
                                     "TELEGRAM_SECRET_TOKEN"])
def test_main_set_webhook_names_a_missing_variable(capsys, missing):
    env = {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_SECRET_TOKEN": SECRET,
           "TELEGRAM_WEBHOOK_URL": "https://shop.example/webhooks/telegram/webhook"}
    del env[missing]

    assert main_set_webhook(env) == 2
    assert missing in capsys.readouterr().err


def test_main_set_webhook_never_prints_a_rejected_token(telegram_api, capsys):
    telegram_api.on("POST", f"{API}/getMe", Reply(401, error(401, "Unauthorized")))
    env = {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_SECRET_TOKEN": SECRET,
           "TELEGRAM_WEBHOOK_URL": "https://shop.example/webhooks/telegram/webhook",
           "TELEGRAM_API_BASE_URL": f"{telegram_api.url}/bot"}

    assert main_set_webhook(env) == 1
    output = capsys.readouterr()
    assert "TELEGRAM_BOT_TOKEN" in output.err
    assert TOKEN not in output.err + output.out


def test_wismo_telegram_set_webhook_command(telegram_api, monkeypatch):
    telegram_api.on("POST", f"{API}/getMe", Reply(200, ok(make_bot_user())))
    telegram_api.on("POST", f"{API}/setWebhook", Reply(200, ok(True)))
    for name, value in {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_SECRET_TOKEN": SECRET,
                        "TELEGRAM_WEBHOOK_URL": "https://shop.example/webhooks/telegram/webhook",
                        "TELEGRAM_API_BASE_URL": f"{telegram_api.url}/bot"}.items():
        monkeypatch.setenv(name, value)

    assert cli.main(["telegram", "set-webhook"]) == 0
    assert [call["url"] for call in calls(telegram_api, "setWebhook")] == [
        "https://shop.example/webhooks/telegram/webhook"]
