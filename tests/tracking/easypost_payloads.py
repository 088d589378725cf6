"""Keyword-argument factories for EasyPost payloads (Tracker, TrackingDetail).

Defaults describe one ordinary UPS parcel in transit to Denver; override just what the
test is about::

    make_tracker(status="delivered", details=[make_detail(status="delivered")])
"""

from __future__ import annotations

from typing import Any


def make_detail(
    *,
    status: str = "in_transit",
    status_detail: str = "arrived_at_facility",
    message: str | None = "Arrived at facility",
    at: str = "2026-11-20T10:00:00Z",
    city: str | None = "DENVER",
    state: str | None = "CO",
    **overrides: Any,
) -> dict[str, Any]:
    """One EasyPost TrackingDetail."""
    return {
        "object": "TrackingDetail",
        "message": message,
        "description": "",
        "status": status,
        "status_detail": status_detail,
        "datetime": at,
        "source": "UPS",
        "carrier_code": "",
        "tracking_location": {
            "object": "TrackingLocation",
            "city": city,
            "state": state,
            "country": "US",
            "zip": None,
        },
        **overrides,
    }


def make_tracker(
    *,
    details: list[dict[str, Any]] | None = None,
    carrier_detail: dict[str, Any] | None = None,
    **overrides: Any,
) -> dict[str, Any]:
    """One EasyPost Tracker: an ordinary UPS parcel in transit to Denver."""
    return {
        "id": "trk_1",
        "object": "Tracker",
        "tracking_code": "1Z999AA10123456784",
        "status": "in_transit",
        "status_detail": "arrived_at_facility",
        "updated_at": "2026-11-20T10:05:00Z",
        "signed_by": None,
        "est_delivery_date": "2026-11-26T00:00:00Z",
        "carrier": "UPS",
        "tracking_details": [make_detail()] if details is None else details,
        "carrier_detail": {
            "object": "CarrierDetail",
            "est_delivery_date_local": None,
            "est_delivery_time_local": None,
            "destination_location": "DENVER CO, 80205",
            "destination_tracking_location": None,
            **(carrier_detail or {}),
        },
        "public_url": "https://track.easypost.com/abc",
        **overrides,
    }
