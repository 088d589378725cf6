"""The proactive engine: webhooks ingested and decided per second, event-to-send latency, and
exactly-once under a replay with duplicates and out-of-order deliveries.

    .venv/bin/python bench/engine.py                       # all four phases, about 70 s
    .venv/bin/python bench/engine.py --phases ingest --orders 3000 --clients 4
    .venv/bin/python bench/engine.py --phases latency --drain-rate 300 --drain-orders 600

Traffic: N orders (Shopify's documented order #1001, renumbered, each with its own email),
each with a customer verified on Telegram (ContactStore.verified) and a story of signed
webhooks built from the documented payloads (tests/engine/payloads.py): orders/create (a
label printed, its tracking number), then EasyPost tracker.updated Events carrying the
tracker's whole history so far: first scan, for --weather of the orders a weather delay with
a revised delivery date and the parcel moving again, out for delivery, delivered. Every
checkpoint falls in the 24 hours before a fixed clock (NOW); the engine, the store and the
sender run on that clock with the default rules minus quiet hours and with a daily cap of 10
per order, so what is decided never depends on when or how fast the script runs.

Phases, each over a fresh SQLite file (var/wismo.db in a temporary directory):

1. ingest: the intake app (wismo.engine.intake.create_app: Sanic, one worker, nothing else)
   in a subprocess on 127.0.0.1; this process POSTs every delivery in story order (orders
   interleaved) from --clients concurrent aiohttp clients, each sending as soon as its last
   one was answered. Deliveries/s = deliveries / wall time; p50/p95/p99 = the client's time
   from request to response (signature, parsing, the durable insert, the 200).
2. decide: Engine.process_pending (500 events per call, as the loop calls it) in this
   process over the events phase 1 stored, until none is pending. Events/s = events folded
   into the engine's copy and decided (detect, rules, state and outbox in one transaction)
   per second of wall time; outbox rows queued, checked against the expected notifications.
3. latency: the engine in a subprocess as `wismo engine` runs it (wired as server.build
   wires it: intake, decisions and sender in one process, the blocking work in worker
   threads), the sender pointed at a stand-in for Rasa's trigger_intent in this process
   (tests/fake_provider.py, answering as Rasa does once the action said the update, which
   the sender checks). Deliveries arrive at a steady rate (open loop); for each message, the
   time from its webhook's 200 (as the client got it) to the stand-in receiving the
   trigger_intent. Twice, with the loop as shipped (wismo.engine.server: every 0.2 s, both
   queues drained): at --shipped-rate, and with the bench's own draining loop on a 0.1 s
   tick at --drain-rate (the ceiling a shorter tick would give).
4. replay: --replay deliveries, of which --duplicates are re-deliveries of an event already
   sent (same event id: half at once, as a retry, half later), the rest distinct events: the
   stories plus --resent of their tracker states sent again under a new event id (EasyPost
   does that when another field of the tracker changes). Each story event but the last is,
   with chance --late, delivered after a later event of its own order (a provider retrying a
   failed delivery). Posted by --clients clients, as fast as answered, while the draining
   loop (0.2 s tick) runs. Checked (exit 1 otherwise): each distinct event stored once and
   every re-delivery answered "duplicate"; the outbox holds exactly the expected
   notifications; the stand-in received each outbox row once and nothing else.

Expected notifications are computed without the engine's code, from the stories and from what
each process_pending call took (recorded; which events are decided together depends on
timing). The model: after each batch, each order the batch touched is reviewed once and its
parcel's newest status (by checkpoint time) is told if it changed since the last review
(first scan: shipped; weather: exception/weather; moving again after it: nothing; out for
delivery; delivered); an older status changes nothing; trackers that arrive before their
order wait for it, and the order's first review tells the newest status.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # before bench/, whose channels.py would hide the package

from tests.engine.payloads import (  # noqa: E402
    easypost_delivery,
    make_easypost_event,
    make_order,
    shopify_delivery,
)
from tests.fake_provider import FakeProvider, Reply, Seen  # noqa: E402
from wismo.cases import CaseStore  # noqa: E402
from wismo.config import Settings  # noqa: E402
from wismo.contacts import ContactStore  # noqa: E402
from wismo.engine.intake import (  # noqa: E402
    WebhookSecrets,
    create_app,
    easypost_refs,
    shopify_refs,
)
from wismo.engine.known import KnownOrders  # noqa: E402
from wismo.engine.process import Engine  # noqa: E402
from wismo.engine.rules import Rules  # noqa: E402
from wismo.engine.sender import Sender  # noqa: E402
from wismo.engine.store import EngineStore, StoredEvent  # noqa: E402

NOW = datetime(2024, 8, 2, 19, 0, tzinfo=timezone.utc)  # a Friday, 3 pm in New York
RULES = Rules(quiet_hours=None, max_per_order_per_day=10)
SHOPIFY_SECRET = "bench-shopify-secret"
EASYPOST_SECRET = "bench-easypost-secret"
SHOPIFY_PATH, EASYPOST_PATH = "/webhooks/shopify", "/webhooks/easypost"
CHANNEL = "telegram"
FIRST_NUMBER = 5001
CLK_TCK = os.sysconf("SC_CLK_TCK")

# A parcel's checkpoints: (step, hours before NOW, EasyPost status, status_detail, message,
# city, state).
LABEL = ("label", 23.0, "pre_transit", "label_created", "Shipping label created", "Orlando", "FL")
SCAN = ("scan", 20.0, "in_transit", "arrived_at_facility", "Picked up", "Orlando", "FL")
WEATHER = ("weather", 14.0, "in_transit", "weather_delay", "Delayed by severe weather",
           "Memphis", "TN")
RESUMED = ("resumed", 10.0, "in_transit", "departed_facility", "Departed facility", "Memphis",
           "TN")
OUT = ("out_for_delivery", 4.0, "out_for_delivery", "out_for_delivery", "Out for delivery",
       "Louisville", "KY")
DELIVERED = ("delivered", 1.0, "delivered", "arrived_at_destination", "Delivered, front door",
             "Louisville", "KY")
# What the customer is told when a step is the parcel's newest news, by the status before it.
TOLD = {"scan": "shipped", "weather": "exception/weather", "resumed": "shipped",
        "out_for_delivery": "out_for_delivery", "delivered": "delivered"}
NOT_SCANNED = (None, "order")  # first sight, or only the label known


# --- traffic ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Webhook:
    """One delivery as the provider sends it; `key` is the event id the engine stores."""

    key: str
    order: int  # index of the story
    step: int  # 0: orders/create; 1…: tracker updates, in checkpoint order
    path: str
    body: bytes
    headers: dict[str, str]


@dataclass
class Story:
    """One order, its customer's conversation and its webhooks in story order."""

    index: int
    number: str
    conversation: str
    email: str
    steps: list[str]  # "order", then the tracker steps' names
    webhooks: list[Webhook] = field(default_factory=list)


def build_stories(count: int, weather: float, rng: random.Random) -> list[Story]:
    return [story(i, rng.random() < weather, rng.randrange(50)) for i in range(count)]


def story(i: int, with_weather: bool, jitter: int) -> Story:
    """Order FIRST_NUMBER + i: orders/create, then a tracker.updated per checkpoint."""
    number = str(FIRST_NUMBER + i)
    shift = timedelta(minutes=jitter)

    def at(hours: float) -> str:
        return (NOW - timedelta(hours=hours) + shift).isoformat()

    tracking = f"1ZBENCH{i:08d}"
    email = f"customer{i}@example.com"
    s = Story(i, number, f"{CHANNEL}:{9_000_000 + i}", email, ["order"])
    order = make_order(
        id=7_000_000 + i, name=f"#{number}", order_number=int(number), email=email,
        created_at=at(30), updated_at=at(23), fulfillment_status="fulfilled",
    )
    order["customer"] = order["customer"] | {"email": email, "id": 8_000_000 + i}
    order["fulfillments"][0] |= {
        "id": 6_000_000 + i, "order_id": order["id"], "status": "success",
        "shipment_status": "label_printed", "tracking_company": "UPS",
        "tracking_number": tracking, "tracking_numbers": [tracking], "tracking_url": None,
        "tracking_urls": [], "line_items": order["line_items"], "created_at": at(23),
        "updated_at": at(23),
    }
    delivery = shopify_delivery(order, "orders/create", secret=SHOPIFY_SECRET,
                                event_id=f"ord_{i}", webhook_id=f"wh_{i}")
    s.webhooks.append(Webhook(f"ord_{i}", i, 0, SHOPIFY_PATH, delivery.body, delivery.headers))
    checkpoints = [SCAN, WEATHER, RESUMED, OUT, DELIVERED] if with_weather else [
        SCAN, OUT, DELIVERED]
    details = [_detail(LABEL, at)]
    eta = "2024-08-03"
    for n, point in enumerate(checkpoints, start=1):
        details.append(_detail(point, at))
        if point is WEATHER:
            eta = "2024-08-05"  # the revised date
        event = make_easypost_event(id=f"evt_{i}_{n}", created_at=at(point[1] - 0.01),
                                    updated_at=at(point[1] - 0.01))
        event["previous_attributes"] = {"status": details[-2]["status"]}
        event["result"] |= {
            "id": f"trk_{i}", "tracking_code": tracking, "carrier": "UPS", "status": point[2],
            "status_detail": point[3], "created_at": at(LABEL[1]), "updated_at": at(point[1]),
            "est_delivery_date": f"{eta}T00:00:00Z", "tracking_details": list(details),
            "signed_by": "B. Norman" if point is DELIVERED else None,
            "public_url": f"https://track.easypost.com/{tracking}",
        }
        event["result"]["carrier_detail"] = event["result"]["carrier_detail"] | {
            "est_delivery_date_local": eta, "destination_location": "LOUISVILLE KY US"}
        delivery = easypost_delivery(event, secret=EASYPOST_SECRET)
        s.webhooks.append(Webhook(event["id"], i, n, EASYPOST_PATH, delivery.body,
                                  delivery.headers))
        s.steps.append(point[0])
    return s


def _detail(point: tuple[Any, ...], at: Callable[[float], str]) -> dict[str, Any]:
    name, hours, status, detail, message, city, state = point
    return {"object": "TrackingDetail", "message": message, "description": message,
            "status": status, "status_detail": detail, "datetime": at(hours), "source": "UPS",
            "carrier_code": name, "tracking_location": {
                "object": "TrackingLocation", "city": city.upper(), "state": state,
                "country": "US", "zip": None}}


def in_story_order(stories: list[Story]) -> list[Webhook]:
    """Step 1 of every order, then step 2 …, orders in the same order each round: one
    order's webhooks are a round apart, as parcels moving in parallel."""
    longest = max(len(s.webhooks) for s in stories)
    return [s.webhooks[n] for n in range(longest) for s in stories if n < len(s.webhooks)]


def seed_var(var: Path, stories: list[Story]) -> Path:
    """A fresh var/wismo.db with every story's customer verified on Telegram."""
    db = var / "wismo.db"
    contacts = ContactStore(db, clock=lambda: NOW - timedelta(days=2))
    for s in stories:
        contacts.verified(s.conversation, CHANNEL, s.email, s.number)
    return db


@dataclass
class Replay:
    """The replay's deliveries in sending order, and what they are made of."""

    deliveries: list[Webhook]
    distinct: int
    duplicates: int
    resent: int
    late: int  # distinct events delivered after a later event of their own order


def build_replay(stories: list[Story], total: int, duplicates: float, resent: float,
                 late: float, rng: random.Random) -> Replay:
    """Story events, some delayed past a later event of their order, some tracker states
    re-sent under a new id, then re-deliveries of earlier deliveries (same id)."""
    base = in_story_order(stories)
    rounds = max(len(s.webhooks) for s in stories)
    key: dict[str, float] = {w.key: float(i) for i, w in enumerate(base)}
    end = float(len(base))
    for s in stories:  # from the last step back: each late one goes after its successor
        for w, after in zip(reversed(s.webhooks[:-1]), reversed(s.webhooks[1:]), strict=True):
            if rng.random() < late:
                key[w.key] = rng.uniform(key[after.key], end + rounds)
    ordered = sorted(base, key=lambda w: key[w.key])
    distinct_target = round(total * (1 - duplicates))
    extra = []
    trackers = [w for w in base if w.step > 0]
    for n in range(max(0, distinct_target - len(base))):
        original = rng.choice(trackers)
        event = json.loads(original.body)
        event["id"] = f"{original.key}_again{n}"
        delivery = easypost_delivery(event, secret=EASYPOST_SECRET)
        again = Webhook(event["id"], original.order, original.step, EASYPOST_PATH,
                        delivery.body, delivery.headers)
        key[again.key] = rng.uniform(key[original.key], end + rounds)
        extra.append(again)
    distinct = sorted(ordered + extra, key=lambda w: key[w.key])
    placed = [(key[w.key], w) for w in distinct]
    for _ in range(total - len(distinct)):  # half retried at once, half replayed later
        original = rng.choice(distinct)
        first = key[original.key]
        placed.append((first + rng.uniform(0.01, 20) if rng.random() < 0.5
                       else rng.uniform(first, end + rounds), original))
    deliveries = [w for _, w in sorted(placed, key=lambda pair: pair[0])]
    return Replay(deliveries, len(distinct), total - len(distinct), len(extra),
                  count_late(distinct))


def count_late(sequence: list[Webhook]) -> int:
    """Deliveries that come after a later step of their own order."""
    newest: dict[int, int] = {}
    late = 0
    for w in sequence:
        if newest.get(w.order, -1) > w.step and "_again" not in w.key:
            late += 1
        newest[w.order] = max(newest.get(w.order, -1), w.step)
    return late


# --- what should be told ------------------------------------------------------------------


def expected(stories: list[Story], batches: list[list[str]]) -> Counter[tuple[str, str]]:
    """(order number, outbox kind) of every message a correct engine queues, given the events
    each process_pending call took (the model in the module docstring)."""
    where = {w.key: (w.order, w.step) for s in stories for w in s.webhooks}
    by_index = {s.index: s for s in stories}
    attached: set[int] = set()
    newest: dict[int, int] = {}
    told_status: dict[int, str] = {}  # the status seen at the last review
    out: Counter[tuple[str, str]] = Counter()
    for batch in batches:
        touched: set[int] = set()
        for key in batch:
            order, step = where[key.split("_again")[0]]
            if step == 0:
                attached.add(order)
            else:
                newest[order] = max(newest.get(order, 0), step)
            if order in attached:
                touched.add(order)
        for order in sorted(touched):
            s = by_index[order]
            status = s.steps[newest.get(order, 0)]
            before = told_status.get(order)
            told_status[order] = status
            if status == before or status == "order":
                continue
            if status in ("scan", "resumed") and before not in NOT_SCANNED:
                continue  # moving again after a delay: not news
            out[(s.number, TOLD[status])] += 1
    return out


def in_order_notifications(stories: list[Story]) -> int:
    """Messages when every event is decided on its own, in story order."""
    return sum(len([p for p in s.steps if p not in ("order", "resumed")]) for s in stories)


# --- the engine, as `wismo engine` builds it, on the fixed clock --------------------------


@dataclass
class Parts:
    store: EngineStore
    engine: Engine
    sender: Sender


def clock() -> datetime:
    return NOW


def parts(db: Path, rasa_url: str) -> Parts:
    """Wired as wismo.engine.server.build wires them, on the fixed clock and RULES."""
    store = EngineStore(db, clock=clock)
    contacts = ContactStore(db)
    engine = Engine(store, KnownOrders(db), contacts, CaseStore(db), RULES, clock=clock)
    return Parts(store, engine, Sender(store, rasa_url, contacts=contacts, clock=clock))


def record_batches(store: EngineStore, sink: Callable[[list[str]], None]) -> None:
    """Report the event ids of every non-empty batch process_pending takes."""
    original = store.pending_events

    def pending_events(limit: int = 100) -> list[StoredEvent]:
        events = original(limit)
        if events:
            sink([e.event_id for e in events])
        return events

    store.pending_events = pending_events  # type: ignore[method-assign]


def engine_turn(p: Parts, batches: list[list[str]]) -> bool:
    """One pass of the draining loop: decide pending events, send what is due; True if busy."""
    taken = len(batches)
    p.engine.process_pending()
    sent = p.sender.send_due()
    return len(batches) > taken or sent > 0


# --- the server subprocess -----------------------------------------------------------------


def serve(mode: str, db: Path, rasa_url: str, tick: float, batch_file: Path | None) -> None:
    """Run the intake (mode "intake") or the whole engine ("shipped": wismo.engine.server's
    app and loop; "drain": the draining loop) on a free port; print READY <port>."""
    import wismo.engine.server as server

    secrets = WebhookSecrets(shopify=SHOPIFY_SECRET, easypost=EASYPOST_SECRET)
    batches: list[list[str]] = []
    sink_file = batch_file.open("a", encoding="utf-8") if batch_file else None

    def sink(ids: list[str]) -> None:
        batches.append(ids)
        if sink_file:
            sink_file.write(json.dumps(ids) + "\n")
            sink_file.flush()

    if mode == "intake":
        app = create_app(EngineStore(db), secrets, name="bench_intake")
    else:
        p = parts(db, rasa_url)
        record_batches(p.store, sink)
        if mode == "shipped":
            server.TICK_SECONDS = tick
            settings = Settings(shopify_webhook_secret=SHOPIFY_SECRET,
                                easypost_webhook_secret=EASYPOST_SECRET)
            app = server.make_app(server.Parts(p.store, p.engine, p.sender), settings,
                                  name="bench_engine")
        else:
            app = create_app(p.store, secrets, name="bench_engine")

            async def drain_loop() -> None:
                while True:
                    try:
                        while await asyncio.to_thread(engine_turn, p, batches):
                            pass
                    except Exception as exc:  # keep going, as the real loop does
                        print(f"engine turn failed: {exc!r}", file=sys.stderr)
                    await asyncio.sleep(tick)

            @app.listener("after_server_start")
            async def start(app: Any, _: object) -> None:
                app.add_task(drain_loop())

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)  # Sanic 21.12: port 0 means 8000
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]

    @app.listener("after_server_start")
    async def ready(app: Any, _: object) -> None:
        print(f"READY {port}", flush=True)

    app.run(sock=sock, access_log=False, workers=1, motd=False)  # as server.serve runs it


@dataclass(frozen=True)
class Server:
    url: str
    pid: int

    def cpu_seconds(self) -> float:
        """User + system CPU time the server process has used so far."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK


@contextmanager
def server_process(mode: str, var: Path, rasa_url: str = "http://127.0.0.1:9",
                   tick: float = 1.0) -> Iterator[Server]:
    """The engine's server in a subprocess (logs: var/<mode>.log)."""
    log = (var / f"{mode}.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-W", "ignore", __file__, "--serve", mode, "--db", str(var / "wismo.db"),
         "--rasa-url", rasa_url, "--tick", str(tick), "--batch-file", str(var / "batches.jsonl")],
        stdout=subprocess.PIPE, stderr=log, text=True, cwd=ROOT,
    )
    try:
        assert process.stdout is not None
        line = _ready_line(process.stdout, 60)
        if not line.startswith("READY "):
            log.flush()
            tail = (var / f"{mode}.log").read_text(errors="replace")[-3000:]
            raise RuntimeError(f"the {mode} server did not start:\n{tail}")
        yield Server(f"http://127.0.0.1:{int(line.split()[1])}", process.pid)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def _ready_line(stream: Any, timeout: float) -> str:
    """The child's READY line (Sanic prints its banner to stdout first), or ''."""
    box: list[str] = []

    def read() -> None:  # and keep reading, so a chatty child never blocks on a full pipe
        for line in stream:
            if line.startswith("READY ") and not box:
                box.append(line)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    deadline = time.monotonic() + timeout
    while not box and reader.is_alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    return box[0] if box else ""


def read_batches(var: Path) -> list[list[str]]:
    path = var / "batches.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


# --- load generation -------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    webhook: Webhook
    status: int
    said: str  # "stored", "duplicate", …
    sent: float  # perf_counter when the request started
    done: float  # … and when the response was read


async def _post(session: aiohttp.ClientSession, url: str, w: Webhook) -> Answer:
    sent = time.perf_counter()
    async with session.post(url + w.path, data=w.body, headers=w.headers) as response:
        raw = await response.read()
        done = time.perf_counter()
    said = json.loads(raw).get("status", "") if raw.startswith(b"{") else ""
    return Answer(w, response.status, said, sent, done)


async def post_closed(url: str, webhooks: list[Webhook], clients: int) -> tuple[list[Answer],
                                                                                float]:
    """`clients` clients, each posting its next webhook once the last was answered."""
    queue = iter(webhooks)
    answers: list[Answer] = []
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=clients)) as session:

        async def client() -> None:
            for w in queue:
                answers.append(await _post(session, url, w))

        start = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(clients)))
        wall = time.perf_counter() - start
    return answers, wall


async def post_steady(url: str, webhooks: list[Webhook], rate: float) -> list[Answer]:
    """One webhook every 1/rate s (open loop: a slow answer does not delay the next one)."""
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=64)) as session:
        start = time.perf_counter()
        tasks = []
        for n, w in enumerate(webhooks):
            delay = start + n / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(_post(session, url, w)))
        return list(await asyncio.gather(*tasks))


class RasaStandIn(FakeProvider):
    """Answers trigger_intent as Rasa does once the action said the update (the tracker with
    the bot's message: the sender checks it) and notes when each request arrived."""

    def __init__(self) -> None:
        super().__init__(not_found=Reply(404, {"error": "not found"}))
        self.arrivals: list[tuple[float, Seen]] = []

    def answer(self, seen: Seen) -> Reply:
        with self._lock:
            self.arrivals.append((time.perf_counter(), seen))
            self.requests.append(seen)
        text = seen.body["entities"]["update_text"] if isinstance(seen.body, dict) else ""
        return Reply(200, {"tracker": {"events": [{"event": "bot", "text": text}]}})


def told(seen: Seen) -> tuple[str, str, str]:
    """(conversation, order number, text) of one trigger_intent."""
    entities = seen.body["entities"]
    conversation = seen.path.removeprefix("/conversations/").removesuffix("/trigger_intent")
    return conversation, entities["order_number"], entities["update_text"]


# --- measurements ---------------------------------------------------------------------------


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] if ordered else 0.0


def outbox(db: Path) -> list[tuple[str, str, str, str, str]]:
    """(order number, kind, conversation, text, status) of every outbox row."""
    with closing(sqlite3.connect(db)) as conn:
        return conn.execute("SELECT order_number, kind, conversation_id, text, status"
                            " FROM outbox ORDER BY id").fetchall()


def count(db: Path, sql: str) -> int:
    with closing(sqlite3.connect(db)) as conn:
        return int(conn.execute(sql).fetchone()[0])


def wait_until_idle(db: Path, seconds: float) -> bool:
    """Until no event is pending and every outbox row is sent (or the time is up)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if count(db, "SELECT count(*) FROM events WHERE processed_at IS NULL") == 0 and count(
                db, "SELECT count(*) FROM outbox WHERE status <> 'sent'") == 0:
            return True
        time.sleep(0.2)
    return False


def check(ok: bool, what: str, failures: list[str]) -> str:
    if not ok:
        failures.append(what)
    return "ok" if ok else "FAILED"


@dataclass
class Results:
    rows: list[tuple[str, str]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def add(self, name: str, value: str) -> None:
        self.rows.append((name, value))
        print(f"  {name:<58} {value}", flush=True)


def phase_ingest_decide(args: argparse.Namespace, rng: random.Random, out: Results) -> None:
    stories = build_stories(args.orders, args.weather, rng)
    order = list(range(len(stories)))
    rng.shuffle(order)
    webhooks = in_story_order([stories[i] for i in order])
    with tempfile.TemporaryDirectory(prefix="wismo-bench-") as tmp:
        var = Path(tmp)
        db = seed_var(var, stories)
        print(f"ingest: {len(webhooks)} deliveries ({len(stories)} orders), "
              f"{args.clients} clients in this process, intake in a subprocess", flush=True)
        with server_process("intake", var) as server:
            asyncio.run(post_closed(server.url, webhooks[:200], args.clients))  # warm-up
            server_cpu, client_cpu = server.cpu_seconds(), time.process_time()
            answers, wall = asyncio.run(post_closed(server.url, webhooks[200:], args.clients))
            server_cpu = server.cpu_seconds() - server_cpu
            client_cpu = time.process_time() - client_cpu
        bad = [a for a in answers if a.status != 200]
        times = [(a.done - a.sent) * 1000 for a in answers]
        out.add("ingest: deliveries/s", f"{len(answers) / wall:.0f}")
        out.add("ingest: response p50 / p95 / p99 ms",
                f"{percentile(times, 50):.1f} / {percentile(times, 95):.1f} / "
                f"{percentile(times, 99):.1f}")
        out.add("ingest: CPU ms per delivery, server / client",
                f"{server_cpu / len(answers) * 1000:.2f} / {client_cpu / len(answers) * 1000:.2f}")
        stored = count(db, "SELECT count(*) FROM events")
        out.add("ingest: stored / delivered (non-200 answers)",
                f"{stored} / {len(webhooks)} ({len(bad)}) "
                f"{check(stored == len(webhooks) and not bad, 'ingest stored', out.failures)}")

        p = parts(db, "http://127.0.0.1:9")
        batches: list[list[str]] = []
        record_batches(p.store, batches.append)
        start = time.perf_counter()
        reviews = 0
        while True:
            taken = len(batches)
            reviews += len(p.engine.process_pending())
            if len(batches) == taken:
                break
        wall = time.perf_counter() - start
        events = sum(len(b) for b in batches)
        rows = outbox(db)
        want = expected(stories, batches)
        got = Counter((r[0], r[1]) for r in rows)
        errors = count(db, "SELECT count(*) FROM events WHERE error IS NOT NULL")
        out.add("decide: events/s folded + decided (target >= 1000)",
                f"{events / wall:.0f} ({events} events, {reviews} reviews, {wall:.1f} s)")
        out.add("decide: outbox rows queued / expected",
                f"{len(rows)} / {sum(want.values())} "
                f"{check(got == want and errors == 0, 'decide outbox', out.failures)}")
        out.add("decide: in story order, one message per step would be",
                f"{in_order_notifications(stories)}")
        if args.profile_decide:
            _profile_decide(stories, webhooks)


def _profile_decide(stories: list[Story], webhooks: list[Webhook]) -> None:
    """cProfile of the decide phase over a fresh copy (for --profile-decide)."""
    import cProfile
    import pstats

    with tempfile.TemporaryDirectory(prefix="wismo-bench-") as tmp:
        db = seed_var(Path(tmp), stories)
        store = EngineStore(db, clock=lambda: NOW)
        for w in webhooks:
            payload = json.loads(w.body)
            if w.step == 0:
                refs = shopify_refs("orders/create", payload)
                store.record_event("shopify", w.key, "orders/create", w.body.decode(),
                                   order_number=refs.order_number, order_id=refs.order_id)
            else:
                refs = easypost_refs(payload)
                store.record_event("easypost", w.key, "tracker.updated", w.body.decode(),
                                   tracking_number=refs.tracking_number)
        p = parts(db, "http://127.0.0.1:9")
        profiler = cProfile.Profile()
        profiler.enable()
        while p.engine.process_pending():
            pass
        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)


def phase_latency(args: argparse.Namespace, rng: random.Random, out: Results, mode: str,
                  tick: float, rate: float, orders: int) -> None:
    stories = build_stories(orders, args.weather, rng)
    webhooks = in_story_order(stories)
    label = f"latency ({mode} loop, {tick:g} s tick, {rate:g} webhooks/s)"
    print(f"{label}: {len(webhooks)} deliveries ({orders} orders)", flush=True)
    with tempfile.TemporaryDirectory(prefix="wismo-bench-") as tmp, RasaStandIn() as rasa:
        var = Path(tmp)
        db = seed_var(var, stories)
        with server_process(mode, var, rasa.url, tick) as server:
            answers = asyncio.run(post_steady(server.url, webhooks, rate))
            idle = wait_until_idle(db, 60)
            time.sleep(0.2)
        step_of = {(s.number, TOLD[name]): n for s in stories
                   for n, name in enumerate(s.steps) if name not in ("order", "resumed")}
        answered = {(a.webhook.order, a.webhook.step): a.done for a in answers}
        by_number = {s.number: s.index for s in stories}
        latencies = []
        for arrived, seen in rasa.arrivals:
            entities = seen.body["entities"]
            number, kind = entities["order_number"], entities["update_kind"]
            key = (number, kind if kind != "exception" else "exception/weather")
            latencies.append((arrived - answered[(by_number[number], step_of[key])]) * 1000)
        rows = outbox(db)
        out.add(f"{label}: p50 / p95 / max ms",
                f"{percentile(latencies, 50):.0f} / {percentile(latencies, 95):.0f} / "
                f"{max(latencies, default=0):.0f}  ({len(latencies)} messages)")
        refused = Counter(a.status for a in answers if a.status != 200)
        ok = idle and len(rasa.arrivals) == len(rows) and not refused
        if not ok:
            print(f"    idle {idle}, trigger_intents {len(rasa.arrivals)}, outbox rows "
                  f"{len(rows)}, answers other than 200: {dict(refused)}")
        check(ok, f"{label}: every message sent once", out.failures)


def phase_replay(args: argparse.Namespace, rng: random.Random, out: Results) -> None:
    per_order = 3 + 2 * args.weather
    orders = round(args.replay * (1 - args.duplicates) / (1 + args.resent) / (1 + per_order))
    stories = build_stories(orders, args.weather, rng)
    order = list(range(len(stories)))
    rng.shuffle(order)
    replay = build_replay([stories[i] for i in order], args.replay, args.duplicates,
                          args.resent, args.late, rng)
    print(f"replay: {len(replay.deliveries)} deliveries, {orders} orders, drain loop "
          f"(0.2 s tick), {args.clients} clients", flush=True)
    failures = out.failures
    with tempfile.TemporaryDirectory(prefix="wismo-bench-") as tmp, RasaStandIn() as rasa:
        var = Path(tmp)
        db = seed_var(var, stories)
        with server_process("drain", var, rasa.url, 0.2) as server:
            start = time.perf_counter()
            answers, posting = asyncio.run(post_closed(server.url, replay.deliveries,
                                                       args.clients))
            idle = wait_until_idle(db, 120)
            wall = time.perf_counter() - start
            time.sleep(0.3)
        batches = read_batches(var)
        said = Counter(a.said for a in answers)
        out.add("replay: deliveries = distinct + re-deliveries (same id)",
                f"{len(replay.deliveries)} = {replay.distinct} + {replay.duplicates}")
        out.add("replay: distinct = story events + tracker states re-sent (new id)",
                f"{replay.distinct} = {replay.distinct - replay.resent} + {replay.resent}")
        out.add("replay: delivered after a later event of their order",
                f"{replay.late} ({replay.late / replay.distinct:.0%} of distinct)")
        out.add("replay: answered stored / duplicate",
                f"{said['stored']} / {said['duplicate']} " + check(
                    said["stored"] == replay.distinct and said["duplicate"] == replay.duplicates
                    and all(a.status == 200 for a in answers), "replay intake", failures))
        out.add("replay: posting time / until all decided and sent",
                f"{posting:.1f} s ({len(answers) / posting:.0f}/s) / {wall:.1f} s "
                + check(idle, "replay finished", failures))
        rows = outbox(db)
        want = expected(stories, batches)
        got = Counter((r[0], r[1]) for r in rows)
        errors = count(db, "SELECT count(*) FROM events WHERE error IS NOT NULL")
        out.add("replay: messages queued / expected notifications",
                f"{len(rows)} / {sum(want.values())} "
                + check(got == want and errors == 0 and len(rows) == len(set(
                    (r[0], r[1]) for r in rows)), "replay outbox = expected", failures))
        if got != want:
            missing, extra = want - got, got - want
            print(f"    missing {sum(missing.values())}: {list(missing.items())[:5]}")
            print(f"    extra {sum(extra.values())}: {list(extra.items())[:5]}")
        received = Counter(told(seen) for _, seen in rasa.arrivals)
        sent = Counter((r[2], r[0], r[3]) for r in rows)
        twice = sum(n - 1 for n in received.values() if n > 1)
        out.add("replay: trigger_intent received / sent twice",
                f"{sum(received.values())} / {twice} "
                + check(received == sent, "stand-in = outbox, once each", failures))
        out.add("replay: in story order without duplicates it would be",
                f"{in_order_notifications(stories)} (late events are older news: not told)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="The proactive engine: ingest and decide rates, event-to-send latency, "
                    "exactly-once under a replay (details: the module docstring).")
    parser.add_argument("--phases", nargs="+", default=["ingest", "latency", "replay"],
                        choices=["ingest", "decide", "latency", "replay"],
                        help="decide always runs with ingest, over what it stored")
    parser.add_argument("--orders", type=int, default=1500, help="orders for ingest/decide")
    parser.add_argument("--clients", type=int, default=8,
                        help="concurrent clients for ingest and replay")
    parser.add_argument("--weather", type=float, default=0.5,
                        help="share of orders with a weather delay")
    parser.add_argument("--shipped-rate", type=float, default=200.0,
                        help="webhooks/s for the shipped loop's latency")
    parser.add_argument("--shipped-orders", type=int, default=400)
    parser.add_argument("--drain-rate", type=float, default=200.0,
                        help="webhooks/s for the draining loop's latency")
    parser.add_argument("--drain-orders", type=int, default=400)
    parser.add_argument("--replay", type=int, default=10_000, help="replay deliveries")
    parser.add_argument("--duplicates", type=float, default=0.2,
                        help="share of the replay's deliveries that re-deliver an event")
    parser.add_argument("--resent", type=float, default=0.05,
                        help="tracker states re-sent under a new id, per story event")
    parser.add_argument("--late", type=float, default=0.3,
                        help="chance that a story event (not the last) is delivered late")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--profile-decide", action="store_true",
                        help="also print a cProfile of the decide phase")
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--rasa-url", help=argparse.SUPPRESS)
    parser.add_argument("--tick", type=float, default=1.0, help=argparse.SUPPRESS)
    parser.add_argument("--batch-file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        serve(args.serve, args.db, args.rasa_url, args.tick, args.batch_file)
        return 0
    def rng(phase: str) -> random.Random:  # the same traffic whichever phases run
        return random.Random(f"{args.seed}:{phase}")

    out = Results()
    phases = set(args.phases)
    if phases & {"ingest", "decide"}:
        phase_ingest_decide(args, rng("ingest"), out)
    if "latency" in phases:
        from wismo.engine.server import TICK_SECONDS

        phase_latency(args, rng("shipped"), out, "shipped", TICK_SECONDS, args.shipped_rate,
                      args.shipped_orders)
        phase_latency(args, rng("drain"), out, "drain", 0.1, args.drain_rate, args.drain_orders)
    if "replay" in phases:
        phase_replay(args, rng("replay"), out)
    if out.failures:
        print("FAILED: " + "; ".join(out.failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
