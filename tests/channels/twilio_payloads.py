"""Twilio's messaging webhooks and API answers, built as Twilio documents them.

Incoming message and status-callback fields follow twilio.com/docs/messaging/guides/
webhook-request (SMS) and the WhatsApp additions (`ProfileName`, `WaId`, `MessageType`);
the Message resource follows twilio.com/docs/messaging/api/message-resource; the 429
body is Twilio's error JSON (error 20429). `sign` computes `X-Twilio-Signature` the way
Twilio does, with the library's own RequestValidator.
"""

from __future__ import annotations

import itertools
from typing import Any

from twilio.request_validator import RequestValidator

ACCOUNT_SID = "AC0123456789abcdef0123456789abcdef"
AUTH_TOKEN = "test_twilio_auth_token"
PUBLIC_URL = "https://wismo-test.trycloudflare.com"
SMS_NUMBER = "+15017122661"
WHATSAPP_NUMBER = "+14155238886"  # Twilio's WhatsApp sandbox number
CUSTOMER = "+13035550142"
MESSAGES_PATH = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"

_sids = itertools.count(1)


def new_sid(prefix: str = "SM") -> str:
    """A fresh 34-character Twilio sid."""
    return f"{prefix}{next(_sids):032x}"


def sms_message(body: str = "where is my order?", *, sender: str = CUSTOMER,
                **overrides: str) -> dict[str, str]:
    """An incoming SMS webhook as Twilio posts it."""
    sid = new_sid()
    fields = {
        "ToCountry": "US", "ToState": "CA", "SmsMessageSid": sid, "NumMedia": "0",
        "ToCity": "", "FromZip": "80202", "SmsSid": sid, "FromState": "CO",
        "SmsStatus": "received", "FromCity": "DENVER", "Body": body, "FromCountry": "US",
        "To": SMS_NUMBER, "ToZip": "", "NumSegments": "1", "MessageSid": sid,
        "AccountSid": ACCOUNT_SID, "From": sender, "ApiVersion": "2010-04-01",
    }
    return fields | overrides


def whatsapp_message(body: str = "where is my order?", *, sender: str = CUSTOMER,
                     **overrides: str) -> dict[str, str]:
    """An incoming WhatsApp webhook as Twilio posts it (From/To carry 'whatsapp:')."""
    sid = new_sid()
    fields = {
        "SmsMessageSid": sid, "NumMedia": "0", "ProfileName": "Jordan",
        "MessageType": "text", "SmsSid": sid, "WaId": sender.lstrip("+"),
        "SmsStatus": "received", "Body": body, "To": f"whatsapp:{WHATSAPP_NUMBER}",
        "NumSegments": "1", "ReferralNumMedia": "0", "MessageSid": sid,
        "AccountSid": ACCOUNT_SID, "From": f"whatsapp:{sender}", "ApiVersion": "2010-04-01",
    }
    return fields | overrides


def with_image(fields: dict[str, str]) -> dict[str, str]:
    """The same message carrying one photo and no text."""
    return fields | {
        "Body": "", "NumMedia": "1", "MediaContentType0": "image/jpeg",
        "MediaUrl0": f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/"
                     f"{fields['MessageSid']}/Media/{new_sid('ME')}",
        "MessageType": "image",
    }


def status_callback(message_sid: str, status: str, *, error_code: str | None = None,
                    to: str = CUSTOMER, sender: str = SMS_NUMBER) -> dict[str, str]:
    """A delivery status callback for a message we sent."""
    fields = {
        "SmsSid": message_sid, "SmsStatus": status, "MessageStatus": status,
        "To": to, "MessageSid": message_sid, "AccountSid": ACCOUNT_SID, "From": sender,
        "ApiVersion": "2010-04-01",
    }
    if error_code:
        fields["ErrorCode"] = error_code
    return fields


def message_resource(*, to: str, sender: str, body: str = "", status: str = "queued",
                     sid: str | None = None) -> dict[str, Any]:
    """The Message resource Twilio answers POST .../Messages.json with (201)."""
    sid = sid or new_sid()
    return {
        "account_sid": ACCOUNT_SID, "api_version": "2010-04-01", "body": body,
        "date_created": "Thu, 24 Aug 2023 05:01:45 +0000", "date_sent": None,
        "date_updated": "Thu, 24 Aug 2023 05:01:45 +0000", "direction": "outbound-api",
        "error_code": None, "error_message": None, "from": sender,
        "messaging_service_sid": None, "num_media": "0", "num_segments": "1", "price": None,
        "price_unit": "USD", "sid": sid, "status": status,
        "subresource_uris": {
            "media": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{sid}/Media.json"},
        "to": to, "uri": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{sid}.json",
    }


TOO_MANY_REQUESTS = {
    "code": 20429, "message": "Too Many Requests",
    "more_info": "https://www.twilio.com/docs/errors/20429", "status": 429,
}

UNSUBSCRIBED = {  # the customer texted STOP
    "code": 21610, "message": "Attempt to send to unsubscribed recipient",
    "more_info": "https://www.twilio.com/docs/errors/21610", "status": 400,
}

NOT_FOUND = {
    "code": 20404, "message": "The requested resource was not found",
    "more_info": "https://www.twilio.com/docs/errors/20404", "status": 404,
}


def sign(url: str, fields: dict[str, str], token: str = AUTH_TOKEN) -> str:
    """The X-Twilio-Signature Twilio sends with a POST of `fields` to `url`."""
    return RequestValidator(token).compute_signature(url, fields)
