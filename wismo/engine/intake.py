"""The `wismo engine` HTTP intake: store and carrier webhooks, verified and kept, nothing more.

Each delivery goes through the same steps, in this order, and stops at the first failure:

1. size (413 above channels.common.MAX_WEBHOOK_BYTES);
2. signature (401, nothing stored, logged without personal data);
3. JSON object (400, nothing stored);
4. `EngineStore.record_event`, durable before the answer (503 if the database refuses,
   so the provider retries);
5. 200, for a duplicate too, so the provider stops retrying.

No processing happens in the request: Shopify gives 5 s before it counts a failure and
retries, so the work (fetching orders, detecting, deciding) runs after, from
`EngineStore.pending_events`. The ids the event row is indexed by (order number, the
store's order id, tracking number) come from the existing parsers of these payloads.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import json
import logging
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels.common import MAX_WEBHOOK_BYTES, too_large
from wismo.config import Settings
from wismo.engine.store import EngineStore
from wismo.engine.verify import EASYPOST_HEADER, SHOPIFY_HEADER, easypost_valid, shopify_valid
from wismo.errors import ProviderResponseError
from wismo.stores.shopify_parse import parse_fulfillments, parse_order
from wismo.tracking.easypost import parse_tracker

logger = logging.getLogger(__name__)

SHOPIFY, EASYPOST = "shopify", "easypost"
SHOPIFY_TOPICS = frozenset({
    "orders/create", "orders/cancelled", "fulfillments/create", "fulfillments/update",
    "fulfillment_events/create",
})
EASYPOST_TOPICS = frozenset({"tracker.created", "tracker.updated"})
TOPIC_HEADER = "X-Shopify-Topic"
# Shopify's id of the event (the same on every retry); older API versions only send the
# id of the webhook delivery, which is also stable across retries.
EVENT_ID_HEADERS = ("X-Shopify-Event-Id", "X-Shopify-Webhook-Id")
# Sanic reads a body before the handler runs: stop far-too-large ones while reading.
HARD_BODY_LIMIT = 4 * MAX_WEBHOOK_BYTES


@dataclass(frozen=True)
class WebhookSecrets:
    """The secrets deliveries are signed with; an unset one refuses that provider's calls."""

    shopify: str | None = None
    easypost: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> WebhookSecrets:
        """SHOPIFY_WEBHOOK_SECRET and EASYPOST_WEBHOOK_SECRET, as Settings read them."""
        return cls(shopify=settings.shopify_webhook_secret,
                   easypost=settings.easypost_webhook_secret)


@dataclass(frozen=True)
class Refs:
    """What an event row is indexed by, when the body says it."""

    order_number: str | None = None
    order_id: str | None = None
    tracking_number: str | None = None


def shopify_refs(topic: str, payload: dict[str, Any]) -> Refs:
    """Order number ("#1001" → "1001") of an order; order id and tracking of a fulfillment.

    A body the parsers reject is still kept (Shopify signed it): the processor records why.
    """
    try:
        if topic.startswith("orders/"):
            order = parse_order(payload)
            return Refs(order_number=order.number, order_id=order.id)
        tracking = None
        if topic.startswith("fulfillments/"):
            shipments = parse_fulfillments([payload])
            tracking = shipments[0].tracking_number if shipments else None
        return Refs(order_id=_text_id(payload.get("order_id")), tracking_number=tracking)
    except ProviderResponseError:
        key = "id" if topic.startswith("orders/") else "order_id"
        return Refs(order_id=_text_id(payload.get(key)))


def easypost_refs(payload: dict[str, Any]) -> Refs:
    """The tracking code of the Tracker an Event wraps (``result``)."""
    try:
        return Refs(tracking_number=parse_tracker(payload.get("result")).tracking_number)
    except ProviderResponseError:
        return Refs()


@dataclass(frozen=True)
class _Provider:
    """How one provider signs, names and identifies its deliveries."""

    name: str
    secret: str
    valid: Callable[[str, bytes, str | None], bool]
    signature_header: str
    topics: frozenset[str]
    topic: Callable[[Request, dict[str, Any]], str]
    event_id: Callable[[Request, dict[str, Any]], str | None]
    refs: Callable[[str, dict[str, Any]], Refs]


def blueprint(store: EngineStore, secrets: WebhookSecrets) -> Blueprint:
    """POST /webhooks/shopify, POST /webhooks/easypost and GET /health."""
    for name, secret in (("SHOPIFY_WEBHOOK_SECRET", secrets.shopify),
                         ("EASYPOST_WEBHOOK_SECRET", secrets.easypost)):
        if not secret:
            logger.warning("%s is not set: those webhook deliveries will be refused", name)
    shopify = _Provider(
        SHOPIFY, secrets.shopify or "", shopify_valid, SHOPIFY_HEADER, SHOPIFY_TOPICS,
        topic=lambda request, _: (request.headers.get(TOPIC_HEADER) or "").strip(),
        event_id=lambda request, _: _first_header(request, EVENT_ID_HEADERS),
        refs=shopify_refs,
    )
    easypost = _Provider(
        EASYPOST, secrets.easypost or "", easypost_valid, EASYPOST_HEADER, EASYPOST_TOPICS,
        topic=lambda _, payload: _text(payload.get("description")),
        event_id=lambda _, payload: _text(payload.get("id")) or None,
        refs=lambda _, payload: easypost_refs(payload),
    )
    bp = Blueprint("wismo_engine_intake")

    @bp.get("/health")
    async def health(_: Request) -> HTTPResponse:
        return response.json({"status": "ok"})

    @bp.post("/webhooks/shopify")
    async def shopify_webhook(request: Request) -> HTTPResponse:
        return await _intake(request, store, shopify)

    @bp.post("/webhooks/easypost")
    async def easypost_webhook(request: Request) -> HTTPResponse:
        return await _intake(request, store, easypost)

    return bp


def create_app(store: EngineStore, secrets: WebhookSecrets, name: str = "wismo_engine") -> Sanic:
    """The engine's Sanic app (Sanic keeps apps by name: tests pass a unique one)."""
    app = Sanic(name)
    app.config.REQUEST_MAX_SIZE = HARD_BODY_LIMIT
    app.blueprint(blueprint(store, secrets))
    return app


async def _intake(request: Request, store: EngineStore, provider: _Provider) -> HTTPResponse:
    name = provider.name
    if too_large(request):
        logger.warning("webhook refused provider=%s reason=too_large", name)
        return response.empty(status=413)
    signature = request.headers.get(provider.signature_header)
    if not provider.valid(provider.secret, request.body, signature):
        logger.warning("webhook refused provider=%s reason=%s", name,
                       "bad_signature" if signature else "no_signature")
        return response.empty(status=401)
    payload = _json_object(request.body)
    topic = provider.topic(request, payload) if payload is not None else ""
    if payload is None or not topic:
        logger.warning("webhook refused provider=%s reason=malformed", name)
        return response.json({"error": "expected a JSON object and its topic"}, status=400)
    if topic not in provider.topics:
        logger.info("webhook ignored provider=%s topic=%s", name, topic[:60])
        return response.json({"status": "ignored"})
    key = (provider.event_id(request, payload)
           or "sha256:" + hashlib.sha256(request.body).hexdigest())
    found = provider.refs(topic, payload)
    record = functools.partial(
        store.record_event, name, key, topic, request.body.decode("utf-8"),
        order_number=found.order_number, order_id=found.order_id,
        tracking_number=found.tracking_number,
    )
    try:  # off the event loop: SQLite may wait (up to its timeout) on another writer
        new = await asyncio.get_running_loop().run_in_executor(None, record)
    except sqlite3.Error as exc:
        logger.error("webhook not stored provider=%s topic=%s event=%s: %s",
                     name, topic, key, exc)
        return response.empty(status=503)
    logger.info("webhook %s provider=%s topic=%s event=%s order=%s",
                "stored" if new else "duplicate", name, topic, key,
                found.order_number or found.order_id)
    return response.json({"status": "stored" if new else "duplicate"})


def _json_object(raw: bytes) -> dict[str, Any] | None:
    try:
        value = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def _first_header(request: Request, names: tuple[str, ...]) -> str | None:
    for name in names:
        value = (request.headers.get(name) or "").strip()
        if value:
            return value
    return None


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _text_id(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, (int, str)) or not str(value).strip():
        return None
    return str(value).strip()


__all__ = ["Refs", "WebhookSecrets", "blueprint", "create_app", "easypost_refs",
           "shopify_refs"]
