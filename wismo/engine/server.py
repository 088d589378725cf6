"""`wismo engine`: the webhook intake plus the loop that decides and sends.

One process: a Sanic app answers Shopify and EasyPost webhooks (stored, then 200), and a
background task, five times a second, folds new events into orders and queues messages
(Engine.process_pending) and sends what is due (Sender.send_due) until both queues are
empty, and every few minutes asks the carrier about parcels whose webhooks went quiet and
sweeps every known order for the news time alone makes. The blocking work runs in a worker
thread so the intake always answers at once.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path

from sanic import Sanic

from wismo.cases import CaseStore
from wismo.config import Settings
from wismo.contacts import ContactStore
from wismo.engine.intake import WebhookSecrets, create_app
from wismo.engine.known import KnownOrders
from wismo.engine.process import Engine
from wismo.engine.rules import load_rules
from wismo.engine.rules_load import DEFAULT_RULES_PATH
from wismo.engine.sender import Sender, SmtpSettings
from wismo.engine.store import EngineStore
from wismo.stores.shopify import ShopifyClient
from wismo.tracking.easypost import EasyPostClient

log = logging.getLogger(__name__)

TICK_SECONDS = 0.2
MAX_PASSES = 200  # passes per tick while busy
SWEEP_SECONDS = 300.0


@dataclass
class Parts:
    """The engine's pieces over one var/wismo.db, wired from Settings."""

    store: EngineStore
    engine: Engine
    sender: Sender


def build(settings: Settings, rasa_url: str) -> Parts:
    """Wire the engine; a bad rules file raises ConfigError naming the key."""
    db = settings.var_dir / "wismo.db"
    rules = load_rules(Path(settings.rules_path or DEFAULT_RULES_PATH))
    if not settings.whatsapp_template_sid:  # a template can't be used: try the next channel
        rules = replace(rules, whatsapp_template_outside_window=False)
    store = EngineStore(db)
    fetch = None
    if settings.shopify_store_url and settings.shopify_access_token:
        shopify = ShopifyClient(settings.shopify_store_url, settings.shopify_access_token,
                                api_version=settings.shopify_api_version,
                                timeout=settings.http_timeout, retries=settings.http_retries)
        fetch = shopify.order_payload
    carrier = None
    if settings.easypost_api_key:
        carrier = EasyPostClient(settings.easypost_base_url, settings.easypost_api_key,
                                 timeout=settings.http_timeout,
                                 retries=settings.http_retries).tracker_payload
    contacts = ContactStore(db)
    cases = CaseStore(db, to_slack=settings.slack_handoff)
    engine = Engine(store, KnownOrders(db), contacts, cases, rules,
                    fetch_order=fetch, fetch_tracker=carrier)
    smtp = SmtpSettings(host=settings.smtp_host, drop_dir=settings.var_dir / "mail",
                        port=settings.smtp_port,
                        sender=settings.smtp_from, user=settings.smtp_user,
                        password=settings.smtp_password)
    return Parts(store, engine, Sender(store, rasa_url, token=settings.rasa_token,
                                       contacts=contacts, cases=cases, smtp=smtp))


def make_app(parts: Parts, settings: Settings, name: str = "wismo_engine") -> Sanic:
    """The intake app with the decide-and-send loop attached."""
    app = create_app(parts.store, WebhookSecrets.from_settings(settings), name=name)

    @app.listener("after_server_start")
    async def start_loop(app: Sanic, _: object) -> None:
        await asyncio.to_thread(parts.sender.recover)
        app.add_task(_loop(parts))

    return app


def turn(parts: Parts) -> bool:
    """One pass: decide what arrived, send what is due; True while there is more to do."""
    parts.engine.process_pending()
    sent = parts.sender.send_due()
    return sent > 0 or bool(parts.store.pending_events(1))


async def _loop(parts: Parts) -> None:
    last_sweep = 0.0
    loop = asyncio.get_running_loop()
    while True:
        try:
            # Drain both queues before resting, so a burst is not spread over many ticks
            # (bounded, so the sweep still gets its turn under endless load).
            for _ in range(MAX_PASSES):
                if not await asyncio.to_thread(turn, parts):
                    break
            if loop.time() - last_sweep > SWEEP_SECONDS:
                last_sweep = loop.time()
                await asyncio.to_thread(parts.engine.poll)
                await asyncio.to_thread(parts.engine.sweep)
        except Exception:  # the loop must outlive one bad turn; the next tick tries again
            log.exception("engine tick failed")
        await asyncio.sleep(TICK_SECONDS)


def serve(settings: Settings, rasa_url: str) -> None:
    """Run until stopped (SIGINT/SIGTERM)."""
    parts = build(settings, rasa_url)
    app = make_app(parts, settings)
    log.info("engine listening on %s:%d, sending through %s", settings.engine_host,
             settings.engine_port, rasa_url)
    app.run(host=settings.engine_host, port=settings.engine_port, access_log=False, workers=1)


def outbox_lines(store: EngineStore, failed_only: bool, limit: int = 50) -> list[str]:
    """`wismo engine outbox`: one line per row, newest last."""
    rows = store.failed(limit) if failed_only else store.recent(limit)
    now = datetime.now(timezone.utc)
    lines = []
    for row in rows:
        when = (row.sent_at or row.next_attempt_at or row.created_at or now).strftime(
            "%Y-%m-%d %H:%M")
        to = row.conversation_id or row.address or "-"
        error = f"  ({row.last_error})" if row.last_error else ""
        lines.append(f"{row.id:>6}  {row.status:<8} {when}  #{row.order_number:<8} "
                     f"{row.kind:<26} {row.channel:<9} {to}  tries={row.attempts}{error}")
    return lines

