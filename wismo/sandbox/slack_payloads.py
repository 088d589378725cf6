"""What Slack sends an app, and how it signs it: the bodies the fake workspace delivers.

Why apart from the workspace: tests build these bodies themselves (a forged signature, an event
the workspace never sent) and must get exactly the shapes Slack documents, without a server.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from typing import Any

Json = dict[str, Any]

TEAM_ID, TEAM_NAME, TEAM_DOMAIN = "T0SANDBOX", "Wismo Sandbox", "wismo-sandbox"
APP_ID, BOT_ID, BOT_USER_ID, BOT_NAME = "A0WISMO", "B0WISMO", "U0WISMOBOT", "wismo"
VERIFICATION_TOKEN = "sandbox-verification-token"  # the deprecated token payloads still carry


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

def button_action(block_id: str, button: Json) -> Json:
    """The `actions` entry of a block_actions payload for a pressed button."""
    action = {"action_id": button["action_id"], "block_id": block_id, "text": button["text"],
              "value": button.get("value"), "type": "button",
              "action_ts": f"{time.time():.6f}"}
    if "style" in button:
        action["style"] = button["style"]
    return action


def rich_text(text: str) -> Json:
    """The block Slack's client attaches to what a person types."""
    return {"type": "rich_text", "block_id": secrets.token_urlsafe(4)[:5], "elements": [
        {"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}]}
