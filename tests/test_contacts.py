from datetime import datetime, timedelta, timezone

import pytest

from wismo.contacts import ContactStore


@pytest.fixture
def store(tmp_path):
    return ContactStore(tmp_path / "wismo.db")


def test_a_conversation_is_anonymous_until_the_customer_proves_who_they_are(store):
    store.seen("sms:+13035550142", "sms")
    assert store.identity("sms:+13035550142") is None
    store.verified("sms:+13035550142", "sms", " Ava.Thompson@Example.com", "1001",
                   "+13035550142")
    contact = store.identity("sms:+13035550142")
    assert (contact.channel, contact.email, contact.order_number, contact.phone) == (
        "sms", "ava.thompson@example.com", "1001", "+13035550142")
    assert contact.last_inbound_at is not None


def test_identity_survives_a_restart(tmp_path):
    ContactStore(tmp_path / "wismo.db").verified("telegram:42", "telegram", "a@example.com")
    assert ContactStore(tmp_path / "wismo.db").identity("telegram:42").email == "a@example.com"


def test_every_verified_channel_of_a_customer_is_reachable(store):
    store.verified("telegram:42", "telegram", "a@example.com", "1001")
    store.verified("whatsapp:+13035550142", "whatsapp", "a@example.com", "1001", "+13035550142")
    store.verified("sms:+15550000000", "sms", "someone@example.com")
    store.seen("webchat-session", "webchat")  # never verified: not reachable as Ava
    assert {c.conversation_id for c in store.reachable(email="A@example.com")} == {
        "telegram:42", "whatsapp:+13035550142"}
    assert [c.conversation_id for c in store.reachable(phone="+13035550142")] == [
        "whatsapp:+13035550142"]
    assert store.reachable() == []


def test_a_link_token_carries_identity_to_another_channel_once(store):
    store.verified("webchat-1", "webchat", "a@example.com", "1001")
    token = store.issue_link("webchat-1")
    linked = store.redeem_link(token, "telegram:42", "telegram")
    assert (linked.conversation_id, linked.email, linked.order_number) == (
        "telegram:42", "a@example.com", "1001")
    assert store.redeem_link(token, "telegram:99", "telegram") is None
    assert store.identity("telegram:99") is None


def test_no_link_for_an_unverified_conversation_and_none_after_expiry(tmp_path):
    clock = [datetime(2026, 11, 23, 12, tzinfo=timezone.utc)]
    store = ContactStore(tmp_path / "wismo.db", clock=lambda: clock[0])
    assert store.issue_link("webchat-unknown") is None
    store.verified("webchat-1", "webchat", "a@example.com")
    token = store.issue_link("webchat-1")
    clock[0] += timedelta(hours=2)
    assert store.redeem_link(token, "telegram:42", "telegram") is None
    assert store.redeem_link("not-a-token", "telegram:42", "telegram") is None


def test_numbered_options_are_remembered_until_replaced(store):
    assert store.options("sms:+1") == []
    store.remember_options("sms:+1", "sms", [("Yes", "/affirm"), ("No", "/deny")])
    assert store.options("sms:+1") == [("Yes", "/affirm"), ("No", "/deny")]
    store.remember_options("sms:+1", "sms", [])
    assert store.options("sms:+1") == []
