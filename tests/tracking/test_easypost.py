"""The EasyPost adapter over a real local server answering EasyPost's documented payloads."""

from __future__ import annotations

import base64
from datetime import date, datetime, time, timezone
from typing import Any

import pytest

from wismo.domain import ExceptionReason, Status
from wismo.errors import (
    ConfigError,
    ProviderRejected,
    ProviderResponseError,
    ProviderUnavailable,
)
from wismo.tracking.easypost import EasyPostClient, human_place, parse_time_window, parse_tracker

API_KEY = "EZTK_test_key"
CASSETTE = "easypost/tracker_create_EZ1000000001.cassette_response.json"
EVENT = "easypost/event-body.tracker.updated.json"


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


def client(server: Any, **options: Any) -> EasyPostClient:
    options.setdefault("sleep", lambda seconds: None)
    return EasyPostClient(server.url, API_KEY, **options)


# --- over HTTP --------------------------------------------------------------------------


def test_track_reads_the_documented_tracker(easypost_server: Any, shared_payload: Any) -> None:
    easypost_server.add(201, shared_payload(CASSETTE))

    tracking = client(easypost_server).track("EZ1000000001", carrier="USPS")

    assert tracking.tracking_number == "EZ1000000001"
    assert tracking.carrier == "USPS"
    assert tracking.status == Status.LABEL_CREATED
    assert tracking.carrier_eta == date(2025, 3, 6)
    assert len(tracking.events) == 2
    assert tracking.events[-1].city == "Houston"
    assert tracking.status_message == "Shipping Label Created"
    assert tracking.destination == "Charleston, SC"
    assert tracking.public_url == (
        "https://track.easypost.com/djE6dHJrX2U3ZThmMTQzZjNlYjQwZDM4YmU5NTYyZTM3NjdjMzZh"
    )


def test_track_sends_basic_auth_and_the_documented_body(
    easypost_server: Any, shared_payload: Any
) -> None:
    easypost_server.add(201, shared_payload(CASSETTE))

    client(easypost_server).track("EZ1000000001", carrier="USPS")

    [request] = easypost_server.requests
    assert (request.method, request.path) == ("POST", "/v2/trackers")
    assert request.body == {"tracker": {"tracking_code": "EZ1000000001", "carrier": "USPS"}}
    assert request.headers["authorization"] == (
        "Basic " + base64.b64encode(f"{API_KEY}:".encode()).decode()
    )


def test_track_without_a_carrier_lets_easypost_detect_it(
    easypost_server: Any, shared_payload: Any
) -> None:
    easypost_server.add(201, shared_payload(CASSETTE))

    client(easypost_server).track("EZ1000000001")

    assert easypost_server.requests[0].body == {"tracker": {"tracking_code": "EZ1000000001"}}


def test_retrieve_reads_a_tracker_by_id(easypost_server: Any, shared_payload: Any) -> None:
    easypost_server.add(200, shared_payload(EVENT)["result"])

    tracking = client(easypost_server).retrieve("trk_1")

    assert (easypost_server.requests[0].method, easypost_server.requests[0].path) == (
        "GET",
        "/v2/trackers/trk_1",
    )
    assert tracking.status == Status.IN_TRANSIT
    assert tracking.carrier_eta == date(2024, 8, 5)
    assert len(tracking.events) == 7
    assert tracking.events[-1].city == "Edison"
    assert tracking.destination == "Brooklyn Hgts, NY"
    assert tracking.public_url == "https://track.easypost.com/1"


def test_from_env_talks_to_the_configured_server(easypost_server: Any, shared_payload: Any) -> None:
    easypost_server.add(201, shared_payload(CASSETTE))
    env = {"EASYPOST_API_KEY": API_KEY, "EASYPOST_BASE_URL": easypost_server.url}

    tracking = EasyPostClient.from_env(env).track("EZ1000000001")

    assert tracking.status == Status.LABEL_CREATED


@pytest.mark.parametrize("env", [{}, {"EASYPOST_API_KEY": "  "}])
def test_from_env_names_the_missing_key(env: dict[str, str]) -> None:
    with pytest.raises(ConfigError, match="EASYPOST_API_KEY"):
        EasyPostClient.from_env(env)


def easypost_error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "errors": []}}


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (
            404,
            easypost_error("NOT_FOUND", "The requested resource could not be found."),
            ProviderResponseError,
        ),
        (
            401,
            easypost_error("APIKEY.INACTIVE", "This api key is no longer active."),
            ProviderResponseError,
        ),
        (
            422,
            easypost_error("PARAMETER.REQUIRED", "Missing required parameter."),
            ProviderRejected,
        ),
    ],
)
def test_client_errors_are_not_retried(
    easypost_server: Any, status: int, body: dict, error: type[Exception]
) -> None:
    easypost_server.add(status, body)

    with pytest.raises(error) as raised:
        client(easypost_server).track("EZ1000000001")

    assert raised.value.status == status
    assert len(easypost_server.requests) == 1


def test_rate_limit_waits_as_told_then_succeeds(easypost_server: Any, shared_payload: Any) -> None:
    waits: list[float] = []
    easypost_server.add(
        429, easypost_error("RATE_LIMITED", "Slow down"), headers={"Retry-After": "2"}
    )
    easypost_server.add(201, shared_payload(CASSETTE))

    tracking = client(easypost_server, sleep=waits.append).track("EZ1000000001")

    assert tracking.status == Status.LABEL_CREATED
    assert waits == [2.0]
    assert len(easypost_server.requests) == 2


def test_server_errors_every_time_mean_unavailable(easypost_server: Any) -> None:
    waits: list[float] = []
    easypost_server.add(500, easypost_error("INTERNAL_SERVER_ERROR", "Oops"))

    with pytest.raises(ProviderUnavailable):
        client(easypost_server, retries=2, sleep=waits.append).track("EZ1000000001")

    assert len(easypost_server.requests) == 3
    assert len(waits) == 2


def test_a_slow_server_means_unavailable(easypost_server: Any, shared_payload: Any) -> None:
    easypost_server.add(201, shared_payload(CASSETTE), delay=1.0)

    with pytest.raises(ProviderUnavailable, match="timed out"):
        client(easypost_server, timeout=0.1, retries=1).track("EZ1000000001")


def test_malformed_json_is_a_response_error(easypost_server: Any) -> None:
    easypost_server.add(200, b'{"id": "trk_1", "status": ')

    with pytest.raises(ProviderResponseError):
        client(easypost_server).track("EZ1000000001")


@pytest.mark.parametrize(
    "body",
    [
        [make_tracker()],
        {"tracker": make_tracker()},
        make_tracker(tracking_code=12345),
        make_tracker(status=["in_transit"]),
        make_tracker(tracking_details={"0": make_detail()}),
        make_tracker(details=["Arrived at facility"]),
        make_tracker(details=[make_detail(at="yesterday")]),
        make_tracker(details=[make_detail(at=None)]),
        make_tracker(est_delivery_date="soon"),
        make_tracker(carrier_detail={"destination_tracking_location": "DENVER"}),
    ],
    ids=[
        "list",
        "wrapped",
        "number-code",
        "list-status",
        "details-object",
        "detail-string",
        "bad-datetime",
        "no-datetime",
        "bad-eta",
        "location-string",
    ],
)
def test_json_of_the_wrong_shape_is_a_response_error(easypost_server: Any, body: Any) -> None:
    easypost_server.add(200, body)

    with pytest.raises(ProviderResponseError):
        client(easypost_server).track("1Z999AA10123456784")


# --- parsing ----------------------------------------------------------------------------


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
