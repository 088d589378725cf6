"""Keyword-argument factories for engine tests: detections, conversations, sent messages.

Defaults describe one ordinary case: order #1042's parcel `ful-1` shipped, and Ava, verified
on Telegram an hour before ``NOW`` (Tuesday, November 24, 2026, 15:00 UTC — 10:00 in New
York, the rules' default time zone). Override just what the test is about::

    make_detection(Kind.EXCEPTION, reason=ExceptionReason.LOST)
    make_contact("whatsapp", last_inbound_at=NOW - timedelta(hours=30))
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from tests.factories import NOW
from wismo.contacts import Contact
from wismo.engine.model import Detection, Kind
from wismo.engine.rules import Sent

EMAIL = "ava@example.com"
PHONE = "+13035550142"

__all__ = ["EMAIL", "NOW", "PHONE", "make_contact", "make_detection", "make_sent"]


def make_detection(kind: Kind = Kind.SHIPPED, **overrides: Any) -> Detection:
    """News about order #1042's parcel ful-1 (revision "1"); any Detection field can be passed."""
    fields: dict[str, Any] = dict(
        order_number="1042", shipment_id="ful-1", revision="1", carrier="UPS",
        tracking_number="1Z999AA10123456784",
    )
    fields.update(overrides)
    return Detection(kind=kind, **fields)


def make_contact(
    channel: str = "telegram",
    *,
    conversation_id: str | None = None,
    last_inbound_at: datetime | None = NOW - timedelta(hours=1),
    notifications: bool = True,
    **overrides: Any,
) -> Contact:
    """Ava's verified conversation on ``channel``; the id is ``channel:phone`` unless given."""
    fields: dict[str, Any] = dict(email=EMAIL, phone=PHONE, order_number="1042",
                                  verified_at=NOW - timedelta(days=1))
    fields.update(overrides)
    return Contact(
        conversation_id=conversation_id or f"{channel}:{PHONE}", channel=channel,
        last_inbound_at=last_inbound_at, notifications=notifications, **fields,
    )


def make_sent(
    *, at: datetime = NOW - timedelta(hours=1), order_number: str = "1042",
    keys: tuple[str, ...] = (),
) -> Sent:
    """One message already sent about #1042 an hour before NOW."""
    return Sent(order_number=order_number, at=at, keys=keys)
