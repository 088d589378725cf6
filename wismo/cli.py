"""The `wismo` command: up, chat, train, sandbox, telegram, engine, cases."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from pathlib import Path

from wismo.cases import Case
from wismo.config import Settings
from wismo.credentials import short_name
from wismo.errors import ConfigError
from wismo.stack import PROJECT, Stack, start_stack
from wismo.training import ensure_model


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="wismo", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="start the whole agent (sandbox store unless configured)")
    up.add_argument("--no-chat", action="store_true", help="don't open a terminal chat")
    chat = sub.add_parser("chat", help="talk to a running agent in this terminal")
    chat.add_argument("--url", default=None, help="Rasa server URL (default: localhost:5005)")
    chat.add_argument("--sender", default=None, help="conversation id to use")
    sub.add_parser("train", help="train the model if the training data changed")
    sandbox = sub.add_parser("sandbox", help="run only the sandbox store and carrier")
    sandbox.add_argument("--port", type=int, default=None)
    sandbox.add_argument("--list", action="store_true", help="print the demo orders and exit")
    telegram = sub.add_parser("telegram", help="set up the Telegram channel")
    telegram_sub = telegram.add_subparsers(dest="telegram_command", required=True)
    telegram_sub.add_parser("set-webhook", help="point Telegram at TELEGRAM_WEBHOOK_URL "
                            "with TELEGRAM_SECRET_TOKEN (docs/channels/telegram.md)")
    engine = sub.add_parser("engine", help="run the proactive engine (webhooks in, updates out)")
    engine.add_argument("--rasa-url", default=None,
                        help="Rasa server to send updates through (default: localhost:5005)")
    engine_sub = engine.add_subparsers(dest="engine_command")
    outbox = engine_sub.add_parser("outbox", help="list the latest outbox rows")
    outbox.add_argument("--failed", action="store_true", help="only rows that failed for good")
    outbox.add_argument("--limit", type=int, default=50)
    cases = sub.add_parser("cases", help="list handoff cases (open and taken ones by default)")
    cases.add_argument("--all", action="store_true", help="also handed-back and resolved ones")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if args.command == "telegram":  # needs only the TELEGRAM_* variables
        from wismo.telegram_setup import main_set_webhook

        return main_set_webhook()
    try:
        settings = Settings.from_env()
    except ConfigError as exc:
        print(f"wismo: {exc}", file=sys.stderr)
        return 2
    if args.command == "up":
        return _up(settings, chat=not args.no_chat and sys.stdin.isatty())
    if args.command == "chat":
        from wismo.chat import chat_loop

        chat_loop(args.url or f"http://127.0.0.1:{settings.rasa_port}", args.sender)
        return 0
    if args.command == "train":
        ensure_model(PROJECT, progress=print)
        return 0
    if args.command == "engine":
        return _engine(settings, args)
    if args.command == "cases":
        from wismo.cases import CaseStore

        store = CaseStore(Path(settings.var_dir) / "wismo.db")
        print("\n".join(case_lines(store.listing(active_only=not args.all),
                                    store.pending_posts())))
        return 0
    from wismo.sandbox.__main__ import main as sandbox_main

    return sandbox_main((["--port", str(args.port)] if args.port else [])
                        + (["--list"] if args.list else []))


def _engine(settings: Settings, args: argparse.Namespace) -> int:
    from wismo.engine.server import outbox_lines, serve
    from wismo.engine.store import EngineStore

    if args.engine_command == "outbox":
        lines = outbox_lines(EngineStore(Path(settings.var_dir) / "wismo.db"), args.failed,
                             args.limit)
        print("\n".join(lines) if lines else "(no rows)")
        return 0
    try:
        serve(settings, args.rasa_url or f"http://127.0.0.1:{settings.rasa_port}")
    except ConfigError as exc:
        print(f"wismo engine: {exc}", file=sys.stderr)
        return 2
    return 0


def _up(settings: Settings, chat: bool) -> int:
    model = ensure_model(PROJECT, progress=print)
    print("Starting the sandbox store, the action server and the Rasa server...")
    stack = start_stack(settings, model)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    where = "sandbox (demo orders: docs/sandbox.md)" if stack.sandbox else "your store"
    print(
        f"\nwismo is up.\n"
        f"  Rasa server (REST channel): {stack.rasa_url}/webhooks/rest/webhook\n"
        f"  Action server:              {stack.action_url}/webhook\n"
        f"  Engine webhooks:            {stack.engine_url}/webhooks/shopify, /webhooks/easypost\n"
        f"  Store and carrier:          {stack.settings.shopify_store_url} — {where}\n"
        f"  Logs:                       {Path(settings.var_dir) / '*.log'}"
    )
    _print_channels(stack)
    if stack.slack is not None:
        print(f"  Support desk (sandbox Slack): {stack.slack.url}  (handoffs land here)")
    elif stack.settings.slack_handoff:
        print(f"  Handoffs go to Slack channel {stack.settings.slack_channel}")
    print("Talk to it with `wismo chat` in another terminal. Ctrl-C stops everything.")
    try:
        if chat:
            from wismo.chat import chat_loop

            chat_loop(stack.rasa_url)
        else:
            while not stop.wait(1):
                if any(p.poll() is not None for p in stack.processes):
                    print("A server stopped unexpectedly; see the logs. Shutting down.")
                    return 1
    except KeyboardInterrupt:
        pass
    finally:
        print("\nStopping wismo...")
        stack.stop()
        print("Stopped.")
    return 0


def _print_channels(stack: Stack) -> None:
    """Which customer channels are open, where, and what a half-set channel is missing."""
    plan = stack.channels
    names = plan.channel_names()
    if "webchat" in names:
        print(f"  Web chat demo storefront:   {stack.rasa_url}/webhooks/webchat/demo")
    for name in names:
        if name not in ("rest", "webchat", "slack"):
            label = f"{name.capitalize()} webhook:"
            print(f"  {label:<28}{stack.rasa_url}/webhooks/{name}/webhook")
    for block, missing in plan.incomplete.items():
        print(f"  ! {short_name(block)} not started, set: {', '.join(missing)}")
    off = [short_name(block) for block in plan.unconfigured]
    if off:
        print(f"  Not configured (see README, Channels): {', '.join(off)}")


if __name__ == "__main__":
    sys.exit(main())


def case_lines(cases: list[Case], pending_posts: int) -> list[str]:
    """`wismo cases`: one line a case, then what still waits for Slack."""
    lines = [f"{c.id}  {c.status:<11} {c.created_at:%Y-%m-%d %H:%M}  {c.reason:<30} "
             f"{c.conversation_id}" + (f"  #{c.order_number}" if c.order_number else "")
             + (f"  {c.assignee}" if c.assignee else "") for c in cases]
    if not lines:
        lines.append("(no cases)")
    if pending_posts:
        lines.append(f"{pending_posts} message(s) wait for Slack (var/wismo.db, handoff_posts)")
    return lines
