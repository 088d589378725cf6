import re
from datetime import date, datetime, time, timedelta, timezone

import pytest

from tests.factories import (
    NOW,
    TODAY,
    days_ago,
    make_detection,
    make_event,
    make_order,
    make_order_state,
    make_shipment,
    make_shipment_state,
)
from wismo.domain import ExceptionReason, Status
from wismo.engine.detect import detect, snapshot
from wismo.engine.messages import digest, message
from wismo.engine.model import Kind

FRI, MON = date(2026, 11, 27), date(2026, 11, 23)
DENVER = timezone(timedelta(hours=-7))
URL = "https://www.ups.com/track?tracknum=1Z999AA10123456784"


def shipped(status=Status.IN_TRANSIT, **kw):
    order_kw = {k: kw.pop(k) for k in ("promised_date", "hold_reason", "created_at", "items")
                if k in kw}
    return make_order(shipments=[make_shipment(status=status, **kw)], **order_kw)


def said(order, before=None, *, kind=None, now=NOW, tz=None) -> str:
    """The message for the one detection (of ``kind``) that ``order`` produces at ``now``."""
    ds = [d for d in detect(order, before, now) if kind is None or d.kind is kind]
    assert len(ds) == 1, ds
    return message(ds[0], order, now.date(), tz=tz)


def problem(reason, **kw) -> str:
    order = shipped(Status.EXCEPTION, reason=reason, **kw)
    return said(order, make_order_state(), kind=Kind.EXCEPTION)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            lambda: said(make_order(created_at=days_ago(0.1))),
            "Thanks for your order #1042! We're getting it ready and it should arrive by "
            "Friday, November 27. We'll send you the tracking link as soon as it ships.",
            id="order_confirmed"),
        pytest.param(
            lambda: said(shipped(carrier_eta=FRI), make_order_state(status=Status.LABEL_CREATED)),
            f"Good news: your order #1042 is on its way with UPS and should arrive on Friday, "
            f"November 27. Track it here: {URL}",
            id="shipped"),
        pytest.param(
            lambda: said(shipped(Status.OUT_FOR_DELIVERY, eta_window=(time(14), time(18))),
                         make_order_state()),
            "Good news: your order #1042 is out for delivery with UPS today, expected between "
            "2 PM and 6 PM. If you miss it, UPS will leave a note and try again.",
            id="out_for_delivery"),
        pytest.param(
            lambda: said(shipped(Status.DELIVERED, status_message="Delivered, Front Porch",
                                 delivered_at=datetime(2026, 11, 24, 14, 14, tzinfo=DENVER)),
                         make_order_state()),
            "Your order #1042 was delivered today at 2:14 PM, on your front porch. If you "
            "can't find it, just reply here and we'll sort it out.",
            id="delivered"),
        pytest.param(
            lambda: said(shipped(Status.AVAILABLE_FOR_PICKUP, events=[make_event(
                status=Status.AVAILABLE_FOR_PICKUP, city="Nashville",
                message="Delivered to UPS Access Point: CVS Pharmacy, 500 Church St, "
                        "Nashville TN 37219. Available for pickup")]), make_order_state()),
            "Your order #1042 is ready to collect at a UPS pickup point: CVS Pharmacy, 500 "
            "Church St, Nashville TN 37219. Please bring photo ID to collect it by Tuesday, "
            "December 1 — they usually hold parcels for 7 days.",
            id="available_for_pickup"),
        pytest.param(
            lambda: said(shipped(carrier_eta=FRI, promised_date=MON), make_order_state()),
            "Sorry — your order #1042 was due yesterday and hasn't arrived yet. It's now "
            "expected on Friday, November 27, and we'll keep you posted.",
            id="late"),
        pytest.param(
            lambda: said(make_order(promised_date=MON), kind=Kind.LATE),
            "Sorry — your order #1042 was due yesterday and hasn't shipped yet. We're on it "
            "and will update you by Thursday, November 26.",
            id="late_unshipped"),
        pytest.param(
            lambda: said(shipped(carrier_eta=date(2026, 11, 30)), make_order_state()),
            "A heads-up: your order #1042 is now expected on Monday, November 30, a little "
            "later than we promised (Friday, November 27). Sorry about that; we'll keep you "
            "posted.",
            id="trending_late"),
        pytest.param(
            lambda: said(shipped(events=[make_event(at=days_ago(6))], shipped_at=days_ago(8)),
                         kind=Kind.STUCK),
            "Your order #1042 hasn't had a tracking update from UPS since it was scanned in "
            "Memphis, TN on Wednesday, November 18. We're checking with UPS and will update you "
            "by Thursday, November 26; if it's lost, we'll send a replacement or a refund.",
            id="stuck"),
        pytest.param(
            lambda: said(shipped(Status.LABEL_CREATED, shipped_at=days_ago(4))),
            "Your order #1042 was packed and labelled on Friday, November 20, but UPS hasn't "
            "scanned it yet. That's longer than usual, so we're looking into it and will update "
            "you by Thursday, November 26.",
            id="no_first_scan"),
        pytest.param(
            lambda: said(make_order(created_at=days_ago(6))),
            "Sorry — your order #1042 is taking longer than usual to leave our warehouse. We'll "
            "send you the tracking link as soon as it ships; it should still arrive by Friday, "
            "November 27.",
            id="unfulfilled_too_long"),
        pytest.param(
            lambda: said(make_order(created_at=days_ago(6), hold_reason="inventory_out_of_stock",
                                    promised_date=MON), kind=Kind.UNFULFILLED_TOO_LONG),
            "Your order #1042 hasn't shipped yet because an item is out of stock right now. It "
            "was due yesterday — we're sorry it's late. We'll ship it as soon as it's back in "
            "stock, and we'll update you by Thursday, November 26.",
            id="unfulfilled_on_hold_and_late"),
        pytest.param(
            lambda: said(shipped(Status.ATTEMPT_FAILED, carrier_eta=date(2026, 11, 25)),
                         make_order_state()),
            "UPS tried to deliver your order #1042 today but couldn't. They'll try again "
            "tomorrow. Please make sure someone is in, or use the tracking link to choose "
            f"another day. Track it here: {URL}",
            id="attempt_failed"),
        pytest.param(
            lambda: said(shipped(Status.RETURN_TO_SENDER), make_order_state()),
            "Your order #1042 is on its way back to us — UPS couldn't deliver it. It should "
            "reach us by about Tuesday, December 8. Please reply here to choose a refund or to "
            "have it sent again.",
            id="return_to_sender"),
        pytest.param(
            lambda: problem(ExceptionReason.WEATHER, carrier_eta=FRI),
            "Your order #1042 is delayed by severe weather near Memphis, TN. New delivery date: "
            "Friday, November 27. No action is needed — we'll keep you posted.",
            id="exception_weather"),
        pytest.param(
            lambda: problem(ExceptionReason.CARRIER_DELAY, carrier_eta=date(2026, 11, 30)),
            "Your order #1042 is delayed in the UPS network near Memphis, TN — usually a "
            "backlog at a sorting hub; it's still on its way. New delivery date: Monday, "
            "November 30. We'd promised it for Friday, November 27 — sorry about that. No "
            "action is needed — we'll keep you posted.",
            id="exception_carrier_delay"),
        pytest.param(
            lambda: problem(ExceptionReason.CUSTOMS, carrier="DHLExpress", events=[make_event(
                status=Status.EXCEPTION, city="LEIPZIG", region=None, country="DE",
                message="Import duties and taxes due")]),
            "Your order #1042 is going through customs in Leipzig. That's a normal check and "
            "usually takes a few days. We'll send you the new delivery date as soon as DHL has "
            "one. Please pay the import charges the carrier asks for.",
            id="exception_customs"),
        pytest.param(
            lambda: problem(ExceptionReason.ADDRESS_ISSUE),
            "UPS couldn't deliver your order #1042 because of a problem with the address (12 "
            "Oak St, Apt 4, Denver, CO 80202, United States). Please reply here to confirm your "
            "address, including any apartment number. UPS usually holds it until about Sunday, "
            "November 29.",
            id="exception_address_issue"),
        pytest.param(
            lambda: problem(ExceptionReason.DAMAGED),
            "We're so sorry: your order #1042 was damaged on the way. Please reply here to "
            "choose a replacement or a full refund. We'll arrange it right away.",
            id="exception_damaged"),
        pytest.param(
            lambda: problem(ExceptionReason.LOST),
            "We're so sorry: UPS has told us your order #1042 is lost. Please reply here to "
            "choose a replacement or a full refund. We'll arrange it right away.",
            id="exception_lost"),
        pytest.param(
            lambda: problem(ExceptionReason.REFUSED),
            "Your order #1042 was refused at delivery, so UPS is sending it back to us, and "
            "we'll refund you when it arrives. Please reply here if refusing it was a mistake, "
            "and we'll arrange a new delivery.",
            id="exception_refused"),
        pytest.param(
            lambda: problem(ExceptionReason.OTHER),
            "Your order #1042 has run into a problem with UPS near Memphis, TN. We're checking "
            "what happened and will update you by Thursday, November 26.",
            id="exception_other"),
    ],
)
def test_the_words_for_each_detection(text, expected):
    assert text() == expected


# Every kind (every reason for exceptions), with all facts and with none, on a one-parcel
# order, a split order and an order not shipped yet.
DETECTIONS = [
    *((k, None) for k in Kind if k is not Kind.EXCEPTION),
    *((Kind.EXCEPTION, r) for r in [*ExceptionReason, None]),
]
FULL = dict(at=days_ago(0.25), new_date=FRI, promised_date=MON, place="Memphis, TN",
            action="reply here to confirm your address", revision="x")
BARE = dict(carrier=None, tracking_number=None)
ORDERS = {
    "one_parcel": shipped(),
    "split": make_order(items=["Boots", "Socks"], shipments=[
        make_shipment(id="ful-1", items=["Boots"], carrier="canada_post"),
        make_shipment(id="ful-2", items=["Socks"], carrier=None)]),
    "unshipped": make_order(hold_reason="incorrect_address"),
    "no_details": make_order(promised_date=None, shipping_address=None,
                             shipments=[make_shipment(carrier=None, tracking_url=None,
                                                      events=[], destination=None)]),
}
RAW = [*(s.value for s in Status if "_" in s.value),
       *(r.value for r in ExceptionReason if "_" in r.value),
       "canada_post", "None", "DHLExpress", "2026-", "+00:00", " .", " ,", "..", "  "]
NEXT_STEP = re.compile(
    r"today|tomorrow|day, (November|December) \d+|reply here|keep you posted|photo ID|"
    r"tracking link|Track it here|Tracking number|message you")


@pytest.mark.parametrize("facts", ["full", "bare"])
@pytest.mark.parametrize("order", ORDERS)
@pytest.mark.parametrize(("kind", "reason"), DETECTIONS,
                         ids=lambda v: getattr(v, "value", str(v)))
def test_no_message_shows_codes_or_gaps(kind, reason, order, facts):
    for shipment_id in ("ful-1", "ful-2", None):
        d = make_detection(kind, reason=reason, shipment_id=shipment_id,
                           **(FULL if facts == "full" else BARE))
        text = message(d, ORDERS[order], TODAY)
        words = re.sub(r"https?://\S+", "", text)
        assert "#1042" in text and "\n" not in text and "_" not in words, text
        assert not [raw for raw in RAW if raw in words], text
        assert text[0].isupper() and text.rstrip()[-1] in ".!" or URL in text, text
        assert NEXT_STEP.search(text), text


def test_a_parcel_of_a_split_order_is_named():
    order = make_order(items=["Boots", "Socks"], shipments=[
        make_shipment(id="ful-1", status=Status.DELIVERED, items=["Boots"]),
        make_shipment(id="ful-2", status=Status.OUT_FOR_DELIVERY, items=["Socks"],
                      carrier="usps")])
    before = make_order_state(shipments={"ful-1": make_shipment_state(status=Status.DELIVERED,
                                                                      checkpoint_at=NOW),
                                         "ful-2": make_shipment_state()})
    assert said(order, before) == (
        "Good news: parcel 2 of 2 (Socks) from your order #1042 is out for delivery with USPS "
        "today. If you miss it, USPS will leave a note and try again.")


def test_the_unshipped_rest_of_an_order_is_named():
    order = make_order(items=["Jacket", "Throw"], created_at=days_ago(6),
                       hold_reason="inventory_out_of_stock",
                       shipments=[make_shipment(items=["Jacket"])])
    assert said(order, snapshot(order)).startswith(
        "The rest of your order #1042 (Throw) hasn't shipped yet because an item is out of "
        "stock right now.")


def test_clock_times_are_shown_in_the_customers_zone():
    order = shipped(Status.DELIVERED, delivered_at=datetime(2026, 11, 24, 21, 14,
                                                            tzinfo=timezone.utc))
    utc = said(order, make_order_state())
    assert utc.startswith("Your order #1042 was delivered today.")  # no bare UTC clock time
    local = said(order, make_order_state(), tz=DENVER)
    assert local.startswith("Your order #1042 was delivered today at 2:14 PM.")


def test_who_signed_for_it():
    order = shipped(Status.DELIVERED, delivered_at=days_ago(0.1), signed_by="L GARCIA",
                    status_message="Delivered")
    assert "was delivered today, signed for by L Garcia." in said(order, make_order_state())


def test_stuck_and_late_own_up_to_the_missed_promise():
    order = shipped(events=[make_event(at=days_ago(6))], shipped_at=days_ago(8),
                    promised_date=date(2026, 11, 20))
    text = said(order, kind=Kind.STUCK)
    assert "It was due on Friday, November 20 — we're sorry it's late." in text


def test_a_digest_puts_what_needs_the_customer_first_one_line_each():
    order = make_order(items=["Boots", "Socks"], shipments=[
        make_shipment(id="ful-1", status=Status.DELIVERED, items=["Boots"]),
        make_shipment(id="ful-2", status=Status.EXCEPTION, items=["Socks"],
                      reason=ExceptionReason.ADDRESS_ISSUE)])
    before = make_order_state(shipments={"ful-1": make_shipment_state(),
                                         "ful-2": make_shipment_state()})
    ds = detect(order, before, NOW)
    assert [d.kind for d in ds] == [Kind.DELIVERED, Kind.EXCEPTION]
    lines = digest(ds, order, TODAY).splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("UPS couldn't deliver parcel 2 of 2 (Socks) from your order "
                               "#1042 because of a problem with the address")
    assert lines[1].startswith("Parcel 1 of 2 (Boots) from your order #1042 was delivered today")


def test_a_digest_says_a_slip_once():
    order = shipped(Status.EXCEPTION, reason=ExceptionReason.WEATHER,
                    carrier_eta=date(2026, 11, 30))
    ds = detect(order, make_order_state(), NOW)
    assert [d.kind for d in ds] == [Kind.EXCEPTION, Kind.TRENDING_LATE]
    assert digest(ds, order, TODAY) == (
        "Your order #1042 is delayed by severe weather near Memphis, TN. New delivery date: "
        "Monday, November 30. We'd promised it for Friday, November 27 — sorry about that. No "
        "action is needed — we'll keep you posted.")


@pytest.mark.parametrize(
    ("order", "kinds", "first"),
    [
        (shipped(events=[make_event(at=days_ago(6))], shipped_at=days_ago(8),
                 promised_date=date(2026, 11, 20)),
         [Kind.LATE, Kind.STUCK], "Your order #1042 hasn't had a tracking update"),
        (make_order(created_at=days_ago(6), promised_date=MON),
         [Kind.LATE, Kind.UNFULFILLED_TOO_LONG], "Sorry — your order #1042 is taking longer"),
    ],
)
def test_a_digest_leaves_out_late_when_another_line_says_it(order, kinds, first):
    ds = detect(order, snapshot(order), NOW)
    assert [d.kind for d in ds] == kinds
    text = digest(ds, order, TODAY)
    assert "\n" not in text and text.startswith(first) and "sorry it's late" in text


def test_a_digest_says_repeats_once_and_keeps_unrelated_news():
    order = shipped(promised_date=MON, carrier_eta=FRI)
    late = detect(order, make_order_state(), NOW)
    shipped_news = make_detection(Kind.SHIPPED, shipment_id="ful-1")
    text = digest([*late, *late, shipped_news], order, TODAY)
    assert text.splitlines() == [
        message(late[0], order, TODAY),  # "late" is more urgent than "shipped"
        message(shipped_news, order, TODAY),
    ]
