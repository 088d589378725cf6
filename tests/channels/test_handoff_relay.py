"""What the event broker carries into a case thread, and what it leaves out."""

import time

from channels.handoff_relay import HandoffRelay
from wismo.cases import CaseStore


def queued(cases: CaseStore) -> list[tuple[str, str | None, str | None]]:
    posts = []
    while (post := cases.next_post()) is not None:
        posts.append((post.kind, post.text, post.extra.get("who")))
        cases.sent(post, "C0SUPPORT", "1.0")
    return posts


def test_only_the_conversation_after_the_handoff_reaches_the_thread(tmp_path):
    cases = CaseStore(tmp_path / "wismo.db")
    relay = HandoffRelay(cases, active=lambda: True)
    before = time.time()
    time.sleep(0.01)
    case = cases.open("telegram:42", "customer_asked")
    after = time.time() + 0.01
    events = [
        {"event": "user", "text": "a human please", "timestamp": before},   # the asking turn
        {"event": "bot", "text": f"I'm passing you to our team (case {case.id}).",
         "timestamp": after},                                              # on the card
        {"event": "user", "text": "it was a gift", "timestamp": after},
        {"event": "user", "text": "EXTERNAL: EXTERNAL_order_update", "timestamp": after,
         "metadata": {"is_external": True}},                               # the engine
        {"event": "bot", "text": "Your parcel is out for delivery.", "timestamp": after},
        {"event": "bot", "text": "Sam (support): on it", "timestamp": after,
         "metadata": {"wismo_human": True}},                               # from the thread
        {"event": "slot", "name": "handoff_case", "value": case.id, "timestamp": after},
        {"event": "user", "text": "hello", "timestamp": after, "sender_id": "telegram:7"},
    ]
    for event in events:
        relay.publish({"sender_id": "telegram:42", **event})
    assert queued(cases) == [("card", None, None),
                             ("thread", "it was a gift", "customer"),
                             ("thread", "Your parcel is out for delivery.", "bot")]
    assert cases.get(case.id).waiting_since is not None


def test_a_broken_relay_never_breaks_the_bots_turn(tmp_path):
    cases = CaseStore(tmp_path / "wismo.db")
    relay = HandoffRelay(cases)
    relay.publish({"event": "user", "text": "hi", "sender_id": None, "timestamp": "not a time"})


def test_without_a_slack_connector_nothing_is_queued(tmp_path):
    cases = CaseStore(tmp_path / "wismo.db", to_slack=False)
    case = cases.open("telegram:42", "customer_asked")
    relay = HandoffRelay(cases, active=lambda: False)
    assert not relay.relay({"event": "user", "text": "hello?", "sender_id": "telegram:42",
                            "timestamp": case.created_at.timestamp() + 1})
    assert cases.pending_posts() == 0
