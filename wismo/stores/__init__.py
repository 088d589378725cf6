"""The store side of wismo: one small protocol every shop adapter implements.

Why a protocol: the order service, the sandbox and the tests all plug a store in
the same way, so swapping Shopify for another platform touches no caller.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from wismo.domain import Address, Order


@runtime_checkable
class StoreClient(Protocol):
    """What wismo needs from an online store.

    Lookups return None (or an empty list) for "not found"; every other failure
    is one of :mod:`wismo.errors`.
    """

    def get_order(self, number: str) -> Order | None:
        """The order with this customer-facing number ("1042", "#1042", "WS-10023")."""
        ...

    def get_order_by_id(self, order_id: str) -> Order | None:
        """The order with the store's own id (webhooks about fulfillments carry only that)."""
        ...

    def orders_for_email(self, email: str) -> list[Order]:
        """Every order placed with this email address, newest first."""
        ...

    def cancel_order(self, order_id: str, reason: str = "customer") -> Order:
        """Cancel the order (by the store's id); ProviderRejected when it is too late."""
        ...

    def update_shipping_address(self, order_id: str, address: Address) -> Order:
        """Replace the shipping address; ProviderRejected when it is too late."""
        ...


__all__ = ["StoreClient"]
