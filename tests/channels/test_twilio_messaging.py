"""WhatsApp and SMS through Twilio: real webhooks into a real Sanic app, replies out to a
local server standing in for api.twilio.com (see tests/fake_provider.py, tests/channels/
host.py and the documented payloads in tests/channels/twilio_payloads.py)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qs, urlencode

import pytest
import requests

from channels.common import MAX_WEBHOOK_BYTES, UNSUPPORTED_NOTE
from channels.twilio_messaging import (
    EMPTY_TWIML,
    SmsInput,
    TwilioMessagingInput,
    WhatsAppInput,
    form_fields,
    keyword_intent,
    signature_valid,
)
from channels.twilio_output import TemplateRequired
from tests.channels.host import ConnectorHost, ScriptedBot
from tests.channels.twilio_payloads import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    CUSTOMER,
    MESSAGES_PATH,
    NOT_FOUND,
    PUBLIC_URL,
    SMS_NUMBER,
    TOO_MANY_REQUESTS,
    UNSUBSCRIBED,
    WHATSAPP_NUMBER,
    message_resource,
    new_sid,
    sign,
    sms_message,
    status_callback,
    whatsapp_message,
    with_image,
)
from tests.fake_provider import FakeProvider, Reply
from wismo.errors import ConfigError, ProviderRejected, ProviderUnavailable

TEMPLATE_SID = "HX0123456789abcdef0123456789abcdef"


@dataclass(frozen=True)
class Kind:
    """One of the two channels, and how Twilio writes its addresses."""

    name: str
    input_class: type[TwilioMessagingInput]
    message: Callable[..., dict[str, str]]
    own_number: str  # as configured
    prefix: str  # what Twilio puts before a phone on this channel

    def address(self, phone: str) -> str:
        return f"{self.prefix}{phone}"


SMS = Kind("sms", SmsInput, sms_message, SMS_NUMBER, "")
WHATSAPP = Kind("whatsapp", WhatsAppInput, whatsapp_message, WHATSAPP_NUMBER, "whatsapp:")
BOTH = pytest.mark.parametrize("kind", [SMS, WHATSAPP], ids=["sms", "whatsapp"])
SIGNED = object()


# --- helpers -------------------------------------------------------------------------


@pytest.fixture
def twilio_api() -> Iterator[FakeProvider]:
    """A fake api.twilio.com accepting every message (one reusable Message resource)."""
    with FakeProvider(not_found=Reply(404, NOT_FOUND)) as fake:
        fake.on("POST", MESSAGES_PATH, accepted())
        yield fake


def accepted(sid: str | None = None) -> Reply:
    return Reply(201, message_resource(to=CUSTOMER, sender=SMS_NUMBER, sid=sid))


def make_channel(kind: Kind, api: FakeProvider, var_dir: Any,
                 **credentials: Any) -> TwilioMessagingInput:
    """The connector as Rasa builds it from its credentials.yml block (fast pacing)."""
    block = {
        "account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN, "from_number": kind.own_number,
        "public_url": PUBLIC_URL, "api_base_url": api.url, "var_dir": str(var_dir),
        "per_recipient_interval": 0, "messages_per_second": 1000, "retry_backoff": 0.01,
    }
    channel = kind.input_class.from_credentials(block | credentials)
    assert isinstance(channel, TwilioMessagingInput)
    return channel


@contextmanager
def serving(kind: Kind, api: FakeProvider, var_dir: Any, bot: ScriptedBot | None = None,
            **credentials: Any) -> Iterator[Served]:
    channel = make_channel(kind, api, var_dir, **credentials)
    bot = bot or ScriptedBot()
    with ConnectorHost(channel, bot) as host:
        yield Served(kind, channel, bot, host)


@dataclass
class Served:
    kind: Kind
    channel: TwilioMessagingInput
    bot: ScriptedBot
    host: ConnectorHost

    def post(self, fields: dict[str, str], *, route: str = "webhook",
             signature: object = SIGNED) -> requests.Response:
        """POST a form as Twilio does, signed for the public URL unless told otherwise."""
        path = f"/webhooks/{self.kind.name}/{route}"
        headers = {}
        if signature is SIGNED:
            headers["X-Twilio-Signature"] = sign(PUBLIC_URL + path, fields)
        elif isinstance(signature, str):
            headers["X-Twilio-Signature"] = signature
        return requests.post(self.host.url + path, data=fields, headers=headers, timeout=10)

    def texts(self) -> list[str]:
        return [m.text for m in self.bot.received]


def sent(api: FakeProvider) -> list[dict[str, str]]:
    """The messages Twilio was asked to create, as the form fields it received."""
    return [{k: v[0] for k, v in parse_qs(r.body.decode(), keep_blank_values=True).items()}
            for r in api.seen("POST", MESSAGES_PATH)]


def push(channel: TwilioMessagingInput, conversation: str, text: str) -> None:
    """What the proactive engine does through Rasa's trigger_intent: send to any id."""
    asyncio.run(channel.get_output_channel().send_text_message(conversation, text))


def answering(replies: dict[str, list[dict[str, Any]]]) -> ScriptedBot:
    return ScriptedBot(lambda m: replies.get(m.text or "", [{"text": f"You said: {m.text}"}]))


# --- signature check (pure) ----------------------------------------------------------


def test_signature_check_accepts_twilios_documented_example():
    # Twilio's request-validation worked example (auth token 12345), as every Twilio SDK
    # tests it.
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    body = (b"CallSid=CA1234567890ABCDE&Caller=%2B14158675309&Digits=1234"
            b"&From=%2B14158675309&To=%2B18005551212")

    assert signature_valid("12345", url, form_fields(body), "RSOYDt4T1cUTdK1PDd93/VVr8B8=")
    assert not signature_valid("12345", url, form_fields(body + b"&Body="),
                               "RSOYDt4T1cUTdK1PDd93/VVr8B8=")
    assert not signature_valid("12345", url, form_fields(body), None)


def test_blank_fields_are_part_of_what_twilio_signs():
    fields = sms_message(body="")
    url = f"{PUBLIC_URL}/webhooks/sms/webhook"
    body = urlencode(fields).encode()

    assert signature_valid(AUTH_TOKEN, url, form_fields(body), sign(url, fields))


@pytest.mark.parametrize(("text", "expected"), [
    ("STOP", "/stop_notifications"), (" stop ", "/stop_notifications"),
    ("StopAll", "/stop_notifications"), ("unsubscribe", "/stop_notifications"),
    ("END", "/stop_notifications"), ("quit", "/stop_notifications"),
    ("Cancel", "/stop_notifications"), ("START", "/subscribe_updates"),
    ("unstop", "/subscribe_updates"), ("YES", None), ("cancel my order", None),
    ("please stop", None), ("", None),
])
def test_only_a_bare_keyword_is_a_keyword(text, expected):
    assert keyword_intent(text) == expected


# --- incoming messages ---------------------------------------------------------------


@BOTH
def test_a_signed_message_reaches_the_bot_and_the_reply_goes_out(kind, twilio_api, tmp_path):
    fields = kind.message("where is my order #1042?")

    with serving(kind, twilio_api, tmp_path) as served:
        answer = served.post(fields)

    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/xml")
    assert answer.text == EMPTY_TWIML
    [message] = served.bot.received
    assert message.text == "where is my order #1042?"
    assert message.sender_id == f"{kind.name}:{CUSTOMER}"
    assert message.input_channel == kind.name
    assert message.metadata == {"phone": CUSTOMER, "message_sid": fields["MessageSid"]}
    assert sent(twilio_api) == [{
        "To": kind.address(CUSTOMER), "From": kind.address(kind.own_number),
        "Body": "You said: where is my order #1042?",
        "StatusCallback": f"{PUBLIC_URL}/webhooks/{kind.name}/status",
    }]
    [request] = twilio_api.seen("POST", MESSAGES_PATH)
    assert request.headers["authorization"].startswith("Basic ")
    contact = served.channel.contacts.get(f"{kind.name}:{CUSTOMER}")
    assert contact is not None and contact.last_inbound_at is not None


@BOTH
@pytest.mark.parametrize("signature", [None, "bm90IGEgc2lnbmF0dXJl", "forged-for-another-url"],
                         ids=["missing", "garbage", "other-url"])
def test_an_unsigned_or_forged_message_is_refused(kind, signature, twilio_api, tmp_path):
    fields = kind.message("where is my order?")
    if signature == "forged-for-another-url":
        signature = sign(f"https://elsewhere.example.com/webhooks/{kind.name}/webhook", fields)

    with serving(kind, twilio_api, tmp_path) as served:
        answer = served.post(fields, signature=signature)
        tampered = served.post(fields | {"Body": "changed"},
                               signature=sign(f"{PUBLIC_URL}/webhooks/{kind.name}/webhook",
                                              fields))

    assert (answer.status_code, tampered.status_code) == (403, 403)
    assert served.bot.received == []
    assert twilio_api.seen() == []
    assert served.channel.contacts.get(f"{kind.name}:{CUSTOMER}") is None


@BOTH
def test_an_oversized_post_is_refused(kind, twilio_api, tmp_path):
    fields = kind.message("x" * (MAX_WEBHOOK_BYTES + 1))

    with serving(kind, twilio_api, tmp_path) as served:
        answer = served.post(fields)

    assert answer.status_code == 413
    assert served.bot.received == []
    assert twilio_api.seen() == []


@BOTH
def test_a_photo_without_text_gets_the_friendly_note(kind, twilio_api, tmp_path):
    with serving(kind, twilio_api, tmp_path) as served:
        answer = served.post(with_image(kind.message()))

    assert answer.status_code == 200
    assert served.bot.received == []
    assert [m["Body"] for m in sent(twilio_api)] == [UNSUPPORTED_NOTE]


@BOTH
def test_an_empty_message_is_ignored(kind, twilio_api, tmp_path):
    with serving(kind, twilio_api, tmp_path) as served:
        answer = served.post(kind.message(""))

    assert answer.status_code == 200
    assert served.bot.received == []
    assert twilio_api.seen() == []


@BOTH
def test_stop_and_start_keywords_become_intents_but_cancel_my_order_stays_text(
        kind, twilio_api, tmp_path):
    with serving(kind, twilio_api, tmp_path) as served:
        for text in ("STOP", "start", "cancel my order", "cancel"):
            assert served.post(kind.message(text)).status_code == 200

    assert served.texts() == ["/stop_notifications", "/subscribe_updates", "cancel my order",
                              "/stop_notifications"]


@BOTH
def test_buttons_become_numbered_options_and_a_number_sends_the_payload(
        kind, twilio_api, tmp_path):
    bot = answering({"which one?": [{"text": "Which order?", "buttons": [
        {"title": "#1042", "payload": '/choose_order{"order_number":"1042"}'},
        {"title": "#1043", "payload": '/choose_order{"order_number":"1043"}'},
    ]}]})

    with serving(kind, twilio_api, tmp_path, bot) as served:
        served.post(kind.message("which one?"))
        served.post(with_image(kind.message()))  # "please type", the options still stand
        served.post(kind.message("2."))  # picks #1043; the bot answers without buttons
        served.post(kind.message("2"))  # nothing on offer any more: just text
        served.post(kind.message("which one?"))
        served.post(kind.message("#1042"))  # by title

    assert served.texts() == [
        "which one?", '/choose_order{"order_number":"1043"}', "2", "which one?",
        '/choose_order{"order_number":"1042"}',
    ]
    assert [m["Body"] for m in sent(twilio_api)][:2] == [
        "Which order?\n\n1. #1042\n2. #1043\nReply with a number.", UNSUPPORTED_NOTE]


@BOTH
def test_a_long_reply_goes_out_in_pieces_of_at_most_1600_characters_in_order(
        kind, twilio_api, tmp_path):
    paragraphs = [f"Paragraph {i}: " + "the parcel is on its way. " * 20 for i in range(8)]
    text = "\n\n".join(p.strip() for p in paragraphs)
    bot = ScriptedBot(lambda m: [{"text": text}])

    with serving(kind, twilio_api, tmp_path, bot) as served:
        served.post(kind.message("tell me everything"))

    bodies = [m["Body"] for m in sent(twilio_api)]
    assert len(bodies) > 1
    assert all(len(b) <= 1600 for b in bodies)
    assert " ".join(" ".join(b.split()) for b in bodies) == " ".join(text.split())


@BOTH
def test_a_429_is_waited_out_and_the_message_sent(kind, twilio_api, tmp_path):
    twilio_api.on("POST", MESSAGES_PATH,
                  Reply(429, TOO_MANY_REQUESTS, headers={"Retry-After": "0.2"}), accepted())

    with serving(kind, twilio_api, tmp_path) as served:
        started = time.monotonic()
        answer = served.post(kind.message("hello"))
        took = time.monotonic() - started

    assert answer.status_code == 200
    assert [m["Body"] for m in sent(twilio_api)] == ["You said: hello"] * 2
    assert took >= 0.2


@BOTH
def test_when_twilio_keeps_refusing_the_webhook_is_still_answered(kind, twilio_api, tmp_path):
    twilio_api.on("POST", MESSAGES_PATH, Reply(429, TOO_MANY_REQUESTS))

    with serving(kind, twilio_api, tmp_path, max_retries=2) as served:
        answer = served.post(kind.message("hello"))

    assert (answer.status_code, answer.text) == (200, EMPTY_TWIML)
    assert served.texts() == ["hello"]
    assert len(sent(twilio_api)) == 3
    assert served.channel.statuses.for_conversation(f"{kind.name}:{CUSTOMER}") == []


@BOTH
def test_the_health_route_answers(kind, twilio_api, tmp_path):
    with serving(kind, twilio_api, tmp_path) as served:
        answer = requests.get(f"{served.host.url}/webhooks/{kind.name}/", timeout=5)

    assert answer.json() == {"status": "ok"}


# --- pushes and WhatsApp's 24-hour window ----------------------------------------------


def test_a_whatsapp_push_inside_the_window_is_free_text(twilio_api, tmp_path):
    channel = make_channel(WHATSAPP, twilio_api, tmp_path, template_content_sid=TEMPLATE_SID)
    conversation = f"whatsapp:{CUSTOMER}"
    channel.contacts.seen(conversation, "whatsapp",
                          at=datetime.now(timezone.utc) - timedelta(hours=23))

    push(channel, conversation, "Your parcel is out for delivery.")

    [message] = sent(twilio_api)
    assert message["Body"] == "Your parcel is out for delivery."
    assert message["To"] == f"whatsapp:{CUSTOMER}"
    assert "ContentSid" not in message


def test_a_whatsapp_push_outside_the_window_uses_the_template(twilio_api, tmp_path):
    channel = make_channel(WHATSAPP, twilio_api, tmp_path, template_content_sid=TEMPLATE_SID)
    conversation = f"whatsapp:{CUSTOMER}"
    channel.contacts.seen(conversation, "whatsapp",
                          at=datetime.now(timezone.utc) - timedelta(hours=25))

    push(channel, conversation, "Your parcel is out for delivery.\nIt should arrive today.")

    assert sent(twilio_api) == [{
        "To": f"whatsapp:{CUSTOMER}", "From": f"whatsapp:{WHATSAPP_NUMBER}",
        "ContentSid": TEMPLATE_SID,
        "ContentVariables": '{"1": "Your parcel is out for delivery. It should arrive today."}',
        "StatusCallback": f"{PUBLIC_URL}/webhooks/whatsapp/status",
    }]


def test_a_whatsapp_push_to_someone_who_never_wrote_uses_the_template(twilio_api, tmp_path):
    channel = make_channel(WHATSAPP, twilio_api, tmp_path, template_content_sid=TEMPLATE_SID)

    push(channel, f"whatsapp:{CUSTOMER}", "Your order has shipped.")

    assert [m["ContentSid"] for m in sent(twilio_api)] == [TEMPLATE_SID]


def test_a_whatsapp_push_outside_the_window_without_a_template_is_refused(
        twilio_api, tmp_path, caplog):
    channel = make_channel(WHATSAPP, twilio_api, tmp_path)
    conversation = f"whatsapp:{CUSTOMER}"
    channel.contacts.seen(conversation, "whatsapp",
                          at=datetime.now(timezone.utc) - timedelta(days=3))

    with pytest.raises(TemplateRequired, match="template_content_sid"):
        push(channel, conversation, "Your parcel is out for delivery.")

    assert twilio_api.seen() == []
    assert CUSTOMER not in caplog.text


def test_an_sms_push_has_no_window(twilio_api, tmp_path):
    channel = make_channel(SMS, twilio_api, tmp_path)

    push(channel, f"sms:{CUSTOMER}", "Your order has shipped.")

    [message] = sent(twilio_api)
    assert (message["To"], message["From"], message["Body"]) == (
        CUSTOMER, SMS_NUMBER, "Your order has shipped.")
    [row] = channel.statuses.for_conversation(f"sms:{CUSTOMER}")
    assert (row.channel, row.status) == ("sms", "queued")


def test_a_messaging_service_sends_instead_of_a_number(twilio_api, tmp_path):
    channel = make_channel(SMS, twilio_api, tmp_path, from_number=None,
                           messaging_service_sid="MG0123456789abcdef0123456789abcdef")

    push(channel, f"sms:{CUSTOMER}", "Your order has shipped.")

    [message] = sent(twilio_api)
    assert message["MessagingServiceSid"] == "MG0123456789abcdef0123456789abcdef"
    assert "From" not in message


def test_a_push_twilio_refuses_reaches_the_caller_without_the_phone(twilio_api, tmp_path):
    twilio_api.on("POST", MESSAGES_PATH, Reply(400, UNSUBSCRIBED))
    channel = make_channel(SMS, twilio_api, tmp_path)

    with pytest.raises(ProviderRejected) as refused:
        push(channel, f"sms:{CUSTOMER}", "Your order has shipped.")

    assert (refused.value.status, str(refused.value)) == (400, "twilio: error 21610 (HTTP 400)")
    assert channel.statuses.for_conversation(f"sms:{CUSTOMER}") == []


def test_a_twilio_that_does_not_answer_in_time_is_unavailable(twilio_api, tmp_path):
    twilio_api.on("POST", MESSAGES_PATH, Reply(201, {}, delay=1.0))
    channel = make_channel(SMS, twilio_api, tmp_path, timeout=0.2)

    with pytest.raises(ProviderUnavailable):
        push(channel, f"sms:{CUSTOMER}", "Your order has shipped.")


@pytest.mark.parametrize("missing", ["account_sid", "auth_token", "public_url"])
def test_a_missing_credential_is_named(missing, twilio_api, tmp_path):
    with pytest.raises(ConfigError, match=missing):
        make_channel(SMS, twilio_api, tmp_path, **{missing: None})


# --- status callbacks ----------------------------------------------------------------


@BOTH
def test_status_callbacks_are_recorded_and_never_move_backwards(kind, twilio_api, tmp_path):
    sid = new_sid()
    twilio_api.on("POST", MESSAGES_PATH, accepted(sid))

    with serving(kind, twilio_api, tmp_path) as served:
        served.post(kind.message("hello"))
        answers = [served.post(status_callback(sid, status), route="status").status_code
                   for status in ("sent", "delivered", "sent", "queued")]
        after_delivered = served.channel.statuses.get(sid)
        served.post(status_callback(sid, "read"), route="status")

    assert answers == [204] * 4
    assert after_delivered is not None
    assert (after_delivered.status, after_delivered.conversation_id,
            after_delivered.channel) == ("delivered", f"{kind.name}:{CUSTOMER}", kind.name)
    row = served.channel.statuses.get(sid)
    assert row is not None and row.status == "read"


@BOTH
def test_a_failed_delivery_keeps_twilios_error_code(kind, twilio_api, tmp_path):
    sid = new_sid()
    twilio_api.on("POST", MESSAGES_PATH, accepted(sid))

    with serving(kind, twilio_api, tmp_path) as served:
        served.post(kind.message("hello"))
        served.post(status_callback(sid, "undelivered", error_code="30008"), route="status")

    row = served.channel.statuses.get(sid)
    assert row is not None and (row.status, row.error_code) == ("undelivered", "30008")


@BOTH
def test_a_forged_status_callback_is_refused(kind, twilio_api, tmp_path):
    sid = new_sid()
    twilio_api.on("POST", MESSAGES_PATH, accepted(sid))

    with serving(kind, twilio_api, tmp_path) as served:
        served.post(kind.message("hello"))
        forged = served.post(status_callback(sid, "failed", error_code="30003"),
                             route="status", signature=sign(PUBLIC_URL, {}, token="guessed"))
        unsigned = served.post(status_callback(sid, "failed"), route="status", signature=None)

    assert (forged.status_code, unsigned.status_code) == (403, 403)
    row = served.channel.statuses.get(sid)
    assert row is not None and (row.status, row.error_code) == ("queued", None)


# --- privacy ---------------------------------------------------------------------------


@BOTH
def test_logs_carry_message_sids_not_phones_or_words(kind, twilio_api, tmp_path, caplog):
    sid = new_sid()
    twilio_api.on("POST", MESSAGES_PATH, Reply(429, TOO_MANY_REQUESTS), accepted(sid))
    caplog.set_level("INFO")

    with serving(kind, twilio_api, tmp_path) as served:
        served.post(kind.message("my secret parcel"))
        served.post(status_callback(sid, "delivered"), route="status")
        served.post(kind.message("forged"), signature=None)

    logged = [(r.getMessage(), r.__dict__) for r in caplog.records
              if r.name.startswith("channels.")]
    assert any(fields.get("message_sid") == sid for _, fields in logged)
    text = repr(logged)
    assert CUSTOMER not in text and CUSTOMER.lstrip("+") not in text
    assert "secret parcel" not in text and "forged" not in text
