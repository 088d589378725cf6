"""Handoff to Slack, through the whole stack: how fast a case reaches the support team, and
how fast a person's reply reaches the customer, p50/p95.

    .venv/bin/python bench/handoff.py [--cases 30] [--gap 1.5]

Starts the stack as `wismo up` does (trained model, sandbox store, action server, Rasa server
with the Slack connector in Socket Mode, engine) with the sandbox Slack workspace standing in
for Slack and a local stand-in for api.telegram.org. Then, one customer at a time, `--gap`
seconds apart (Slack allows about one message a second per channel, and every case is a card
plus thread lines, so back-to-back cases would measure that pacing, printed separately):

1. a Telegram customer writes "I want to talk to a person": the NLU, the handoff action and
   the case in SQLite, then the Slack worker in the Rasa server posts the card.
   - escalation → card: the case's `created_at` (written by the action server) to the card's
     `ts` (when chat.postMessage reached Slack; the sandbox's ts is its clock, like Slack's);
   - message → card: the customer's webhook POST to the same `ts`.
2. an agent replies in the thread: the Events API envelope over Socket Mode to the
   connector, the Rasa tracker written, the reply sent through the Telegram connector.
   - reply → customer: from the agent's message (its `ts`) to the sendMessage call reaching
     the Telegram stand-in (polled every millisecond).
3. the customer writes again: message → thread, the event broker queueing it and the worker
   posting it (from the webhook POST to the thread message's `ts`).
"""

from __future__ import annotations

import argparse
import itertools
import re
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.channels.telegram_updates import (  # noqa: E402
    make_chat,
    make_message,
    make_update,
    sent_message,  # noqa: E402
)
from tests.fake_provider import FakeProvider, Reply  # noqa: E402
from wismo.config import Settings  # noqa: E402
from wismo.stack import Stack, start_stack  # noqa: E402
from wismo.training import ensure_model  # noqa: E402

TOKEN = "6100000001:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
SECRET = "bench-secret-0123456789"
SEND = f"/bot{TOKEN}/sendMessage"
CASE = re.compile(r"case (C-[0-9A-F]{6})")


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def telegram(stack: Stack, chat_id: int, text: str) -> float:
    """The customer writes; returns the wall-clock time the webhook was posted."""
    update = make_update(message=make_message(text, chat=make_chat(chat_id)))
    sent = time.time()
    response = requests.post(f"{stack.rasa_url}/webhooks/telegram/webhook", json=update,
                             timeout=60, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
    response.raise_for_status()
    return sent


def texts_to(fake: FakeProvider, chat_id: int) -> list[str]:
    forms = [r.form() for r in fake.seen("POST", SEND)]
    return [f["text"] for f in forms if f.get("chat_id") == str(chat_id)]


def wait(predicate, timeout: float = 30.0, step: float = 0.001):
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        if time.monotonic() > deadline:
            raise TimeoutError("timed out")
        time.sleep(step)
    return value


def figures(name: str, values_ms: list[float]) -> str:
    values = sorted(values_ms)
    p95 = values[max(0, round(0.95 * len(values)) - 1)]
    return (f"  {name:<22} n={len(values):<3} p50 {statistics.median(values):7.1f} ms   "
            f"p95 {p95:7.1f} ms   max {values[-1]:7.1f} ms")


def one_case(stack: Stack, fake: FakeProvider, chat: int, gap: float,
             results: dict[str, list[float]]) -> None:
    """Escalate, reply as an agent, write again: one measurement of each path."""
    slack, db = stack.slack, stack.settings.var_dir / "wismo.db"
    sent = telegram(stack, chat, "I want to talk to a person")
    case_id = CASE.search(" ".join(texts_to(fake, chat))).group(1)
    card = wait(lambda: next((m for m in slack.messages() if case_id in m.get("text", "")
                              and m.get("blocks")), None))
    with sqlite3.connect(db) as con:
        (created,) = con.execute("SELECT created_at FROM handoff_cases WHERE id = ?",
                                 (case_id,)).fetchone()
    posted = float(card["ts"])
    results["escalation → card"].append(
        (posted - datetime.fromisoformat(created).timestamp()) * 1000)
    results["message → card"].append((posted - sent) * 1000)
    # Telegram allows one message a second per chat, and the bot's handoff message
    # just went to this one: wait that out so the figure is ours, not the pacing.
    time.sleep(max(gap / 2, 1.1))

    before = len(texts_to(fake, chat))
    reply = slack.agent_reply(card["ts"], "Hi, I'm looking into it now.")
    wait(lambda: len(texts_to(fake, chat)) > before)
    results["reply → customer"].append((time.time() - float(reply["ts"])) * 1000)

    sent = telegram(stack, chat, "thank you, it was a gift")
    line = wait(lambda: next((m for m in slack.thread(card["ts"])
                              if "it was a gift" in m["text"]), None))
    results["message → thread"].append((float(line["ts"]) - sent) * 1000)
    time.sleep(gap / 2)


def run(stack: Stack, fake: FakeProvider, cases: int, gap: float) -> dict[str, list[float]]:
    results: dict[str, list[float]] = {"escalation → card": [], "message → card": [],
                                       "reply → customer": [], "message → thread": []}
    chats = itertools.count(770_001)
    for _ in range(cases):
        one_case(stack, fake, next(chats), gap, results)
    return results


def burst(stack: Stack, fake: FakeProvider, cases: int) -> float:
    """`cases` customers ask for a person at once: seconds until the last card is posted."""
    slack = stack.slack
    chats = list(range(660_001, 660_001 + cases))
    started = time.time()
    for chat in chats:
        telegram(stack, chat, "can I speak to someone please")
    ids = [CASE.search(" ".join(texts_to(fake, chat))).group(1) for chat in chats]
    cards = [wait(lambda i=i: next((m for m in slack.messages() if i in m.get("text", "")
                                    and m.get("blocks")), None), timeout=120) for i in ids]
    return max(float(c["ts"]) for c in cards) - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=30)
    parser.add_argument("--gap", type=float, default=1.5)
    parser.add_argument("--burst", type=int, default=10)
    parser.add_argument("-v", action="store_true", help="print every measurement")
    args = parser.parse_args(argv)
    model = ensure_model(ROOT)
    with FakeProvider(not_found=Reply(404, {"ok": False})) as fake, \
            tempfile.TemporaryDirectory(prefix="wismo-bench-handoff-") as var:
        fake.on("POST", SEND, Reply(200, sent_message()))
        settings = Settings(var_dir=Path(var), rasa_port=free_port(), action_port=free_port(),
                            engine_port=free_port(), sandbox_port=0, slack_sandbox_port=0,
                            sandbox_tick=0, business_hours="24/7")
        env = {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_BOT_USERNAME": "wismo_bench_bot",
               "TELEGRAM_WEBHOOK_URL": "https://bench.example.com/webhooks/telegram/webhook",
               "TELEGRAM_SECRET_TOKEN": SECRET, "TELEGRAM_API_BASE_URL": f"{fake.url}/bot"}
        stack = start_stack(settings, model, extra_env=env)
        try:
            stack.slack.wait_for(lambda: stack.slack.connected, timeout=30)
            telegram(stack, 769_999, "hi")  # warm up the model and the connectors
            results = run(stack, fake, args.cases, args.gap)
            last_card = burst(stack, fake, args.burst)
        finally:
            stack.stop()
    print(f"Slack handoff through the whole stack, {args.cases} cases one at a time "
          f"({args.gap} s apart), Socket Mode, Telegram customer:")
    for name, values in results.items():
        print(figures(name, values))
        if "-v" in sys.argv:
            print("   ", [round(v) for v in values])
    print(f"  burst: {args.burst} customers ask at once → last card posted after "
          f"{last_card:.1f} s (cards and thread lines paced to 1 message/s per channel)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
