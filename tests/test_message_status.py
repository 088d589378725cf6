from wismo.message_status import MessageStatusStore


def make_store(tmp_path) -> MessageStatusStore:
    return MessageStatusStore(tmp_path / "wismo.db")


def test_a_sent_message_is_traced_to_its_conversation(tmp_path):
    store = make_store(tmp_path)
    store.sent("SM1", "sms:+13035550142", "sms")

    row = store.get("SM1")
    assert row is not None
    assert (row.conversation_id, row.channel, row.status, row.error_code) == (
        "sms:+13035550142", "sms", "queued", None)
    assert row.sent_at is not None


def test_callbacks_move_a_message_forward_only(tmp_path):
    store = make_store(tmp_path)
    store.sent("SM1", "whatsapp:+13035550142", "whatsapp")

    applied = [store.update("SM1", s) for s in ("sending", "sent", "delivered", "sent", "read",
                                                 "delivered", "queued")]

    assert applied == [True, True, True, False, True, False, False]
    row = store.get("SM1")
    assert row is not None and row.status == "read"


def test_a_failure_keeps_its_error_code_and_is_not_undone(tmp_path):
    store = make_store(tmp_path)
    store.sent("SM1", "sms:+13035550142", "sms")

    store.update("SM1", "undelivered", "30008")
    store.update("SM1", "sent")
    store.update("SM1", "delivered")

    row = store.get("SM1")
    assert row is not None and (row.status, row.error_code) == ("undelivered", "30008")


def test_a_callback_before_the_send_is_recorded_keeps_its_status(tmp_path):
    store = make_store(tmp_path)

    store.update("SM1", "delivered", channel="sms")
    store.sent("SM1", "sms:+13035550142", "sms", "queued")

    row = store.get("SM1")
    assert row is not None
    assert (row.status, row.conversation_id) == ("delivered", "sms:+13035550142")


def test_an_unknown_status_does_not_replace_a_known_one(tmp_path):
    store = make_store(tmp_path)
    store.sent("SM1", "sms:+13035550142", "sms")

    assert store.update("SM1", "partially_delivered") is False
    row = store.get("SM1")
    assert row is not None and row.status == "queued"


def test_messages_are_listed_per_conversation_and_survive_a_restart(tmp_path):
    store = make_store(tmp_path)
    store.sent("SM1", "sms:+13035550142", "sms")
    store.sent("SM2", "sms:+13035550142", "sms")
    store.sent("SM3", "sms:+447700900123", "sms")
    store.update("SM2", "delivered")

    reopened = make_store(tmp_path)

    assert [(m.message_sid, m.status) for m in reopened.for_conversation("sms:+13035550142")] \
        == [("SM1", "queued"), ("SM2", "delivered")]
    assert reopened.get("SM9") is None
