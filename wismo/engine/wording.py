"""A detection's facts in the customer's words: who, when, what next. Pure, no I/O.

``subject`` names the order or the parcel the way ``wismo.answers`` does ("Parcel 1 of 2
(Headphones)"), plus the order number, since an update arrives without a question before it.
``Facts`` gives each message template its dates, times and next step.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, tzinfo

from wismo import eta
from wismo.answers import words
from wismo.answers.parcels import FOLLOW_UP_BUSINESS_DAYS
from wismo.answers.status import unshipped
from wismo.domain import Order, Shipment
from wismo.engine.model import Detection

NO_ACTION = "No action is needed — we'll keep you posted."


def subject(d: Detection, order: Order) -> str:
    """'Your order #1042', 'Parcel 2 of 2 (Socks) from your order #1042', or the rest."""
    mine = f"your order {order.display_number}"
    ships = order.shipments
    rest = unshipped(order)
    index = next((n for n, s in enumerate(ships, 1) if s.id == d.shipment_id), None)
    if d.shipment_id is None and ships and rest:
        return f"The rest of {mine} ({words.items_text(rest)})"
    if index is None or (len(ships) == 1 and not rest):
        return f"Your order {order.display_number}"
    label = f"Parcel {index} of {len(ships)}" if len(ships) > 1 else "The first parcel"
    items = words.items_text(ships[index - 1].items)
    return f"{label} ({items}) from {mine}" if items else f"{label} from {mine}"


class Facts:
    """What every template reads: the detection, the order, the parcel, and the day."""

    def __init__(self, d: Detection, order: Order, shipment: Shipment | None, today: date,
                 tz: tzinfo | None) -> None:
        self.d, self.order, self.s, self.today, self.tz = d, order, shipment, today, tz
        self.subject = subject(d, order)
        self.it = self.subject[:1].lower() + self.subject[1:]  # mid-sentence
        self.carrier = d.carrier or words.carrier_name(shipment.carrier if shipment else None)
        self.known = self.carrier != words.carrier_name(None)  # a name, not "the carrier"
        self.near = f" near {d.place}" if d.place else ""
        self.follow_up = eta.format_day(
            eta.add_business_days(today, FOLLOW_UP_BUSINESS_DAYS), today)

    def day(self, d: date) -> str:
        return eta.format_day(d, self.today)

    def on(self, d: date) -> str:
        return eta.on_day(d, self.today)

    def moment(self, at: datetime | None) -> str:
        """'today at 2:14 PM', 'on Monday, November 23' — or 'today' when unknown."""
        day = self.on_day_of(at)
        if at is None or (self.tz is None and at.utcoffset() in (None, timedelta(0))):
            return day
        local = at.astimezone(self.tz) if self.tz and at.tzinfo else at
        return f"{day} at {eta.format_time(local.time())}"

    def on_day_of(self, at: datetime | None) -> str:
        """'today', 'on Monday, November 23': the day of ``at`` in the customer's zone."""
        if at is None:
            return "today"
        return self.on((at.astimezone(self.tz) if self.tz and at.tzinfo else at).date())

    def new_date(self) -> str:
        """' New delivery date: Friday, November 27.' with an apology if past the promise."""
        d = self.d
        if d.new_date is None:
            return f" We'll send you the new delivery date as soon as {self.carrier} has one."
        text = f" New delivery date: {self.day(d.new_date)}."
        return text + self.slip()

    def slip(self) -> str:
        d = self.d
        if d.new_date and d.promised_date and d.new_date > d.promised_date:
            return f" We'd promised it for {self.day(d.promised_date)} — sorry about that."
        return ""

    def overdue(self) -> str:
        """' It was due on Friday, November 20 — we're sorry it's late.' once past the promise."""
        promised = self.d.promised_date
        if promised is None or promised >= self.today:
            return ""
        return f" It was due {self.on(promised)} — we're sorry it's late."

    def please(self, default: str | None = None, then: str = "") -> str:
        """' Please <the detection's action, else default><then>.' — or that none is needed."""
        action = self.d.action or default
        return f" Please {action}{then}." if action else f" {NO_ACTION}"

    def link(self) -> str:
        s = self.s
        if s and s.tracking_url:
            return f" Track it here: {s.tracking_url}"
        return f" Tracking number: {s.tracking_number}." if s and s.tracking_number else ""
