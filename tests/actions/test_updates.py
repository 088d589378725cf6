"""A proactive update said in the conversation, with its order remembered for the reply."""

from actions.updates import ActionOrderUpdate
from tests.actions.conftest import make_tracker, run, slots_of

UPDATE = ("Your order #1001 is delayed by severe weather near Memphis, TN. New delivery date: "
          "Friday, November 27. No action is needed — we'll keep you posted.")


def update(sender: str, kind: str = "exception", text: str = UPDATE):
    entities = [{"entity": "order_number", "value": "1001"},
                {"entity": "update_text", "value": text},
                {"entity": "update_kind", "value": kind}]
    return make_tracker(sender=sender, channel="telegram", intent="EXTERNAL_order_update",
                        text="EXTERNAL: EXTERNAL_order_update", entities=entities)


def test_the_update_is_said_and_its_order_is_the_verified_one(env):
    env.contacts.verified("telegram:42", "telegram", "ava.thompson@example.com", "1001")
    texts, _, events = run(ActionOrderUpdate(), update("telegram:42"))
    assert texts == [UPDATE]
    assert slots_of(events) == {"verified_order": "1001",
                                "verified_email": "ava.thompson@example.com",
                                "order_number": "1001", "topic": "delivery_delay"}


def test_a_milestone_makes_the_likely_follow_up_the_topic(env):
    env.contacts.verified("telegram:42", "telegram", "ava.thompson@example.com", "1001")
    _, _, events = run(ActionOrderUpdate(), update("telegram:42", kind="out_for_delivery",
                                                   text="Your order #1001 is out for delivery."))
    assert slots_of(events)["topic"] == "delivery_eta"


def test_an_unverified_conversation_gets_the_words_but_no_order_access(env):
    texts, _, events = run(ActionOrderUpdate(), update("telegram:99"))
    assert texts == [UPDATE]
    assert "verified_order" not in slots_of(events)


def test_an_update_without_text_says_nothing(env):
    texts, _, events = run(ActionOrderUpdate(), update("telegram:42", text=""))
    assert (texts, events) == ([], [])
