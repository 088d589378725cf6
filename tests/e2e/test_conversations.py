"""Whole conversations over the REST channel against the sandbox store and carrier.

Order facts (numbers, emails, cities, carriers) come from the sandbox seed
(docs/sandbox.md); dates are computed from today, as the bot computes them.
"""

from __future__ import annotations

import re
import sqlite3

import pytest

pytestmark = pytest.mark.e2e

ASK_NUMBER = "order number"
ASK_PROOF = "email address or the postal code"


def test_where_is_my_order_asks_number_then_proof_then_answers(customer):
    assert ASK_NUMBER in customer("where is my order?")
    reply = customer("1001")
    assert ASK_PROOF in reply
    assert "Denver" not in reply and "UPS" not in reply  # nothing disclosed yet
    reply = customer("ava.thompson@example.com")
    assert "#1001" in reply
    assert "UPS" in reply and "Denver" in reply
    assert re.search(r"arrive (today|tomorrow|on \w+day, \w+ \d+)", reply)


def test_order_number_and_email_up_front_answer_at_once(customer):
    reply = customer("hi, where is order #1012? my email is liam.davis@example.com")
    assert "out for delivery" in reply
    assert "2 PM" in reply  # the carrier's time window


def test_verified_identity_is_remembered_for_follow_up_questions(customer):
    customer("where's my package")
    customer("1001")
    customer("80202")
    reply = customer("can you send me the tracking link?")
    assert ASK_PROOF not in reply
    assert re.search(r"1Z[0-9A-Z]{16}", reply)
    assert "ups.com" in reply


def test_a_wrong_email_never_says_which_detail_was_wrong(customer):
    customer("where is my order")
    customer("1001")
    reply = customer("someone.else@example.com")
    assert "couldn't find an order matching those details" in reply
    assert "Denver" not in reply and "UPS" not in reply
    # An order that does not exist reads exactly the same.
    customer("9999")
    assert "couldn't find an order matching those details" in customer("someone.else@example.com")


def test_five_failed_checks_lock_the_lookup_and_hand_over_to_a_person(customer, stack):
    customer("where is my order")
    for attempt in range(5):
        customer("1001")
        reply = customer(f"wrong{attempt}@example.com")
    assert "can't look up orders in this chat" in reply
    assert "passing you to our support team (case C-" in reply
    with sqlite3.connect(stack.settings.var_dir / "wismo.db") as db:
        [(reason,)] = db.execute("SELECT reason FROM handoff_cases WHERE conversation_id=?",
                                 (customer.sender,)).fetchall()
    assert reason == "verification_locked"
    customer("1001")  # the bot is paused now: a person answers, never the lookup
    assert "Denver" not in customer("ava.thompson@example.com")


def test_late_order_explains_the_delay_with_a_new_date(customer):
    customer("why is my order late?")
    customer("#1010")
    reply = customer("30308")
    assert "late" in reply.lower()
    assert re.search(r"(today|tomorrow|\w+day, \w+ \d+)", reply)


def test_weather_exception_says_why(customer):
    customer("has my order shipped? its 1019")
    reply = customer("henry.jackson@example.com")
    assert "weather" in reply.lower()


def test_not_shipped_order_says_why_it_is_held(customer):
    customer("order 1003 status pls")
    reply = customer("02108")
    assert "out of stock" in reply


def test_split_shipment_gets_a_line_per_parcel(customer):
    customer("where is my stuff, order 1028")
    reply = customer("ruby.scott@example.com")
    assert "Parcel 1 of 2" in reply and "Parcel 2 of 2" in reply
    assert "delivered" in reply and "USPS" in reply


def test_cancel_before_shipping_happens_after_a_yes(customer, stack):
    customer("i want to cancel my order")
    customer("1055")
    reply = customer("89104")
    assert "cancel" in reply.lower() and "#1055" in reply
    assert _sandbox_order(stack, "1055")["cancelled_at"] is None  # nothing before the yes
    reply = customer("yes")
    assert "cancelled" in reply.lower()
    assert _sandbox_order(stack, "1055")["cancelled_at"] is not None


def test_cancel_after_shipping_is_refused_with_a_person_offered(customer):
    customer("cancel order 1001")
    reply = customer("ava.thompson@example.com")
    assert "already" in reply.lower() or "shipped" in reply.lower()
    assert any(b["payload"] == "/human_handoff" for r in customer.replies
               for b in r.get("buttons") or [])


def test_change_address_before_shipping_updates_the_store(customer, stack):
    customer("I need to change my delivery address")
    customer("1052")
    reply = customer("liam.davis@example.com")
    assert "new delivery address" in reply
    reply = customer("500 Pine St, Apt 2, Portland, OR 97205")
    assert "500 Pine St" in reply
    assert "will go to 500 Pine St" in customer("yes")
    assert _sandbox_order(stack, "1052")["shipping_address"]["address1"] == "500 Pine St"


def test_missing_parcel_apologises_and_opens_a_case(customer, stack):
    customer("it says delivered but i never got it")
    customer("1014")
    reply = customer("55401")
    assert "sorry" in reply.lower()
    assert "case" in reply.lower()
    with sqlite3.connect(stack.settings.var_dir / "wismo.db") as db:
        rows = db.execute("SELECT reason, order_number FROM handoff_cases WHERE conversation_id=?",
                          (customer.sender,)).fetchall()
    assert rows == [("package_missing", "1014")]


def test_return_policy_is_given_and_a_person_offered(customer):
    reply = customer("how do i return an item?")
    assert "30 days" in reply
    assert "person" in reply


def test_asking_for_a_human_opens_a_case(customer):
    reply = customer("let me talk to a real person")
    assert "case" in reply and "support team" in reply


def test_gibberish_gets_a_clarifying_question_with_buttons(customer):
    customer("asdkjh qwpeoi zmxn")
    buttons = [b for r in customer.replies for b in r.get("buttons") or []]
    assert len(buttons) >= 2


@pytest.mark.parametrize("message", ["", " ", "📦❓", "x" * 10_000],
                         ids=["empty", "space", "emoji", "10kB"])
def test_odd_messages_get_a_polite_reply(customer, message):
    replies_text = customer(message)
    assert replies_text.strip()
    assert "Traceback" not in replies_text


def test_a_carrier_failure_still_answers_from_the_store(customer):
    customer("where is order 1040")
    reply = customer("owen.lewis@example.com")
    assert "#1040" in reply
    assert "couldn't reach the carrier" in reply


def test_a_carrier_returning_garbage_still_answers(customer):
    customer("where is order 1041")
    reply = customer("emma.rodriguez@example.com")
    assert "#1041" in reply
    assert "Traceback" not in reply


def _sandbox_order(stack, number: str) -> dict:
    import requests

    response = requests.get(
        f"{stack.settings.shopify_store_url}/admin/api/2024-10/orders.json",
        params={"name": f"#{number}", "status": "any"},
        headers={"X-Shopify-Access-Token": stack.settings.shopify_access_token},
        timeout=5,
    )
    return response.json()["orders"][0]


def test_a_carrier_timeout_answers_within_seconds_from_the_store(customer):
    import time

    customer("where is order 1042")
    started = time.monotonic()
    reply = customer("daniel.nguyen@example.com")
    assert "#1042" in reply
    assert "couldn't reach the carrier" in reply
    assert time.monotonic() - started < 15  # the customer is not left waiting


def test_no_order_number_finds_the_orders_by_email_and_postal_code(customer):
    customer("where is my order")
    customer("i don't have the order number")
    reply = customer("priya.patel@example.com")
    assert "postal code" in reply
    reply = customer("02108")
    assert "I found 4 recent orders" in reply
    buttons = [b for r in customer.replies for b in r.get("buttons") or []]
    pick = next(b["payload"] for b in buttons if b["title"] == "#1029")
    reply = customer(pick)
    assert "#1029" in reply and "Parcel 1 of 2" in reply
