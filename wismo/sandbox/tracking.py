"""EasyPost Tracker objects for the sandbox's parcels: plausible, chronological histories.

A parcel walks its customer's lane (origin → hubs → destination facility); its kind
decides how far it got and which checkpoint ends the story. Times are spread between
the label and the last checkpoint, both relative to the sandbox's "now".
"""

from __future__ import annotations

import base64
import hashlib
import random
from datetime import date, datetime, timedelta
from typing import Any

from wismo.sandbox.carriers import CARRIERS
from wismo.sandbox.catalog import CA_ORIGIN, GB_ORIGIN, US_ORIGIN, Customer, Place
from wismo.sandbox.scenarios import Parcel

Step = tuple[str, str, str, Place | None]  # status, status_detail, message, location

# The last checkpoint of each non-plain kind: status, status_detail, message.
EXCEPTIONS: dict[str, tuple[str, str, str]] = {
    "weather": ("in_transit", "weather_delay", "Severe weather conditions have delayed delivery"),
    "delayed": ("in_transit", "delayed",
                "Shipment delayed in transit. We are working to deliver it as soon as possible"),
    "address": ("in_transit", "address_correction", "Incorrect address - unable to deliver"),
    "customs": ("in_transit", "held", "Held in customs - awaiting clearance"),
    "damaged": ("failure", "damaged", "Package damaged in transit - shipper has been notified"),
    "lost": ("failure", "lost", "Package could not be located - declared lost"),
    "attempt": ("out_for_delivery", "delivery_exception",
                "Delivery attempted - no access to delivery location"),
}
FINAL = frozenset({"delivered", "return_to_sender", "failure"})


def origin_for(parcel: Parcel, customer: Customer) -> Place:
    if parcel.carrier == "canadapost":
        return CA_ORIGIN
    if parcel.carrier == "royalmail":
        return GB_ORIGIN
    return US_ORIGIN


def tracker_id(code: str) -> str:
    return "trk_" + hashlib.sha1(code.encode()).hexdigest()[:32]


def public_url(tid: str) -> str:
    token = base64.urlsafe_b64encode(f"v1:{tid}".encode()).decode().rstrip("=")
    return f"https://track.easypost.com/{token}"


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def steps_for(parcel: Parcel, customer: Customer) -> list[Step]:
    """The checkpoints, oldest first, without times."""
    c = CARRIERS[parcel.carrier]
    origin = origin_for(parcel, customer)
    lane = customer.lane
    dest = customer.destination
    steps: list[Step] = [("pre_transit", "label_created", c.label, None)]
    if parcel.kind == "label":
        return steps
    steps.append(("in_transit", "arrived_at_facility", c.pickup, origin))
    steps.append(("in_transit", "departed_facility", c.departed, origin))
    partial = parcel.kind in {"transit", "weather", "delayed", "customs", "damaged", "lost"}
    hubs = lane[: parcel.hops] if partial and parcel.hops is not None else lane
    for hub in hubs:
        steps.append(("in_transit", "arrived_at_facility", c.arrived, hub))
        steps.append(("in_transit", "departed_facility", c.departed, hub))
    here = hubs[-1] if hubs else origin
    if parcel.kind == "transit":
        if parcel.detail == "arrived_at_facility":
            steps.pop()
        elif parcel.detail == "in_transit":
            steps.append(("in_transit", "in_transit", c.moving, None))
        return steps
    if partial:
        steps.pop()  # the exception happens at the hub it arrived at
        status, detail, message = EXCEPTIONS[parcel.kind]
        steps.append((status, detail, parcel.message or message, here))
        return steps
    steps.pop()  # arrived at the delivery facility: the last lane hub
    if parcel.kind == "address":
        steps.append(EXCEPTIONS["address"][:3] + (here,))
        return steps
    steps.append(("out_for_delivery", "out_for_delivery", c.ofd, here))
    if parcel.kind == "ofd":
        return steps
    if parcel.kind == "delivered":
        steps.append(("delivered", "arrived_at_destination", parcel.message or "Delivered", dest))
    elif parcel.kind == "pickup":
        steps.append(("available_for_pickup", "arrived_at_pickup_location",
                      parcel.message or "Available for pickup", dest))
    elif parcel.kind == "attempt":
        steps.append(EXCEPTIONS["attempt"][:3] + (dest,))
    elif parcel.kind == "rts":
        steps.append(("out_for_delivery", "delivery_exception",
                      "Delivery attempted - recipient not available", dest))
        steps.append(("out_for_delivery", "out_for_delivery", c.ofd, here))
        steps.append(("out_for_delivery", "delivery_exception",
                      "Delivery attempted - recipient not available", dest))
        steps.append(("return_to_sender", "return",
                      "Return to sender - unclaimed after delivery attempts", here))
    else:
        raise ValueError(f"unknown parcel kind {parcel.kind!r}")
    return steps


def timeline(n: int, start: datetime, end: datetime, rng: random.Random) -> list[datetime]:
    """n increasing moments from start to end, a little irregular."""
    if n == 1:
        return [start]
    gap = (end - start) / (n - 1)
    out = [start]
    for i in range(1, n - 1):
        jitter = gap * (rng.random() - 0.5) * 0.5
        out.append(start + gap * i + jitter)
    out.append(end)
    return [m.replace(microsecond=0) for m in out]


def _location(place: Place | None) -> dict[str, Any]:
    city, state, country, zip_ = place or (None, None, None, None)
    return {"object": "TrackingLocation", "city": city, "state": state or None,
            "country": country, "zip": zip_}


def _place_text(place: Place) -> str:
    city, state, country, zip_ = place
    return f"{city} {state}, {zip_}" if country == "US" else f"{city} {country} {zip_}"


def build_tracker(
    code: str, parcel: Parcel, customer: Customer, grams: int, now: datetime, today: date,
    rng: random.Random,
) -> dict[str, Any]:
    """The Tracker object EasyPost would answer for this parcel."""
    c = CARRIERS[parcel.carrier]
    steps = steps_for(parcel, customer)
    start = now - timedelta(days=parcel.shipped, minutes=rng.randint(5, 55))
    end = now - timedelta(days=parcel.last if parcel.last is not None else parcel.shipped,
                          minutes=rng.randint(1, 4))
    end = max(end, start)
    moments = timeline(len(steps), start, end, rng)
    details = [
        {
            "object": "TrackingDetail",
            "message": message,
            "description": message,
            "status": status,
            "status_detail": detail,
            "datetime": iso(moment),
            "source": c.easypost,
            "carrier_code": "",
            "tracking_location": _location(place),
        }
        for (status, detail, message, place), moment in zip(steps, moments, strict=True)
    ]
    last = details[-1]
    eta = today + timedelta(days=parcel.eta) if parcel.eta is not None else None
    tid = tracker_id(code)
    origin = origin_for(parcel, customer)
    attempts = [d["datetime"] for d in details if d["status_detail"] == "delivery_exception"]
    return {
        "id": tid,
        "object": "Tracker",
        "mode": "test",
        "tracking_code": code,
        "status": last["status"],
        "status_detail": last["status_detail"],
        "created_at": iso(moments[0]),
        "updated_at": iso(moments[-1]),
        "signed_by": parcel.signed_by,
        "weight": round(grams / 28.3495, 1),
        "est_delivery_date": f"{eta.isoformat()}T00:00:00Z" if eta else None,
        "shipment_id": None,
        "carrier": c.easypost,
        "tracking_details": details,
        "carrier_detail": {
            "object": "CarrierDetail",
            "service": c.service,
            "container_type": None,
            "est_delivery_date_local": eta.isoformat() if eta else None,
            "est_delivery_time_local": parcel.window,
            "origin_location": _place_text(origin),
            "origin_tracking_location": _location(origin),
            "destination_location": _place_text(customer.destination),
            "destination_tracking_location": _location(customer.destination),
            "guaranteed_delivery_date": None,
            "alternate_identifier": None,
            "initial_delivery_attempt": attempts[0] if attempts else None,
        },
        "finalized": last["status"] in FINAL,
        "is_return": False,
        "public_url": public_url(tid),
    }


def unknown_tracker(code: str, carrier: str | None, created: datetime) -> dict[str, Any]:
    """What EasyPost answers for a code the carrier has not seen yet: status unknown."""
    tid = tracker_id(code)
    return {
        "id": tid, "object": "Tracker", "mode": "test", "tracking_code": code,
        "status": "unknown", "status_detail": "unknown", "created_at": iso(created),
        "updated_at": iso(created), "signed_by": None, "weight": None,
        "est_delivery_date": None, "shipment_id": None, "carrier": carrier or "USPS",
        "tracking_details": [], "carrier_detail": None, "finalized": False,
        "is_return": False, "public_url": public_url(tid),
    }
