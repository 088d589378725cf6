"""The action server's connections, built once on first use (never at import time)."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from wismo.cases import CaseStore
from wismo.config import Settings
from wismo.contacts import ContactStore
from wismo.handoff.handoff_rules import (
    DEFAULT_RULES,
    DEFAULT_RULES_PATH,
    HandoffRules,
    load_handoff_rules,
)
from wismo.orders import OrderService
from wismo.stores.shopify import ShopifyClient
from wismo.tracking.easypost import EasyPostClient

T = TypeVar("T")


@dataclass
class Services:
    """What actions need: settings, orders, cases, channel contacts and a clock."""

    settings: Settings
    orders: OrderService
    cases: CaseStore
    contacts: ContactStore
    handoff_rules: HandoffRules = DEFAULT_RULES

    def now(self) -> datetime:
        return datetime.now(ZoneInfo(self.settings.timezone))

    def today(self) -> date:
        return self.now().date()


def build_services(settings: Settings) -> Services:
    """Wire the real adapters from settings (the sandbox is just another base URL)."""
    if settings.uses_sandbox:
        from wismo.errors import ConfigError

        raise ConfigError(
            "SHOPIFY_STORE_URL is not set: start the stack with `wismo up` (it starts the "
            "sandbox) or set SHOPIFY_STORE_URL, SHOPIFY_ACCESS_TOKEN and EASYPOST_API_KEY"
        )
    store = ShopifyClient(
        settings.shopify_store_url,
        settings.shopify_access_token,
        api_version=settings.shopify_api_version,
        timeout=settings.http_timeout,
        retries=settings.http_retries,
    )
    tracker = EasyPostClient(
        settings.easypost_base_url,
        settings.easypost_api_key,
        timeout=settings.http_timeout,
        retries=settings.http_retries,
    )
    return Services(
        settings=settings,
        orders=OrderService(store, tracker),
        cases=CaseStore(settings.var_dir / "wismo.db", to_slack=settings.slack_handoff),
        contacts=ContactStore(settings.var_dir / "wismo.db"),
        handoff_rules=load_handoff_rules(settings.handoff_rules_path or DEFAULT_RULES_PATH),
    )


@functools.lru_cache(maxsize=1)
def services() -> Services:
    """The process-wide services, from the environment, created on first call."""
    return build_services(Settings.from_env())


async def off_loop(fn: Callable[..., T], *args: Any) -> T:
    """Run blocking adapter I/O without stalling the action server's event loop."""
    return await asyncio.to_thread(fn, *args)
