"""Every provider code a customer's parcel can carry lands on a status they would recognise."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from wismo.domain import ExceptionReason, Status
from wismo.tracking.normalize import (
    from_aftership,
    from_easypost,
    from_shippo,
    from_shopify_shipment_status,
    reason_from_text,
)

S, R = Status, ExceptionReason


@pytest.fixture(scope="module")
def vocab(shared_payload: Callable[[str], Any]) -> dict[str, Any]:
    return shared_payload("status_vocabularies.json")


def assert_consistent(result: tuple[Status, ExceptionReason | None]) -> None:
    """An exception always says why (if only "other"); nothing else carries a reason."""
    status, reason = result
    assert isinstance(status, Status)
    assert (reason is not None) == (status is Status.EXCEPTION), result


# --- EasyPost -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "detail", "message", "expected"),
    [
        ("pre_transit", "status_update", "Pre-Shipment Info Sent to USPS", (S.LABEL_CREATED, None)),
        ("pre_transit", "label_created", None, (S.LABEL_CREATED, None)),
        ("in_transit", "arrived_at_facility", "Picked up", (S.IN_TRANSIT, None)),
        ("in_transit", "departed_facility", None, (S.IN_TRANSIT, None)),
        ("in_transit", "in_transit", None, (S.IN_TRANSIT, None)),
        ("in_transit", "departed_origin_facility", None, (S.IN_TRANSIT, None)),
        ("in_transit", "received_at_origin_facility", None, (S.IN_TRANSIT, None)),
        ("in_transit", "received_at_destination_facility", None, (S.IN_TRANSIT, None)),
        ("in_transit", "arrived_at_destination", None, (S.IN_TRANSIT, None)),
        ("in_transit", "transferred_to_destination_carrier", None, (S.IN_TRANSIT, None)),
        ("in_transit", "status_update", None, (S.IN_TRANSIT, None)),
        ("in_transit", "unknown", "On the way", (S.IN_TRANSIT, None)),
        ("in_transit", None, None, (S.IN_TRANSIT, None)),
        ("in_transit", "weather_delay", "Severe weather", (S.EXCEPTION, R.WEATHER)),
        ("in_transit", "delayed", "Shipment delayed in transit", (S.EXCEPTION, R.CARRIER_DELAY)),
        ("in_transit", "transit_exception", None, (S.EXCEPTION, R.CARRIER_DELAY)),
        ("in_transit", "missorted", None, (S.EXCEPTION, R.CARRIER_DELAY)),
        ("in_transit", "address_correction", "Incorrect address", (S.EXCEPTION, R.ADDRESS_ISSUE)),
        ("in_transit", "awaiting_information", None, (S.EXCEPTION, R.ADDRESS_ISSUE)),
        ("in_transit", "held", "Held in customs - awaiting clearance", (S.EXCEPTION, R.CUSTOMS)),
        ("in_transit", "held", "Held at facility", (S.EXCEPTION, R.OTHER)),
        ("in_transit", "held", None, (S.EXCEPTION, R.OTHER)),
        (
            "out_for_delivery",
            "delivery_exception",
            "Delivery attempted - no access",
            (S.ATTEMPT_FAILED, None),
        ),
        ("in_transit", "delivery_exception", None, (S.ATTEMPT_FAILED, None)),
        ("out_for_delivery", "out_for_delivery", None, (S.OUT_FOR_DELIVERY, None)),
        ("delivered", "arrived_at_destination", "Delivered", (S.DELIVERED, None)),
        (
            "available_for_pickup",
            "arrived_at_pickup_location",
            None,
            (S.AVAILABLE_FOR_PICKUP, None),
        ),
        ("return_to_sender", "return", None, (S.RETURN_TO_SENDER, None)),
        ("failure", "damaged", "Package damaged in transit", (S.EXCEPTION, R.DAMAGED)),
        ("failure", "lost", "Package could not be located", (S.EXCEPTION, R.LOST)),
        ("failure", "refused", None, (S.EXCEPTION, R.REFUSED)),
        ("failure", "address_correction", None, (S.EXCEPTION, R.ADDRESS_ISSUE)),
        ("failure", "failure", "Refused by recipient", (S.EXCEPTION, R.REFUSED)),
        ("failure", "unknown", "Something went wrong", (S.EXCEPTION, R.OTHER)),
        ("cancelled", "cancelled", None, (S.CANCELLED, None)),
        ("error", "unknown", None, (S.UNKNOWN, None)),
        ("unknown", "unknown", None, (S.UNKNOWN, None)),
        (None, None, None, (S.UNKNOWN, None)),
        ("teleported", "beamed_up", None, (S.UNKNOWN, None)),
        ("IN_TRANSIT", "Weather_Delay", None, (S.EXCEPTION, R.WEATHER)),
    ],
)
def test_easypost_codes(
    status: str | None, detail: str | None, message: str | None, expected: tuple
) -> None:
    assert from_easypost(status, detail, message) == expected


def test_every_documented_easypost_pair_maps_consistently(vocab: dict[str, Any]) -> None:
    block = vocab["easypost"]
    for status in [*block["status"], None]:
        for detail in [*block["status_detail"], None]:
            assert_consistent(from_easypost(status, detail))


def test_every_easypost_status_means_what_a_customer_expects(vocab: dict[str, Any]) -> None:
    expected = {
        "unknown": S.UNKNOWN,
        "pre_transit": S.LABEL_CREATED,
        "in_transit": S.IN_TRANSIT,
        "out_for_delivery": S.OUT_FOR_DELIVERY,
        "delivered": S.DELIVERED,
        "available_for_pickup": S.AVAILABLE_FOR_PICKUP,
        "return_to_sender": S.RETURN_TO_SENDER,
        "failure": S.EXCEPTION,
        "cancelled": S.CANCELLED,
        "error": S.UNKNOWN,
    }
    actual = {status: from_easypost(status, None)[0] for status in vocab["easypost"]["status"]}
    assert actual == expected


def test_easypost_fixture_combinations(vocab: dict[str, Any]) -> None:
    actual = [
        from_easypost(seen.get("status"), seen.get("status_detail"), seen.get("message"))[0]
        for seen in vocab["easypost"]["observed_in_fixtures"]
    ]
    expected = [S.LABEL_CREATED] * 3 + [S.IN_TRANSIT] * 4 + [S.UNKNOWN]
    assert actual == expected


# --- AfterShip ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tag", "subtag", "expected"),
    [
        ("Pending", "Pending_001", (S.UNKNOWN, None)),
        ("InfoReceived", "InfoReceived_001", (S.LABEL_CREATED, None)),
        ("InTransit", "InTransit_006", (S.IN_TRANSIT, None)),
        ("OutForDelivery", "OutForDelivery_001", (S.OUT_FOR_DELIVERY, None)),
        ("OutForDelivery", "OutForDelivery_002", (S.AVAILABLE_FOR_PICKUP, None)),
        ("AvailableForPickup", "AvailableForPickup_001", (S.AVAILABLE_FOR_PICKUP, None)),
        ("AttemptFail", "AttemptFail_002", (S.ATTEMPT_FAILED, None)),
        ("Delivered", "Delivered_003", (S.DELIVERED, None)),
        ("Exception", "Exception_002", (S.EXCEPTION, R.ADDRESS_ISSUE)),
        ("Exception", "Exception_003", (S.EXCEPTION, R.REFUSED)),
        ("Exception", "Exception_004", (S.EXCEPTION, R.CUSTOMS)),
        ("Exception", "Exception_007", (S.EXCEPTION, R.ADDRESS_ISSUE)),
        ("Exception", "Exception_010", (S.RETURN_TO_SENDER, None)),
        ("Exception", "Exception_011", (S.RETURN_TO_SENDER, None)),
        ("Exception", "Exception_012", (S.EXCEPTION, R.DAMAGED)),
        ("Exception", "Exception_013", (S.EXCEPTION, R.LOST)),
        ("Exception", "Exception_016", (S.EXCEPTION, R.CARRIER_DELAY)),
        ("Exception", "Exception_017", (S.EXCEPTION, R.WEATHER)),
        ("Exception", "Exception_099", (S.EXCEPTION, R.OTHER)),
        ("Exception", None, (S.EXCEPTION, R.OTHER)),
        ("Expired", "Expired_001", (S.UNKNOWN, None)),
        (None, "Delivered_003", (S.DELIVERED, None)),
        (None, "Exception_004", (S.EXCEPTION, R.CUSTOMS)),
        ("Delivered", None, (S.DELIVERED, None)),
        (None, None, (S.UNKNOWN, None)),
        ("Teleported", "Teleported_001", (S.UNKNOWN, None)),
    ],
)
def test_aftership_codes(tag: str | None, subtag: str | None, expected: tuple) -> None:
    assert from_aftership(tag, subtag) == expected


def test_every_aftership_tag_maps_consistently(vocab: dict[str, Any]) -> None:
    for tag in vocab["aftership"]["tags"]:
        assert_consistent(from_aftership(tag["tag"]))


def test_every_aftership_subtag_keeps_its_tags_meaning(vocab: dict[str, Any]) -> None:
    by_tag = {
        "Pending": {S.UNKNOWN},
        "InfoReceived": {S.LABEL_CREATED},
        "InTransit": {S.IN_TRANSIT},
        "OutForDelivery": {S.OUT_FOR_DELIVERY, S.AVAILABLE_FOR_PICKUP},
        "AttemptFail": {S.ATTEMPT_FAILED},
        "Delivered": {S.DELIVERED},
        "AvailableForPickup": {S.AVAILABLE_FOR_PICKUP},
        "Exception": {S.EXCEPTION, S.RETURN_TO_SENDER},
        "Expired": {S.UNKNOWN},
    }
    for subtag in vocab["aftership"]["subtags"]:
        tag = subtag["code"].split("_")[0]
        result = from_aftership(tag, subtag["code"])
        assert_consistent(result)
        assert result[0] in by_tag[tag], subtag["code"]


# --- Shippo ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "substatus", "expected"),
    [
        ("PRE_TRANSIT", "information_received", (S.LABEL_CREATED, None)),
        ("TRANSIT", "package_departed", (S.IN_TRANSIT, None)),
        ("TRANSIT", "out_for_delivery", (S.OUT_FOR_DELIVERY, None)),
        ("TRANSIT", "pickup_available", (S.AVAILABLE_FOR_PICKUP, None)),
        ("TRANSIT", "delivery_attempted", (S.ATTEMPT_FAILED, None)),
        ("TRANSIT", "notice_left", (S.ATTEMPT_FAILED, None)),
        ("TRANSIT", "address_issue", (S.EXCEPTION, R.ADDRESS_ISSUE)),
        ("TRANSIT", "delayed", (S.EXCEPTION, R.CARRIER_DELAY)),
        ("TRANSIT", "package_damaged", (S.EXCEPTION, R.DAMAGED)),
        ("TRANSIT", None, (S.IN_TRANSIT, None)),
        ("DELIVERED", "delivered", (S.DELIVERED, None)),
        ("RETURNED", "return_to_sender", (S.RETURN_TO_SENDER, None)),
        ("RETURNED", "package_unclaimed", (S.RETURN_TO_SENDER, None)),
        ("FAILURE", "package_lost", (S.EXCEPTION, R.LOST)),
        ("FAILURE", "package_undeliverable", (S.EXCEPTION, R.OTHER)),
        ("FAILURE", None, (S.EXCEPTION, R.OTHER)),
        ("UNKNOWN", "other", (S.UNKNOWN, None)),
        ("transit", None, (S.IN_TRANSIT, None)),
        (None, None, (S.UNKNOWN, None)),
        ("TELEPORTED", None, (S.UNKNOWN, None)),
    ],
)
def test_shippo_codes(status: str | None, substatus: str | None, expected: tuple) -> None:
    assert from_shippo(status, substatus) == expected


def test_every_shippo_status_and_substatus_maps_consistently(vocab: dict[str, Any]) -> None:
    expected = {
        "PRE_TRANSIT": S.LABEL_CREATED,
        "TRANSIT": S.IN_TRANSIT,
        "DELIVERED": S.DELIVERED,
        "RETURNED": S.RETURN_TO_SENDER,
        "FAILURE": S.EXCEPTION,
        "UNKNOWN": S.UNKNOWN,
    }
    block = vocab["shippo"]
    actual = {s["code"]: from_shippo(s["code"])[0] for s in block["status"]}
    assert actual == expected
    for status, substatuses in block["substatus_by_status"].items():
        for sub in substatuses:
            assert_consistent(from_shippo(status, sub["code"]))


# --- Shopify --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("label_printed", S.LABEL_CREATED),
        ("label_purchased", S.LABEL_CREATED),
        ("confirmed", S.LABEL_CREATED),
        ("in_transit", S.IN_TRANSIT),
        ("CARRIER_PICKED_UP", S.IN_TRANSIT),
        ("out_for_delivery", S.OUT_FOR_DELIVERY),
        ("ready_for_pickup", S.AVAILABLE_FOR_PICKUP),
        ("attempted_delivery", S.ATTEMPT_FAILED),
        ("delivered", S.DELIVERED),
        ("picked_up", S.DELIVERED),
        ("failure", S.EXCEPTION),
        ("DELAYED", S.EXCEPTION),
        ("RETURNING_TO_SENDER", S.RETURN_TO_SENDER),
        ("CANCELED", S.CANCELLED),
        ("IN_TRANSIT", S.IN_TRANSIT),
        (None, S.LABEL_CREATED),
        ("", S.LABEL_CREATED),
        ("teleported", S.UNKNOWN),
    ],
)
def test_shopify_shipment_status(value: str | None, expected: Status) -> None:
    assert from_shopify_shipment_status(value) == expected


def test_every_documented_shopify_value_is_understood(vocab: dict[str, Any]) -> None:
    block = vocab["shopify"]
    events = block["graphql_FulfillmentEventStatus"]
    values = [
        *block["rest_fulfillment.shipment_status"],
        *events["stable_2024_2025"],
        *events["added_2025_07"],
        *events["added_later_latest"],
        *events["unstable_customer_api_extra"],
        *block["graphql_FulfillmentDisplayStatus"],
    ]
    not_understood = [v for v in values if from_shopify_shipment_status(v) is S.UNKNOWN]
    assert not_understood == []


# --- free text ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("Held in customs - awaiting clearance", R.CUSTOMS),
        ("Customs delay", R.CUSTOMS),
        ("Severe weather conditions have delayed delivery", R.WEATHER),
        ("Delayed due to snowstorm", R.WEATHER),
        ("Hurricane Milton: service suspended", R.WEATHER),
        ("Incorrect address - unable to deliver", R.ADDRESS_ISSUE),
        ("Package damaged in transit - shipper has been notified", R.DAMAGED),
        ("Package could not be located - declared lost", R.LOST),
        ("Refused by recipient", R.REFUSED),
        ("Shipment delayed in transit", R.CARRIER_DELAY),
        ("Missorted, rerouted to correct facility", R.CARRIER_DELAY),
        ("Arrived at FedEx location", None),
        ("Closed for the holiday", None),
        ("", None),
        (None, None),
    ],
)
def test_reason_from_text(message: str | None, expected: ExceptionReason | None) -> None:
    assert reason_from_text(message) == expected
