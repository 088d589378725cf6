"""STOP / START and where updates go: what the customer is told and what is recorded."""

from actions.services import services
from actions.support import ActionStopNotifications, ActionSubscribeUpdates
from tests.actions.conftest import make_tracker, run, slots_of


def test_stop_turns_updates_off_for_this_conversation(env):
    env.contacts.verified("sms:+13035550142", "sms", "ava.thompson@example.com", "1001")
    texts, _, events = run(ActionStopNotifications(),
                           make_tracker(sender="sms:+13035550142", channel="sms",
                                        intent="stop_notifications", text="STOP"))
    assert texts[0].startswith("Done: I won't send you any more order updates here.")
    assert slots_of(events)["notifications"] is False
    assert env.contacts.get("sms:+13035550142").notifications is False


def test_start_turns_them_back_on(env):
    env.contacts.set_notifications("sms:+13035550142", "sms", False)
    texts, _, _ = run(ActionSubscribeUpdates(),
                      make_tracker(sender="sms:+13035550142", channel="sms",
                                   intent="subscribe_updates", text="START"))
    assert texts == ["You're all set: I'll message you here when your order ships, when it's "
                     "out for delivery, when it arrives, and straight away if anything goes "
                     "wrong."]  # no Telegram bot configured: no link offered
    assert env.contacts.get("sms:+13035550142").notifications is True


def test_a_verified_web_chat_customer_is_offered_a_one_time_telegram_link(env, monkeypatch):
    monkeypatch.setenv("TELEGRAM_BOT_USERNAME", "@NorthwindBot")
    services.cache_clear()
    svc = services()
    svc.contacts.verified("web-1", "webchat", "ava.thompson@example.com", "1001")
    texts, _, _ = run(ActionSubscribeUpdates(),
                      make_tracker(sender="web-1", channel="webchat", intent="subscribe_updates"))
    link = texts[1].split("Open ", 1)[1].split(" ", 1)[0]
    assert link.startswith("https://t.me/NorthwindBot?start=")
    token = link.rsplit("=", 1)[1]
    linked = svc.contacts.redeem_link(token, "telegram:42", "telegram")
    assert (linked.email, linked.order_number) == ("ava.thompson@example.com", "1001")


def test_no_link_before_the_customer_is_verified(env, monkeypatch):
    monkeypatch.setenv("TELEGRAM_BOT_USERNAME", "NorthwindBot")
    services.cache_clear()
    texts, _, _ = run(ActionSubscribeUpdates(),
                      make_tracker(sender="web-2", channel="webchat", intent="subscribe_updates"))
    assert len(texts) == 1
