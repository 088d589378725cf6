import json
from datetime import timedelta

from tests.factories import (
    NOW,
    TODAY,
    days_ago,
    make_event,
    make_order,
    make_shipment,
)
from wismo.domain import ExceptionReason, Status
from wismo.handoff.context import case_context, transcript_from_events

T0 = NOW.timestamp()


def user(text, *, at=0.0, intent="order_status"):
    return {"event": "user", "text": text, "timestamp": T0 + at,
            "parse_data": {"intent": {"name": intent}}}


def bot(text, *, at=0.0, human=False, buttons=None):
    return {"event": "bot", "text": text, "timestamp": T0 + at,
            "metadata": {"wismo_human": True} if human else {},
            "data": {"buttons": buttons or []}}


def context(orders=(), reason="customer_asked", **overrides):
    fields = dict(conversation_id="telegram:42", channel="telegram", customer_name="Ava Jones",
                  identity="order #1042 + ZIP 80202", today=TODAY)
    fields.update(overrides)
    return case_context(reason, orders, **fields)


def test_context_is_json_and_describes_the_customer():
    ctx = context([make_order(shipments=[make_shipment()])], note="said 'useless'")

    assert json.loads(json.dumps(ctx)) == ctx
    assert ctx["version"] == 1
    assert ctx["note"] == "said 'useless'"
    assert ctx["customer"] == {"name": "Ava Jones", "identity": "order #1042 + ZIP 80202",
                               "verified": True, "channel": "telegram",
                               "conversation_id": "telegram:42"}


def test_unverified_customer_has_no_identity():
    ctx = context(identity=None, customer_name=None)

    assert ctx["customer"]["verified"] is False
    assert ctx["customer"]["name"] is None
    assert ctx["orders"] == []


def test_order_carries_status_words_tracking_and_total():
    order = make_order(shipments=[make_shipment(carrier_eta=TODAY + timedelta(days=3))],
                       tags=["vip"])

    [o] = context([order])["orders"]

    assert o["number"] == "1042"
    assert o["status"] == "in_transit"
    assert o["summary"].startswith("#1042 — 1 item — on its way")
    assert o["placed"] == days_ago(3).date().isoformat()
    assert o["total"] == "89.00 USD"
    assert o["tags"] == ["vip"]
    [s] = o["shipments"]
    assert (s["carrier"], s["tracking_number"], s["status"]) == (
        "UPS", "1Z999AA10123456784", "in_transit")
    assert s["eta"] == "2026-11-27"
    assert s["timeline"][0] == {"at": days_ago(0.25).isoformat(), "status": "in_transit",
                                "message": "Arrived at Facility", "place": "Memphis, TN"}


def test_timeline_is_newest_first_and_capped_at_five():
    events = [make_event(at=days_ago(d), message=f"scan {d}") for d in range(8, 0, -1)]

    [s] = context([make_order(shipments=[make_shipment(events=events)])])["orders"][0][
        "shipments"]

    assert [c["message"] for c in s["timeline"]] == ["scan 1", "scan 2", "scan 3", "scan 4",
                                                     "scan 5"]


def test_overall_status_shows_the_problem_parcel():
    order = make_order(shipments=[
        make_shipment(id="a", status=Status.DELIVERED, items=["Headphones"]),
        make_shipment(id="b", status=Status.EXCEPTION, reason=ExceptionReason.LOST,
                      items=["Socks"]),
    ], items=["Headphones", "Socks"])

    [o] = context([order])["orders"]

    assert o["status"] == "exception"
    assert "lost by the carrier" in o["summary"]


def test_unshipped_and_cancelled_orders():
    pending = make_order()
    cancelled = make_order(number="1043", cancelled_at=days_ago(1), total_price=None)

    a, b = context([pending, cancelled])["orders"]

    assert (a["status"], a["shipments"]) == ("pending", [])
    assert (b["status"], b["total"]) == ("cancelled", None)


def test_name_falls_back_to_the_order():
    assert context([make_order()], customer_name=None)["customer"]["name"] == "Ava Jones"


def test_transcript_keeps_the_last_turns_oldest_first_with_who_said_it():
    events = [user("hi", at=1), bot("Hello! What's your order number?", at=2),
              user("1042", at=3), bot("Sam here, let me check.", at=4, human=True),
              {"event": "action", "name": "action_listen", "timestamp": T0 + 5}]

    transcript = transcript_from_events(events, 3)

    assert transcript == [
        {"who": "bot", "text": "Hello! What's your order number?",
         "at": (NOW + timedelta(seconds=2)).isoformat()},
        {"who": "customer", "text": "1042", "at": (NOW + timedelta(seconds=3)).isoformat()},
        {"who": "agent", "text": "Sam here, let me check.",
         "at": (NOW + timedelta(seconds=4)).isoformat()},
    ]


def test_transcript_shows_button_titles_and_skips_payloads_and_empty_messages():
    events = [
        bot("Did you mean one of these?",
            buttons=[{"title": "Where is my order?", "payload": "/order_status"}]),
        user("/order_status"),
        user("/restart"),
        user(""),
        {"event": "user", "text": None, "timestamp": T0},
        user("   "),
    ]

    assert [(m["who"], m["text"]) for m in transcript_from_events(events, 10)] == [
        ("bot", "Did you mean one of these?"), ("customer", "Where is my order?")]
    assert transcript_from_events(events, 0) == []


def test_bot_said_is_the_last_bot_message_not_a_persons():
    events = [bot("Your order is on its way."), user("not good enough"),
              bot("A person here.", human=True)]

    ctx = context(events=events)

    assert ctx["bot_said"] == "Your order is on its way."
    assert [m["who"] for m in ctx["transcript"]] == ["bot", "customer", "agent"]
    assert context()["bot_said"] is None


def test_bot_said_is_the_whole_last_answer_not_just_its_last_line():
    events = [user("where is it"), bot("What's your order number?"), user("1001"),
              bot("Your order #1001 is with UPS."), bot("Your other recent orders: #1031"),
              user("can I talk to a person")]

    assert context(events=events)["bot_said"] == (
        "Your order #1001 is with UPS.\nYour other recent orders: #1031")
