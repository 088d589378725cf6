import re
from datetime import date, time, timedelta

import pytest

from tests.factories import (
    TODAY,
    days_ago,
    make_address,
    make_event,
    make_order,
    make_shipment,
    on,
)
from wismo import answers
from wismo.domain import ExceptionReason, LineItem, Status

FRI = date(2026, 11, 27)
MON = date(2026, 11, 23)
FRONT = "Delivered, Front Door/Porch"


def shipped(**shipment) -> object:
    """Order #1042 with one parcel built from ``shipment`` keyword arguments."""
    order_kw = {k: shipment.pop(k) for k in ("promised_date", "hold_reason") if k in shipment}
    return make_order(shipments=[make_shipment(**shipment)], **order_kw)


def exception(reason, **kw):
    return shipped(status=Status.EXCEPTION, reason=reason, **kw)


SPLIT = make_order(
    items=["Headphones", "Socks", LineItem("Mug", 2)],
    shipments=[
        make_shipment(id="ful-1", status=Status.DELIVERED, items=["Headphones"],
                      delivered_at=on(MON, 14), status_message=FRONT),
        make_shipment(id="ful-2", status=Status.IN_TRANSIT, carrier="usps",
                      tracking_number="9400111899223817586629", tracking_url=None,
                      items=["Socks", LineItem("Mug", 2)], carrier_eta=FRI),
    ],
)
PARTIAL = make_order(
    items=["Jacket", "Throw"], hold_reason="inventory_out_of_stock",
    shipments=[make_shipment(items=["Jacket"], carrier_eta=FRI)],
)

# One order in every state a customer can meet; every reply is checked against each.
STATES = {
    "pending": make_order(),
    "pending_hold_stock": make_order(hold_reason="inventory_out_of_stock"),
    "pending_hold_payment": make_order(hold_reason="awaiting_payment"),
    "pending_hold_plain_words": make_order(hold_reason="Waiting for the engraving"),
    "pending_late": make_order(promised_date=MON),
    "label_created": shipped(status=Status.LABEL_CREATED, shipped_at=days_ago(0.5)),
    "label_no_scan": shipped(status=Status.LABEL_CREATED, shipped_at=days_ago(4)),
    "in_transit": shipped(carrier_eta=FRI, shipped_at=on(MON, 9)),
    "in_transit_no_eta": shipped(carrier_eta=None),
    "trending_late": shipped(carrier_eta=date(2026, 11, 30)),
    "late": shipped(carrier_eta=FRI, promised_date=MON),
    "stuck": shipped(events=[make_event(at=days_ago(6), city="Memphis")],
                     shipped_at=days_ago(8), carrier_eta=date(2026, 11, 19),
                     promised_date=date(2026, 11, 20)),
    "out_for_delivery": shipped(status=Status.OUT_FOR_DELIVERY, carrier_eta=TODAY,
                                eta_window=(time(10), time(14))),
    "out_for_delivery_no_window": shipped(status=Status.OUT_FOR_DELIVERY),
    "delivered": shipped(status=Status.DELIVERED, delivered_at=on(MON, 14),
                         status_message=FRONT),
    "delivered_signed": shipped(status=Status.DELIVERED, delivered_at=on(MON, 14),
                                status_message="Delivered", signed_by="L GARCIA"),
    "delivered_locker": shipped(status=Status.DELIVERED, delivered_at=on(MON, 14),
                                status_message="Delivered, Parcel Locker"),
    "available_for_pickup": shipped(
        status=Status.AVAILABLE_FOR_PICKUP, events=[make_event(
            at=on(MON, 16), status=Status.AVAILABLE_FOR_PICKUP, city="Nashville",
            message="Delivered to UPS Access Point: CVS Pharmacy, 500 Church St, "
                    "Nashville TN 37219. Available for pickup")]),
    "attempt_failed": shipped(status=Status.ATTEMPT_FAILED, carrier_eta=date(2026, 11, 25)),
    "exception_carrier_delay": exception(ExceptionReason.CARRIER_DELAY, carrier_eta=FRI),
    "exception_weather": exception(ExceptionReason.WEATHER, carrier_eta=FRI),
    "exception_address_issue": exception(ExceptionReason.ADDRESS_ISSUE),
    "exception_customs": exception(ExceptionReason.CUSTOMS, carrier="DHLExpress",
                                   carrier_eta=FRI),
    "exception_damaged": exception(ExceptionReason.DAMAGED),
    "exception_lost": exception(ExceptionReason.LOST),
    "exception_refused": exception(ExceptionReason.REFUSED),
    "exception_other": exception(ExceptionReason.OTHER),
    "exception_no_reason": exception(None),
    "return_to_sender": shipped(status=Status.RETURN_TO_SENDER),
    "unknown": shipped(status=Status.UNKNOWN),
    "cancelled": make_order(cancelled_at=on(MON, 9), cancel_reason="customer"),
    "cancelled_unpaid": make_order(cancelled_at=on(MON, 9), cancel_reason="fraud",
                                   financial_status="voided"),
    "split": SPLIT,
    "partially_fulfilled": PARTIAL,
}
REPLIES = {
    "status_reply": lambda o: answers.status_reply(o, TODAY),
    "eta_reply": lambda o: answers.eta_reply(o, TODAY),
    "delay_reply": lambda o: answers.delay_reply(o, TODAY),
    "tracking_reply": answers.tracking_reply,
    "order_summary_line": lambda o: answers.order_summary_line(o, TODAY),
    "missing_package_reply": lambda o: answers.missing_package_reply(o, TODAY),
    "damaged_item_reply": answers.damaged_item_reply,
    "cancel_refused_reply": answers.cancel_refused_reply,
    "address_change_refused_reply": answers.address_change_refused_reply,
    "cancel_confirm_question": answers.cancel_confirm_question,
    "cancelled_reply": answers.cancelled_reply,
    "address_changed_reply": answers.address_changed_reply,
    "address_confirm_question": lambda o: answers.address_confirm_question(o, make_address()),
}
RAW = [*(s.value for s in Status if "_" in s.value),
       *(r.value for r in ExceptionReason if "_" in r.value),
       "arrived_at_facility", "None", "DHLExpress", "L GARCIA", " .", " ,"]
NO_DATE_AHEAD = {  # nothing more will happen on a date: delivered, or the customer chooses
    "cancelled", "cancelled_unpaid", "delivered", "delivered_signed", "delivered_locker",
    "exception_damaged", "exception_lost", "exception_refused",
}


def status(name: str) -> str:
    return answers.status_reply(STATES[name], TODAY)


@pytest.mark.parametrize("reply", REPLIES)
@pytest.mark.parametrize("state", STATES)
def test_no_reply_shows_codes_or_gaps(state, reply):
    text = REPLIES[reply](STATES[state])
    words = re.sub(r"https?://\S+", "", text)
    assert text.strip() and "_" not in words and "!!" not in text and "  " not in text
    assert not [raw for raw in RAW if raw in words]


@pytest.mark.parametrize("state", [s for s in STATES if s not in NO_DATE_AHEAD])
def test_every_status_answer_names_a_next_step_with_a_date(state):
    text = status(state)
    assert re.search(r"today|tomorrow|day, (November|December) \d+", text), text


def test_not_shipped_yet():
    assert status("pending") == (
        "Your order #1042 hasn't shipped yet — we're getting it ready. We'll ship it; it should "
        "arrive by Friday, November 27. I'll message you if anything changes.")


@pytest.mark.parametrize(
    ("state", "why"),
    [
        ("pending_hold_stock", "because an item is out of stock right now"),
        ("pending_hold_payment", "waiting for your payment to be confirmed"),
        ("pending_hold_plain_words", "shipped yet (waiting for the engraving)"),
    ],
)
def test_not_shipped_says_why_it_is_on_hold(state, why):
    assert why in status(state)
    assert "Friday, November 27" in status(state)


def test_not_shipped_and_past_the_promise_apologises():
    text = status("pending_late")
    assert "due by yesterday" in text and "sorry" in text
    assert "update you by Thursday, November 26" in text


def test_label_created_is_normal_for_a_day_or_two():
    text = status("label_created")
    assert "hasn't scanned it yet" in text and "normal" in text
    assert "UPS" in text and "Friday, November 27" in text


def test_label_not_scanned_for_days_is_being_looked_into():
    text = status("label_no_scan")
    assert "still hasn't scanned it" in text and "looking into it" in text
    assert "Thursday, November 26" in text  # follow-up two business days out


def test_in_transit_says_where_it_is_where_it_goes_and_when():
    assert status("in_transit") == (
        "Your order #1042 left our warehouse yesterday and is with UPS, on its way to Denver, "
        "CO. Its latest scan was in Memphis, TN today. It should arrive on Friday, November 27."
        "\nI'll message you if anything changes.")


def test_in_transit_without_carrier_date_uses_the_promise():
    assert "It should arrive on Friday, November 27." in status("in_transit_no_eta")


def test_trending_late_admits_it_before_the_promise_passes():
    text = status("trending_late")
    assert "Monday, November 30" in text and "promised it for Friday, November 27" in text


def test_late_apologises_and_gives_the_new_date():
    text = status("late")
    assert "It was due yesterday — I'm sorry it's late." in text
    assert "UPS now expects to deliver it on Friday, November 27." in text


def test_stuck_says_since_when_and_that_we_are_checking():
    text = status("stuck")
    assert "hasn't had an update since it was scanned in Memphis, TN on Wednesday, " \
           "November 18" in text
    assert "checking with UPS" in text and "Thursday, November 26" in text
    assert "sorry it's late" in text


def test_out_for_delivery_with_window():
    assert "out for delivery with UPS today, between 10 AM and 2 PM" in status(
        "out_for_delivery")
    assert "out for delivery with UPS today." in status("out_for_delivery_no_window")


@pytest.mark.parametrize(
    ("state", "facts"),
    [
        ("delivered", ["delivered yesterday, at your front door", "can't find it"]),
        ("delivered_signed", ["delivered yesterday, signed for by L Garcia"]),
        ("delivered_locker", ["delivered yesterday, in a parcel locker", "code"]),
    ],
)
def test_delivered_says_when_where_and_who_signed(state, facts):
    text = status(state)
    assert all(fact in text for fact in facts), text
    assert "I'll message you" not in text


def test_available_for_pickup_says_where_until_when_and_to_bring_id():
    text = status("available_for_pickup")
    assert "UPS pickup point: CVS Pharmacy, 500 Church St, Nashville TN 37219" in text
    assert "photo ID" in text and "Monday, November 30" in text


def test_failed_attempt_gives_the_next_try():
    text = status("attempt_failed")
    assert "UPS tried to deliver your order #1042 today" in text
    assert "try again tomorrow" in text


@pytest.mark.parametrize(
    ("state", "facts"),
    [
        ("exception_carrier_delay", ["delayed in the UPS network", "Friday, November 27"]),
        ("exception_weather", ["bad weather near Memphis, TN", "Friday, November 27"]),
        ("exception_address_issue", ["problem with the address (12 Oak St, Apt 4, Denver",
                                     "reply with the correct address", "Sunday, November 29"]),
        ("exception_customs", ["going through customs", "DHL", "Friday, November 27"]),
        ("exception_damaged", ["damaged", "make it right", "replacement or a full refund"]),
        ("exception_lost", ["UPS has told us your order #1042 is lost", "make it right"]),
        ("exception_refused", ["refused", "sending it back", "refund"]),
        ("exception_other", ["problem in transit", "Thursday, November 26"]),
        ("exception_no_reason", ["problem in transit", "Thursday, November 26"]),
    ],
)
def test_exceptions_explain_the_reason_and_the_next_step(state, facts):
    text = status(state)
    assert all(fact in text for fact in facts), text


def test_returning_to_sender_offers_refund_or_reship():
    text = status("return_to_sender")
    assert "on its way back to us" in text and "refund" in text and "send it again" in text


def test_cancelled_says_when_why_and_the_refund():
    assert status("cancelled") == (
        "Your order #1042 was cancelled yesterday at your request. Your refund of $89.00 goes "
        "back to your original payment method and usually shows within 5–10 business days.")
    assert status("cancelled_unpaid") == (
        "Your order #1042 was cancelled yesterday. You haven't been charged for it.")


def test_split_shipment_gets_one_line_per_parcel():
    lines = status("split").splitlines()
    assert lines[0] == "Your order #1042 is coming in 2 parcels:"
    assert lines[1].startswith("Parcel 1 of 2 (Headphones) was delivered yesterday")
    assert lines[2].startswith("Parcel 2 of 2 (Socks and Mug ×2)")
    assert "USPS" in lines[2] and "Friday, November 27" in lines[2]
    assert lines[3] == "I'll message you if anything changes."


def test_partly_shipped_order_lists_what_has_not_shipped():
    lines = status("partially_fulfilled").splitlines()
    assert lines[1].startswith("The first parcel (Jacket) left our warehouse")
    assert lines[2].startswith("The rest (Throw) hasn't shipped yet because an item is out")


def test_eta_reply_gives_the_date_and_window():
    assert answers.eta_reply(STATES["out_for_delivery"], TODAY) == (
        "Your order #1042 should arrive today, between 10 AM and 2 PM — that's UPS's latest "
        "estimate.")
    assert answers.eta_reply(STATES["in_transit"], TODAY) == (
        "Your order #1042 should arrive on Friday, November 27 — that's UPS's latest estimate.")


def test_eta_reply_explains_why_there_is_no_date():
    assert "reply with the correct address" in answers.eta_reply(
        STATES["exception_address_issue"], TODAY)


def test_delay_reply_explains_the_delay_and_new_date():
    text = answers.delay_reply(STATES["exception_weather"], TODAY)
    assert "bad weather" in text and "Friday, November 27" in text


def test_delay_reply_when_on_track():
    assert answers.delay_reply(STATES["in_transit"], TODAY) == (
        "Good news: it isn't delayed.\nYour order #1042 should arrive on Friday, November 27 — "
        "that's UPS's latest estimate.")


def test_delay_reply_on_a_split_order_only_talks_about_the_delayed_parcel():
    order = make_order(items=["Boots", "Socks"], shipments=[
        make_shipment(status=Status.DELIVERED, items=["Boots"], delivered_at=on(MON)),
        make_shipment(id="ful-2", status=Status.EXCEPTION, reason=ExceptionReason.WEATHER,
                      items=["Socks"], carrier_eta=FRI),
    ])
    text = answers.delay_reply(order, TODAY)
    assert text.startswith("Parcel 2 of 2 (Socks) is held up by bad weather")
    assert "Boots" not in text


def test_tracking_reply():
    assert answers.tracking_reply(STATES["in_transit"]) == (
        "Your order #1042 is with UPS, tracking number 1Z999AA10123456784: "
        "https://www.ups.com/track?tracknum=1Z999AA10123456784")
    assert answers.tracking_reply(SPLIT).splitlines()[1:] == [
        "Parcel 1 of 2 (Headphones) — UPS 1Z999AA10123456784: "
        "https://www.ups.com/track?tracknum=1Z999AA10123456784",
        "Parcel 2 of 2 (Socks and Mug ×2) — USPS 9400111899223817586629",
    ]
    assert "you'll get a link as soon as it ships" in answers.tracking_reply(
        STATES["pending"]).lower()


@pytest.mark.parametrize(
    ("state", "line"),
    [
        ("in_transit", "#1042 — 1 item — on its way, arriving Friday, November 27"),
        ("pending", "#1042 — 1 item — not shipped yet, arriving by Friday, November 27"),
        ("delivered", "#1042 — 1 item — delivered yesterday"),
        ("cancelled", "#1042 — 1 item — cancelled"),
        ("split", "#1042 — 4 items — delivered yesterday; on its way, arriving Friday, "
                  "November 27"),
    ],
)
def test_order_summary_line(state, line):
    assert answers.order_summary_line(STATES[state], TODAY) == line


def test_missing_package_reply_for_a_delivered_parcel():
    text = answers.missing_package_reply(STATES["delivered_signed"], TODAY)
    assert "UPS shows your order as delivered yesterday at 12 Oak St" in text
    assert "signed for by L Garcia" in text and "end of tomorrow" in text


def test_missing_package_reply_before_delivery_gives_the_status():
    text = answers.missing_package_reply(STATES["in_transit"], TODAY)
    assert "isn't marked as delivered yet" in text and "Friday, November 27" in text


def test_damaged_item_reply_asks_for_a_photo():
    assert "photo" in answers.damaged_item_reply(STATES["delivered"])


def test_cancel_and_address_change_refused_once_shipped():
    cancel = answers.cancel_refused_reply(STATES["in_transit"])
    assert cancel.startswith("Your order #1042 has already shipped with UPS, so I can't cancel")
    assert "connect you" in cancel
    packed = answers.cancel_refused_reply(STATES["label_created"])
    assert "already packed and labelled for UPS" in packed
    address = answers.address_change_refused_reply(STATES["in_transit"])
    assert "can't change the delivery address" in address and "person" in address


def test_cancel_confirm_and_done():
    order = make_order(items=["Headphones", LineItem("Mug", 2)])
    assert answers.cancel_confirm_question(order) == (
        "Just to confirm: do you want to cancel order #1042 (Headphones and Mug ×2), $89.00? "
        "This can't be undone.")
    assert answers.cancelled_reply(order).startswith("Done — order #1042 is cancelled. Your "
                                                     "refund of $89.00")


def test_address_confirm_and_done():
    new = make_address(address1="500 Elm St", address2=None, city="Boulder", zip="80302")
    assert answers.address_confirm_question(make_order(), new).startswith(
        "Should I send order #1042 to 500 Elm St, Boulder, CO 80302, United States instead?")
    changed = make_order(shipping_address=new)
    assert "will go to 500 Elm St, Boulder" in answers.address_changed_reply(changed)


@pytest.mark.parametrize(
    ("address", "line"),
    [
        (make_address(), "12 Oak St, Apt 4, Denver, CO 80202, United States"),
        (make_address(address2=" ", country=None), "12 Oak St, Denver, CO 80202, US"),
        (make_address(province_code=None, province=None, zip=None), "12 Oak St, Apt 4, "
                                                                    "Denver, United States"),
        (None, ""),
    ],
)
def test_format_address(address, line):
    assert answers.format_address(address) == line


def test_cities_and_names_in_capitals_are_written_normally():
    order = shipped(events=[make_event(city="SALT LAKE CITY", region="UT")], carrier_eta=FRI)
    assert "Salt Lake City, UT" in answers.status_reply(order, TODAY)


def test_dates_a_year_away_carry_the_year():
    order = shipped(carrier_eta=date(2027, 1, 4), promised_date=date(2027, 1, 5),
                    events=[make_event(at=on(date(2026, 12, 29)))])
    today = date(2026, 12, 30)
    assert "Monday, January 4, 2027" in answers.eta_reply(order, today)
    assert "None" not in answers.status_reply(order, today + timedelta(days=1))
