"""The engine store on a real SQLite file: events, order state and the outbox queue."""

from __future__ import annotations

import dataclasses
import json
import sqlite3
import threading
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from tests.clock import Clock
from wismo.domain import ExceptionReason, Status
from wismo.engine.model import Kind, OrderState, ShipmentState
from wismo.engine.outbox import backoff
from wismo.engine.store import EngineStore, OutboxRow, state_from_json, state_to_json

T0 = datetime(2024, 8, 2, 19, 30, tzinfo=timezone.utc)


@pytest.fixture
def clock() -> Clock:
    return Clock(T0)


@pytest.fixture
def store(tmp_path: Path, clock: Clock) -> EngineStore:
    return EngineStore(tmp_path / "wismo.db", clock=clock)


def make_state(order_number: str = "1001", **shipments: ShipmentState) -> OrderState:
    return OrderState(order_number=order_number, shipments=dict(shipments))


def make_row(key: str = "1001:-:shipped:1", **overrides: Any) -> OutboxRow:
    fields: dict[str, Any] = {
        "dedup_key": key, "order_number": "1001", "kind": Kind.SHIPPED, "channel": "telegram",
        "conversation_id": "telegram:42", "text": "Your order #1001 is on its way.",
    }
    return OutboxRow(**(fields | overrides))


def queue(store: EngineStore, *rows: OutboxRow, order_number: str = "1001") -> list[OutboxRow]:
    return store.commit_changes(order_number, make_state(order_number), list(rows))


# --- events ---------------------------------------------------------------------------


def test_an_event_is_recorded_once(store: EngineStore, clock: Clock) -> None:
    body = json.dumps({"id": "evt_1"})
    assert store.record_event("easypost", "evt_1", "tracker.updated", body,
                              tracking_number="1") is True
    assert store.record_event("easypost", "evt_1", "tracker.updated", body) is False

    [event] = store.pending_events()
    assert (event.provider, event.event_id, event.topic, event.tracking_number) == (
        "easypost", "evt_1", "tracker.updated", "1")
    assert event.received_at == T0
    assert event.payload() == {"id": "evt_1"}


def test_same_id_from_another_provider_or_topic_is_another_event(store: EngineStore) -> None:
    assert store.record_event("shopify", "123", "orders/create", "{}") is True
    assert store.record_event("shopify", "123", "orders/cancelled", "{}") is True
    assert store.record_event("easypost", "123", "tracker.updated", "{}") is True
    assert len(store.pending_events()) == 3


def test_processed_events_leave_the_pending_list(store: EngineStore, clock: Clock) -> None:
    for n in range(3):
        store.record_event("shopify", f"e{n}", "orders/create", "{}", order_number=f"100{n}")
    first, second, third = store.pending_events()
    clock.advance(seconds=5)
    store.mark_processed(first.id)
    store.mark_processed(second.id, error="order 1001 not found")

    assert [e.event_id for e in store.pending_events()] == ["e2"]
    assert [e.event_id for e in store.pending_events(limit=0)] == []
    kept = store.event(second.id)
    assert kept is not None and kept.error == "order 1001 not found"
    assert kept.processed_at == clock.now
    assert store.record_event("shopify", "e1", "orders/create", "{}") is False  # still known


def test_old_processed_events_can_be_forgotten(store: EngineStore, clock: Clock) -> None:
    store.record_event("shopify", "old", "orders/create", "{}")
    store.record_event("shopify", "old-pending", "orders/create", "{}")
    store.mark_processed(store.pending_events()[0].id)
    clock.advance(days=30)
    store.record_event("shopify", "new", "orders/create", "{}")
    store.mark_processed(store.pending_events()[1].id)

    assert store.forget_processed_events(before=clock.now - timedelta(days=7)) == 1
    assert [e.event_id for e in store.pending_events()] == ["old-pending"]


# --- order state ------------------------------------------------------------------------


def test_state_round_trips_with_every_field(store: EngineStore) -> None:
    state = make_state(
        "1001",
        f1=ShipmentState(Status.EXCEPTION, checkpoint_at=datetime(2024, 8, 1, 14, 42, 13,
                                                                  tzinfo=timezone.utc),
                         reason=ExceptionReason.WEATHER, carrier_eta=date(2024, 8, 5)),
        f2=ShipmentState(Status.LABEL_CREATED),
    )
    state = dataclasses.replace(state, cancelled=True)
    assert store.load_state("1001") is None

    assert store.commit_changes("1001", state, []) == []
    assert store.load_state("1001") == state


def test_state_json_covers_the_whole_model() -> None:
    """A field added to the model must be added to the JSON too (or it would be lost)."""
    state = make_state(f1=ShipmentState(Status.IN_TRANSIT))
    data = json.loads(state_to_json(state))
    assert set(data) == {f.name for f in dataclasses.fields(OrderState)}
    assert set(data["shipments"]["f1"]) == {f.name for f in dataclasses.fields(ShipmentState)}
    assert state_from_json(state_to_json(state)) == state


def test_a_later_commit_replaces_the_state(store: EngineStore) -> None:
    store.commit_changes("1001", make_state(f1=ShipmentState(Status.IN_TRANSIT)), [])
    delivered = make_state(f1=ShipmentState(Status.DELIVERED))
    store.commit_changes("1001", delivered, [])
    assert store.load_state("1001") == delivered


# --- commit_changes ---------------------------------------------------------------------


def test_commit_queues_the_rows_with_the_state(store: EngineStore, clock: Clock) -> None:
    email = make_row("1001:-:shipped:1:email", channel="email", conversation_id=None,
                     address="bob@example.com")
    [chat, mail] = queue(store, make_row(), email)

    assert chat.id is not None and mail.id == chat.id + 1
    assert (chat.status, chat.attempts, chat.created_at, chat.next_attempt_at) == (
        "pending", 0, T0, T0)
    assert chat.kind == "shipped"
    assert store.due(clock.now) == [chat, mail]


def test_a_replayed_commit_queues_nothing_twice(store: EngineStore, clock: Clock) -> None:
    [first] = queue(store, make_row())
    again = store.commit_changes("1001", make_state(f1=ShipmentState(Status.IN_TRANSIT)),
                                 [make_row(), make_row("1001:-:shipped:2")])

    assert [r.dedup_key for r in again] == ["1001:-:shipped:2"]
    assert [r.dedup_key for r in store.due(clock.now)] == ["1001:-:shipped:1", "1001:-:shipped:2"]
    assert store.load_state("1001") == make_state(f1=ShipmentState(Status.IN_TRANSIT))
    assert store.outbox_row(first.id) == first  # the original row is untouched


def test_a_failing_row_rolls_back_the_state_too(store: EngineStore, clock: Clock) -> None:
    before = make_state(f1=ShipmentState(Status.IN_TRANSIT))
    store.commit_changes("1001", before, [])
    no_recipient = make_row("1001:f1:delivered:1", conversation_id=None)  # chat with nobody

    with pytest.raises(sqlite3.IntegrityError):
        store.commit_changes("1001", make_state(f1=ShipmentState(Status.DELIVERED)),
                             [make_row("1001:f1:out_for_delivery:1"), no_recipient])

    assert store.load_state("1001") == before
    assert store.due(clock.now) == []


def test_rows_of_another_order_are_refused(store: EngineStore) -> None:
    with pytest.raises(ValueError):
        store.commit_changes("1001", make_state(), [make_row(order_number="1002")])
    with pytest.raises(ValueError):
        store.commit_changes("1001", make_state("1002"), [])
    assert store.load_state("1001") is None


def test_naive_times_are_refused(store: EngineStore) -> None:
    [row] = queue(store, make_row())
    with pytest.raises(ValueError):
        store.due(datetime(2024, 8, 2, 20, 0))
    assert store.due(T0) == [row]


def test_an_orders_recent_rows_are_its_history(store: EngineStore, clock: Clock) -> None:
    [old] = queue(store, make_row("old"))
    clock.advance(days=1)
    [new] = queue(store, make_row("new"))
    queue(store, make_row("other", order_number="1002"), order_number="1002")
    store.mark_dropped(new.id, "opted out")

    recent = store.for_order("1001", since=clock.now - timedelta(hours=1))
    assert [(r.dedup_key, r.status) for r in recent] == [("new", "dropped")]
    assert [r.id for r in store.for_order("1001", since=T0)] == [old.id, new.id]


# --- the sender's queue -----------------------------------------------------------------


def test_due_is_pending_and_on_time_oldest_first(store: EngineStore, clock: Clock) -> None:
    later = make_row("1001:-:late:1", next_attempt_at=T0 + timedelta(hours=1))
    a, b, c = queue(store, make_row("a"), later, make_row("c"))

    assert store.due(T0) == [a, c]
    assert store.due(T0, limit=1) == [a]
    assert store.due(T0 + timedelta(hours=1)) == [a, b, c]
    assert store.claim(a.id) is True
    assert store.due(T0) == [c]


def test_claim_is_exclusive(store: EngineStore) -> None:
    [row] = queue(store, make_row())
    assert store.claim(row.id) is True
    assert store.claim(row.id) is False
    claimed = store.outbox_row(row.id)
    assert claimed is not None and (claimed.status, claimed.attempts) == ("sending", 1)


def test_claim_is_exclusive_across_threads_and_connections(
    tmp_path: Path, clock: Clock
) -> None:
    """Two senders (here: two connections, as two processes would have) race for each row."""
    stores = [EngineStore(tmp_path / "wismo.db", clock=clock) for _ in range(2)]
    rows = queue(stores[0], *(make_row(f"k{n}") for n in range(20)))
    wins: list[int] = []
    start = threading.Barrier(8)

    def sender(store: EngineStore) -> None:
        start.wait()
        wins.extend(row.id for row in rows if store.claim(row.id))

    threads = [threading.Thread(target=sender, args=(stores[n % 2],)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(wins) == [row.id for row in rows]


def test_retry_then_sent(store: EngineStore, clock: Clock) -> None:
    [row] = queue(store, make_row())
    store.claim(row.id)
    retry_at = clock.advance(seconds=1) + timedelta(seconds=30)
    assert store.mark_retry(row.id, "telegram 429", retry_at) is True

    assert store.due(clock.now) == []
    [again] = store.due(retry_at)
    assert (again.status, again.attempts, again.last_error) == ("pending", 1, "telegram 429")
    assert store.claim(row.id) is True
    assert store.mark_sent(row.id, retry_at) is True
    sent = store.outbox_row(row.id)
    assert sent is not None and (sent.status, sent.attempts, sent.sent_at) == (
        "sent", 2, retry_at)
    assert store.due(retry_at + timedelta(days=1)) == []
    assert store.mark_retry(row.id, "late", retry_at) is False  # a sent row stays sent


def test_failed_rows_are_kept_and_listed(store: EngineStore, clock: Clock) -> None:
    [row, other] = queue(store, make_row(), make_row("other"))
    store.claim(row.id)
    assert store.mark_failed(row.id, "chat not found") is True

    [failed] = store.failed()
    assert (failed.id, failed.status, failed.last_error) == (row.id, "failed", "chat not found")
    assert store.due(clock.now) == [other]
    assert store.requeue(row.id, clock.now) is True
    assert [r.id for r in store.due(clock.now)] == [row.id, other.id]
    assert store.failed() == []


def test_a_dropped_row_is_never_due(store: EngineStore, clock: Clock) -> None:
    [row] = queue(store, make_row())
    assert store.mark_dropped(row.id, "customer opted out") is True
    assert store.due(clock.now) == [] and store.claim(row.id) is False


def test_stale_claims_go_back_to_pending(store: EngineStore, clock: Clock) -> None:
    crashed, slow = queue(store, make_row("crashed"), make_row("slow"))
    store.claim(crashed.id)
    clock.advance(minutes=10)
    store.claim(slow.id)

    assert store.release_stale_claims(older_than=clock.now - timedelta(minutes=5)) == 1
    assert [r.id for r in store.due(clock.now)] == [crashed.id]
    released = store.outbox_row(crashed.id)
    assert released is not None and released.attempts == 1  # the lost try still counts
    # The released row's first sender turns out to have sent it after all: still counted.
    assert store.mark_sent(crashed.id, clock.now) is True
    assert store.due(clock.now) == []


# --- backoff ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("attempt", "expected"), [(1, 2.0), (2, 4.0), (3, 8.0), (9, 512.0), (10, 600.0),
                              (10_000, 600.0), (0, 2.0)],
)
def test_backoff_ceiling_doubles_up_to_the_cap(attempt: int, expected: float) -> None:
    assert backoff(attempt, base=2.0, cap=600.0, rand=lambda: 1.0) == expected


def test_backoff_jitter_is_full() -> None:
    assert backoff(5, base=2.0, cap=600.0, rand=lambda: 0.0) == 0.0
    assert backoff(5, base=2.0, cap=600.0, rand=lambda: 0.25) == 8.0
    assert all(0.0 <= backoff(4) <= 16.0 for _ in range(200))


def test_backoff_honours_retry_after_as_a_floor() -> None:
    assert backoff(1, base=2.0, cap=600.0, retry_after=30, rand=lambda: 1.0) == 30.0
    assert backoff(9, base=2.0, cap=600.0, retry_after=30, rand=lambda: 1.0) == 512.0
    assert backoff(1, cap=60.0, retry_after=3600, rand=lambda: 0.5) == 3600.0


def test_a_batch_of_events_is_marked_processed_together(tmp_path):
    store = EngineStore(tmp_path / "wismo.db")
    for n in range(3):
        store.record_event("easypost", f"evt_{n}", "tracker.updated", "{}")
    first, second, third = store.pending_events()
    store.mark_all_processed([first.id, third.id])
    assert [e.id for e in store.pending_events()] == [second.id]
    assert store.event(first.id).processed_at is not None
    assert store.event(first.id).error is None
