"""ShopifyClient: the StoreClient over the Shopify Admin REST API.

Why so thin: timeouts, retries and error mapping live in JsonHttpClient and
payload parsing in :mod:`wismo.stores.shopify_parse`; this module only knows
which endpoint answers which question. The same code talks to a real store or
to the local sandbox: only ``store_url`` differs.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import asdict, replace
from typing import Any

import requests

from wismo.domain import Address, Order
from wismo.errors import ConfigError, ProviderResponseError, ProviderUnavailable
from wismo.http import JsonHttpClient
from wismo.stores.shopify_parse import PROVIDER, parse_hold_reason, parse_order

log = logging.getLogger(__name__)

DEFAULT_API_VERSION = "2024-10"
# Fulfillment states after which nothing is left waiting in the warehouse.
_DONE_FULFILLMENT_STATUSES = frozenset({"fulfilled", "restocked"})
# A missing scope (403) or an API without fulfillment orders (404) must not
# cost the customer the whole answer.
_HOLD_LOOKUP_SKIPPABLE = frozenset({403, 404})


class ShopifyClient:
    """Reads and changes orders through the Shopify Admin REST API.

    Args:
        store_url: base URL, e.g. ``https://myshop.myshopify.com`` or the sandbox's.
        access_token: an Admin API access token, sent as ``X-Shopify-Access-Token``.
        api_version: the dated API version in every path.
        timeout, retries, session, sleep: passed to :class:`JsonHttpClient`.
    """

    def __init__(
        self,
        store_url: str,
        access_token: str,
        *,
        api_version: str = DEFAULT_API_VERSION,
        timeout: float | None = None,
        retries: int | None = None,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        if "://" not in store_url:
            store_url = f"https://{store_url}"
        options: dict[str, Any] = {}
        if timeout is not None:
            options["timeout"] = timeout
        if retries is not None:
            options["retries"] = retries
        if sleep is not None:
            options["sleep"] = sleep
        self.api_version = api_version
        self._http = JsonHttpClient(
            PROVIDER,
            store_url,
            headers={"X-Shopify-Access-Token": access_token},
            session=session,
            **options,
        )

    @classmethod
    def from_env(cls, env: Mapping[str, str], **options: Any) -> ShopifyClient:
        """Built from SHOPIFY_STORE_URL, SHOPIFY_ACCESS_TOKEN and SHOPIFY_API_VERSION."""
        for name in ("SHOPIFY_STORE_URL", "SHOPIFY_ACCESS_TOKEN"):
            if not (env.get(name) or "").strip():
                raise ConfigError(f"{name} is not set: the Shopify store needs it")
        return cls(
            env["SHOPIFY_STORE_URL"].strip(),
            env["SHOPIFY_ACCESS_TOKEN"].strip(),
            api_version=(env.get("SHOPIFY_API_VERSION") or "").strip() or DEFAULT_API_VERSION,
            **options,
        )

    # --- StoreClient ---------------------------------------------------------

    def get_order(self, number: str) -> Order | None:
        """The order whose name is this number ("1042", "#1042", "ws-10023"), else None."""
        wanted = _bare_number(number)
        if not wanted:
            return None
        for name in dict.fromkeys((f"#{wanted}", wanted)):
            body = self._http.get(self._path("orders.json"),
                                  params={"name": name, "status": "any"})
            for raw in _orders(body):
                if _bare_number(str(raw.get("name") or "")).lower() == wanted.lower():
                    return self._with_hold(parse_order(raw))
        return None

    def get_order_by_id(self, order_id: str) -> Order | None:
        """The order with this Shopify id (numeric or a gid://shopify/Order/… id), else None."""
        payload = self.order_payload(order_id)
        return None if payload is None else self._with_hold(parse_order(payload))

    def order_payload(self, order_id: str) -> dict[str, Any] | None:
        """The order as Shopify sends it (what an orders/* webhook carries), else None.

        The proactive engine keeps payloads like this one, so it can fold later webhooks
        into an order it first heard of through a fulfillment.
        """
        numeric = str(order_id).strip().rsplit("/", 1)[-1]  # gid://shopify/Order/450789469
        if not numeric.isdigit():
            return None
        body = self._http.get(self._path(f"orders/{numeric}.json"), allow_404=True)
        return None if body is None else _order(body)

    def orders_for_email(self, email: str) -> list[Order]:
        """Every order placed with this email, newest first.

        Hold reasons are not looked up here (one more call per order); ask
        ``get_order`` for the one the customer picks.
        """
        wanted = email.strip().lower()
        if not wanted:
            return []  # an empty filter would list every order in the shop
        body = self._http.get(self._path("orders.json"),
                              params={"email": email.strip(), "status": "any"})
        orders = [parse_order(raw) for raw in _orders(body)]
        mine = [o for o in orders if (o.email or "").strip().lower() == wanted]
        return sorted(mine, key=lambda o: o.created_at, reverse=True)

    def cancel_order(self, order_id: str, reason: str = "customer") -> Order:
        """Cancel and email the customer; ProviderRejected (422) once it has shipped."""
        body = self._http.post(
            self._path(f"orders/{_numeric_id(order_id)}/cancel.json"),
            json={"reason": reason, "email": True},
        )
        order = parse_order(_order(body))
        log.info("order cancelled", extra={"order_id": order.id, "reason": reason})
        return order

    def update_shipping_address(self, order_id: str, address: Address) -> Order:
        """Replace the shipping address; ProviderRejected (422) once it has shipped."""
        numeric = _numeric_id(order_id)
        body = self._http.put(
            self._path(f"orders/{numeric}.json"),
            json={"order": {"id": int(numeric), "shipping_address": address_payload(address)}},
        )
        order = self._with_hold(parse_order(_order(body)))
        log.info("shipping address changed", extra={"order_id": order.id})
        return order

    # --- helpers -------------------------------------------------------------

    def _path(self, tail: str) -> str:
        return f"admin/api/{self.api_version}/{tail}"

    def _with_hold(self, order: Order) -> Order:
        """The order with ``hold_reason`` filled in when part of it still waits to ship."""
        if order.is_cancelled or order.fulfillment_status in _DONE_FULFILLMENT_STATUSES:
            return order
        try:
            body = self._http.get(self._path(f"orders/{order.id}/fulfillment_orders.json"))
        except ProviderResponseError as exc:
            if exc.status not in _HOLD_LOOKUP_SKIPPABLE:
                raise
            log.warning("fulfillment orders unavailable",
                        extra={"order_id": order.id, "status": exc.status})
            return order
        except ProviderUnavailable as exc:
            log.warning("fulfillment orders unavailable",
                        extra={"order_id": order.id, "error": str(exc)})
            return order
        hold = parse_hold_reason(body)
        return replace(order, hold_reason=hold) if hold else order


def address_payload(address: Address) -> dict[str, str]:
    """An Address as Shopify's REST ``shipping_address`` (only the fields that are set).

    Shopify derives ``name`` from first and last name, so the name is split
    at its last space.
    """
    fields = {k: v for k, v in asdict(address).items() if v is not None and k != "name"}
    if address.name and address.name.strip():
        first, _, last = address.name.strip().rpartition(" ")
        if first:
            fields.update(first_name=first, last_name=last)
        else:
            fields["first_name"] = last
    return fields


def _bare_number(value: str) -> str:
    return value.strip().lstrip("#").strip()


def _numeric_id(order_id: str) -> str:
    text = str(order_id).strip()
    if not re.fullmatch(r"\d+", text):
        raise ValueError(f"not a Shopify order id: {order_id!r}")
    return text


def _orders(body: Any) -> list[dict[str, Any]]:
    orders = body.get("orders") if isinstance(body, dict) else None
    if not isinstance(orders, list) or not all(isinstance(o, dict) for o in orders):
        raise ProviderResponseError(PROVIDER, "unexpected payload: no orders list")
    return orders


def _order(body: Any) -> dict[str, Any]:
    order = body.get("order") if isinstance(body, dict) else None
    if not isinstance(order, dict):
        raise ProviderResponseError(PROVIDER, "unexpected payload: no order object")
    return order


__all__ = ["DEFAULT_API_VERSION", "ShopifyClient", "address_payload", "parse_order"]
