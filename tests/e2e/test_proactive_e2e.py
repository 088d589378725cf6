"""The whole proactive path on the running stack: a signed carrier webhook reaches the engine,
the customer hears about it on their own channel (a stand-in for api.telegram.org), and their
reply is answered in the context of that update."""

from __future__ import annotations

import copy
import time
from datetime import datetime, timezone

import pytest
import requests

from tests.e2e.conftest import TELEGRAM_TOKEN
from tests.e2e.test_channels_e2e import telegram
from tests.engine.payloads import easypost_delivery, shopify_delivery

pytestmark = pytest.mark.e2e

CHAT = 770_001


def sandbox_order(stack, number: str) -> dict:
    """The order exactly as the sandbox's Shopify API serves it (an orders/* webhook body)."""
    sandbox = stack.sandbox
    headers = {"X-Shopify-Access-Token": sandbox.shopify_token}
    [order] = requests.get(f"{sandbox.url}/admin/api/2024-10/orders.json", headers=headers,
                           params={"name": f"#{number}", "status": "any"},
                           timeout=10).json()["orders"]
    return order


def sandbox_tracker(stack, tracking_code: str) -> dict:
    return requests.post(f"{stack.sandbox.url}/v2/trackers", timeout=10,
                         auth=(stack.sandbox.easypost_key, ""),
                         json={"tracker": {"tracking_code": tracking_code}}).json()


def post(stack, path: str, delivery) -> requests.Response:
    return requests.post(f"{stack.engine_url}{path}", data=delivery.body,
                         headers=delivery.headers, timeout=10)


def wait_for_telegram(providers, chat: int, since: int, timeout: float = 20) -> list[str]:
    path = f"/bot{TELEGRAM_TOKEN}/sendMessage"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        texts = [r.form()["text"] for r in providers.telegram.seen("POST", path)[since:]
                 if r.form().get("chat_id") == str(chat)]
        if texts:
            return texts
        time.sleep(0.2)
    return []


def test_out_for_delivery_is_pushed_to_telegram_and_the_reply_has_context(stack, providers):
    # Ava proves who she is on Telegram once.
    telegram(stack, providers, CHAT, "where is my order 1001")
    assert any("#1001" in r for r in telegram(stack, providers, CHAT, "80202"))
    # The store tells the engine about the order (Shopify orders/updated-style delivery).
    order = sandbox_order(stack, "1001")
    delivery = shopify_delivery(order, "orders/create",
                                secret=stack.settings.shopify_webhook_secret,
                                event_id="e2e-order-1001")
    assert post(stack, "/webhooks/shopify", delivery).status_code == 200
    # Then the carrier: the parcel is out for delivery now.
    tracker = sandbox_tracker(stack, order["fulfillments"][0]["tracking_number"])
    update = copy.deepcopy(tracker)
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    update["status"] = "out_for_delivery"
    update["tracking_details"] = [*tracker["tracking_details"], {
        **tracker["tracking_details"][-1], "status": "out_for_delivery",
        "message": "Out For Delivery", "datetime": now}]
    event = {"id": "evt_e2e_1001", "object": "Event", "description": "tracker.updated",
             "mode": "test", "result": update}
    path = f"/bot{TELEGRAM_TOKEN}/sendMessage"
    before = len(providers.telegram.seen("POST", path))
    delivery = easypost_delivery(event, secret=stack.settings.easypost_webhook_secret)
    assert post(stack, "/webhooks/easypost", delivery).status_code == 200
    assert post(stack, "/webhooks/easypost", delivery).status_code == 200  # a retry

    pushed = wait_for_telegram(providers, CHAT, before)
    assert len(pushed) == 1, pushed
    assert "#1001" in pushed[0] and "out for delivery" in pushed[0].lower(), pushed
    time.sleep(2)  # the retried webhook must not have produced a second message
    assert len(wait_for_telegram(providers, CHAT, before, timeout=1)) == 1

    replies = telegram(stack, providers, CHAT, "when will it arrive?")
    assert any("#1001" in r for r in replies), replies
    assert not any("order number" in r for r in replies), replies


def test_a_forged_webhook_is_refused_and_nothing_is_sent(stack, providers):
    forged = easypost_delivery({"id": "evt_forged", "result": {}}, secret="not-the-secret")
    assert post(stack, "/webhooks/easypost", forged).status_code == 401
