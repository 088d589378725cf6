"""Telegram set-up outside the chat itself: registering the webhook, deep links.

Telegram delivers a bot's updates only to the https URL it was given with `setWebhook`,
and echoes the `secret_token` given there in `X-Telegram-Bot-Api-Secret-Token` on every
delivery; the connector (`channels/telegram.py`) refuses requests without it. So the
webhook is registered once, by `wismo telegram set-webhook`, never on server start-up.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass

from telegram import Bot
from telegram.error import BadRequest, InvalidToken, NetworkError, TelegramError

from wismo.errors import ConfigError

API_BASE_URL = "https://api.telegram.org/bot"
WEBHOOK_PATH = "/webhooks/telegram/webhook"
ALLOWED_UPDATES = ["message", "callback_query"]
# setWebhook's documented alphabet and length for secret_token.
_SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")


def check_secret_token(secret: str | None, name: str = "TELEGRAM_SECRET_TOKEN") -> str:
    """The secret, if Telegram would accept it (1–256 of A-Z a-z 0-9 _ -); else ConfigError."""
    if not secret:
        raise ConfigError(f"{name} is required (any 1-256 characters of A-Z a-z 0-9 _ -)")
    if not _SECRET_TOKEN.fullmatch(secret):
        raise ConfigError(f"{name} may only use A-Z a-z 0-9 _ - and be at most 256 characters")
    return secret


def deep_link(username: str, token: str) -> str:
    """The t.me link that opens the bot and sends it `/start <token>`."""
    return f"https://t.me/{username.lstrip('@')}?start={token}"


@dataclass(frozen=True)
class WebhookSettings:
    """What `wismo telegram set-webhook` needs, read from the environment."""

    token: str
    url: str
    secret_token: str
    api_base_url: str = API_BASE_URL
    username: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> WebhookSettings:
        """Read and validate; a missing or bad value raises ConfigError naming the variable."""
        for name in ("TELEGRAM_BOT_TOKEN", "TELEGRAM_WEBHOOK_URL", "TELEGRAM_SECRET_TOKEN"):
            if not env.get(name):
                raise ConfigError(f"{name} is not set (see docs/channels/telegram.md)")
        api_base_url = env.get("TELEGRAM_API_BASE_URL") or API_BASE_URL
        url = env["TELEGRAM_WEBHOOK_URL"]
        if api_base_url == API_BASE_URL and not url.startswith("https://"):
            raise ConfigError("TELEGRAM_WEBHOOK_URL must be a public https:// URL")
        return cls(
            token=env["TELEGRAM_BOT_TOKEN"],
            url=url,
            secret_token=check_secret_token(env["TELEGRAM_SECRET_TOKEN"]),
            api_base_url=api_base_url,
            username=env.get("TELEGRAM_BOT_USERNAME") or None,
        )


async def set_webhook(
    token: str, url: str, secret_token: str, api_base_url: str = API_BASE_URL
) -> str:
    """Point Telegram at `url` with `secret_token`; returns the bot's username.

    `async with Bot` calls getMe first, which proves the token before anything changes.
    Only messages and button presses are asked for: the connector ignores everything else.
    """
    async with Bot(token, base_url=api_base_url) as bot:
        await bot.set_webhook(
            url=url, secret_token=secret_token, allowed_updates=ALLOWED_UPDATES
        )
        return bot.username


def main_set_webhook(env: Mapping[str, str] | None = None) -> int:
    """`wismo telegram set-webhook`: 0 on success, 2 for bad settings, 1 if Telegram refused."""
    # httpx logs every request URL at INFO, and Telegram's URLs contain the bot token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    try:
        settings = WebhookSettings.from_env(os.environ if env is None else env)
    except ConfigError as exc:
        print(f"wismo: {exc}", file=sys.stderr)
        return 2
    if not settings.url.rstrip("/").endswith(WEBHOOK_PATH):
        print(f"wismo: warning: TELEGRAM_WEBHOOK_URL usually ends in {WEBHOOK_PATH}",
              file=sys.stderr)
    try:
        username = asyncio.run(set_webhook(settings.token, settings.url,
                                           settings.secret_token, settings.api_base_url))
    except InvalidToken:
        print("wismo: Telegram rejected TELEGRAM_BOT_TOKEN (copy it again from @BotFather)",
              file=sys.stderr)
        return 1
    except BadRequest as exc:  # e.g. "bad webhook: An HTTPS URL must be provided"
        print(f"wismo: Telegram refused the webhook: {exc.message}", file=sys.stderr)
        return 1
    except NetworkError as exc:  # its text may carry the request URL, and so the token
        print(f"wismo: could not reach Telegram ({type(exc).__name__}); check "
              "TELEGRAM_API_BASE_URL and your connection", file=sys.stderr)
        return 1
    except TelegramError as exc:
        print(f"wismo: Telegram refused the webhook: {exc.message}", file=sys.stderr)
        return 1
    if settings.username and settings.username.lstrip("@").casefold() != username.casefold():
        print(f"wismo: warning: TELEGRAM_BOT_USERNAME is {settings.username} but the token "
              f"belongs to @{username}", file=sys.stderr)
    print(f"Telegram will deliver @{username}'s messages to {settings.url}\n"
          f"Deep links look like {deep_link(username, '<token>')}")
    return 0
