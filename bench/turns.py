"""Conversation latency and throughput of the whole agent, ours against Rasa's default config.

    .venv/bin/python bench/turns.py
    .venv/bin/python bench/turns.py --configs config.yml --concurrency 4 --conversations 100

For each config: make sure a model is trained (training time measured by this script, cached
in var/bench/training.json; `--retrain` trains again into a temporary models dir), start the
full stack (sandbox in this process, action server and Rasa server as subprocesses, all on
127.0.0.1 with free ports), warm up, then for each concurrency level C keep C customer
conversations going over the REST channel until N have completed (default: as many as start
within --seconds). Every conversation is a whole WISMO exchange with its own sender id:

    where is my order? → order number → email or postal code (the verified answer, with
    carrier lookups) → when will it arrive? → tracking link → thanks

Per level it prints per-turn latency (client side, request to response) p50/p95/p99, turns
per second (completed turns / wall time), the CPU time each server used per turn and the
memory (VmRSS, VmHWM) of the Rasa and action servers and their children. Then a comparison:
throughput ours/default at 16 conversations (goal ≥ 2×) and our p95 at 4 (goal < 150 ms).
Each stack's logs and tracker DB stay in var/bench/stack-<config>-*/.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import socket
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from wismo.config import Settings  # noqa: E402
from wismo.stack import Stack, start_stack  # noqa: E402
from wismo.training import ensure_model, model_path  # noqa: E402

OURS = "config.yml"
BASELINE = "bench/default_config.yml"
TRAINING_TIMES = ROOT / "var" / "bench" / "training.json"
REQUEST_TIMEOUT = 30.0  # seconds per turn; a slower turn counts as an error
MAX_CONVERSATIONS = 2000  # per level, whatever --conversations or --seconds say
MAX_ERRORS_SHOWN = 5
CLIENT = "client + sandbox"  # this process: the customer threads and the in-process sandbox
CLK_TCK = os.sysconf("SC_CLK_TCK")

# Valid sandbox orders with a shipment to look up (docs/sandbox.md); #1040–#1042 fail on purpose.
ORDERS: list[tuple[str, str]] = [
    ("1001", "ava.thompson@example.com"),
    ("1012", "liam.davis@example.com"),
    ("1010", "30308"),
    ("1014", "55401"),
    ("1009", "hannah.lee@example.com"),
    ("1015", "89104"),
    ("1017", "benjamin.moore@example.com"),
    ("1028", "29401"),
]


def script(number: str, proof: str) -> list[str]:
    """The customer's messages; the third one gets the verified answer."""
    return ["where is my order?", f"#{number}", proof, "when will it arrive?",
            "can I get the tracking link", "thanks"]


VERIFIED_TURN = 2


# --- conversations -----------------------------------------------------------------------------

@dataclass
class LevelResult:
    """What one concurrency level measured."""

    concurrency: int
    conversations: int = 0
    turns: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    cpu_per_turn_ms: dict[str, float] = field(default_factory=dict)
    memory: dict[str, dict[str, int]] = field(default_factory=dict)
    load_before: str = ""

    @property
    def throughput(self) -> float:
        return self.turns / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        """Nearest-rank percentile of the turn latencies, in milliseconds."""
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        rank = max(1, min(len(ordered), math.ceil(q / 100 * len(ordered))))
        return ordered[rank - 1] * 1000


_local = threading.local()


def _session() -> requests.Session:
    """One keep-alive session per client thread, like one browser tab per customer."""
    if not hasattr(_local, "session"):
        _local.session = requests.Session()
    return _local.session


def converse(rasa_url: str, index: int) -> tuple[list[float], list[str]]:
    """One whole conversation; the turn latencies and any errors."""
    number, proof = ORDERS[index % len(ORDERS)]
    sender = f"bench-{uuid.uuid4().hex[:12]}"
    latencies: list[float] = []
    errors: list[str] = []
    for turn, message in enumerate(script(number, proof)):
        started = time.perf_counter()
        try:
            response = _session().post(f"{rasa_url}/webhooks/rest/webhook",
                                       json={"sender": sender, "message": message},
                                       timeout=REQUEST_TIMEOUT)
            response.raise_for_status()
            replies = response.json()
        except (requests.RequestException, ValueError) as exc:
            errors.append(f"#{number} turn {turn + 1} {message!r}: {exc.__class__.__name__}")
            return latencies, errors  # the conversation cannot go on sensibly
        latencies.append(time.perf_counter() - started)
        text = "\n".join(r.get("text") or "" for r in replies)
        if not text.strip():
            errors.append(f"#{number} turn {turn + 1} {message!r}: empty reply")
        elif turn == VERIFIED_TURN and f"#{number}" not in text:
            errors.append(f"#{number} turn {turn + 1} {message!r}: no order number in "
                          f"{text[:120]!r}")
    return latencies, errors


def run_level(rasa_url: str, concurrency: int, conversations: int | None,
              seconds: float) -> LevelResult:
    """C concurrent conversations until N are done (or until none start after `seconds`)."""
    result = LevelResult(concurrency)
    target = min(conversations or MAX_CONVERSATIONS, MAX_CONVERSATIONS)
    lock = threading.Lock()
    counter = iter(range(target))
    started = time.perf_counter()
    stop_starting = started + (seconds if conversations is None else 4 * seconds)

    def worker() -> None:
        while time.perf_counter() < stop_starting:
            with lock:
                index = next(counter, None)
            if index is None:
                return
            latencies, errors = converse(rasa_url, index)
            with lock:
                result.conversations += 1
                result.turns += len(latencies)
                result.latencies += latencies
                result.errors += errors

    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        for future in [pool.submit(worker) for _ in range(concurrency)]:
            future.result()
    result.seconds = time.perf_counter() - started
    return result


def parse_latency(rasa_url: str, token: str, rounds: int = 5) -> float:
    """Median time (ms) of NLU alone on the customer's messages, via /model/parse (the HTTP
    API needs the stack's token)."""
    times: list[float] = []
    for _ in range(rounds):
        for message in script(*ORDERS[0]):
            started = time.perf_counter()
            _session().post(f"{rasa_url}/model/parse", json={"text": message},
                            params={"token": token}, timeout=REQUEST_TIMEOUT).raise_for_status()
            times.append(time.perf_counter() - started)
    return sorted(times)[len(times) // 2] * 1000


# --- processes ---------------------------------------------------------------------------------

def _status(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM in kB; empty if the process is gone."""
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return {}
    return {k: int(v.split()[0]) for k, v in (line.split(":", 1) for line in lines)
            if k in ("VmRSS", "VmHWM")}


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        tree.setdefault(ppid, []).append(int(entry.name))
    return tree


def process_tree(pid: int) -> list[int]:
    """The process and all its descendants."""
    tree, found, todo = _children(), [], [pid]
    while todo and len(found) < 1000:
        current = todo.pop()
        found.append(current)
        todo += tree.get(current, [])
    return found


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes (threads included)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / CLK_TCK


def server_pids(stack: Stack) -> dict[str, int]:
    """Our name for each server process (start_stack starts the action server first)."""
    names = {"rasa_sdk": "action server", "wismo.rasa_server": "Rasa server"}
    return {names.get(str(p.args[2]), str(p.args[2])): p.pid for p in stack.processes}


def memory(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (kB) of a process and its descendants, and how many there are."""
    pids = process_tree(pid)
    stats = [_status(p) for p in pids]
    return {"processes": len(pids),
            "rss_kb": sum(s.get("VmRSS", 0) for s in stats),
            "hwm_kb": sum(s.get("VmHWM", 0) for s in stats)}


# --- training and stack ------------------------------------------------------------------------

def _training_times() -> dict[str, dict[str, object]]:
    return json.loads(TRAINING_TIMES.read_text()) if TRAINING_TIMES.exists() else {}


def train(config: str, retrain: bool, scratch: Path, given: Path | None = None) -> tuple[Path, str]:
    """The model for this config and how long training it took (measured here)."""
    models = scratch / "models" if retrain else ROOT / "models"
    target = model_path(ROOT, models, config)
    if given is not None:  # --model: a model trained earlier, maybe on older data
        known = _training_times().get(given.name)
        stale = "" if given.name == target.name else ", trained on an earlier state of the data"
        took = f"{known['seconds']:.0f} s" if known else "unknown"
        return given, f"{took} (given model{stale})"
    if target.exists():
        known = _training_times().get(target.name)
        if known:
            return target, f"{known['seconds']:.0f} s (cached model, trained {known['trained_at']})"
        return target, "unknown (cached model trained outside this script; use --retrain)"
    log = ROOT / "var" / "bench" / f"train-{target.name.removesuffix('.tar.gz')}.log"
    started = time.monotonic()
    model = ensure_model(ROOT, models, config=config, log_file=log,
                         progress=lambda line: print(f"  {line.strip()}", flush=True))
    took = time.monotonic() - started
    times = _training_times()
    times[model.name] = {"seconds": round(took, 1), "config": config,
                         "trained_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    TRAINING_TIMES.parent.mkdir(parents=True, exist_ok=True)
    TRAINING_TIMES.write_text(json.dumps(times, indent=2) + "\n")
    return model, f"{took:.0f} s (trained now)"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running_stack(model: Path, var: Path) -> Iterator[Stack]:
    """The whole agent on free local ports, stopped however the block ends."""
    settings = Settings(var_dir=var, rasa_port=free_port(), action_port=free_port(),
                        engine_port=free_port(), sandbox_port=0,
                        sandbox_tick=0)  # stable orders: the same conversations every run
    stack = start_stack(settings, model)
    try:
        yield stack
    finally:
        stack.stop()


# --- reporting ---------------------------------------------------------------------------------

def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in
                Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor() or "unknown CPU")
    mem_kb = int(next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                      if line.startswith("MemTotal")))
    return f"{os.cpu_count()} × {cpu}, {mem_kb / 1024 ** 2:.0f} GB RAM, Linux {platform.release()}"


def table(config: str, training: str, levels: list[LevelResult]) -> str:
    lines = [f"\n{config}: training {training}",
             f"{'conc':>4} {'convs':>5} {'turns':>5} {'err':>3} {'p50 ms':>7} {'p95 ms':>7} "
             f"{'p99 ms':>7} {'turns/s':>7}  {'CPU ms/turn rasa/actions/client':>31}  "
             "load before"]
    for r in levels:
        cpu = "/".join(f"{r.cpu_per_turn_ms.get(name, 0):.1f}"
                       for name in ("Rasa server", "action server", CLIENT))
        lines.append(f"{r.concurrency:>4} {r.conversations:>5} {r.turns:>5} {len(r.errors):>3} "
                     f"{r.percentile(50):>7.0f} {r.percentile(95):>7.0f} "
                     f"{r.percentile(99):>7.0f} {r.throughput:>7.1f}  {cpu:>31}  "
                     f"{r.load_before}")
    if levels:
        for name, mem in levels[-1].memory.items():
            lines.append(f"  {name}: peak {mem['hwm_kb'] / 1024:.0f} MB (VmHWM), now "
                         f"{mem['rss_kb'] / 1024:.0f} MB (VmRSS), {mem['processes']} process(es)")
    for r in levels:
        for error in r.errors[:MAX_ERRORS_SHOWN]:
            lines.append(f"  error at {r.concurrency}: {error}")
        if len(r.errors) > MAX_ERRORS_SHOWN:
            lines.append(f"  … and {len(r.errors) - MAX_ERRORS_SHOWN} more at {r.concurrency}")
    return "\n".join(lines)


def compare(results: dict[str, list[LevelResult]]) -> str:
    """Throughput ratio at 16 and our p95 at 4, against the goals."""
    def level(config: str, c: int) -> LevelResult | None:
        return next((r for r in results.get(config, []) if r.concurrency == c), None)

    lines = ["\nComparison"]
    ours16, base16, ours4 = level(OURS, 16), level(BASELINE, 16), level(OURS, 4)
    if ours16 and base16 and base16.throughput:
        ratio = ours16.throughput / base16.throughput
        lines.append(f"  throughput at 16 conversations: ours {ours16.throughput:.1f} turns/s, "
                     f"default {base16.throughput:.1f} turns/s, ratio {ratio:.2f}× "
                     f"(goal ≥ 2×: {'met' if ratio >= 2 else 'NOT met'})")
    else:
        lines.append("  throughput ratio at 16: needs both configs at concurrency 16")
    if ours4:
        p95 = ours4.percentile(95)
        lines.append(f"  our p95 at 4 conversations: {p95:.0f} ms "
                     f"(goal < 150 ms: {'met' if p95 < 150 else 'NOT met'})")
    return "\n".join(lines)


# --- main --------------------------------------------------------------------------------------

def bench_config(config: str, args: argparse.Namespace, scratch: Path) -> list[LevelResult]:
    """Train (if needed), start the stack, warm up and measure every level."""
    print(f"\n== {config}", flush=True)
    model, training = train(config, args.retrain, scratch, args.model.get(config))
    print(f"  model {model.name}, training {training}", flush=True)
    runs = ROOT / "var" / "bench"
    runs.mkdir(parents=True, exist_ok=True)
    var = Path(tempfile.mkdtemp(prefix=f"stack-{Path(config).stem}-", dir=runs))
    started = time.monotonic()
    levels: list[LevelResult] = []
    with running_stack(model, var) as stack:
        print(f"  stack up in {time.monotonic() - started:.0f} s ({stack.rasa_url}); "
              f"logs in {var}", flush=True)
        pids = server_pids(stack)
        warm = run_level(stack.rasa_url, 2, args.warmup, args.seconds)
        if warm.errors:
            print(f"  warm-up errors: {warm.errors[:MAX_ERRORS_SHOWN]}", flush=True)
        print(f"  NLU alone (/model/parse, one at a time): p50 "
              f"{parse_latency(stack.rasa_url, stack.settings.rasa_token):.0f} ms", flush=True)
        for concurrency in args.concurrency:
            load = Path("/proc/loadavg").read_text().split()[0]
            cpu_before = {name: cpu_seconds(process_tree(pid)) for name, pid in pids.items()}
            own_before = time.process_time()
            result = run_level(stack.rasa_url, concurrency, args.conversations, args.seconds)
            result.load_before = load
            result.cpu_per_turn_ms = {
                name: (cpu_seconds(process_tree(pid)) - cpu_before[name]) * 1000
                / max(result.turns, 1) for name, pid in pids.items()}
            result.cpu_per_turn_ms[CLIENT] = (time.process_time() - own_before) * 1000 \
                / max(result.turns, 1)
            result.memory = {name: memory(pid) for name, pid in pids.items()}
            levels.append(result)
            print(f"  {concurrency:>2} concurrent: {result.conversations} conversations, "
                  f"{result.turns} turns in {result.seconds:.1f} s, "
                  f"p95 {result.percentile(95):.0f} ms, {result.throughput:.1f} turns/s, "
                  f"{len(result.errors)} errors", flush=True)
    print(table(config, training, levels), flush=True)
    return levels


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--configs", nargs="+", default=[OURS, BASELINE],
                        help="Rasa configs, relative to the repo root")
    parser.add_argument("--concurrency", nargs="+", type=int, default=[1, 4, 16])
    parser.add_argument("--conversations", type=int, default=None,
                        help=f"conversations per level (default: as many as start within "
                             f"--seconds; at most {MAX_CONVERSATIONS})")
    parser.add_argument("--seconds", type=float, default=30.0,
                        help="time budget per level for starting conversations")
    parser.add_argument("--warmup", type=int, default=4, help="warm-up conversations")
    parser.add_argument("--retrain", action="store_true",
                        help="train every config again, into a temporary models dir")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--model", action="append", default=[], metavar="CONFIG=PATH",
                        help="benchmark this trained model for CONFIG instead of the one for "
                             "the current data (e.g. while others edit the data)")
    args = parser.parse_args(argv)
    try:
        args.model = {config: Path(path).resolve() for config, path in
                      (item.split("=", 1) for item in args.model)}
    except ValueError:
        parser.error("--model takes CONFIG=PATH")
    if missing := [p for p in args.model.values() if not p.exists()]:
        parser.error(f"no such model: {missing[0]}")
    if any(c < 1 or c > 64 for c in args.concurrency):
        parser.error("--concurrency must be between 1 and 64")

    print(f"wismo conversation benchmark, {datetime.now().astimezone():%Y-%m-%d %H:%M %Z}")
    print(f"machine: {machine()}")
    results: dict[str, list[LevelResult]] = {}
    with tempfile.TemporaryDirectory(prefix="wismo-bench-") as tmp:
        for config in args.configs:
            results[config] = bench_config(config, args, Path(tmp))
    print(compare(results))
    if args.json:
        args.json.write_text(json.dumps({
            config: [{"concurrency": r.concurrency, "conversations": r.conversations,
                      "turns": r.turns, "seconds": round(r.seconds, 2),
                      "p50_ms": r.percentile(50), "p95_ms": r.percentile(95),
                      "p99_ms": r.percentile(99), "turns_per_s": r.throughput,
                      "errors": r.errors, "cpu_per_turn_ms": r.cpu_per_turn_ms,
                      "memory": r.memory, "load_before": r.load_before} for r in levels]
            for config, levels in results.items()}, indent=2))
    errors = sum(len(r.errors) for levels in results.values() for r in levels)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
