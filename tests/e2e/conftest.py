"""One real stack per test session: trained model, sandbox, action server, Rasa server.

Conversations go through Rasa's REST channel exactly as `wismo chat` sends them, or
through the Telegram, SMS and WhatsApp connectors, which `wismo up` starts because their
variables are set: their outbound calls go to local stand-ins for api.telegram.org and
api.twilio.com (`providers`).
"""

from __future__ import annotations

import socket
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.channels import twilio_payloads as tw
from tests.channels.telegram_updates import sent_message
from tests.fake_provider import FakeProvider, Reply
from wismo.chat import send
from wismo.config import Settings
from wismo.stack import Stack, start_stack


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


TELEGRAM_TOKEN = "6100000001:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
TELEGRAM_SECRET = "e2e-secret-0123456789"


class Providers:
    """The fake Telegram and Twilio APIs the stack's connectors send to."""

    def __init__(self, telegram: FakeProvider, twilio: FakeProvider) -> None:
        self.telegram, self.twilio = telegram, twilio

    rules: str = ""

    def env(self) -> dict[str, str]:
        return {
            "WISMO_RULES": self.rules,
            "TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN, "TELEGRAM_BOT_USERNAME": "wismo_e2e_bot",
            "TELEGRAM_WEBHOOK_URL": "https://e2e.example.com/webhooks/telegram/webhook",
            "TELEGRAM_SECRET_TOKEN": TELEGRAM_SECRET,
            "TELEGRAM_API_BASE_URL": f"{self.telegram.url}/bot",
            "TWILIO_ACCOUNT_SID": tw.ACCOUNT_SID, "TWILIO_AUTH_TOKEN": tw.AUTH_TOKEN,
            "TWILIO_SMS_FROM": tw.SMS_NUMBER, "TWILIO_WHATSAPP_FROM": tw.WHATSAPP_NUMBER,
            "TWILIO_PUBLIC_URL": tw.PUBLIC_URL, "TWILIO_API_BASE_URL": self.twilio.url,
        }


@pytest.fixture(scope="session")
def providers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Providers]:
    with FakeProvider(not_found=Reply(404, {"ok": False})) as telegram, \
            FakeProvider(not_found=Reply(404, tw.NOT_FOUND)) as twilio:
        telegram.on("POST", f"/bot{TELEGRAM_TOKEN}/sendMessage", Reply(200, sent_message()))
        telegram.on("POST", f"/bot{TELEGRAM_TOKEN}/answerCallbackQuery",
                    Reply(200, {"ok": True, "result": True}))
        twilio.on("POST", tw.MESSAGES_PATH,
                  Reply(201, tw.message_resource(to=tw.CUSTOMER, sender=tw.SMS_NUMBER)))
        found = Providers(telegram, twilio)
        # The default rules, but no quiet hours: the tests run at any hour of the day.
        rules = tmp_path_factory.mktemp("rules") / "notifications.yml"
        rules.write_text("quiet_hours: off\n")
        found.rules = str(rules)
        yield found


@pytest.fixture(scope="session")
def stack(model: Path, tmp_path_factory: pytest.TempPathFactory,
          providers: Providers) -> Iterator[Stack]:
    settings = Settings(
        var_dir=tmp_path_factory.mktemp("var"),
        rasa_port=free_port(),
        action_port=free_port(),
        engine_port=free_port(),
        sandbox_port=0,
        slack_sandbox_port=0,  # the sandbox Slack workspace (stack.slack) on a free port
        sandbox_tick=0,  # no clock: the tests need the orders to stay as docs/sandbox.md says
        http_timeout=2.0,
        http_retries=1,
        # Generated tokens start with "-" one time in 64: Rasa must still take it as the token.
        rasa_token="-e2e-token",
    )
    running = start_stack(settings, model, extra_env=providers.env())
    yield running
    running.stop()


Say = Callable[[str], str]


@pytest.fixture
def customer(stack: Stack) -> Say:
    """A new conversation; `customer("hi")` returns the bot's replies as one text."""
    sender = f"test-{uuid.uuid4().hex[:10]}"

    def say(message: str) -> str:
        replies = send(stack.rasa_url, sender, message)
        say.replies = replies  # type: ignore[attr-defined]
        return "\n".join(r.get("text", "") for r in replies)

    say.sender = f"rest:{sender}"  # type: ignore[attr-defined]  # as channels/rest.py keys it
    return say
