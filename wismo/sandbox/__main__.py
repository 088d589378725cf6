"""``python -m wismo.sandbox [--host H] [--port P] [--list] [--markdown]``."""

from __future__ import annotations

import argparse
import logging
import sys
import threading
from datetime import date

from wismo.sandbox.seed import Row, build_seed
from wismo.sandbox.server import DEFAULT_KEY, DEFAULT_SLOW_DELAY, DEFAULT_TOKEN, start_sandbox


def format_rows(rows: list[Row], markdown: bool = False) -> str:
    """The demo table: order number, email, postal code, state, carriers."""
    head = ("order", "email", "postal code", "state", "carrier")
    cells = [head] + [(r.number, r.email, r.postal_code, r.state, r.carriers) for r in rows]
    if markdown:
        lines = ["| " + " | ".join(c) + " |" for c in cells]
        lines.insert(1, "|" + "---|" * len(head))
        return "\n".join(lines)
    widths = [max(len(c[i]) for c in cells) for i in range(len(head))]
    return "\n".join(
        "  ".join(v.ljust(w) for v, w in zip(c, widths, strict=True)).rstrip() for c in cells
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m wismo.sandbox",
                                     description="Local Shopify + EasyPost look-alike.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8008)
    parser.add_argument("--today", type=date.fromisoformat, default=None,
                        help="build the data as if today were this date (YYYY-MM-DD)")
    parser.add_argument("--shopify-token", default=DEFAULT_TOKEN)
    parser.add_argument("--easypost-key", default=DEFAULT_KEY)
    parser.add_argument("--slow-delay", type=float, default=DEFAULT_SLOW_DELAY,
                        help="seconds the slow tracker waits before answering")
    parser.add_argument("--list", action="store_true", help="print the demo orders and exit")
    parser.add_argument("--markdown", action="store_true", help="with --list: a Markdown table")
    args = parser.parse_args(argv)
    if args.list:
        print(format_rows(build_seed(args.today or date.today()).rows, args.markdown))
        return 0
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    sandbox = start_sandbox(args.host, args.port, args.today, shopify_token=args.shopify_token,
                            easypost_key=args.easypost_key, slow_delay=args.slow_delay)
    print(f"wismo sandbox on {sandbox.url}  ({len(sandbox.seed.orders)} orders)")
    print(f"  Shopify:  {sandbox.url}/admin/api/2024-01/orders.json  "
          f"X-Shopify-Access-Token: {sandbox.shopify_token}")
    print(f"  EasyPost: {sandbox.url}/v2/trackers  basic auth user: {sandbox.easypost_key}")
    print("  python -m wismo.sandbox --list  shows the demo orders; Ctrl-C stops.")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        sandbox.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
