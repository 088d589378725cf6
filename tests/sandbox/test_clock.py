"""The sandbox's clock: live parcels move forward, the sandbox's APIs agree, and the webhooks
that say so reach a real local receiver signed as Shopify and EasyPost sign them."""

from __future__ import annotations

import copy
import socket
import time
import uuid
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
import requests
from sanic import Sanic

from tests.channels.host import AppHost
from tests.fake_provider import FakeProvider, Reply
from wismo.cases import CaseStore
from wismo.config import SANDBOX_EASYPOST_SECRET, SANDBOX_SHOPIFY_SECRET
from wismo.contacts import ContactStore
from wismo.engine.intake import WebhookSecrets, create_app
from wismo.engine.known import KnownOrders
from wismo.engine.process import Engine
from wismo.engine.rules import Rules
from wismo.engine.store import EngineStore
from wismo.engine.verify import easypost_valid, shopify_valid
from wismo.sandbox import SandboxServer, start_sandbox
from wismo.sandbox.clock import LIVE_ORDERS, SandboxClock
from wismo.sandbox.seed import SHOPIFY_STATUS
from wismo.sandbox.webhooks import Delivery

TODAY = date(2025, 6, 10)
START = datetime(2025, 6, 10, 19, 0, tzinfo=timezone.utc)  # 3 pm on the US east coast
RANK = {"pre_transit": 0, "in_transit": 1, "out_for_delivery": 2, "delivered": 3}
DEMO_ORDERS = (1001, 1006, 1009, 1010, 1011, 1012, 1019, 1028, 1040, 1041, 1042)


class FakeTime:
    """The clock's time source: moves only when a test says so."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def forward(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    with start_sandbox(port=0, today=TODAY) as server:
        yield server


@pytest.fixture
def receiver() -> Iterator[FakeProvider]:
    with FakeProvider(not_found=Reply(200, {"status": "stored"})) as fake:
        yield fake


@pytest.fixture
def clock_time() -> FakeTime:
    return FakeTime()


def make_clock(sandbox: SandboxServer, target: str, clock_time: FakeTime,
               **options: object) -> SandboxClock:
    options = {"seed": 7, "run_id": "test", "now": clock_time} | options
    return SandboxClock(sandbox.state, target, **options)  # type: ignore[arg-type]


def run_to_the_end(clock: SandboxClock, clock_time: FakeTime) -> list[Delivery]:
    fired: list[Delivery] = []
    for _ in range(200):
        fired += clock.advance()
        clock_time.forward(20)
        if clock.finished:
            return fired
    raise AssertionError("the live orders never all arrived")


def moves(fired: list[Delivery]) -> list[Delivery]:
    return [d for d in fired if d.topic == "tracker.updated"]


def number_of(sandbox: SandboxServer, number: int) -> dict:
    return next(o for o in sandbox.seed.orders.values() if o["order_number"] == number)


def test_the_first_step_announces_each_live_order_once(sandbox, receiver, clock_time):
    clock = make_clock(sandbox, receiver.url, clock_time)
    first = clock.advance()
    assert [(d.topic, d.order_number) for d in first] == [
        ("orders/create", n) for n in LIVE_ORDERS]
    for delivery in first:
        assert shopify_valid(SANDBOX_SHOPIFY_SECRET, delivery.body,
                             delivery.headers["X-Shopify-Hmac-SHA256"])
        assert delivery.payload()["name"] == f"#{delivery.order_number}"
    clock.advance(5)
    announced = [r for r in receiver.seen("POST", "/webhooks/shopify")
                 if r.headers["x-shopify-topic"] == "orders/create"]
    assert sorted(r.body["order_number"] for r in announced) == sorted(LIVE_ORDERS)


def test_a_step_sends_a_signed_tracker_update_with_a_newer_checkpoint(
        sandbox, receiver, clock_time):
    clock = make_clock(sandbox, receiver.url, clock_time)
    clock.advance()
    before = copy.deepcopy(sandbox.seed.trackers)
    clock_time.forward(20)
    [update, *_] = clock.advance()
    assert (update.provider, update.topic, update.ok) == ("easypost", "tracker.updated", True)
    assert easypost_valid(SANDBOX_EASYPOST_SECRET, update.body,
                          update.headers["X-Hmac-Signature"])
    [seen] = receiver.seen("POST", "/webhooks/easypost")
    assert seen.body == update.payload()
    assert seen.headers["x-hmac-signature"] == update.headers["X-Hmac-Signature"]
    event = update.payload()
    assert (event["object"], event["description"]) == ("Event", "tracker.updated")
    tracker = event["result"]
    old = before[tracker["tracking_code"]]
    assert event["previous_attributes"] == {"status": old["status"]}
    assert len(tracker["tracking_details"]) == len(old["tracking_details"]) + 1
    new, last = tracker["tracking_details"][-1], old["tracking_details"][-1]
    assert datetime.fromisoformat(new["datetime"][:-1]) > datetime.fromisoformat(
        last["datetime"][:-1])
    assert (tracker["status"], tracker["status_detail"]) == (new["status"], new["status_detail"])


def test_the_sandbox_api_answers_what_the_webhooks_said(sandbox, receiver, clock_time):
    clock = make_clock(sandbox, receiver.url, clock_time)
    fired = run_to_the_end(clock, clock_time)
    last_update = {d.payload()["result"]["tracking_code"]: d.payload()["result"]
                   for d in moves(fired)}
    for code, tracker in last_update.items():
        by_id = requests.get(f"{sandbox.url}/v2/trackers/{tracker['id']}",
                             auth=(sandbox.easypost_key, ""), timeout=5).json()
        created = requests.post(f"{sandbox.url}/v2/trackers", json={"tracker": {
            "tracking_code": code}}, auth=(sandbox.easypost_key, ""), timeout=5).json()
        assert by_id == created == tracker
    for number in LIVE_ORDERS:
        order = number_of(sandbox, number)
        reply = requests.get(
            f"{sandbox.url}/admin/api/2024-10/orders/{order['id']}/fulfillments.json",
            headers={"X-Shopify-Access-Token": sandbox.shopify_token}, timeout=5)
        [fulfillment] = reply.json()["fulfillments"]
        assert fulfillment["shipment_status"] == "delivered"
        said = [d.payload() for d in fired
                if d.topic == "fulfillments/update" and d.order_number == number]
        assert said[-1] == fulfillment
        assert [f["shipment_status"] for f in said] == [
            SHOPIFY_STATUS[s] for s in ("in_transit", "out_for_delivery", "delivered")
        ][-len(said):]


def test_statuses_only_move_forward_and_every_story_ends_delivered(
        sandbox, receiver, clock_time):
    clock = make_clock(sandbox, receiver.url, clock_time, delay_chance=0.5)
    fired = run_to_the_end(clock, clock_time)
    seen: dict[str, list[dict]] = {}
    for delivery in moves(fired):
        tracker = delivery.payload()["result"]
        seen.setdefault(tracker["tracking_code"], []).append(tracker)
    assert {d.order_number for d in moves(fired)} == set(LIVE_ORDERS)
    for trackers in seen.values():
        ranks = [RANK[t["status"]] for t in trackers]
        assert ranks == sorted(ranks)
        assert trackers[-1]["status"] == "delivered" and trackers[-1]["finalized"]
        stamps = [d["datetime"] for d in trackers[-1]["tracking_details"]]
        assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps)
    assert clock.advance(3) == []  # nothing left to tell


def test_a_delay_is_a_carrier_exception_with_a_later_delivery_date(
        sandbox, receiver, clock_time):
    seeded = copy.deepcopy(sandbox.seed.trackers)
    clock = make_clock(sandbox, receiver.url, clock_time, delay_chance=1.0)
    fired = run_to_the_end(clock, clock_time)
    updates = [d.payload()["result"] for d in moves(fired)]
    delays = [t for t in updates if t["status_detail"] in {"weather_delay", "delayed"}]
    assert delays
    for tracker in delays:
        code = tracker["tracking_code"]
        earlier = [t for t in updates[:updates.index(tracker)] if t["tracking_code"] == code]
        before = earlier[-1] if earlier else seeded[code]
        assert tracker["status"] == "in_transit"
        assert tracker["est_delivery_date"] > before["est_delivery_date"]
        assert tracker["carrier_detail"]["est_delivery_date_local"] == \
            tracker["est_delivery_date"][:10]


def test_the_demo_and_failure_orders_never_change(sandbox, receiver, clock_time):
    stable = {n: copy.deepcopy(number_of(sandbox, n)) for n in range(1001, 1066)
              if n not in LIVE_ORDERS}
    codes = {f["tracking_number"] for o in stable.values() for f in o["fulfillments"]}
    trackers = {c: copy.deepcopy(sandbox.seed.trackers[c]) for c in codes}
    fired = run_to_the_end(make_clock(sandbox, receiver.url, clock_time, delay_chance=0.5),
                           clock_time)
    assert not {d.order_number for d in fired} & set(DEMO_ORDERS)
    assert {n: number_of(sandbox, n) for n in stable} == stable
    assert {c: sandbox.seed.trackers[c] for c in codes} == trackers


def test_event_ids_are_unique_within_and_across_runs(sandbox, receiver, clock_time):
    fired = run_to_the_end(make_clock(sandbox, receiver.url, clock_time), clock_time)
    ids = [r.headers["x-shopify-event-id"] for r in receiver.seen(path="/webhooks/shopify")]
    ids += [r.body["id"] for r in receiver.seen(path="/webhooks/easypost")]
    assert len(ids) == len(fired) == len(set(ids))
    assert all(i.startswith("evt_") for i in ids if i in {d.event_id for d in moves(fired)})
    one = SandboxClock(sandbox.state, receiver.url, now=clock_time)
    other = SandboxClock(sandbox.state, receiver.url, now=clock_time)
    assert one.run_id != other.run_id  # a restarted sandbox never repeats an id the engine kept


def test_the_same_seed_tells_the_same_story(receiver, clock_time):
    stories = []
    for _ in range(2):
        clock_time.now = START
        with start_sandbox(port=0, today=TODAY) as server:
            fired = run_to_the_end(make_clock(server, receiver.url, clock_time), clock_time)
        stories.append([(d.order_number, d.topic, d.payload().get("result", {}).get("status"))
                        for d in fired])
    assert stories[0] == stories[1]


def test_a_failing_receiver_gets_the_same_event_again_with_backoff(
        sandbox, receiver, clock_time):
    receiver.on_any(Reply(500, {"error": "boom"}), Reply(200, {"status": "stored"}))
    clock = make_clock(sandbox, receiver.url, clock_time, retry_after=(5.0, 30.0))
    failed, *rest = clock.advance()
    assert (failed.status, failed.attempts) == (500, 1)
    assert all(d.ok for d in rest)
    assert clock.flush() == []  # not due yet
    clock_time.forward(5)
    [again] = clock.flush()
    assert again is failed and (again.status, again.attempts) == (200, 2)
    event_ids = [r.headers["x-shopify-event-id"] for r in receiver.seen()]
    assert event_ids.count(failed.event_id) == 2 and len(event_ids) == len(LIVE_ORDERS) + 1


def test_a_receiver_that_never_answers_well_is_given_up_on(sandbox, clock_time):
    with socket.socket() as s:  # a port nobody listens on: connection refused
        s.bind(("127.0.0.1", 0))
        nowhere = f"http://127.0.0.1:{s.getsockname()[1]}"
    clock = make_clock(sandbox, nowhere, clock_time, retry_after=(1.0, 2.0))
    first = clock.advance()
    assert {(d.status, d.attempts) for d in first} == {(None, 1)}
    clock_time.forward(1)
    assert {d.attempts for d in clock.flush()} == {2}
    clock_time.forward(2)
    assert {d.attempts for d in clock.flush()} == {3}
    clock_time.forward(600)
    assert clock.flush() == []  # dropped after three attempts
    clock.advance(5)  # and the sandbox keeps moving and serving
    assert requests.get(f"{sandbox.url}/_sandbox/health", timeout=5).ok


def test_tick_zero_means_no_clock(receiver):
    with start_sandbox(port=0, today=TODAY, webhook_target=receiver.url, tick=0) as server:
        assert server.clock is None
        assert server.start_clock(receiver.url, 0) is None
    assert receiver.requests == []


def test_the_running_clock_fires_on_its_own_until_stopped(receiver):
    with start_sandbox(port=0, webhook_target=receiver.url, tick=0.05) as server:
        deadline = time.monotonic() + 10
        while len(receiver.seen(path="/webhooks/easypost")) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        clock = server.clock
    assert len(receiver.seen(path="/webhooks/shopify")) >= len(LIVE_ORDERS)
    assert len(receiver.seen(path="/webhooks/easypost")) >= 2
    assert clock is not None and not clock.running


def test_the_engine_takes_the_webhooks_in_and_tells_the_customer(
        sandbox, clock_time, tmp_path: Path):
    """Sandbox clock → the real intake (signature, storage) → the engine's decisions."""
    db = tmp_path / "wismo.db"
    store = EngineStore(db, clock=clock_time)
    contacts = ContactStore(db)
    contacts.verified("webchat-priya", "webchat", "priya.patel@example.com", "1050")
    engine = Engine(store, KnownOrders(db), contacts, CaseStore(db), Rules(), clock=clock_time)
    Sanic.test_mode = True
    app = create_app(store, WebhookSecrets(SANDBOX_SHOPIFY_SECRET, SANDBOX_EASYPOST_SECRET),
                     name=f"clock_{uuid.uuid4().hex[:8]}")
    with AppHost(app) as host:
        clock = make_clock(sandbox, host.url, clock_time)
        for _ in range(200):
            assert all(d.ok for d in clock.advance())
            engine.process_pending()
            clock_time.forward(20)
            if clock.finished:
                break
    assert store.pending_events() == []
    assert engine.known.order("1050").shipments[0].status.value == "delivered"
    rows = store.for_order("1050", since=START - timedelta(days=1))
    assert [r.kind for r in rows] == ["shipped", "out_for_delivery", "delivered"]
    assert {r.conversation_id for r in rows} == {"webchat-priya"}
    assert "#1050" in rows[0].text and "UPS" in rows[0].text
    store.close()
