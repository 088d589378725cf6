"""The sandbox's outgoing webhooks: built, signed and retried as Shopify and EasyPost do.

Signing follows the providers' documented algorithms (the ones wismo/engine/verify.py
checks), so the engine cannot tell the sandbox from the real thing. A failed delivery
(no answer, or anything but 2xx) is tried again after each RETRY_AFTER wait, with the
same event id, then dropped with a warning; sending never raises.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import requests

from wismo.engine.verify import EASYPOST_HEADER, EASYPOST_PREFIX, SHOPIFY_HEADER
from wismo.sandbox.tracking import iso

log = logging.getLogger(__name__)

RETRY_AFTER: tuple[float, ...] = (5.0, 30.0, 120.0)  # seconds before each retry
TIMEOUT = 5.0  # Shopify counts a delivery that takes longer as failed
SHOP_DOMAIN = "harbor-and-pine.myshopify.com"
API_VERSION = "2024-10"

Post = Callable[[str, bytes, dict[str, str]], int]  # url, body, headers -> HTTP status


def shopify_signature(secret: str, body: bytes) -> str:
    """X-Shopify-Hmac-SHA256: base64(HMAC-SHA256(secret, raw body))."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def easypost_signature(secret: str, body: bytes) -> str:
    """X-Hmac-Signature: ``hmac-sha256-hex=`` + hex(HMAC-SHA256(NFKD(secret), raw body))."""
    key = unicodedata.normalize("NFKD", secret).encode()
    return EASYPOST_PREFIX + hmac.new(key, body, hashlib.sha256).hexdigest()


def http_post(url: str, body: bytes, headers: dict[str, str]) -> int:
    return requests.post(url, data=body, headers=headers, timeout=TIMEOUT).status_code


def _raw(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":")).encode()  # compact, as providers send


@dataclass
class Delivery:
    """One webhook as sent (raw body, signed headers) and how its attempts went."""

    provider: str  # "shopify" or "easypost"
    topic: str
    event_id: str  # the same on every retry
    order_number: int
    url: str
    body: bytes
    headers: dict[str, str]
    due: datetime
    attempts: int = 0
    status: int | None = None  # the last answer's HTTP status; None: no answer

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    def payload(self) -> dict[str, Any]:
        return json.loads(self.body)


def shopify_delivery(target: str, secret: str, topic: str, payload: dict[str, Any],
                     number: int, event_id: str, now: datetime) -> Delivery:
    """A Shopify webhook (orders/create, fulfillments/update) with its headers."""
    body = _raw(payload)
    headers = {
        "Content-Type": "application/json", "X-Shopify-Topic": topic,
        SHOPIFY_HEADER: shopify_signature(secret, body),
        "X-Shopify-Shop-Domain": SHOP_DOMAIN, "X-Shopify-API-Version": API_VERSION,
        "X-Shopify-Event-Id": event_id, "X-Shopify-Webhook-Id": event_id,
        "X-Shopify-Triggered-At": now.isoformat(),
    }
    return Delivery("shopify", topic, event_id, number, f"{target}/webhooks/shopify", body,
                    headers, due=now)


def easypost_delivery(target: str, secret: str, tracker: dict[str, Any], before: str,
                      number: int, event_id: str, now: datetime) -> Delivery:
    """An EasyPost ``tracker.updated`` Event wrapping the new Tracker."""
    url = f"{target}/webhooks/easypost"
    event = {"id": event_id, "object": "Event", "mode": "test",
             "description": "tracker.updated", "previous_attributes": {"status": before},
             "created_at": iso(now), "updated_at": iso(now), "user_id": "user_sandbox",
             "status": "pending", "pending_urls": [url], "completed_urls": [],
             "result": tracker}
    body = _raw(event)
    headers = {"Content-Type": "application/json",
               EASYPOST_HEADER: easypost_signature(secret, body)}
    return Delivery("easypost", "tracker.updated", event_id, number, url, body, headers,
                    due=now)


@dataclass
class Outbox:
    """Deliveries waiting to go out, new or to be retried."""

    post: Post = http_post
    retry_after: tuple[float, ...] = RETRY_AFTER
    queue: list[Delivery] = field(default_factory=list)

    def flush(self, now: datetime) -> list[Delivery]:
        """Send every delivery due at ``now``; keep the failed ones that may try again."""
        due = [d for d in self.queue if d.due <= now]
        for delivery in due:
            self._send(delivery, now)
        self.queue = [d for d in self.queue if not d.ok and d.attempts <= len(self.retry_after)]
        return due

    def _send(self, delivery: Delivery, now: datetime) -> None:
        delivery.attempts += 1
        try:
            delivery.status = self.post(delivery.url, delivery.body, delivery.headers)
        except (requests.RequestException, OSError) as exc:
            delivery.status = None
            log.debug("webhook %s not delivered: %s", delivery.event_id, exc)
        if delivery.ok:
            log.debug("sandbox webhook %s %s sent (#%s)", delivery.topic, delivery.event_id,
                     delivery.order_number)
        elif delivery.attempts > len(self.retry_after):
            log.warning("sandbox webhook %s %s dropped after %d attempts (last status %s)",
                        delivery.topic, delivery.event_id, delivery.attempts, delivery.status)
        else:
            delivery.due = now + timedelta(seconds=self.retry_after[delivery.attempts - 1])


__all__ = ["Delivery", "Outbox", "easypost_delivery", "easypost_signature", "http_post",
           "shopify_delivery", "shopify_signature"]
