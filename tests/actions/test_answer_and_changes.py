import sqlite3

import requests

from actions.answer import ActionAnswerOrder
from actions.changes import ActionHandleAffirm, ActionHandleDeny
from actions.services import services
from actions.support import ActionClarify, ActionHandoff, ActionReturnPolicy
from tests.actions.conftest import make_tracker, run, slots_of

VERIFIED_1001 = {"verified_order": "1001", "verified_email": "ava.thompson@example.com"}


def answer(topic: str, **slots):
    return run(ActionAnswerOrder(), make_tracker(slots={**slots, "topic": topic}))


def test_status_answer_names_carrier_destination_and_lists_other_orders_once(env):
    texts, _, _ = answer("order_status", **VERIFIED_1001)
    assert "Your order #1001" in texts[0] and "UPS" in texts[0] and "Denver" in texts[0]
    assert "#1031" in texts[1] and "#1043" in texts[1]


def test_tracking_link_gives_number_and_link(env):
    texts, _, _ = answer("tracking_link", **VERIFIED_1001)
    assert "tracking number 1Z" in texts[0]
    assert "https://www.ups.com/track?tracknum=1Z" in texts[0]


def test_missing_parcel_opens_one_case_with_the_order(env):
    slots = {"verified_order": "1014", "verified_email": "mia.anderson@example.com"}
    texts, _, events = answer("package_missing", **slots)
    case_id = slots_of(events)["handoff_case"]
    assert case_id in texts[-1]
    with sqlite3.connect(env.settings.var_dir / "wismo.db") as db:
        rows = db.execute("SELECT id, reason, order_number FROM handoff_cases").fetchall()
    assert rows == [(case_id, "package_missing", "1014")]


def test_cancel_after_shipping_is_refused_and_offers_a_person(env):
    texts, buttons, events = answer("cancel_order", **VERIFIED_1001)
    assert "#1001" in texts[0]
    assert buttons == [{"title": "Talk to a person", "payload": "/human_handoff"}]
    assert slots_of(events)["pending_action"] == "handoff"


def test_cancel_before_shipping_asks_then_cancels_in_the_store(env, sandbox):
    slots = {"verified_order": "1065", "verified_email": "ruby.scott@example.com"}
    texts, buttons, events = answer("cancel_order", **slots)
    assert [b["payload"] for b in buttons] == ["/affirm", "/deny"]
    assert slots_of(events)["pending_action"] == "cancel"
    texts, _, _ = run(ActionHandleAffirm(), make_tracker(
        slots={**slots, "pending_action": "cancel"}, intent="affirm", text="yes"))
    assert "cancelled" in texts[0]
    assert _store_order(sandbox, "1065")["cancelled_at"] is not None


def test_no_to_a_cancel_changes_nothing(env, sandbox):
    slots = {"verified_order": "1002", "verified_email": "marcus.chen@example.com",
             "pending_action": "cancel"}
    texts, _, _ = run(ActionHandleDeny(), make_tracker(slots=slots, intent="deny", text="no"))
    assert texts == ["No problem, your order stays as it is."]
    assert _store_order(sandbox, "1002")["cancelled_at"] is None


def test_locked_lookup_hands_the_conversation_to_a_person(env):
    texts, _, events = answer("order_status", lookup_locked=True)
    assert "can't look up orders in this chat" in texts[0]
    case_id = slots_of(events)["handoff_case"]
    assert f"passing you to our support team (case {case_id})" in texts[1]
    assert env.cases.get(case_id).reason == "verification_locked"


def test_carrier_down_still_answers_from_the_store_with_a_note(env):
    texts, _, _ = answer("order_status", verified_order="1040",
                         verified_email="owen.lewis@example.com")
    assert "#1040" in texts[0]
    assert "couldn't reach the carrier" in texts[-1]


def test_clarify_offers_the_likeliest_intents(env):
    ranking = [{"name": "nlu_fallback", "confidence": 0.4},
               {"name": "delivery_eta", "confidence": 0.25},
               {"name": "tracking_link", "confidence": 0.2}]
    texts, buttons, _ = run(ActionClarify(), make_tracker(intent="nlu_fallback", text="hmm when",
                                                          ranking=ranking))
    assert "not sure I understood" in texts[0]
    assert [b["payload"] for b in buttons] == ["/delivery_eta", "/tracking_link", "/order_status"]


def test_two_misunderstandings_in_a_row_hand_over_to_a_person(env):
    earlier = [{"event": "user", "text": "blah",
                "parse_data": {"intent": {"name": "nlu_fallback"}}}]
    texts, _, events = run(ActionClarify(), make_tracker(intent="nlu_fallback", text="blorp",
                                                         events=earlier))
    case_id = slots_of(events)["handoff_case"]
    assert texts == ["Sorry, I'm not getting this right.",
                     f"Let me pass you to our support team (case {case_id}). "
                     + texts[1].split(f"(case {case_id}). ")[1]]
    assert env.cases.get(case_id).reason == "low_confidence"


def test_handoff_records_the_reason(env):
    texts, _, events = run(ActionHandoff(), make_tracker(intent="human_handoff",
                                                         text="agent please"))
    assert slots_of(events)["handoff_case"] in texts[0]
    assert "support team" in texts[0]


def _handoff_text(env, monkeypatch, hours: str) -> tuple[str, str]:
    monkeypatch.setenv("WISMO_BUSINESS_HOURS", hours)
    services.cache_clear()
    texts, _, events = run(ActionHandoff(), make_tracker(intent="human_handoff"))
    return texts[0], slots_of(events)["handoff_case"]


def test_handoff_inside_business_hours_says_a_person_replies_shortly(env, monkeypatch):
    text, case_id = _handoff_text(env, monkeypatch, "Mon-Sun 00:00-24:00")
    assert text == (f"I'm passing you to our support team (case {case_id}). A person will "
                    "reply here shortly. Anything you add in the meantime will reach them.")


def test_handoff_when_closed_says_the_team_is_offline(env, monkeypatch):
    text, case_id = _handoff_text(env, monkeypatch, "closed")
    assert text == (f"I'm passing you to our support team (case {case_id}). Our team is offline "
                    "right now; someone will reply here as soon as they're back. Anything you "
                    "add in the meantime will reach them.")


def test_handoff_outside_business_hours_says_when_someone_replies(env, monkeypatch):
    # Open only three days from today: never now, whatever the real clock says.
    day = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")[(env.today().weekday() + 3) % 7]
    text, _ = _handoff_text(env, monkeypatch, f"{day} 09:00-17:00")
    assert "Our team is offline right now; someone will reply here when they're back on " \
        in text
    assert " at 9 AM. Anything you add in the meantime will reach them." in text


def test_return_policy_is_the_configured_text(env, monkeypatch):
    texts, _, _ = run(ActionReturnPolicy(), make_tracker(intent="return_refund"))
    assert texts[0] == env.settings.return_policy
    assert "person" in texts[1]


def _store_order(sandbox, number: str) -> dict:
    response = requests.get(f"{sandbox.url}/admin/api/2024-10/orders.json",
                            params={"name": f"#{number}", "status": "any"},
                            headers={"X-Shopify-Access-Token": sandbox.shopify_token}, timeout=5)
    return response.json()["orders"][0]


def test_a_customer_verified_by_email_is_asked_which_order(env):
    texts, buttons, _ = answer("order_status", verified_email="priya.patel@example.com")
    assert "I found 4 recent orders" in texts[0]
    assert {b["title"] for b in buttons} == {"#1003", "#1029", "#1044", "#1050"}
    assert '/inform{"order_number": "1029"}' in [b["payload"] for b in buttons]
