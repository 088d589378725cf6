"""The EasyPost client over a real local server answering EasyPost's documented payloads.

Parsing on its own is in test_easypost_parse.py."""

from __future__ import annotations

import base64
from datetime import date
from typing import Any

import pytest

from tests.fake_provider import Reply
from tests.tracking.easypost_payloads import make_detail, make_tracker
from wismo.domain import Status
from wismo.errors import (
    ConfigError,
    ProviderRejected,
    ProviderResponseError,
    ProviderUnavailable,
)
from wismo.tracking.easypost import EasyPostClient

API_KEY = "EZTK_test_key"
CASSETTE = "easypost/tracker_create_EZ1000000001.cassette_response.json"
EVENT = "easypost/event-body.tracker.updated.json"


def client(server: Any, **options: Any) -> EasyPostClient:
    options.setdefault("sleep", lambda seconds: None)
    return EasyPostClient(server.url, API_KEY, **options)


def test_track_reads_the_documented_tracker(easypost_server: Any, shared_payload: Any) -> None:
    easypost_server.on_any(Reply(201, shared_payload(CASSETTE)))

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
    easypost_server.on_any(Reply(201, shared_payload(CASSETTE)))

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
    easypost_server.on_any(Reply(201, shared_payload(CASSETTE)))

    client(easypost_server).track("EZ1000000001")

    assert easypost_server.requests[0].body == {"tracker": {"tracking_code": "EZ1000000001"}}


def test_retrieve_reads_a_tracker_by_id(easypost_server: Any, shared_payload: Any) -> None:
    easypost_server.on_any(Reply(200, shared_payload(EVENT)["result"]))

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
    easypost_server.on_any(Reply(201, shared_payload(CASSETTE)))
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
    easypost_server.on_any(Reply(status, body))

    with pytest.raises(error) as raised:
        client(easypost_server).track("EZ1000000001")

    assert raised.value.status == status
    assert len(easypost_server.requests) == 1


def test_rate_limit_waits_as_told_then_succeeds(easypost_server: Any, shared_payload: Any) -> None:
    waits: list[float] = []
    easypost_server.on_any(
        Reply(429, easypost_error("RATE_LIMITED", "Slow down"), headers={"Retry-After": "2"}),
        Reply(201, shared_payload(CASSETTE)),
    )

    tracking = client(easypost_server, sleep=waits.append).track("EZ1000000001")

    assert tracking.status == Status.LABEL_CREATED
    assert waits == [2.0]
    assert len(easypost_server.requests) == 2


def test_server_errors_every_time_mean_unavailable(easypost_server: Any) -> None:
    waits: list[float] = []
    easypost_server.on_any(Reply(500, easypost_error("INTERNAL_SERVER_ERROR", "Oops")))

    with pytest.raises(ProviderUnavailable):
        client(easypost_server, retries=2, sleep=waits.append).track("EZ1000000001")

    assert len(easypost_server.requests) == 3
    assert len(waits) == 2


def test_a_slow_server_means_unavailable(easypost_server: Any, shared_payload: Any) -> None:
    easypost_server.on_any(Reply(201, shared_payload(CASSETTE), delay=1.0))

    with pytest.raises(ProviderUnavailable, match="timed out"):
        client(easypost_server, timeout=0.1, retries=1).track("EZ1000000001")


def test_malformed_json_is_a_response_error(easypost_server: Any) -> None:
    easypost_server.on_any(Reply(200, b'{"id": "trk_1", "status": '))

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
    easypost_server.on_any(Reply(200, body))

    with pytest.raises(ProviderResponseError):
        client(easypost_server).track("1Z999AA10123456784")
