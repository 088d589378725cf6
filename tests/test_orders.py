"""OrderService against in-process StoreClient/TrackerClient implementations (the protocols)."""

from __future__ import annotations

from tests.factories import make_order, make_shipment
from wismo.domain import Address, Order, Status, Tracking
from wismo.orders import OrderService


class Store:
    """A StoreClient holding orders in memory, counting the calls a real store would get."""

    def __init__(self, *orders: Order) -> None:
        self.orders = {o.number: o for o in orders}
        self.calls = 0

    def get_order(self, number: str) -> Order | None:
        self.calls += 1
        return self.orders.get(number)

    def get_order_by_id(self, order_id: str) -> Order | None:
        return next((o for o in self.orders.values() if o.id == order_id), None)

    def orders_for_email(self, email: str) -> list[Order]:
        return [o for o in self.orders.values() if o.email == email]

    def cancel_order(self, order_id: str, reason: str = "customer") -> Order:
        raise NotImplementedError

    def update_shipping_address(self, order_id: str, address: Address) -> Order:
        order = next(o for o in self.orders.values() if o.id == order_id)
        return order


class Carrier:
    """A TrackerClient that says every parcel is out for delivery."""

    def __init__(self) -> None:
        self.calls = 0

    def track(self, tracking_number: str, carrier: str | None = None) -> Tracking:
        self.calls += 1
        return Tracking(tracking_number=tracking_number, carrier=carrier,
                        status=Status.OUT_FOR_DELIVERY)


def service() -> tuple[OrderService, Store, Carrier]:
    shipment = make_shipment(status=Status.IN_TRANSIT, tracking_number="1Z999AA10123456784")
    store, carrier = Store(make_order(number="1042", shipments=[shipment])), Carrier()
    return OrderService(store, carrier), store, carrier


def test_verify_then_answer_costs_one_store_call_and_one_carrier_call_per_parcel():
    orders, store, carrier = service()
    assert orders.find("#1042") is not None
    live = orders.live("1042")
    assert live.order.shipments[0].status is Status.OUT_FOR_DELIVERY
    assert (store.calls, carrier.calls) == (1, 1)


def test_a_change_forgets_the_cached_order():
    orders, store, _ = service()
    order = orders.find("1042")
    orders.change_address(order, Address(address1="1 Main St"))
    orders.find("1042")
    assert store.calls == 2


def test_an_unknown_order_is_asked_again_next_time():
    orders, store, _ = service()
    assert orders.find("9999") is None
    assert orders.find("9999") is None
    assert store.calls == 2
