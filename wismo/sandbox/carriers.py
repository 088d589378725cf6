"""Carriers the sandbox ships with: names, services, tracking numbers and scan wording.

Tracking numbers follow each carrier's real format (with check digits where the
format has one) so adapters that validate or detect carriers see realistic input.
"""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class Carrier:
    """One carrier as EasyPost and Shopify name it."""

    key: str
    easypost: str  # EasyPost's carrier string
    shopify: str  # Shopify's tracking_company
    service: str
    url: str  # public tracking page, with {n} for the number
    label: str
    pickup: str
    arrived: str
    departed: str
    moving: str
    ofd: str


CARRIERS: dict[str, Carrier] = {
    c.key: c
    for c in (
        Carrier(
            "ups", "UPS", "UPS", "UPS Ground", "https://www.ups.com/track?tracknum={n}",
            "Shipper created a label, UPS has not received the package yet.", "Pickup Scan",
            "Arrived at Facility", "Departed from Facility", "On the Way",
            "Out For Delivery Today",
        ),
        Carrier(
            "usps", "USPS", "USPS", "USPS Ground Advantage",
            "https://tools.usps.com/go/TrackConfirmAction?tLabels={n}",
            "Shipping Label Created, USPS Awaiting Item", "USPS in possession of item",
            "Arrived at USPS Regional Facility", "Departed USPS Regional Facility",
            "In Transit to Next Facility", "Out for Delivery",
        ),
        Carrier(
            "fedex", "FedEx", "FedEx", "FedEx Home Delivery",
            "https://www.fedex.com/fedextrack/?trknbr={n}",
            "Shipment information sent to FedEx", "Picked up", "Arrived at FedEx location",
            "Departed FedEx location", "On the way", "On FedEx vehicle for delivery",
        ),
        Carrier(
            "dhl", "DHLExpress", "DHL Express", "EXPRESS WORLDWIDE",
            "https://www.dhl.com/en/express/tracking.html?AWB={n}&brand=DHL",
            "Shipment information received", "Shipment picked up",
            "Arrived at DHL Sort Facility", "Departed Facility", "Processed at DHL facility",
            "Shipment is out with courier for delivery",
        ),
        Carrier(
            "canadapost", "CanadaPost", "Canada Post", "Expedited Parcel",
            "https://www.canadapost-postescanada.ca/track-reperage/en#/search?searchFor={n}",
            "Electronic information submitted by shipper", "Item accepted at the Post Office",
            "Item processed", "Item in transit", "Item in transit", "Item out for delivery",
        ),
        Carrier(
            "royalmail", "RoyalMail", "Royal Mail", "Royal Mail Tracked 48",
            "https://www.royalmail.com/track-your-item#/tracking-results/{n}",
            "Sender despatching item", "Item received", "Item received at mail centre",
            "Item left mail centre", "In transit", "Out for delivery",
        ),
    )
}


def tracking_number(carrier: str, rng: random.Random) -> str:
    """A tracking number in the carrier's real format."""
    digits = _digits(rng)
    if carrier == "ups":
        body = "".join(rng.choice("0123456789ABCDEFGHJKLMNPRSTVWXYZ") for _ in range(6))
        body += "03" + digits(7)  # 03 = UPS Ground
        return "1Z" + body + _ups_check(body)
    if carrier == "usps":
        body = "9400111" + digits(14)
        return body + _mod10_31(body)
    if carrier == "fedex":
        return "7" + digits(11)
    if carrier == "dhl":
        body = digits(9)
        return body + str(int(body) % 7)
    if carrier == "canadapost":
        return "70" + digits(14)
    if carrier == "royalmail":
        serial = digits(8)
        prefix = rng.choice(["TT", "FQ", "LX", "QD"])
        return f"{prefix}{serial}{_s10_check(serial)}GB"
    raise ValueError(f"unknown carrier {carrier!r}")


def tracking_url(carrier: str, number: str) -> str:
    return CARRIERS[carrier].url.format(n=number)


def _digits(rng: random.Random):
    return lambda n: "".join(rng.choice("0123456789") for _ in range(n))


def _ups_check(body: str) -> str:
    """UPS 1Z check digit over the 15 characters after '1Z'."""
    total = 0
    for i, ch in enumerate(body):
        value = int(ch) if ch.isdigit() else (ord(ch) - 63) % 10
        total += value * (2 if i % 2 else 1)
    return str((10 - total % 10) % 10)


def _mod10_31(body: str) -> str:
    """USPS IMpb check digit: weights 3,1 from the right."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return str((10 - total % 10) % 10)


def _s10_check(serial: str) -> str:
    """UPU S10 check digit (Royal Mail tracked items)."""
    total = sum(int(d) * w for d, w in zip(serial, (8, 6, 4, 2, 3, 5, 9, 7), strict=True))
    check = 11 - total % 11
    return "0" if check == 10 else "5" if check == 11 else str(check)
