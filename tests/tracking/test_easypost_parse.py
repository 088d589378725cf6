"""Parsing EasyPost's Tracker objects into `Tracking` (pure: no server involved)."""

from __future__ import annotations

from datetime import date, datetime, time, timezone

import pytest

from tests.tracking.easypost_payloads import make_detail, make_tracker
from wismo.domain import ExceptionReason, Status
from wismo.tracking.easypost import human_place, parse_time_window, parse_tracker


def test_events_come_oldest_first_and_the_newest_explains_the_status() -> None:
    payload = make_tracker(
        status="in_transit",
        status_detail="held",
        details=[
            make_detail(
                status="in_transit",
                status_detail="held",
                at="2026-11-21T09:00:00Z",
                message="Held in customs - awaiting clearance",
                city="MEMPHIS",
            ),
            make_detail(
                status="pre_transit",
                status_detail="label_created",
                at="2026-11-19T15:00:00Z",
                message="Label created",
                city=None,
            ),
        ],
    )

    tracking = parse_tracker(payload)

    assert [e.message for e in tracking.events] == [
        "Label created",
        "Held in customs - awaiting clearance",
    ]
    assert (tracking.status, tracking.reason) == (Status.EXCEPTION, ExceptionReason.CUSTOMS)
    assert tracking.status_message == "Held in customs - awaiting clearance"
    assert tracking.events[-1].reason == ExceptionReason.CUSTOMS
    assert tracking.events[-1].at == datetime(2026, 11, 21, 9, 0, tzinfo=timezone.utc)
    assert tracking.events[0].city is None


def test_a_delivered_parcel_says_who_signed() -> None:
    payload = make_tracker(
        status="delivered",
        status_detail="arrived_at_destination",
        signed_by="L GARCIA",
        details=[make_detail(status="delivered", message="Delivered")],
    )

    tracking = parse_tracker(payload)

    assert (tracking.status, tracking.signed_by) == (Status.DELIVERED, "L GARCIA")


def test_the_local_eta_and_window_win_over_the_utc_estimate() -> None:
    payload = make_tracker(
        est_delivery_date="2026-11-26T00:00:00Z",
        carrier_detail={
            "est_delivery_date_local": "2026-11-25",
            "est_delivery_time_local": "14:00",
        },
    )

    tracking = parse_tracker(payload)

    assert tracking.carrier_eta == date(2026, 11, 25)
    assert tracking.eta_window == (time(14, 0), time(14, 0))


def test_nulls_everywhere_easypost_sends_them_are_fine() -> None:
    payload = {
        **make_tracker(
            tracking_details=None,
            est_delivery_date=None,
            carrier=None,
            status=None,
            status_detail=None,
            updated_at=None,
            public_url=None,
        ),
        "carrier_detail": None,
    }

    tracking = parse_tracker(payload)

    assert (tracking.status, tracking.events, tracking.carrier_eta, tracking.destination) == (
        Status.UNKNOWN,
        (),
        None,
        None,
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("14:00", (time(14), time(14))),
        ("14:00:30", (time(14, 0, 30), time(14, 0, 30))),
        ("09:00-12:00", (time(9), time(12))),
        ("09:00 - 12:00", (time(9), time(12))),
        ("12:00-09:00", None),
        ("by end of day", None),
        ("", None),
        (None, None),
    ],
)
def test_delivery_time_window(text: str | None, expected: tuple | None) -> None:
    assert parse_time_window(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("BROOKLYN HGTS NY US", "Brooklyn Hgts, NY"),
        ("CHARLESTON SC, 29401", "Charleston, SC"),
        ("DENVER CO, 80205", "Denver, CO"),
        ("TORONTO ON CA M5V 2T6", "Toronto, ON"),
        ("LONDON GB SW1A 1AA", "London, GB"),
        ("SPRINGFIELD", "Springfield"),
        ("80205", None),
        ("", None),
        (None, None),
    ],
)
def test_destination_in_plain_words(text: str | None, expected: str | None) -> None:
    assert human_place(text) == expected


def test_structured_destination_is_preferred_over_the_text() -> None:
    payload = make_tracker(
        carrier_detail={
            "destination_location": "SOMEWHERE ELSE",
            "destination_tracking_location": {
                "city": "SALT LAKE CITY",
                "state": "UT",
                "country": "US",
                "zip": "84101",
            },
        }
    )

    assert parse_tracker(payload).destination == "Salt Lake City, UT"
