"""The REST channel cannot pretend to be another channel or another channel's customer."""

import requests

from channels.rest import RestInput
from tests.channels.host import ConnectorHost, ScriptedBot


def post(host, body):
    return requests.post(f"{host.url}/webhooks/rest/webhook", json=body, timeout=5)


def test_a_rest_caller_cannot_claim_an_sms_phone_or_an_sms_conversation():
    bot = ScriptedBot()
    with ConnectorHost(RestInput(), bot) as host:
        reply = post(host, {"sender": "sms:+13035550142", "message": "where is order 1001",
                            "input_channel": "sms", "metadata": {"phone": "+13035550142"}})
    [message] = bot.received
    assert (message.sender_id, message.input_channel, message.metadata) == (
        "rest:sms:+13035550142", "rest", None)
    assert reply.json() == [{"recipient_id": "rest:sms:+13035550142",
                             "text": "You said: where is order 1001"}]


def test_a_rest_conversation_keeps_its_id():
    bot = ScriptedBot()
    with ConnectorHost(RestInput(), bot) as host:
        post(host, {"sender": "me", "message": "hi"})
        post(host, {"sender": "rest:me", "message": "again"})
    assert [m.sender_id for m in bot.received] == ["rest:me", "rest:me"]
