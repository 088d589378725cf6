from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest

from tests.factories import TODAY, days_ago, make_event, make_order, make_shipment
from wismo.domain import ExceptionReason, Status
from wismo.handoff.handoff_rules import DEFAULT_RULES
from wismo.handoff.triggers import frustration, priority_reason

# --- Frustration -----------------------------------------------------------------------------

FRUSTRATED = [
    ["where is my order", "this is ridiculous, it was due last week"],
    ["Hi", "This is the third time I'm asking about order 1047"],
    ["I HAVE BEEN WAITING TWO WEEKS FOR THIS!!!"],
    ["where is my order", "hello?? where is my order", "WHERE IS MY ORDER"],
    ["where's my f***ing parcel"],
    ["wtf is going on with my order"],
    ["Honestly I'm fed up with waiting"],
    ["If it doesn't arrive by Friday I'm filing a chargeback"],
    ["Your tracking is useless"],
    ["Great, just great. Another delay."],
    ["Where the hell is my package?"],
    ["this feels like a scam tbh"],
    ["Unacceptable. I paid for express shipping"],
    ["Thanks for nothing"],
    ["I've already asked twice and still no answer"],
    ["WHY DOES NOBODY ANSWER?!"],
    ["Is anyone there?!", "This is so frustrating"],
    ["This is a rip-off"],
]

CALM = [
    ["where is my order?"],
    ["I'm not happy it's late but ok"],
    ["ORDER 1047"],
    ["thanks!!"],
    ["is it lost?"],
    ["HI, ORDER #1047 FOR AVA JONES PLEASE"],
    ["my tracking number is 1Z999AA10123456784", "EMAIL AVA.JONES@EXAMPLE.COM"],
    ["when will it arrive? I need it by Friday"],
    ["Awesome!! Thank you so much"],
    ["OMG THANK YOU SO MUCH, IT CAME!!"],
    ["The worst part is I need it for a birthday"],
    ["Can I change the delivery address?", "It's 12 Oak St, Apt 4"],
    ["This is my third order from you, love the shop"],
    ["hmm ok", "ok", "what about the other parcel?"],
    ["USPS says delivered"],
    ["I ordered the scampi sauce, is it shipped?"],
]


@pytest.mark.parametrize("texts", FRUSTRATED, ids=lambda t: t[-1][:30])
def test_frustrated_customers_reach_a_person(texts: list[str]) -> None:
    assert frustration(texts, DEFAULT_RULES) is not None


@pytest.mark.parametrize("texts", CALM, ids=lambda t: t[-1][:30])
def test_calm_customers_stay_with_the_bot(texts: list[str]) -> None:
    assert frustration(texts, DEFAULT_RULES) is None


def test_the_note_says_what_the_customer_did() -> None:
    note = frustration(["This is ridiculous", "WHERE IS MY ORDER, I NEED IT NOW"], DEFAULT_RULES)

    assert note == 'said "This is ridiculous", wrote in capitals'


def test_a_repeated_question_is_noted() -> None:
    note = frustration(["where is my order", "where is my order?", "WHERE IS MY ORDER"],
                       DEFAULT_RULES)

    assert note == "wrote in capitals, asked the same thing again"


def test_a_long_message_is_quoted_by_its_phrase() -> None:
    text = ("I placed the order two weeks ago and was told it would come in three days and "
            "honestly this is unacceptable for a premium service")

    assert frustration([text], DEFAULT_RULES) == 'said "unacceptable"'


def test_the_threshold_and_phrases_come_from_the_rules() -> None:
    strict = replace(DEFAULT_RULES, frustration_threshold=3)
    own = replace(DEFAULT_RULES, frustration_phrases=("not happy",))

    assert frustration(["this is ridiculous"], strict) is None
    assert frustration(["this is ridiculous!!"], strict) is not None
    assert frustration(["I'm not happy it's late but ok"], own) == (
        "said \"I'm not happy it's late but ok\"")
    assert frustration(["this is ridiculous"], own) is None


def test_no_messages_no_frustration() -> None:
    assert frustration([], DEFAULT_RULES) is None
    assert frustration(["", "  "], DEFAULT_RULES) is None


# --- Priority customers ----------------------------------------------------------------------

FAILED = make_shipment(status=Status.ATTEMPT_FAILED)
ON_TRACK = make_shipment(status=Status.IN_TRANSIT)
OVER_500 = replace(DEFAULT_RULES, value_above=Decimal(500))


def test_a_vip_with_a_problem_reaches_a_person() -> None:
    order = make_order(tags=["wholesale", "VIP"], shipments=[FAILED])

    assert priority_reason([order], DEFAULT_RULES, TODAY) == (
        "VIP customer (tag VIP) — #1042: a delivery attempt failed")


def test_a_vip_whose_order_is_on_track_stays_with_the_bot() -> None:
    order = make_order(tags=["VIP"], shipments=[ON_TRACK])

    assert priority_reason([order], DEFAULT_RULES, TODAY) is None


def test_a_problem_without_vip_or_value_is_not_a_priority() -> None:
    order = make_order(total_price="640.00", shipments=[FAILED])

    assert priority_reason([order], DEFAULT_RULES, TODAY) is None


def test_a_big_order_with_a_problem_reaches_a_person() -> None:
    order = make_order(total_price="640.00", shipments=[FAILED])

    assert priority_reason([order], OVER_500, TODAY) == (
        "order value 640.00 USD over 500 — #1042: a delivery attempt failed")


def test_a_big_order_on_track_or_a_small_one_in_trouble_is_not_a_priority() -> None:
    big = make_order(total_price="640.00", shipments=[ON_TRACK])
    small = make_order(total_price="89.00", shipments=[FAILED])

    assert priority_reason([big, small], OVER_500, TODAY) is None


@pytest.mark.parametrize("total", [None, "", "n/a", "NaN", "1,200.00"])
def test_an_unreadable_total_is_unknown(total: str | None) -> None:
    order = make_order(total_price=total, shipments=[FAILED])

    assert priority_reason([order], OVER_500, TODAY) is None


def test_tags_match_in_any_case() -> None:
    rules = replace(DEFAULT_RULES, vip_tags=("Gold Member",))
    order = make_order(tags=[" gold member "], shipments=[FAILED])

    assert priority_reason([order], rules, TODAY) == (
        "VIP customer (tag gold member) — #1042: a delivery attempt failed")


LATE = dict(promised_date=TODAY - timedelta(days=3))


@pytest.mark.parametrize(
    ("order_kw", "problem"),
    [
        (dict(shipments=[make_shipment(status=Status.EXCEPTION,
                                       reason=ExceptionReason.DAMAGED)]),
         "carrier exception (damaged)"),
        (dict(shipments=[make_shipment(status=Status.RETURN_TO_SENDER)]),
         "going back to the sender"),
        (dict(shipments=[ON_TRACK], **LATE), "3 days late"),
        (dict(**LATE), "not shipped, 3 days late"),
        (dict(shipments=[make_shipment(events=[make_event(at=days_ago(6))])]),
         "no carrier scan for 6 days"),
        (dict(shipments=[make_shipment(status=Status.LABEL_CREATED, shipped_at=days_ago(4))]),
         "label made 4 days ago, never scanned"),
    ],
)
def test_the_problems_worth_a_person_are_the_bots_own(order_kw: dict, problem: str) -> None:
    order = make_order(tags=["vip"], **order_kw)

    assert priority_reason([order], DEFAULT_RULES, TODAY) == (
        f"VIP customer (tag vip) — #1042: {problem}")


@pytest.mark.parametrize(
    "order_kw",
    [
        dict(shipments=[make_shipment(status=Status.DELIVERED)], **LATE),
        dict(cancelled_at=days_ago(1), **LATE),
        dict(),  # not shipped yet, still within its promise
    ],
)
def test_delivered_cancelled_or_waiting_in_time_is_no_problem(order_kw: dict) -> None:
    order = make_order(tags=["vip"], **order_kw)

    assert priority_reason([order], DEFAULT_RULES, TODAY) is None

