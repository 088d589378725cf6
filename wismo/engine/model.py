"""What the proactive engine detects, decides and remembers. Pure data, no I/O.

DESIGN.md ("Proactive updates"): events move an order's known state forward; each change
(or the passing of time) may produce detections; rules decide whether, when and where a
detection becomes a message; a message is an outbox row with a unique dedup key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import Enum

from wismo.domain import ExceptionReason, Status


class Kind(str, Enum):
    """Milestones and problems the engine can tell a customer about (DESIGN.md)."""

    # Milestones
    ORDER_CONFIRMED = "order_confirmed"
    SHIPPED = "shipped"
    OUT_FOR_DELIVERY = "out_for_delivery"
    DELIVERED = "delivered"
    AVAILABLE_FOR_PICKUP = "available_for_pickup"
    # Problems
    LATE = "late"  # the promised date passed, not delivered
    TRENDING_LATE = "trending_late"  # the carrier's ETA is now after the promise
    STUCK = "stuck"  # no checkpoint for longer than the lane's threshold
    NO_FIRST_SCAN = "no_first_scan"  # label created, the carrier never scanned it
    UNFULFILLED_TOO_LONG = "unfulfilled_too_long"
    ATTEMPT_FAILED = "attempt_failed"
    EXCEPTION = "exception"  # with Detection.reason: weather, customs, lost, …
    RETURN_TO_SENDER = "return_to_sender"

    @property
    def is_milestone(self) -> bool:
        return self in MILESTONES


MILESTONES = frozenset(
    {Kind.ORDER_CONFIRMED, Kind.SHIPPED, Kind.OUT_FOR_DELIVERY, Kind.DELIVERED,
     Kind.AVAILABLE_FOR_PICKUP}
)


@dataclass(frozen=True)
class Detection:
    """One thing worth telling the customer about one order (or one parcel of it).

    `revision` makes each occurrence distinct: the same kind for the same parcel with the
    same revision is the same news (a retried webhook, a second sweep) and is sent once;
    a new revision (a later checkpoint, another revised date) is new news.
    The other fields are the facts a message needs.
    """

    kind: Kind
    order_number: str
    shipment_id: str | None = None
    revision: str = ""
    reason: ExceptionReason | None = None
    at: datetime | None = None  # when it happened (the checkpoint time), if known
    new_date: date | None = None  # the revised or expected delivery date
    promised_date: date | None = None
    place: str | None = None  # where it happened: "Memphis, TN"
    carrier: str | None = None
    tracking_number: str | None = None
    action: str | None = None  # what the customer should do; None: nothing

    @property
    def dedup_key(self) -> str:
        """order:shipment:kind[:reason]:revision — unique per piece of news."""
        kind = self.kind.value + (f"/{self.reason.value}" if self.reason else "")
        return f"{self.order_number}:{self.shipment_id or '-'}:{kind}:{self.revision}"


@dataclass(frozen=True)
class ShipmentState:
    """What the engine last knew about one parcel."""

    status: Status
    checkpoint_at: datetime | None = None  # the latest carrier checkpoint seen
    reason: ExceptionReason | None = None
    carrier_eta: date | None = None


@dataclass(frozen=True)
class OrderState:
    """What the engine last knew about one order: enough to tell what changed."""

    order_number: str
    shipments: dict[str, ShipmentState] = field(default_factory=dict)
    cancelled: bool = False

