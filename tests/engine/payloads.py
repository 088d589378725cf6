"""Webhook deliveries for the engine's tests, built from the providers' documented payloads.

The shared files (shared/data/providers) are read, never edited; variants are made here:
`make_*` copy a documented object and replace fields, `*_delivery` sign a body the way the
provider does, so a test can send exactly what Shopify or EasyPost would.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest

SHARED = Path(__file__).parents[3] / "shared" / "data" / "providers"
SHOPIFY_FIXTURES = "shopify/fixtures_shopify_python_api"


@cache
def load_shared(relative: str) -> Any:
    """A shared provider file as JSON (skips the test when the shared folder is absent)."""
    path = SHARED / relative
    if not path.is_file():
        pytest.skip(f"{path} is absent: clone the shared/ folder beside the repository")
    return json.loads(path.read_text(encoding="utf-8"))


def shopify_vector() -> dict[str, Any]:
    """The generated fulfillments/update delivery with its X-Shopify-Hmac-SHA256."""
    return load_shared("shopify/webhook_fulfillments_update.generated_test_vector.json")


def easypost_vector() -> dict[str, Any]:
    """The generated tracker.updated delivery with its X-Hmac-Signature."""
    return load_shared("easypost/hmac_test_vector.generated.json")


# --- documented objects, with fields replaced ----------------------------------------


def make_order(**overrides: Any) -> dict[str, Any]:
    """Shopify's documented order (#1001), as an orders/* webhook body."""
    return copy.deepcopy(load_shared(f"{SHOPIFY_FIXTURES}/order.json")["order"]) | overrides


def make_fulfillment(**overrides: Any) -> dict[str, Any]:
    """Shopify's documented fulfillment, as a fulfillments/* webhook body."""
    fixture = load_shared(f"{SHOPIFY_FIXTURES}/fulfillment.json")
    return copy.deepcopy(fixture["fulfillment"]) | overrides


def make_fulfillment_event(**overrides: Any) -> dict[str, Any]:
    """Shopify's documented fulfillment event, as a fulfillment_events/create body."""
    fixture = load_shared(f"{SHOPIFY_FIXTURES}/fulfillment_event.json")
    return copy.deepcopy(fixture["fulfillment_event"]) | overrides


def make_easypost_event(**overrides: Any) -> dict[str, Any]:
    """EasyPost's documented tracker.updated Event."""
    return copy.deepcopy(load_shared("easypost/event-body.tracker.updated.json")) | overrides


# --- signed deliveries ----------------------------------------------------------------


@dataclass(frozen=True)
class Delivery:
    """What reaches the webhook URL: the raw body and the request headers."""

    body: bytes
    headers: dict[str, str]


def raw(body: bytes | dict[str, Any]) -> bytes:
    """Compact JSON, as providers send it (a bytes body is sent as it is)."""
    return body if isinstance(body, bytes) else json.dumps(body, separators=(",", ":")).encode()


def shopify_delivery(
    body: bytes | dict[str, Any],
    topic: str,
    *,
    secret: str | None = None,
    event_id: str | None = "98880550567",
    webhook_id: str | None = "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043",
) -> Delivery:
    """A Shopify delivery of `body` signed with `secret` (default: the shared vector's)."""
    data = raw(body)
    key = (secret if secret is not None else shopify_vector()["secret"]).encode()
    headers = {
        "Content-Type": "application/json",
        "X-Shopify-Topic": topic,
        "X-Shopify-Shop-Domain": "test-shop.myshopify.com",
        "X-Shopify-Hmac-SHA256": base64.b64encode(
            hmac.new(key, data, hashlib.sha256).digest()).decode(),
    }
    if event_id:
        headers["X-Shopify-Event-Id"] = event_id
    if webhook_id:
        headers["X-Shopify-Webhook-Id"] = webhook_id
    return Delivery(data, headers)


def easypost_delivery(body: bytes | dict[str, Any], *, secret: str | None = None) -> Delivery:
    """An EasyPost delivery of `body` signed with `secret` (default: the shared vector's)."""
    data = raw(body)
    text = secret if secret is not None else easypost_vector()["secret"]
    key = unicodedata.normalize("NFKD", text).encode()
    signature = "hmac-sha256-hex=" + hmac.new(key, data, hashlib.sha256).hexdigest()
    return Delivery(data, {"Content-Type": "application/json", "X-Hmac-Signature": signature})
