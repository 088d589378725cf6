"""The Shopify Admin REST endpoints the sandbox answers (orders, fulfillments, cancel).

Each handler takes the shared state and the parsed request and returns a Reply;
nothing here knows about sockets.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from wismo.sandbox.http import Reply

if TYPE_CHECKING:
    from wismo.sandbox.server import SandboxState

BAD_TOKEN = "[API] Invalid API key or access token (unrecognized login or wrong password)"
CANCEL_REASONS = frozenset({"customer", "inventory", "fraud", "declined", "other"})
ROUTE = re.compile(r"^/admin/api/[^/]+/orders(?:/(\d+))?(?:/(fulfillments|fulfillment_orders|"
                   r"cancel))?\.json$")


def handle(state: SandboxState, method: str, path: str, query: dict[str, list[str]],
           body: Any, headers: Any) -> Reply | None:
    """Answer a Shopify request, or None when the path is not a Shopify one."""
    if not path.startswith("/admin/api/"):
        return None
    if headers.get("X-Shopify-Access-Token") != state.shopify_token:
        return Reply(401, {"errors": BAD_TOKEN})
    reply = _route(state, method, path, query, body)
    reply.headers["X-Shopify-Shop-Api-Call-Limit"] = f"{state.shopify_calls()}/40"
    return reply


def _route(state: SandboxState, method: str, path: str, query: dict[str, list[str]],
           body: Any) -> Reply:
    match = ROUTE.match(path)
    if match is None:
        return Reply(404, {"errors": "Not Found"})
    order_id, sub = match.group(1), match.group(2)
    if order_id is None:
        if sub is None and method == "GET":
            return _list_orders(state, query)
        return Reply(404 if sub else 405, {"errors": "Not Found"})
    with state.lock:
        order = state.seed.orders.get(int(order_id))
        if order is None:
            return Reply(404, {"errors": "Not Found"})
        if sub is None and method == "GET":
            return Reply(200, {"order": _fields(order, query)})
        if sub is None and method == "PUT":
            return _update(state, order, body)
        if sub == "fulfillments" and method == "GET":
            return Reply(200, {"fulfillments": order["fulfillments"]})
        if sub == "fulfillment_orders" and method == "GET":
            return Reply(200, {"fulfillment_orders": state.seed.fulfillment_orders[order["id"]]})
        if sub == "cancel" and method == "POST":
            return _cancel(state, order, body)
    return Reply(405, {"errors": "Method Not Allowed"})


def _first(query: dict[str, list[str]], name: str) -> str | None:
    values = query.get(name)
    return values[0] if values else None


def _fields(order: dict[str, Any], query: dict[str, list[str]]) -> dict[str, Any]:
    wanted = _first(query, "fields")
    if not wanted:
        return order
    keys = [k.strip() for k in wanted.split(",")]
    return {k: order[k] for k in keys if k in order}


def _list_orders(state: SandboxState, query: dict[str, list[str]]) -> Reply:
    """GET orders.json: filters name, email, status (default open), ids, limit, fields."""
    name = (_first(query, "name") or "").strip().lstrip("#")
    email = (_first(query, "email") or "").strip().lower()
    status = _first(query, "status") or "open"
    ids = {int(i) for i in (_first(query, "ids") or "").split(",") if i.strip().isdigit()}
    try:
        limit = min(max(int(_first(query, "limit") or 50), 1), 250)
    except ValueError:
        return Reply(400, {"errors": {"limit": "must be an integer"}})
    with state.lock:
        orders = sorted(state.seed.orders.values(), key=lambda o: -o["order_number"])
        found = [
            _fields(o, query) for o in orders
            if (not name or o["name"].lstrip("#") == name)
            and (not email or (o["email"] or "").lower() == email)
            and (not ids or o["id"] in ids)
            and _status_matches(o, status)
        ]
    return Reply(200, {"orders": found[:limit]})


def _status_matches(order: dict[str, Any], status: str) -> bool:
    if status == "any":
        return True
    if status == "cancelled":
        return order["cancelled_at"] is not None
    if status == "closed":
        return order["closed_at"] is not None
    return order["cancelled_at"] is None and order["closed_at"] is None  # open


def _now() -> str:
    return datetime.now(timezone.utc).astimezone().isoformat(timespec="seconds")


def _cancel(state: SandboxState, order: dict[str, Any], body: Any) -> Reply:
    """POST orders/{id}/cancel.json: only before anything has shipped."""
    if order["cancelled_at"] is not None:
        return Reply(422, {"errors": "Order has already been cancelled"})
    if order["fulfillments"]:
        return Reply(422, {"errors": "Cannot cancel an order that has been fulfilled"})
    reason = (body or {}).get("reason") or "other"
    if reason not in CANCEL_REASONS:
        return Reply(422, {"errors": {"reason": ["is not included in the list"]}})
    now = _now()
    order["cancelled_at"] = now
    order["cancel_reason"] = reason
    order["updated_at"] = now
    order["financial_status"] = "voided" if order["financial_status"] == "pending" else "refunded"
    for fo in state.seed.fulfillment_orders[order["id"]]:
        if fo["status"] in {"open", "on_hold"}:
            fo.update(status="cancelled", supported_actions=[], fulfillment_holds=[],
                      updated_at=now)
    return Reply(200, {"order": order})


ADDRESS_FIELDS = ("first_name", "last_name", "address1", "address2", "city", "company",
                  "province", "province_code", "zip", "country", "country_code", "phone")


def _update(state: SandboxState, order: dict[str, Any], body: Any) -> Reply:
    """PUT orders/{id}.json: merge shipping_address (and note/tags) until it ships."""
    changes = (body or {}).get("order") if isinstance(body, dict) else None
    if not isinstance(changes, dict):
        return Reply(400, {"errors": {"order": "Required parameter missing or invalid"}})
    address = changes.get("shipping_address")
    if address is not None:
        if not isinstance(address, dict):
            return Reply(422, {"errors": {"shipping_address": ["is invalid"]}})
        if order["cancelled_at"] is not None:
            return Reply(422, {"errors": {"shipping_address": [
                "cannot be changed on a cancelled order"]}})
        if order["fulfillments"]:
            return Reply(422, {"errors": {"shipping_address": [
                "cannot be changed once the order has been fulfilled"]}})
        merged = order["shipping_address"] | {
            k: v for k, v in address.items() if k in ADDRESS_FIELDS}
        merged["name"] = f"{merged.get('first_name') or ''} {merged.get('last_name') or ''}".strip()
        order["shipping_address"] = merged
        for fo in state.seed.fulfillment_orders[order["id"]]:
            fo["destination"].update({k: merged.get(k) for k in fo["destination"]
                                      if k in ADDRESS_FIELDS})
            holds = [h for h in fo["fulfillment_holds"] if h["reason"] != "incorrect_address"]
            if len(holds) != len(fo["fulfillment_holds"]):  # the fix releases the hold
                fo["fulfillment_holds"] = holds
                if not holds and fo["status"] == "on_hold":
                    fo.update(status="open", supported_actions=["create_fulfillment", "hold"])
    for key in ("note", "tags", "email", "phone"):
        if key in changes:
            order[key] = changes[key]
    order["updated_at"] = _now()
    return Reply(200, {"order": order})
