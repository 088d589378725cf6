"""Escalation from the action server: what the customer hears, and what the case carries
for the person who picks it up."""

from actions.answer import ActionAnswerOrder
from actions.changes import ActionHandleAffirm
from actions.services import services
from actions.support import ActionHandoff
from tests.actions.conftest import make_tracker, run, slots_of

VERIFIED_1001 = {"verified_order": "1001", "verified_email": "ava.thompson@example.com"}
EARLIER = [
    {"event": "user", "text": "where is my order", "timestamp": 1.0},
    {"event": "bot", "text": "Your order #1001 is on its way with UPS.", "timestamp": 2.0},
]


def test_the_case_carries_the_customer_the_order_and_the_conversation(env):
    _, _, events = run(ActionHandoff(), make_tracker(
        slots=VERIFIED_1001, intent="human_handoff", text="can I talk to a human",
        events=EARLIER, channel="telegram"))
    case = env.cases.get(slots_of(events)["handoff_case"])
    context = case.context
    assert (case.reason, case.order_number, case.channel) == ("customer_asked", "1001",
                                                              "telegram")
    assert context["customer"]["name"] == "Ava Thompson"
    assert "order #1001" in context["customer"]["identity"]
    [order] = context["orders"]
    assert order["number"] == "1001"
    assert order["shipments"][0]["tracking_number"].startswith("1Z")
    assert [t["text"] for t in context["transcript"]] == [
        "where is my order", "Your order #1001 is on its way with UPS.", "can I talk to a human"]
    assert context["bot_said"] == "Your order #1001 is on its way with UPS."


def test_without_slack_the_bot_keeps_answering_with_slack_it_pauses(env, monkeypatch):
    _, _, events = run(ActionHandoff(), make_tracker(intent="human_handoff", text="agent"))
    assert {"event": "pause", "timestamp": None} not in events
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-test")
    monkeypatch.setenv("SLACK_HANDOFF_CHANNEL", "C0SUPPORT")
    services.cache_clear()
    _, _, events = run(ActionHandoff(), make_tracker(intent="human_handoff", text="agent",
                                                     sender="conv-2"))
    assert [e["event"] for e in events][-1] == "pause"


def test_a_frustrated_customer_gets_the_answer_and_a_person(env):
    texts, _, events = run(ActionAnswerOrder(), make_tracker(
        slots={**VERIFIED_1001, "topic": "order_status"}, intent="order_status",
        text="this is ridiculous, where is my order??"))
    assert "Your order #1001" in texts[0]
    case = env.cases.get(slots_of(events)["handoff_case"])
    assert "sorry this has been frustrating" in texts[-1] and case.id in texts[-1]
    assert case.reason == "frustration" and "ridiculous" in case.context["note"]


def test_a_calm_question_stays_with_the_bot(env):
    texts, _, events = run(ActionAnswerOrder(), make_tracker(
        slots={**VERIFIED_1001, "topic": "order_status"}, intent="order_status",
        text="hi, where is my order?"))
    assert "handoff_case" not in slots_of(events)
    assert env.cases.active_for("conv-1") is None


def test_a_priority_order_with_a_problem_also_reaches_a_person(env, monkeypatch, tmp_path):
    rules = tmp_path / "handoff.yml"
    rules.write_text("priority:\n  value_above: 1\n")
    monkeypatch.setenv("WISMO_HANDOFF_RULES", str(rules))
    services.cache_clear()
    late = {"verified_order": "1010", "verified_email": "noah.williams@example.com",
            "topic": "delivery_delay"}
    texts, _, events = run(ActionAnswerOrder(), make_tracker(slots=late, intent="delivery_delay",
                                                             text="why is it late"))
    case = services().cases.get(slots_of(events)["handoff_case"])
    assert case.reason == "priority_order" and "over 1" in case.context["note"]
    assert "asked our support team to look into this" in texts[-1]
    on_time = {**VERIFIED_1001, "topic": "order_status"}
    _, _, events = run(ActionAnswerOrder(), make_tracker(slots=on_time, intent="order_status",
                                                         text="status?", sender="conv-9"))
    assert "handoff_case" not in slots_of(events)


def test_yes_after_a_refused_cancel_opens_the_case_with_that_reason(env):
    slots = {**VERIFIED_1001, "pending_action": "handoff:cancel_rejected"}
    texts, _, events = run(ActionHandleAffirm(), make_tracker(slots=slots, intent="affirm",
                                                              text="yes please"))
    case = env.cases.get(slots_of(events)["handoff_case"])
    assert case.reason == "cancel_rejected" and case.order_number == "1001"
    assert case.id in texts[0]


def test_escalating_twice_keeps_one_case(env):
    first = run(ActionHandoff(), make_tracker(intent="human_handoff", text="agent"))[2]
    second = run(ActionHandoff(), make_tracker(intent="human_handoff", text="AGENT NOW"))[2]
    assert slots_of(first)["handoff_case"] == slots_of(second)["handoff_case"]


def _slack_on(monkeypatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-test")
    monkeypatch.setenv("SLACK_HANDOFF_CHANNEL", "C0SUPPORT")
    services.cache_clear()


def test_a_new_session_keeps_a_handed_off_conversation_paused(env, monkeypatch):
    from actions.support import ActionSessionStart

    _slack_on(monkeypatch)
    slots = [{"event": "slot", "name": "verified_order", "value": "1001"},
             {"event": "session_started"},
             {"event": "slot", "name": "verified_email", "value": "ava.thompson@example.com"}]

    def start(paused: bool) -> list[str]:
        _, _, events = run(ActionSessionStart(), make_tracker(events=slots, sender="conv-5",
                                                              paused=paused))
        assert [e["name"] for e in events if e["event"] == "slot"] == ["verified_email"]
        return [e["event"] for e in events]

    assert start(paused=True) == ["session_started", "slot", "action"]  # no case: a stale pause
    services().cases.open("conv-5", "proactive:lost")  # the engine's case: nobody has it yet
    assert start(paused=False) == ["session_started", "slot", "action"]
    assert start(paused=True) == ["session_started", "slot", "pause", "action"]


def test_what_was_said_before_a_hand_back_does_not_escalate_again(env):
    before = [{"event": "user", "text": "this is ridiculous, where is my order??"},
              {"event": "pause"}, {"event": "user", "text": "hello??"},
              {"event": "resume"}, {"event": "user", "text": "ok thanks"}]
    texts, _, events = run(ActionAnswerOrder(), make_tracker(
        slots={**VERIFIED_1001, "topic": "delivery_eta"}, intent="delivery_eta",
        text="when will it arrive", events=before))
    assert "handoff_case" not in slots_of(events)
    assert "#1001" in texts[0]
