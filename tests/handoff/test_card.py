import json
from datetime import timedelta

import pytest

from tests.factories import NOW, TODAY, days_ago, make_event, make_order, make_shipment
from wismo.engine.model import Kind
from wismo.handoff import card, thread
from wismo.handoff.context import case_context

CASE = "C-1A2B3C"
PING = "<!channel> hi & bye"


def context(orders=None, *, reason="package_missing", events=(), **overrides):
    fields = dict(conversation_id="telegram:42", channel="telegram", customer_name="Ava Jones",
                  identity="order #1042 + ZIP 80202", today=TODAY, events=events)
    fields.update(overrides)
    if orders is None:
        orders = [make_order(shipments=[make_shipment()], tags=["vip"])]
    return case_context(reason, orders, **fields)


def render(ctx=None, *, state="open", assignee=None):
    return card.case_message(CASE, ctx or context(), state=state, assignee=assignee,
                             opened_at=NOW)


def texts(blocks) -> list[str]:
    """Every piece of text a person can read on the card."""
    out = []
    for b in blocks:
        if "text" in b:
            out.append(b["text"]["text"])
        out += [f["text"] for f in b.get("fields", [])]
        out += [e["text"]["text"] if b["type"] == "actions" else e["text"]
                for e in b.get("elements", [])]
    return out


def buttons(blocks) -> list[tuple[str, str, str]]:
    [actions] = [b for b in blocks if b["type"] == "actions"]
    return [(e["action_id"], e["text"]["text"], e["value"]) for e in actions["elements"]]


def assert_within_slack_limits(blocks):
    assert len(blocks) <= 50
    for b in blocks:
        if b["type"] == "header":
            assert len(b["text"]["text"]) <= 150
        if b["type"] == "section":
            assert len(b.get("text", {}).get("text", "")) <= 3000
            assert len(b.get("fields", [])) <= 10
            assert all(len(f["text"]) <= 2000 for f in b.get("fields", []))
        if b["type"] == "context":
            assert len(b["elements"]) <= 10
            assert all(len(e["text"]) <= 3000 for e in b["elements"])
        if b["type"] == "actions":
            assert all(len(e["text"]["text"]) <= 75 for e in b["elements"])


def test_card_shows_case_reason_customer_channel_and_state():
    text, blocks = render()

    assert blocks[0]["text"]["text"] == ("🙋 Case C-1A2B3C · Parcel marked delivered but not "
                                         "received")
    seen = "\n".join(texts(blocks))
    assert "Ava Jones" in seen and "order #1042 + ZIP 80202" in seen
    assert "*Channel*\nTelegram" in seen
    assert "Waiting for someone" in seen
    assert "Reply in this thread to answer the customer on Telegram. Start a reply with // " \
           "to keep it internal." in seen
    assert text == ("Case C-1A2B3C: Parcel marked delivered but not received — Ava Jones on "
                    "Telegram, order #1042")
    json.dumps(blocks)


def test_unverified_customer_is_flagged():
    seen = "\n".join(texts(render(context(identity=None))[1]))

    assert "not verified" in seen


def test_order_section_links_tracking_and_shows_the_latest_scan_first():
    events = [make_event(at=days_ago(d), message=f"scan {d}", city="Memphis", region="TN")
              for d in range(7, 0, -1)]
    ctx = context([make_order(shipments=[make_shipment(events=events)], tags=["vip"])])

    seen = "\n".join(texts(render(ctx)[1]))

    assert "<https://www.ups.com/track?tracknum=1Z999AA10123456784|1Z999AA10123456784>" in seen
    assert "#1042 — 1 item" in seen and "`vip`" in seen and "89.00 USD" in seen
    [timeline] = [t for t in texts(render(ctx)[1]) if "scan 1" in t]
    assert [line.split(" · ")[2] for line in timeline.splitlines()] == [
        "scan 1", "scan 2", "scan 3", "scan 4", "scan 5"]
    assert "Memphis, TN" in timeline


@pytest.mark.parametrize("state, assignee, expected", [
    ("open", None, [("wismo_take", "Take it"), ("wismo_hand_back", "Hand back to bot"),
                    ("wismo_resolve", "Resolve")]),
    ("taken", "U0SAM", [("wismo_hand_back", "Hand back to bot"), ("wismo_resolve", "Resolve")]),
    ("handed_back", None, [("wismo_take", "Reopen")]),
    ("resolved", "U0SAM", [("wismo_take", "Reopen")]),
])
def test_buttons_follow_the_case_state(state, assignee, expected):
    blocks = render(state=state, assignee=assignee)[1]

    assert buttons(blocks) == [(a, t, CASE) for a, t in expected]


def test_case_status_names_who_has_it():
    assert "*Case*\nTaken by <@U0SAM>" in texts(render(state="taken", assignee="U0SAM")[1])
    assert "Resolved by <@U0SAM>" in "\n".join(texts(render(state="resolved",
                                                            assignee="U0SAM")[1]))
    assert "Back with the bot" in "\n".join(texts(render(state="handed_back")[1]))
    with pytest.raises(ValueError):
        render(state="closed")


def test_customer_text_cannot_ping_anyone():
    events = [{"event": "bot", "text": "Is <this> it?", "timestamp": 1.0},
              {"event": "user", "text": PING, "timestamp": 2.0}]
    ctx = context(events=events, customer_name="<!here> Eve", note=PING)

    text, blocks = render(ctx)
    seen = "\n".join([text, *texts(blocks)])

    assert "&lt;!channel&gt; hi &amp; bye" in seen
    assert "<!channel>" not in seen and "<!here>" not in seen
    assert "Is &lt;this&gt; it?" in seen
    assert thread.thread_message("customer", PING, channel="telegram", name="Ana") == \
        "💬 *Ana (Telegram):* &lt;!channel&gt; hi &amp; bye"
    assert thread.thread_message("bot", PING) == "🤖 *Bot:* &lt;!channel&gt; hi &amp; bye"
    assert thread.note(PING) == "ℹ️ &lt;!channel&gt; hi &amp; bye"


def test_long_conversation_stays_within_slack_limits():
    events = []
    for n in range(60):
        events.append({"event": "user", "text": f"message {n} " + "& <x> " * 400,
                       "timestamp": 1.0 + n})
        events.append({"event": "bot", "text": "Sorry & more " * 300, "timestamp": 1.5 + n})
    orders = [make_order(number=str(1000 + n), tags=["t" * 100] * 20,
                         shipments=[make_shipment(id=f"s{k}", events=[make_event()] * 9)
                                    for k in range(7)])
              for n in range(8)]
    ctx = context(orders, events=events, note="x" * 5000, customer_name="N" * 3000,
                  transcript_turns=60)

    text, blocks = render(ctx)

    assert_within_slack_limits(blocks)
    [talk] = [t for t in texts(blocks) if t.startswith("*Conversation so far*")]
    assert "message 59" in talk  # the newest lines are the ones kept
    assert "earlier messages are in the case history" in talk
    assert any("more order(s) on this case" in t for t in texts(blocks))


def test_transcript_lines_name_the_speaker():
    events = [{"event": "bot", "text": "Did you mean one of these?", "timestamp": 1.0,
               "data": {"buttons": [{"title": "Talk to a person", "payload": "/human_handoff"}]}},
              {"event": "user", "text": "/human_handoff", "timestamp": 2.0},
              {"event": "bot", "text": "Hi, Sam here", "timestamp": 3.0,
               "metadata": {"wismo_human": True}}]

    [talk] = [t for t in texts(render(context(events=events))[1])
              if t.startswith("*Conversation so far*")]

    assert talk.splitlines()[1:] == ["*Bot:* Did you mean one of these?",
                                     "*Customer:* Talk to a person", "*Agent:* Hi, Sam here"]


def test_reason_labels():
    assert card.reason_label("customer_asked") == "Customer asked for a person"
    assert card.reason_label("proactive:lost") == "Proactive alert: parcel lost"
    assert card.reason_label("proactive:exception/lost") == "Proactive alert: parcel lost"
    assert card.reason_label("proactive:stuck") == "Proactive alert: parcel stuck in transit"
    assert card.reason_label("proactive:brand_new") == "Proactive alert: brand new"
    assert card.reason_label("refund_dispute") == "Refund dispute"
    assert card.reason_label("") == "Needs a person"
    assert all(k.value in card.PROACTIVE for k in Kind)


def test_ping_and_state_notes():
    assert thread.ping_message(CASE, timedelta(minutes=17, seconds=40), None) == \
        "<!here> Case C-1A2B3C: the customer has been waiting 17 min for a reply."
    assert thread.ping_message(CASE, timedelta(hours=2, minutes=5), "U0SAM") == \
        "<@U0SAM> Case C-1A2B3C: the customer has been waiting 2 h 5 min for a reply."
    assert thread.state_note("taken", "U0SAM") == "<@U0SAM> took the case; the bot is paused."
    assert thread.state_note("handed_back", "U0SAM") == \
        "<@U0SAM> handed the conversation back to the bot."
    assert thread.state_note("resolved", "U0SAM") == "<@U0SAM> resolved the case."
    assert thread.state_note("resolved", "<!channel>") == "&lt;!channel&gt; resolved the case."


def test_the_card_says_what_the_customer_was_promised():
    ctx = case_context("customer_asked", [], conversation_id="sms:+15125550000", channel="sms",
                       customer_name=None, identity=None, today=TODAY,
                       told="Our team is offline right now; someone will reply here when "
                       "they're back tomorrow at 9 AM.")
    _, blocks = card.case_message("C-1A2B3C", ctx, state="open", assignee=None, opened_at=NOW)
    fields = [f["text"] for b in blocks if b["type"] == "section" for f in b.get("fields", [])]
    assert "*The customer was told*\nOur team is offline right now; someone will reply here " \
        "when they're back tomorrow at 9 AM." in fields
