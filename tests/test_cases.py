import sqlite3
from datetime import datetime, timedelta, timezone

from tests.clock import Clock
from wismo.cases import CaseStore

T0 = datetime(2026, 11, 24, 10, 0, tzinfo=timezone.utc)


def drain(store: CaseStore) -> list[tuple[str, str | None]]:
    """Everything queued for Slack, in order, marked sent."""
    sent = []
    while (post := store.next_post()) is not None:
        sent.append((post.kind, post.text))
        store.sent(post, "C0SUPPORT", f"{post.id}.000" if post.kind == "card" else None)
    return sent


def test_a_conversation_has_one_active_case_and_a_new_reason_becomes_a_thread_note(tmp_path):
    store = CaseStore(tmp_path / "wismo.db")
    first = store.open("conv-1", "package_missing", "1042", "rest", {"reason": "package_missing"})
    again = store.open("conv-1", "package_missing", "1042", "rest")
    other = store.open("conv-1", "customer_asked")
    assert first.is_new and not again.is_new
    assert again.id == first.id == other.id
    assert drain(store) == [("card", None), ("thread", "Also: customer_asked")]
    assert store.get(first.id).context == {"reason": "package_missing"}


def test_a_resolved_case_lets_the_next_escalation_open_a_new_one(tmp_path):
    store = CaseStore(tmp_path / "wismo.db")
    first = store.open("conv-1", "customer_asked")
    store.set_state(first.id, "resolved", "U0SAM")
    second = store.open("conv-1", "damaged_or_wrong_item", "1050")
    assert second.id != first.id and second.is_new
    assert [c.status for c in store.for_conversation("conv-1")] == ["resolved", "open"]


def test_cases_survive_a_restart_and_an_old_files_cases_are_closed(tmp_path):
    path = tmp_path / "wismo.db"
    with sqlite3.connect(path) as db:  # the table as the first release wrote it
        db.execute("CREATE TABLE handoff_cases (id TEXT PRIMARY KEY, conversation_id TEXT NOT "
                   "NULL, channel TEXT, reason TEXT NOT NULL, order_number TEXT, status TEXT "
                   "NOT NULL DEFAULT 'open', created_at TEXT NOT NULL)")
        db.execute("INSERT INTO handoff_cases VALUES ('C-OLD001', 'conv-0', 'rest', "
                   "'customer_asked', NULL, 'open', '2026-11-01T10:00:00+00:00')")
    CaseStore(path).open("conv-2", "damaged_or_wrong_item", "1050")
    reopened = CaseStore(path)
    assert [c.order_number for c in reopened.for_conversation("conv-2")] == ["1050"]
    # Never posted anywhere and never closed by the old code: not left holding conv-0.
    assert reopened.active_for("conv-0") is None
    assert reopened.get("C-OLD001").status == "resolved"
    assert reopened.open("conv-0", "customer_asked").is_new


def test_the_card_gives_the_case_its_thread(tmp_path):
    store = CaseStore(tmp_path / "wismo.db")
    case = store.open("conv-1", "customer_asked")
    post = store.next_post()
    store.sent(post, "C0SUPPORT", "1732400000.000100")
    assert store.by_thread("C0SUPPORT", "1732400000.000100").id == case.id
    assert store.by_thread("C0SUPPORT", "1732400000.999999") is None


def test_posts_stay_queued_in_order_until_sent_and_a_failure_keeps_them(tmp_path):
    store = CaseStore(tmp_path / "wismo.db")
    case = store.open("conv-1", "customer_asked")
    store.customer_wrote(case.id, "are you there?")
    store.note(case.id, "I'll check", {"who": "bot"})
    post = store.next_post()
    store.failed(post, "ConnectionRefused")
    assert store.next_post().id == post.id and store.pending_posts() == 3
    store.failed(post, "invalid_blocks", give_up=True)
    assert [(p.kind, p.text, p.extra) for p in [store.next_post()]] == [
        ("thread", "are you there?", {"who": "customer"})]


def test_a_waiting_customer_is_pinged_once_per_interval_until_a_person_replies(tmp_path):
    clock = Clock(T0)
    store = CaseStore(tmp_path / "wismo.db", now=clock)
    case = store.open("conv-1", "customer_asked")
    store.customer_wrote(case.id, "hello?")
    clock.now += timedelta(minutes=14)
    assert store.due_pings(timedelta(minutes=15)) == []
    clock.now += timedelta(minutes=2)
    [due] = store.due_pings(timedelta(minutes=15))
    store.ping(due.id, "<!here> waiting")
    assert store.due_pings(timedelta(minutes=15)) == []
    clock.now += timedelta(minutes=15)
    assert [c.id for c in store.due_pings(timedelta(minutes=15))] == [case.id]
    store.agent_replied(case.id, "U0SAM", "1732400001.000200")
    clock.now += timedelta(hours=1)
    assert store.due_pings(timedelta(minutes=15)) == []
    taken = store.get(case.id)
    assert (taken.status, taken.assignee) == ("taken", "U0SAM")


def test_closing_a_case_stops_the_wait_and_records_who(tmp_path):
    store = CaseStore(tmp_path / "wismo.db")
    case = store.open("conv-1", "customer_asked")
    store.customer_wrote(case.id, "hello?")
    closed = store.set_state(case.id, "handed_back", "U0ALEX", note="handed back")
    assert (closed.status, closed.assignee, closed.waiting_since) == ("handed_back", "U0ALEX",
                                                                        None)
    assert closed.closed_at is not None and store.active_for("conv-1") is None


def test_wismo_cases_lists_active_cases_and_what_waits_for_slack(tmp_path, capsys, monkeypatch):
    from wismo.cli import main

    store = CaseStore(tmp_path / "wismo.db")
    store.open("telegram:42", "package_missing", "1014", "telegram")
    done = store.open("sms:+15125550000", "customer_asked")
    store.set_state(done.id, "resolved", "U0SAM")
    monkeypatch.setenv("WISMO_VAR_DIR", str(tmp_path))
    assert main(["cases"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 2 and "package_missing" in out[0] and "#1014" in out[0]
    assert out[1] == "3 message(s) wait for Slack (var/wismo.db, handoff_posts)"
    main(["cases", "--all"])
    assert "resolved" in capsys.readouterr().out


def test_a_new_case_waits_for_a_person_from_the_start(tmp_path):
    clock = Clock(T0)
    store = CaseStore(tmp_path / "wismo.db", now=clock)
    case = store.open("conv-1", "customer_asked")
    clock.now += timedelta(minutes=16)
    assert [c.id for c in store.due_pings(timedelta(minutes=15))] == [case.id]


def test_without_slack_a_case_is_recorded_and_nothing_is_queued(tmp_path):
    store = CaseStore(tmp_path / "wismo.db", to_slack=False)
    case = store.open("conv-1", "customer_asked")
    store.open("conv-1", "frustration")
    assert store.get(case.id).reason == "customer_asked" and store.pending_posts() == 0


def test_an_agent_message_is_delivered_once_however_often_slack_sends_it(tmp_path):
    store = CaseStore(tmp_path / "wismo.db")
    assert store.first_delivery("C0SUPPORT", "1732400001.000200", "C-1")
    assert not store.first_delivery("C0SUPPORT", "1732400001.000200", "C-1")
    assert store.first_delivery("C0SUPPORT", "1732400002.000300", "C-1")


def test_a_case_recorded_before_slack_was_connected_gets_its_card_when_asked_again(tmp_path):
    CaseStore(tmp_path / "wismo.db", to_slack=False).open("conv-1", "customer_asked")
    store = CaseStore(tmp_path / "wismo.db")
    case = store.open("conv-1", "customer_asked")
    assert [p for p in drain(store)] == [("card", None)]
    assert store.open("conv-1", "customer_asked").id == case.id  # the card is out now
    assert drain(store) == []


def test_asking_again_after_the_bot_took_the_conversation_back_starts_a_new_wait(tmp_path):
    clock = Clock(T0)
    store = CaseStore(tmp_path / "wismo.db", now=clock)
    case = store.open("conv-1", "customer_asked")
    clock.now += timedelta(minutes=11)
    assert [c.id for c in store.stranded(timedelta(minutes=10))] == [case.id]
    store.released(case.id)
    assert store.stranded(timedelta(minutes=10)) == []
    clock.now += timedelta(minutes=5)
    again = store.open("conv-1", "customer_asked")
    assert again.id == case.id and again.released_at is None and again.created_at == clock.now
    clock.now += timedelta(minutes=11)
    assert [c.id for c in store.stranded(timedelta(minutes=10))] == [case.id]


def test_two_active_cases_left_by_an_old_race_do_not_stop_the_start(tmp_path):
    path = tmp_path / "wismo.db"
    CaseStore(path)  # today's schema
    with sqlite3.connect(path) as db:
        db.execute("DROP INDEX handoff_cases_one_active")
        for case_id, at in (("C-A00001", "2026-11-20T10:00:00+00:00"),
                            ("C-A00002", "2026-11-21T10:00:00+00:00")):
            db.execute("INSERT INTO handoff_cases (id, conversation_id, reason, status, "
                       "created_at) VALUES (?, 'conv-1', 'customer_asked', 'open', ?)",
                       (case_id, at))
    store = CaseStore(path)
    assert store.active_for("conv-1").id == "C-A00002"
    assert store.get("C-A00001").status == "resolved"
