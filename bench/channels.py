"""Per channel: a customer's message in → the bot's reply handed to the provider, p50/p95.

    .venv/bin/python bench/channels.py [--messages 300] [--concurrency 1 8]

Each connector runs as `rasa run` mounts it (a real Sanic app on 127.0.0.1), in front of a
bot that answers at once with a one-line reply (tests/channels/host.py), so the figures are
the connector's own cost: size and signature checks, parsing, the contact store, pacing
bookkeeping and the outbound call to a local stand-in for api.telegram.org or
api.twilio.com. The whole-turn cost with the model and the store lookups is
bench/turns.py's; add the two for what a customer waits.

- Telegram, SMS, WhatsApp: a signed webhook POST; the connector answers the webhook after
  the reply was accepted by the provider's API, so the POST's round trip is the figure.
- Web chat: a websocket client speaking the widget's socket.io frames emits `user_uttered`
  and waits for `bot_uttered` (connecting and joining the session are not timed).

Every message comes from its own customer, so per-chat pacing (1 message/s, the providers'
limit) never waits; the global budget is raised for the same reason. Printed per channel and
concurrency: messages, p50/p95/p99 in ms, messages/s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests
import websockets

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from channels.limits import SendLimiter  # noqa: E402
from channels.telegram import SECRET_HEADER, TelegramInput  # noqa: E402
from channels.twilio_messaging import SmsInput, WhatsAppInput  # noqa: E402
from channels.webchat import WebChatInput  # noqa: E402
from tests.channels import telegram_updates as tg  # noqa: E402
from tests.channels import twilio_payloads as tw  # noqa: E402
from tests.channels.host import ConnectorHost, ScriptedBot  # noqa: E402
from tests.fake_provider import FakeProvider, Reply  # noqa: E402
from wismo.contacts import ContactStore  # noqa: E402

REPLY = [{"text": "Your order #1001 is on its way with UPS and should arrive Friday."}]
SOCKET_PATH = "/webhooks/webchat/socket.io"
TOKEN = "6100000001:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
SECRET = "bench-secret-0123456789"

Send = Callable[[int], float]  # sends message number i; ms until the reply was out


@contextmanager
def telegram(var: Path) -> Iterator[Send]:
    with FakeProvider(not_found=Reply(404, {"ok": False})) as api:
        api.on("POST", f"/bot{TOKEN}/sendMessage", Reply(200, tg.sent_message()))
        channel = TelegramInput(TOKEN, SECRET, ContactStore(var / "wismo.db"),
                                api_base_url=f"{api.url}/bot",
                                limiter=SendLimiter(per_key_interval=1.0, global_per_second=1e6))
        with ConnectorHost(channel, ScriptedBot(lambda m: REPLY)) as host:
            url = f"{host.url}/webhooks/telegram/webhook"

            def send(i: int) -> float:
                chat = tg.make_chat(10_000 + i)
                body = json.dumps(tg.make_update(message=tg.make_message("where is my order",
                                                                         chat=chat)))
                start = time.perf_counter()
                r = requests.post(url, data=body, timeout=10,
                                  headers={SECRET_HEADER: SECRET,
                                           "Content-Type": "application/json"})
                r.raise_for_status()
                return (time.perf_counter() - start) * 1000

            yield send
        asyncio.run(channel.get_output_channel().close())
        assert len(api.seen("POST")) > 0


def twilio(kind: type[SmsInput], number: str,
           message: Callable[..., dict[str, str]]) -> Callable[[Path], Iterator[Send]]:
    @contextmanager
    def run(var: Path) -> Iterator[Send]:
        with FakeProvider(not_found=Reply(404, tw.NOT_FOUND)) as api:
            api.on("POST", tw.MESSAGES_PATH,
                   Reply(201, tw.message_resource(to=tw.CUSTOMER, sender=number)))
            channel = kind.from_credentials({
                "account_sid": tw.ACCOUNT_SID, "auth_token": tw.AUTH_TOKEN,
                "from_number": number, "public_url": tw.PUBLIC_URL, "api_base_url": api.url,
                "var_dir": str(var), "per_recipient_interval": 1, "messages_per_second": 1e6,
            })
            with ConnectorHost(channel, ScriptedBot(lambda m: REPLY)) as host:
                path = f"/webhooks/{kind.name()}/webhook"

                def send(i: int) -> float:
                    fields = message("where is my order", sender=f"+1303555{i:04d}")
                    headers = {"X-Twilio-Signature": tw.sign(tw.PUBLIC_URL + path, fields)}
                    start = time.perf_counter()
                    r = requests.post(host.url + path, data=fields, timeout=10, headers=headers)
                    r.raise_for_status()
                    return (time.perf_counter() - start) * 1000

                yield send
            assert len(api.seen("POST")) > 0

    return run


@contextmanager
def webchat(var: Path) -> Iterator[Send]:
    channel = WebChatInput.from_credentials({"session_persistence": True,
                                             "socketio_path": SOCKET_PATH})
    with ConnectorHost(channel, ScriptedBot(lambda m: REPLY)) as host:
        url = host.url.replace("http://", "ws://") + SOCKET_PATH + "/?EIO=4&transport=websocket"

        def send(i: int) -> float:
            return asyncio.run(_webchat_exchange(url, str(uuid.uuid4())))

        yield send


async def _webchat_exchange(url: str, session: str) -> float:
    """What the widget does over its websocket (Engine.IO 4 / Socket.IO 5 frames):
    open, join the session, then the timed part: `user_uttered` → `bot_uttered`."""
    async with websockets.connect(url) as ws:
        await _frame(ws, "0")  # engine.io open
        await ws.send("40")  # socket.io connect to "/"
        await _frame(ws, "40")
        await ws.send("42" + json.dumps(["session_request", {"session_id": session}]))
        await _frame(ws, '42["session_confirm"')
        start = time.perf_counter()
        await ws.send("42" + json.dumps(["user_uttered", {"message": "where is my order",
                                                          "session_id": session}]))
        await _frame(ws, '42["bot_uttered"')
        return (time.perf_counter() - start) * 1000


async def _frame(ws: Any, prefix: str) -> str:
    while True:
        frame = await asyncio.wait_for(ws.recv(), 10)
        if frame == "2":  # engine.io ping
            await ws.send("3")
        elif frame.startswith(prefix):
            return frame


CHANNELS = {
    "telegram": telegram,
    "sms": twilio(SmsInput, tw.SMS_NUMBER, tw.sms_message),
    "whatsapp": twilio(WhatsAppInput, tw.WHATSAPP_NUMBER, tw.whatsapp_message),
    "webchat": webchat,
}


def measure(send: Send, messages: int, concurrency: int, offset: int) -> tuple[list[float], float]:
    """Latencies (ms) of `messages` sends, `concurrency` at a time, and the wall time (s)."""
    start = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        latencies = list(pool.map(lambda i: send(offset + i), range(messages)))
    return latencies, time.perf_counter() - start


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=300)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--channels", nargs="+", default=list(CHANNELS), choices=CHANNELS)
    args = parser.parse_args(argv)
    print(f"{'channel':<10}{'conc':>5}{'messages':>10}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
          f"{'msg/s':>9}")
    for name in args.channels:
        with tempfile.TemporaryDirectory() as tmp, CHANNELS[name](Path(tmp)) as send:
            measure(send, 30, 1, offset=9000)  # warm-up: connections, SQLite, imports
            for level, concurrency in enumerate(args.concurrency):
                latencies, wall = measure(send, args.messages, concurrency,
                                          offset=level * args.messages)
                print(f"{name:<10}{concurrency:>5}{len(latencies):>10}"
                      f"{statistics.median(latencies):>9.1f}{percentile(latencies, 95):>9.1f}"
                      f"{percentile(latencies, 99):>9.1f}{len(latencies) / wall:>9.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
