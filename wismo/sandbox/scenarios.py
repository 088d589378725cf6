"""The sandbox's orders, one line each: who, what, how it ships and where it is now.

Every number is relative to the day the sandbox starts (``today``): ``shipped`` and
``last`` are days before now, ``eta`` and ``promise`` days after today (negative =
already passed). Keep numbers stable: docs/sandbox.md and the README quote them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Parcel:
    """One shipment (a Shopify fulfillment with its EasyPost tracker).

    kind: label, transit, ofd, delivered, pickup, attempt, weather, delayed, address,
    customs, damaged, lost, rts (see tracking.py for the checkpoints each one gets).
    """

    carrier: str
    kind: str
    shipped: float  # days before now the label was created
    last: float | None = None  # days before now of the last checkpoint
    eta: int | None = None  # carrier's estimated delivery, days from today
    items: tuple[str, ...] | None = None  # product keys; None = every item of the order
    detail: str = "arrived_at_facility"  # last status_detail of a plain "transit" parcel
    hops: int | None = None  # hubs reached so far (transit and exceptions); None = all
    message: str | None = None  # wording of the final checkpoint, when it matters
    signed_by: str | None = None
    window: str | None = None  # est_delivery_time_local
    fault: str | None = None  # "500", "malformed" or "slow": the tracker misbehaves


@dataclass(frozen=True)
class Scenario:
    number: int
    customer: str
    items: tuple[str, ...]  # product keys, "key*2" for a quantity
    state: str  # what the order demonstrates (docs, tests, --list)
    parcels: tuple[Parcel, ...] = ()
    promise: int | None = None  # promised delivery, days from today
    created: float | None = None  # days before now the order was placed
    hold: str | None = None  # fulfillment hold reason of the unshipped items
    cancel: str | None = None  # cancel_reason of a cancelled order


def _o(number, customer, items, state, *parcels, **kw) -> Scenario:
    return Scenario(number, customer, tuple(items.split()), state, tuple(parcels), **kw)


P = Parcel
FRONT = "Delivered, Front Door/Porch"
LOCKER = "Delivered, Parcel Locker"

SCENARIOS: tuple[Scenario, ...] = (
    _o(1001, "ava", "socks*2 mug", "in_transit",
       P("ups", "transit", 3, 0.3, eta=1), promise=2),
    _o(1002, "marcus", "jacket", "pending", created=0.2, promise=6),
    _o(1003, "priya", "throw", "pending_hold_out_of_stock", created=3,
       hold="inventory_out_of_stock", promise=4),
    _o(1004, "james", "boots", "pending_hold_awaiting_payment", created=1,
       hold="awaiting_payment", promise=5),
    _o(1005, "sofia", "lantern headlamp", "pending_hold_incorrect_address", created=2,
       hold="incorrect_address", promise=3),
    _o(1006, "ethan", "backpack", "label_created", P("usps", "label", 0.6), promise=5),
    _o(1007, "grace", "hammock", "label_created_no_scan", P("fedex", "label", 4), promise=1),
    _o(1008, "daniel", "chair", "in_transit",
       P("fedex", "transit", 2, 0.4, eta=2, detail="departed_facility", hops=1), promise=3),
    _o(1009, "hannah", "blanket", "in_transit_trending_late",
       P("usps", "transit", 3, 0.5, eta=3, detail="in_transit", hops=1), promise=1),
    _o(1010, "noah", "bottle cutlery", "late",
       P("ups", "transit", 8, 0.6, eta=1), promise=-2),
    _o(1011, "chloe", "candle*2", "stuck",
       P("usps", "transit", 10, 7, eta=-3, hops=2), promise=-1),
    _o(1012, "liam", "stove headlamp", "out_for_delivery_window",
       P("ups", "ofd", 3, 0.15, eta=0, window="14:00"), promise=1),
    _o(1013, "emma", "jacket", "out_for_delivery", P("fedex", "ofd", 4, 0.2, eta=0), promise=0),
    _o(1014, "mia", "throw", "delivered", P("usps", "delivered", 6, 2, message=FRONT),
       promise=-1),
    _o(1015, "lucas", "boots", "delivered_signed",
       P("ups", "delivered", 5, 1, message="Delivered", signed_by="L GARCIA"), promise=0),
    _o(1016, "isabella", "mug*2", "delivered_locker",
       P("usps", "delivered", 4, 1.2, message=LOCKER), promise=0),
    _o(1017, "ben", "lantern", "available_for_pickup",
       P("ups", "pickup", 4, 0.8, message="Delivered to UPS Access Point: CVS Pharmacy, "
         "500 Church St, Nashville TN 37219. Available for pickup"), promise=0),
    _o(1018, "zoe", "backpack", "attempt_failed", P("fedex", "attempt", 4, 0.9, eta=1),
       promise=0),
    _o(1019, "henry", "chair", "exception_weather",
       P("ups", "weather", 4, 1, eta=2, hops=2), promise=1),
    _o(1020, "aria", "blanket", "exception_carrier_delay",
       P("fedex", "delayed", 5, 0.8, eta=2), promise=0),
    _o(1021, "samuel", "boots", "exception_address_issue", P("ups", "address", 4, 0.7),
       promise=0),
    _o(1022, "lena", "jacket socks", "exception_customs",
       P("dhl", "customs", 5, 2, eta=3, hops=2), promise=2),
    _o(1023, "layla", "lantern mug", "exception_damaged",
       P("usps", "damaged", 6, 1, hops=1), promise=-1),
    _o(1024, "ella", "throw", "exception_lost", P("fedex", "lost", 16, 2, hops=1), promise=-9),
    _o(1025, "jack", "hammock", "return_to_sender", P("usps", "rts", 12, 1.5), promise=-5),
    _o(1026, "nora", "stove", "cancelled_customer", created=2, cancel="customer", promise=5),
    _o(1027, "caleb", "chair", "cancelled_inventory", created=5, cancel="inventory",
       promise=1),
    _o(1028, "ruby", "boots socks mug", "split_delivered_and_in_transit",
       P("ups", "delivered", 5, 1, items=("boots",), message=FRONT),
       P("usps", "transit", 2, 0.5, eta=2, items=("socks", "mug"), hops=1), promise=1),
    _o(1029, "priya", "lantern blanket", "split_out_for_delivery_and_in_transit",
       P("fedex", "ofd", 3, 0.2, eta=0, items=("lantern",)),
       P("ups", "transit", 2, 0.4, eta=2, items=("blanket",), detail="departed_facility",
         hops=1), promise=1),
    _o(1030, "marcus", "backpack bottle headlamp", "split_delivered_and_label_created",
       P("ups", "delivered", 6, 1.5, items=("backpack", "bottle"), message=FRONT),
       P("usps", "label", 1, items=("headlamp",)), promise=2),
    _o(1031, "ava", "jacket throw", "partially_fulfilled",
       P("ups", "transit", 2, 0.5, eta=2, items=("jacket",), hops=1), promise=3),
    _o(1032, "olivia", "jacket", "in_transit", P("canadapost", "transit", 2, 0.4, eta=2),
       promise=4),
    _o(1033, "felix", "throw", "delivered", P("canadapost", "delivered", 7, 2, message=(
        "Delivered to your community mailbox, parcel locker or apt./condo mailbox")),
       promise=-1),
    _o(1034, "charlotte", "candle blanket", "delivered_signed",
       P("royalmail", "delivered", 4, 1, message="Delivered", signed_by="EVANS"), promise=0),
    _o(1035, "charlotte", "mug", "in_transit", P("royalmail", "transit", 1, 0.4, eta=1),
       promise=2),
    _o(1036, "oliver", "boots", "out_for_delivery", P("dhl", "ofd", 4, 0.2, eta=0),
       promise=1),
    _o(1037, "jonas", "backpack", "delivered_signed",
       P("dhl", "delivered", 6, 2, message="Delivered", signed_by="J MUELLER"), promise=-1),
    _o(1038, "matilda", "hammock socks", "in_transit",
       P("dhl", "transit", 4, 0.8, eta=3, detail="departed_facility", hops=2), promise=5),
    _o(1039, "harrison", "lantern", "exception_customs",
       P("dhl", "customs", 6, 1.5, eta=2, hops=3), promise=1),
    _o(1040, "owen", "headlamp", "fault_tracker_500",
       P("ups", "transit", 2, 0.5, eta=1, fault="500"), promise=2),
    _o(1041, "emma", "bottle", "fault_tracker_malformed",
       P("fedex", "transit", 2, 0.5, eta=2, fault="malformed"), promise=3),
    _o(1042, "daniel", "cutlery", "fault_tracker_slow",
       P("usps", "transit", 2, 0.5, eta=2, fault="slow"), promise=3),
    _o(1043, "ava", "lantern", "delivered", P("ups", "delivered", 20, 15, message=FRONT),
       promise=-14),
    _o(1044, "priya", "candle", "delivered", P("usps", "delivered", 30, 26, message=FRONT),
       promise=-25),
    _o(1045, "marcus", "stove cutlery", "in_transit",
       P("fedex", "transit", 2, 0.3, eta=3, hops=2), promise=4),
    _o(1046, "james", "headlamp", "delivered", P("fedex", "delivered", 14, 11, message=FRONT),
       promise=-10),
    _o(1047, "sofia", "bottle", "in_transit",
       P("ups", "transit", 2, 0.4, eta=2, detail="departed_facility", hops=2), promise=3),
    _o(1048, "grace", "socks*3", "delivered_locker",
       P("usps", "delivered", 9, 6, message=LOCKER), promise=-5),
    _o(1049, "hannah", "journal", "delivered", P("usps", "delivered", 11, 8, message=FRONT),
       promise=-7),
    _o(1050, "priya", "mug*4", "label_created", P("ups", "label", 0.4), promise=4),
    _o(1051, "noah", "jacket", "delivered",
       P("fedex", "delivered", 18, 14, message="Delivered, Left at front desk"), promise=-13),
    _o(1052, "liam", "throw", "pending", created=0.5, promise=5),
    _o(1053, "emma", "candle journal", "delivered",
       P("ups", "delivered", 8, 5, message=FRONT), promise=-4),
    _o(1054, "mia", "boots", "in_transit", P("fedex", "transit", 1, 0.3, eta=3, hops=0),
       promise=4),
    _o(1055, "lucas", "hammock", "pending", created=1, promise=5),
    _o(1056, "isabella", "blanket", "late",
       P("fedex", "transit", 7, 0.5, eta=1, detail="departed_facility", hops=1), promise=-1),
    _o(1057, "zoe", "mug", "delivered", P("usps", "delivered", 15, 12, message=FRONT),
       promise=-11),
    _o(1058, "henry", "socks", "out_for_delivery", P("usps", "ofd", 3, 0.15, eta=0),
       promise=0),
    _o(1059, "aria", "lantern", "delivered_signed",
       P("ups", "delivered", 10, 7, message="Delivered", signed_by="A WHITE"), promise=-6),
    _o(1060, "samuel", "bottle", "in_transit", P("usps", "transit", 2, 0.6, eta=2, hops=1),
       promise=3),
    _o(1061, "layla", "journal socks", "delivered",
       P("fedex", "delivered", 12, 9, message=FRONT), promise=-8),
    _o(1062, "olivia", "candle", "delivered",
       P("canadapost", "delivered", 16, 12, message="Delivered to your front door"),
       promise=-11),
    _o(1063, "lena", "mug", "delivered", P("dhl", "delivered", 25, 20, message="Delivered"),
       promise=-19),
    _o(1064, "jack", "headlamp", "out_for_delivery", P("ups", "ofd", 2, 0.15, eta=0),
       promise=1),
    _o(1065, "ruby", "chair", "pending", created=1.5, promise=4),
)
