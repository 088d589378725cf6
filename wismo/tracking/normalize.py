"""Every provider's status vocabulary mapped onto our one `Status` + `ExceptionReason`.

Pure functions, no I/O. Answers, ETA and the engine only ever see the canonical
names (DESIGN.md, "Domain vocabulary"), so a new provider means a new function
here, not new branches everywhere. Unrecognised codes map to `Status.UNKNOWN`
(never an error): a carrier inventing a code must not break a conversation.
The vocabularies come from ``shared/data/providers/status_vocabularies.json``.
"""

from __future__ import annotations

import re

from wismo.domain import ExceptionReason, Status

Normalized = tuple[Status, ExceptionReason | None]

_UNKNOWN: Normalized = (Status.UNKNOWN, None)

# Checked in order: the first match wins, so the specific cause ("weather",
# "customs") beats the generic symptom ("delayed") in "Weather delay".
_REASON_PATTERNS: tuple[tuple[ExceptionReason, re.Pattern[str]], ...] = tuple(
    (reason, re.compile(pattern, re.IGNORECASE))
    for reason, pattern in (
        (ExceptionReason.CUSTOMS, r"\bcustoms?\b|\bclearance\b|\bimport dut|\bduties\b"),
        (
            ExceptionReason.WEATHER,
            r"\bweather\b|\bstorms?\b|\bsnow|\bhurricane|\bblizzard|\bflood|\btornado"
            r"|\bwildfire|\bnatural disaster",
        ),
        (ExceptionReason.DAMAGED, r"\bdamage"),
        (ExceptionReason.LOST, r"\blost\b|\b(?:not be|unable to|cannot) locate"),
        (ExceptionReason.REFUSED, r"\brefus"),
        (
            ExceptionReason.ADDRESS_ISSUE,
            r"\baddress|\bcustomer moved\b|\brecipient moved\b|\bno such street",
        ),
        (ExceptionReason.CARRIER_DELAY, r"\bdelay|\bmissort|\bmis-sort|\bmisrout|\blate\b"),
    )
)


def reason_from_text(message: str | None) -> ExceptionReason | None:
    """Why a parcel is stuck, read from the carrier's free text.

    Used when the codes say "exception" or "held" but not why; returns None when
    the text names no cause we know (the caller decides between None and OTHER).
    """
    if not message:
        return None
    for reason, pattern in _REASON_PATTERNS:
        if pattern.search(message):
            return reason
    return None


def _key(value: str | None) -> str:
    """Case- and separator-insensitive lookup key: "In Transit" == "in_transit"."""
    return re.sub(r"[\s_\-]+", "_", value.strip()).lower() if value else ""


# --- EasyPost: Tracker.status + status_detail ------------------------------------------

_EASYPOST_SIMPLE: dict[str, Status] = {
    "pre_transit": Status.LABEL_CREATED,
    "out_for_delivery": Status.OUT_FOR_DELIVERY,
    "delivered": Status.DELIVERED,
    "available_for_pickup": Status.AVAILABLE_FOR_PICKUP,
    "return_to_sender": Status.RETURN_TO_SENDER,
    "cancelled": Status.CANCELLED,
}

# in_transit details that mean "something is wrong", with the reason they imply.
_EASYPOST_TRANSIT_PROBLEMS: dict[str, ExceptionReason] = {
    "weather_delay": ExceptionReason.WEATHER,
    "delayed": ExceptionReason.CARRIER_DELAY,
    "transit_exception": ExceptionReason.CARRIER_DELAY,
    "missorted": ExceptionReason.CARRIER_DELAY,
    "address_correction": ExceptionReason.ADDRESS_ISSUE,
    "awaiting_information": ExceptionReason.ADDRESS_ISSUE,
    "damaged": ExceptionReason.DAMAGED,
    "lost": ExceptionReason.LOST,
    "refused": ExceptionReason.REFUSED,
}

# in_transit details that are really a later milestone.
_EASYPOST_TRANSIT_MILESTONES: dict[str, Status] = {
    "out_for_delivery": Status.OUT_FOR_DELIVERY,
    "arrived_at_pickup_location": Status.AVAILABLE_FOR_PICKUP,
    "return": Status.RETURN_TO_SENDER,
}

_EASYPOST_FAILURE_REASONS: dict[str, ExceptionReason] = {
    "damaged": ExceptionReason.DAMAGED,
    "lost": ExceptionReason.LOST,
    "refused": ExceptionReason.REFUSED,
    "address_correction": ExceptionReason.ADDRESS_ISSUE,
}


def from_easypost(
    status: str | None, status_detail: str | None, message: str | None = None
) -> Normalized:
    """EasyPost's status/status_detail pair (and the checkpoint message for the "why").

    ``delivery_exception`` is a failed delivery attempt whatever the status says;
    ``held`` is an exception whose cause only the message tells (usually customs).
    """
    code, detail = _key(status), _key(status_detail)
    if detail == "delivery_exception":
        return Status.ATTEMPT_FAILED, None
    if code in _EASYPOST_SIMPLE:
        return _EASYPOST_SIMPLE[code], None
    if code == "in_transit":
        if detail in _EASYPOST_TRANSIT_PROBLEMS:
            return Status.EXCEPTION, _EASYPOST_TRANSIT_PROBLEMS[detail]
        if detail == "held":
            return Status.EXCEPTION, reason_from_text(message) or ExceptionReason.OTHER
        return _EASYPOST_TRANSIT_MILESTONES.get(detail, Status.IN_TRANSIT), None
    if code == "failure":
        reason = _EASYPOST_FAILURE_REASONS.get(detail) or reason_from_text(message)
        return Status.EXCEPTION, reason or ExceptionReason.OTHER
    return _UNKNOWN  # "unknown", "error", None and any code EasyPost adds later


# --- Shopify: REST fulfillment.shipment_status, GraphQL FulfillmentEvent/DisplayStatus ---

_SHOPIFY: dict[str, Status] = {
    "label_printed": Status.LABEL_CREATED,
    "label_purchased": Status.LABEL_CREATED,
    "confirmed": Status.LABEL_CREATED,
    "submitted": Status.LABEL_CREATED,
    "fulfilled": Status.LABEL_CREATED,
    "marked_as_fulfilled": Status.LABEL_CREATED,
    "carrier_picked_up": Status.IN_TRANSIT,
    "in_transit": Status.IN_TRANSIT,
    "out_for_delivery": Status.OUT_FOR_DELIVERY,
    "ready_for_pickup": Status.AVAILABLE_FOR_PICKUP,
    "ready_for_recipient_pickup": Status.AVAILABLE_FOR_PICKUP,
    "attempted_delivery": Status.ATTEMPT_FAILED,
    "not_delivered": Status.ATTEMPT_FAILED,
    "delivered": Status.DELIVERED,
    "picked_up": Status.DELIVERED,  # the customer collected it (carrier pickup is above)
    "delayed": Status.EXCEPTION,
    "failure": Status.EXCEPTION,
    "buyer_action_required": Status.EXCEPTION,
    "returning_to_sender": Status.RETURN_TO_SENDER,
    "canceled": Status.CANCELLED,
    "cancelled": Status.CANCELLED,
    "label_voided": Status.CANCELLED,
}


def from_shopify_shipment_status(value: str | None) -> Status:
    """A Shopify fulfillment's shipment status, REST or GraphQL spelling, any case.

    None (or empty) means the fulfillment exists but the carrier has said nothing
    yet, so it is at least ``label_created`` (Shopify's own default is CONFIRMED).
    A value Shopify adds later maps to ``unknown`` rather than a guess.
    """
    key = _key(value)
    if not key:
        return Status.LABEL_CREATED
    return _SHOPIFY.get(key, Status.UNKNOWN)


# --- AfterShip: tag + subtag (e.g. "Exception", "Exception_004") --------------------------

_AFTERSHIP_TAGS: dict[str, Status] = {
    "pending": Status.UNKNOWN,  # tracking added, carrier has no data yet
    "inforeceived": Status.LABEL_CREATED,
    "intransit": Status.IN_TRANSIT,
    "outfordelivery": Status.OUT_FOR_DELIVERY,
    "attemptfail": Status.ATTEMPT_FAILED,
    "delivered": Status.DELIVERED,
    "availableforpickup": Status.AVAILABLE_FOR_PICKUP,
    "exception": Status.EXCEPTION,
    "expired": Status.UNKNOWN,  # no checkpoint for 30 days: the engine calls that "stuck"
}

_AFTERSHIP_SUBTAGS: dict[str, Normalized] = {
    "outfordelivery_002": (Status.AVAILABLE_FOR_PICKUP, None),
    "exception_001": (Status.EXCEPTION, ExceptionReason.OTHER),
    "exception_002": (Status.EXCEPTION, ExceptionReason.ADDRESS_ISSUE),  # customer moved
    "exception_003": (Status.EXCEPTION, ExceptionReason.REFUSED),
    "exception_004": (Status.EXCEPTION, ExceptionReason.CUSTOMS),
    "exception_005": (Status.EXCEPTION, ExceptionReason.CARRIER_DELAY),  # external factors
    "exception_006": (Status.EXCEPTION, ExceptionReason.OTHER),  # held for payment
    "exception_007": (Status.EXCEPTION, ExceptionReason.ADDRESS_ISSUE),
    "exception_008": (Status.EXCEPTION, ExceptionReason.OTHER),  # pickup missed
    "exception_009": (Status.EXCEPTION, ExceptionReason.OTHER),  # rejected by carrier
    "exception_010": (Status.RETURN_TO_SENDER, None),
    "exception_011": (Status.RETURN_TO_SENDER, None),
    "exception_012": (Status.EXCEPTION, ExceptionReason.DAMAGED),
    "exception_013": (Status.EXCEPTION, ExceptionReason.LOST),
    "exception_016": (Status.EXCEPTION, ExceptionReason.CARRIER_DELAY),  # processing issue
    "exception_017": (Status.EXCEPTION, ExceptionReason.WEATHER),
    "exception_018": (Status.EXCEPTION, ExceptionReason.CUSTOMS),  # documents for regulators
}


def from_aftership(tag: str | None, subtag: str | None = None) -> Normalized:
    """AfterShip's tag, refined by its subtag (the subtag alone is enough too)."""
    sub = _key(subtag)
    tag_key = _key(tag).replace("_", "") or sub.partition("_")[0]
    if sub in _AFTERSHIP_SUBTAGS and sub.startswith(tag_key):
        return _AFTERSHIP_SUBTAGS[sub]
    status = _AFTERSHIP_TAGS.get(tag_key, Status.UNKNOWN)
    if status is Status.EXCEPTION:
        return status, ExceptionReason.OTHER
    return status, None


# --- Shippo: tracking_status.status + substatus.code ------------------------------------

_SHIPPO_STATUS: dict[str, Normalized] = {
    "pre_transit": (Status.LABEL_CREATED, None),
    "transit": (Status.IN_TRANSIT, None),
    "delivered": (Status.DELIVERED, None),
    "returned": (Status.RETURN_TO_SENDER, None),
    "failure": (Status.EXCEPTION, ExceptionReason.OTHER),
}

_SHIPPO_TRANSIT: dict[str, Normalized] = {
    "out_for_delivery": (Status.OUT_FOR_DELIVERY, None),
    "pickup_available": (Status.AVAILABLE_FOR_PICKUP, None),
    "delivery_attempted": (Status.ATTEMPT_FAILED, None),
    "notice_left": (Status.ATTEMPT_FAILED, None),
    "location_inaccessible": (Status.ATTEMPT_FAILED, None),
    "reschedule_delivery": (Status.ATTEMPT_FAILED, None),
    "address_issue": (Status.EXCEPTION, ExceptionReason.ADDRESS_ISSUE),
    "delayed": (Status.EXCEPTION, ExceptionReason.CARRIER_DELAY),
    "package_damaged": (Status.EXCEPTION, ExceptionReason.DAMAGED),
    "package_held": (Status.EXCEPTION, ExceptionReason.OTHER),
    "contact_carrier": (Status.EXCEPTION, ExceptionReason.OTHER),
}

_SHIPPO_FAILURE: dict[str, ExceptionReason] = {
    "package_lost": ExceptionReason.LOST,
    "package_disposed": ExceptionReason.LOST,  # destroyed by the carrier: it will not arrive
    "package_undeliverable": ExceptionReason.OTHER,
}


def from_shippo(status: str | None, substatus: str | None = None) -> Normalized:
    """Shippo's tracking status, refined by its substatus code."""
    code, sub = _key(status), _key(substatus)
    if code == "transit" and sub in _SHIPPO_TRANSIT:
        return _SHIPPO_TRANSIT[sub]
    if code == "failure":
        return Status.EXCEPTION, _SHIPPO_FAILURE.get(sub, ExceptionReason.OTHER)
    return _SHIPPO_STATUS.get(code, _UNKNOWN)
