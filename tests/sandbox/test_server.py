"""The sandbox over real HTTP, as the Shopify and EasyPost adapters will see it."""

from __future__ import annotations

import time
from datetime import date

import pytest
import requests

from wismo.sandbox import start_sandbox

API = "/admin/api/2024-01"


@pytest.fixture(scope="module")
def sandbox():
    server = start_sandbox(port=0, today=date.today(), slow_delay=1.5)
    yield server
    server.stop()


def shopify(sandbox, method: str, path: str, token: str | None = None, **kwargs):
    headers = {"X-Shopify-Access-Token": token or sandbox.shopify_token}
    return requests.request(method, f"{sandbox.url}{API}/{path}", headers=headers, timeout=5,
                            **kwargs)


def easypost(sandbox, method: str, path: str, key: str | None = None, **kwargs):
    kwargs.setdefault("timeout", 5)
    return requests.request(method, f"{sandbox.url}/v2/{path}",
                            auth=(key or sandbox.easypost_key, ""), **kwargs)


def order(sandbox, number: int) -> dict:
    reply = shopify(sandbox, "GET", "orders.json", params={"name": f"#{number}", "status": "any"})
    (found,) = reply.json()["orders"]
    return found


def test_lists_at_least_sixty_orders_with_the_call_limit_header(sandbox):
    reply = shopify(sandbox, "GET", "orders.json", params={"status": "any", "limit": 250})
    assert reply.status_code == 200
    assert len(reply.json()["orders"]) >= 60
    assert reply.headers["X-Shopify-Shop-Api-Call-Limit"].endswith("/40")


def test_finds_an_order_by_name_and_by_email(sandbox):
    found = order(sandbox, 1001)
    assert (found["email"], found["shipping_address"]["zip"]) == (
        "ava.thompson@example.com", "80202")
    reply = shopify(sandbox, "GET", "orders.json",
                    params={"email": "AVA.THOMPSON@example.com", "status": "any"})
    assert {o["name"] for o in reply.json()["orders"]} >= {"#1001", "#1031", "#1043"}


def test_default_status_open_hides_cancelled_orders(sandbox):
    reply = shopify(sandbox, "GET", "orders.json", params={"name": "1026"})
    assert reply.json() == {"orders": []}


def test_order_fulfillments_and_fulfillment_orders(sandbox):
    held = order(sandbox, 1003)
    reply = shopify(sandbox, "GET", f"orders/{held['id']}/fulfillment_orders.json")
    (fo,) = reply.json()["fulfillment_orders"]
    assert fo["status"] == "on_hold"
    assert fo["fulfillment_holds"][0]["reason"] == "inventory_out_of_stock"
    split = order(sandbox, 1028)
    reply = shopify(sandbox, "GET", f"orders/{split['id']}/fulfillments.json")
    assert len(reply.json()["fulfillments"]) == 2
    reply = shopify(sandbox, "GET", f"orders/{split['id']}.json")
    assert reply.json()["order"]["name"] == "#1028"


def test_unknown_order_is_404(sandbox):
    reply = shopify(sandbox, "GET", "orders/1.json")
    assert (reply.status_code, reply.json()) == (404, {"errors": "Not Found"})


def test_wrong_credentials_are_401(sandbox):
    reply = shopify(sandbox, "GET", "orders.json", token="shpat_wrong")
    assert reply.status_code == 401
    assert "Invalid API key or access token" in reply.json()["errors"]
    reply = easypost(sandbox, "GET", "trackers", key="EZAK_wrong")
    assert reply.status_code == 401
    assert reply.json()["error"]["code"].startswith("APIKEY.")
    reply = requests.get(f"{sandbox.url}/v2/trackers", timeout=5)
    assert reply.status_code == 401


def test_cancel_before_shipping_and_422_after(sandbox):
    pending = order(sandbox, 1002)
    reply = shopify(sandbox, "POST", f"orders/{pending['id']}/cancel.json",
                    json={"reason": "customer"})
    assert reply.status_code == 200
    assert reply.json()["order"]["cancel_reason"] == "customer"
    assert reply.json()["order"]["cancelled_at"]
    again = shopify(sandbox, "POST", f"orders/{pending['id']}/cancel.json", json={})
    assert again.status_code == 422
    shipped = order(sandbox, 1001)
    reply = shopify(sandbox, "POST", f"orders/{shipped['id']}/cancel.json", json={})
    assert reply.status_code == 422
    assert "fulfilled" in reply.json()["errors"]


def test_address_change_before_shipping_releases_the_hold_and_422_after(sandbox):
    held = order(sandbox, 1005)
    fixed = {"address2": "Apt 12", "zip": "78702"}
    reply = shopify(sandbox, "PUT", f"orders/{held['id']}.json",
                    json={"order": {"id": held["id"], "shipping_address": fixed}})
    assert reply.status_code == 200
    assert reply.json()["order"]["shipping_address"]["address2"] == "Apt 12"
    assert reply.json()["order"]["shipping_address"]["city"] == "Austin"
    fos = shopify(sandbox, "GET", f"orders/{held['id']}/fulfillment_orders.json").json()
    assert fos["fulfillment_orders"][0]["status"] == "open"
    shipped = order(sandbox, 1008)
    reply = shopify(sandbox, "PUT", f"orders/{shipped['id']}.json",
                    json={"order": {"id": shipped["id"], "shipping_address": fixed}})
    assert reply.status_code == 422


def test_tracker_create_and_fetch_for_a_seeded_parcel(sandbox):
    code = order(sandbox, 1001)["fulfillments"][0]["tracking_number"]
    reply = easypost(sandbox, "POST", "trackers",
                     json={"tracker": {"tracking_code": code, "carrier": "UPS"}})
    assert reply.status_code in (200, 201)
    created = reply.json()
    assert (created["object"], created["mode"], created["tracking_code"]) == (
        "Tracker", "test", code)
    assert created["id"].startswith("trk_")
    assert (created["status"], created["carrier"]) == ("in_transit", "UPS")
    fetched = easypost(sandbox, "GET", f"trackers/{created['id']}").json()
    assert fetched == created
    listed = easypost(sandbox, "GET", "trackers", params={"tracking_codes[]": [code]}).json()
    assert listed == {"trackers": [created], "has_more": False}


def test_tracker_for_an_unseen_code_is_unknown_and_blank_is_422(sandbox):
    reply = easypost(sandbox, "POST", "trackers",
                     json={"tracker": {"tracking_code": "EZ1000000001", "carrier": "USPS"}})
    assert (reply.json()["status"], reply.json()["tracking_details"]) == ("unknown", [])
    reply = easypost(sandbox, "POST", "trackers", json={"tracker": {"tracking_code": ""}})
    assert reply.status_code == 422
    assert reply.json()["error"]["code"] == "PARAMETER.REQUIRED"
    assert easypost(sandbox, "GET", "trackers/trk_nope").status_code == 404


def _code(sandbox, number: int) -> str:
    return order(sandbox, number)["fulfillments"][0]["tracking_number"]


def test_failure_injection_500(sandbox):
    body = {"tracker": {"tracking_code": _code(sandbox, 1040)}}
    reply = easypost(sandbox, "POST", "trackers", json=body)
    assert reply.status_code == 500
    assert reply.json()["error"]["message"]


def test_failure_injection_malformed_json(sandbox):
    body = {"tracker": {"tracking_code": _code(sandbox, 1041)}}
    reply = easypost(sandbox, "POST", "trackers", json=body)
    assert reply.status_code == 200
    assert reply.text == '{"id": "trk_'
    with pytest.raises(ValueError):
        reply.json()


def test_failure_injection_slow_tracker_outlasts_the_client_timeout(sandbox):
    code = _code(sandbox, 1042)
    with pytest.raises(requests.Timeout):
        easypost(sandbox, "GET", "trackers", params={"tracking_codes[]": [code]}, timeout=0.5)
    started = time.monotonic()
    reply = easypost(sandbox, "GET", "trackers", params={"tracking_codes[]": [code]})
    assert reply.status_code == 200 and time.monotonic() - started >= 1.4


def test_forced_429_answers_once_with_retry_after(sandbox):
    headers = {"X-Sandbox-Fault": "429"}
    first = easypost(sandbox, "GET", "trackers", headers=headers)
    assert (first.status_code, first.headers["Retry-After"]) == (429, "1")
    assert easypost(sandbox, "GET", "trackers", headers=headers).status_code == 200
    params = {"name": "#1001", "sandbox_fault": "429"}
    assert shopify(sandbox, "GET", "orders.json", params=params).status_code == 429
    assert shopify(sandbox, "GET", "orders.json", params=params).status_code == 200
    sandbox.arm_rate_limit(1)
    assert shopify(sandbox, "GET", "orders.json").status_code == 429
    assert shopify(sandbox, "GET", "orders.json").status_code == 200
