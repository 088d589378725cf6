"""The engine's webhook intake on a real Sanic server, fed the providers' documented deliveries.

Assertions are on what the provider would see (the status code) and on what the engine
kept (the event rows): a valid delivery is stored once however often it comes, and
anything unsigned, forged, malformed or oversized leaves no trace.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from sanic import Sanic

from channels.common import MAX_WEBHOOK_BYTES
from tests.channels.host import AppHost
from tests.engine.payloads import (
    Delivery,
    easypost_delivery,
    easypost_vector,
    make_easypost_event,
    make_fulfillment,
    make_fulfillment_event,
    make_order,
    shopify_delivery,
    shopify_vector,
)
from wismo.engine.intake import WebhookSecrets, create_app
from wismo.engine.store import EngineStore, StoredEvent

SHOPIFY_URL = "/webhooks/shopify"
EASYPOST_URL = "/webhooks/easypost"


class EngineHost(AppHost):
    """The intake app on a free port; `post` sends a delivery as the provider would."""

    def post(self, path: str, delivery: Delivery) -> requests.Response:
        return requests.post(self.url + path, data=delivery.body, headers=delivery.headers,
                             timeout=5)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[EngineStore]:
    store = EngineStore(tmp_path / "wismo.db")
    yield store
    store.close()


def _host(store: EngineStore, secrets: WebhookSecrets) -> EngineHost:
    Sanic.test_mode = True
    return EngineHost(create_app(store, secrets, name=f"engine_{uuid.uuid4().hex[:8]}"))


@pytest.fixture
def engine(store: EngineStore) -> Iterator[EngineHost]:
    secrets = WebhookSecrets(shopify=shopify_vector()["secret"],
                             easypost=easypost_vector()["secret"])
    with _host(store, secrets) as host:
        yield host


def stored(store: EngineStore) -> list[StoredEvent]:
    return store.pending_events()


def vector_delivery(vector: dict[str, Any], **extra_headers: str) -> Delivery:
    """A generated test vector sent exactly as it is (plus headers outside the signature)."""
    return Delivery(vector["raw_body"].encode(), dict(vector["headers"]) | extra_headers)


# --- valid deliveries ------------------------------------------------------------------


def test_shopify_delivery_is_stored_once_when_posted_twice(
    engine: EngineHost, store: EngineStore
) -> None:
    delivery = vector_delivery(shopify_vector(), **{"X-Shopify-Event-Id": "98880550567"})

    first, second = engine.post(SHOPIFY_URL, delivery), engine.post(SHOPIFY_URL, delivery)

    assert (first.status_code, first.json()) == (200, {"status": "stored"})
    assert (second.status_code, second.json()) == (200, {"status": "duplicate"})
    [event] = stored(store)
    assert (event.provider, event.event_id, event.topic) == (
        "shopify", "98880550567", "fulfillments/update")
    assert (event.order_number, event.order_id, event.tracking_number) == (
        None, "450789469", "1Z2345")
    assert event.body == shopify_vector()["raw_body"]


def test_easypost_delivery_is_stored_once_when_posted_twice(
    engine: EngineHost, store: EngineStore
) -> None:
    delivery = vector_delivery(easypost_vector())

    assert engine.post(EASYPOST_URL, delivery).json() == {"status": "stored"}
    assert engine.post(EASYPOST_URL, delivery).json() == {"status": "duplicate"}
    [event] = stored(store)
    assert (event.provider, event.event_id, event.topic, event.tracking_number) == (
        "easypost", "evt_1", "tracker.updated", "1")
    assert event.payload()["result"]["status"] == "in_transit"


@pytest.mark.parametrize("topic", ["orders/create", "orders/cancelled"])
def test_an_order_webhook_is_indexed_by_its_number(
    engine: EngineHost, store: EngineStore, topic: str
) -> None:
    response = engine.post(SHOPIFY_URL, shopify_delivery(make_order(), topic))

    assert response.status_code == 200
    [event] = stored(store)
    assert (event.topic, event.order_number, event.order_id) == (topic, "1001", "450789469")


def test_a_fulfillment_event_is_indexed_by_its_order_id(
    engine: EngineHost, store: EngineStore
) -> None:
    delivery = shopify_delivery(make_fulfillment_event(), "fulfillment_events/create")
    assert engine.post(SHOPIFY_URL, delivery).status_code == 200
    [event] = stored(store)
    assert (event.order_id, event.tracking_number) == ("2776493818019", None)


def test_webhook_id_stands_in_for_a_missing_event_id(
    engine: EngineHost, store: EngineStore
) -> None:
    delivery = shopify_delivery(make_fulfillment(), "fulfillments/create", event_id=None,
                                webhook_id="b54557e4")
    engine.post(SHOPIFY_URL, delivery)
    engine.post(SHOPIFY_URL, delivery)
    assert [e.event_id for e in stored(store)] == ["b54557e4"]


def test_without_any_id_the_same_body_is_still_one_event(
    engine: EngineHost, store: EngineStore
) -> None:
    delivery = shopify_delivery(make_fulfillment(), "fulfillments/create", event_id=None,
                                webhook_id=None)
    engine.post(SHOPIFY_URL, delivery)
    engine.post(SHOPIFY_URL, delivery)
    [event] = stored(store)
    assert event.event_id.startswith("sha256:")


def test_a_body_the_parsers_reject_is_kept_for_the_processor(
    engine: EngineHost, store: EngineStore
) -> None:
    """Shopify signed it: refusing it would only make Shopify retry it for four hours."""
    order = make_order(created_at="yesterday")
    assert engine.post(SHOPIFY_URL, shopify_delivery(order, "orders/create")).status_code == 200
    [event] = stored(store)
    assert (event.order_number, event.order_id) == (None, "450789469")
    assert event.payload()["created_at"] == "yesterday"


def test_other_topics_are_acknowledged_and_not_stored(
    engine: EngineHost, store: EngineStore
) -> None:
    shopify = engine.post(SHOPIFY_URL, shopify_delivery(make_order(), "orders/updated"))
    easypost = engine.post(EASYPOST_URL,
                           easypost_delivery(make_easypost_event(description="batch.created")))
    assert shopify.json() == easypost.json() == {"status": "ignored"}
    assert stored(store) == []


def test_health(engine: EngineHost) -> None:
    response = requests.get(engine.url + "/health", timeout=5)
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


# --- refused deliveries -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "delivery"),
    [
        (SHOPIFY_URL, lambda: shopify_delivery(make_fulfillment(), "fulfillments/update",
                                               secret="not_the_secret")),
        (EASYPOST_URL, lambda: easypost_delivery(make_easypost_event(), secret="wrong")),
    ],
    ids=["shopify", "easypost"],
)
def test_forged_signature_is_401_and_nothing_is_stored(
    engine: EngineHost, store: EngineStore, path: str, delivery: Any, caplog: Any
) -> None:
    forged = delivery()
    with caplog.at_level(logging.WARNING, logger="wismo.engine.intake"):
        response = engine.post(path, forged)
    assert (response.status_code, response.content) == (401, b"")
    assert stored(store) == []
    assert "reason=bad_signature" in caplog.text
    assert "1Z2345" not in caplog.text and "FedEx" not in caplog.text  # no payload in logs


def test_tampered_body_is_401(engine: EngineHost, store: EngineStore) -> None:
    vector = vector_delivery(shopify_vector())
    tampered = Delivery(vector.body.replace(b"1Z2345", b"1Z9999"), vector.headers)
    assert engine.post(SHOPIFY_URL, tampered).status_code == 401
    assert stored(store) == []


@pytest.mark.parametrize("path", [SHOPIFY_URL, EASYPOST_URL])
def test_missing_signature_is_401(engine: EngineHost, store: EngineStore, path: str) -> None:
    unsigned = Delivery(json.dumps(make_easypost_event()).encode(),
                        {"Content-Type": "application/json", "X-Shopify-Topic": "orders/create"})
    assert engine.post(path, unsigned).status_code == 401
    assert stored(store) == []


def test_an_unset_secret_refuses_every_delivery(store: EngineStore) -> None:
    with _host(store, WebhookSecrets()) as host:
        assert host.post(SHOPIFY_URL, vector_delivery(shopify_vector())).status_code == 401
        assert host.post(EASYPOST_URL, vector_delivery(easypost_vector())).status_code == 401
    assert stored(store) == []


@pytest.mark.parametrize("body", [b'{"id": 1,', b"[1, 2]", b"\xff\xfe", b""])
def test_malformed_json_is_400_and_nothing_is_stored(
    engine: EngineHost, store: EngineStore, body: bytes
) -> None:
    shopify = engine.post(SHOPIFY_URL, shopify_delivery(body, "orders/create"))
    easypost = engine.post(EASYPOST_URL, easypost_delivery(body))
    assert (shopify.status_code, easypost.status_code) == (400, 400)
    assert stored(store) == []


def test_a_shopify_delivery_without_topic_is_400(engine: EngineHost, store: EngineStore) -> None:
    delivery = shopify_delivery(make_order(), "")
    assert engine.post(SHOPIFY_URL, delivery).status_code == 400
    assert stored(store) == []


@pytest.mark.parametrize("path", [SHOPIFY_URL, EASYPOST_URL])
def test_oversized_is_413_and_nothing_is_stored(
    engine: EngineHost, store: EngineStore, path: str
) -> None:
    event = make_easypost_event(padding="x" * MAX_WEBHOOK_BYTES)
    delivery = (shopify_delivery(make_order(note="x" * MAX_WEBHOOK_BYTES), "orders/create")
                if path == SHOPIFY_URL else easypost_delivery(event))
    assert engine.post(path, delivery).status_code == 413
    assert stored(store) == []
