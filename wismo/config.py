"""One typed Settings object, read once from the environment and passed explicitly.

Every variable is listed in `.env.example`. With no store configured,
`wismo up` starts the sandbox and points the adapters at it.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from wismo.business_hours import parse_schedule
from wismo.errors import ConfigError

DEFAULT_RETURN_POLICY = (
    "You can return unused items within 30 days of delivery for a full refund. "
    "Start a return from the link in your delivery email, or I can connect you with "
    "our team. Refunds reach your original payment method 5–10 business days after "
    "the return arrives."
)


SANDBOX_SHOPIFY_SECRET = "sandbox_shopify_webhook_secret"
SANDBOX_EASYPOST_SECRET = "sandbox_easypost_webhook_secret"


@dataclass(frozen=True)
class Settings:
    """Everything wismo reads from the environment."""

    shopify_store_url: str | None = None
    shopify_access_token: str | None = None
    shopify_api_version: str = "2024-10"
    easypost_api_key: str | None = None
    easypost_base_url: str = "https://api.easypost.com"
    http_timeout: float = 3.0
    http_retries: int = 1
    return_policy: str = DEFAULT_RETURN_POLICY
    support_hours: str = "Monday to Friday, 9am–5pm"
    # When a person answers handoffs, in the store's time zone (syntax: wismo/business_hours.py).
    business_hours: str = "Mon-Fri 09:00-17:00"
    max_verification_attempts: int = 5
    var_dir: Path = Path("var")
    rasa_port: int = 5005
    action_port: int = 5055
    sandbox_port: int = 8008
    sandbox_tick: float = 20.0  # seconds between the sandbox clock's steps; 0 = no clock
    timezone: str = "UTC"
    # Offered as a deep link (t.me/<bot>?start=…) to customers who want updates on Telegram.
    telegram_bot_username: str | None = None
    # The proactive engine (`wismo engine`): webhook intake port, webhook secrets, rules, email.
    engine_port: int = 5056
    engine_host: str = "127.0.0.1"  # behind a proxy or tunnel on this host; 0.0.0.0 for all
    # Token for Rasa's HTTP API (conversations, trigger_intent); `wismo up` makes one per run
    # when unset. The channel webhooks under /webhooks/ need none.
    rasa_token: str | None = None
    shopify_webhook_secret: str | None = None
    easypost_webhook_secret: str | None = None
    rules_path: Path | None = None  # default: rules/notifications.yml
    # Without a WhatsApp template, pushes outside the 24-hour window go to another channel.
    whatsapp_template_sid: str | None = None
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_from: str = "orders@example.com"
    smtp_user: str | None = None
    smtp_password: str | None = None
    # Slack, the human channel (channels/slack_handoff.py, README "Human handoff in Slack").
    slack_bot_token: str | None = None
    slack_app_token: str | None = None  # Socket Mode
    slack_signing_secret: str | None = None  # Events API over HTTP
    slack_channel: str | None = None
    slack_api_url: str | None = None
    handoff_rules_path: Path | None = None  # default: rules/handoff.yml
    slack_sandbox_port: int = 8009  # the sandbox Slack workspace, when Slack isn't configured

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read and validate; a bad value raises ConfigError naming the variable."""
        env = os.environ if env is None else env
        s = cls(
            shopify_store_url=env.get("SHOPIFY_STORE_URL") or None,
            shopify_access_token=env.get("SHOPIFY_ACCESS_TOKEN") or None,
            shopify_api_version=env.get("SHOPIFY_API_VERSION") or cls.shopify_api_version,
            easypost_api_key=env.get("EASYPOST_API_KEY") or None,
            easypost_base_url=env.get("EASYPOST_BASE_URL") or cls.easypost_base_url,
            http_timeout=_number(env, "WISMO_HTTP_TIMEOUT", cls.http_timeout),
            http_retries=int(_number(env, "WISMO_HTTP_RETRIES", cls.http_retries)),
            return_policy=env.get("WISMO_RETURN_POLICY") or DEFAULT_RETURN_POLICY,
            support_hours=env.get("WISMO_SUPPORT_HOURS") or cls.support_hours,
            business_hours=env.get("WISMO_BUSINESS_HOURS") or cls.business_hours,
            max_verification_attempts=int(
                _number(env, "WISMO_MAX_VERIFICATION_ATTEMPTS", cls.max_verification_attempts)
            ),
            var_dir=Path(env.get("WISMO_VAR_DIR") or cls.var_dir),
            rasa_port=int(_number(env, "WISMO_RASA_PORT", cls.rasa_port)),
            action_port=int(_number(env, "WISMO_ACTION_PORT", cls.action_port)),
            sandbox_port=int(_number(env, "WISMO_SANDBOX_PORT", cls.sandbox_port)),
            sandbox_tick=_number(env, "WISMO_SANDBOX_TICK", cls.sandbox_tick),
            timezone=env.get("WISMO_TIMEZONE") or cls.timezone,
            telegram_bot_username=(env.get("TELEGRAM_BOT_USERNAME") or "").lstrip("@") or None,
            engine_port=int(_number(env, "WISMO_ENGINE_PORT", cls.engine_port)),
            engine_host=env.get("WISMO_ENGINE_HOST") or cls.engine_host,
            rasa_token=env.get("WISMO_RASA_TOKEN") or None,
            shopify_webhook_secret=env.get("SHOPIFY_WEBHOOK_SECRET") or None,
            easypost_webhook_secret=env.get("EASYPOST_WEBHOOK_SECRET") or None,
            rules_path=Path(env["WISMO_RULES"]) if env.get("WISMO_RULES") else None,
            whatsapp_template_sid=env.get("TWILIO_WHATSAPP_TEMPLATE_SID") or None,
            smtp_host=env.get("WISMO_SMTP_HOST") or None,
            smtp_port=int(_number(env, "WISMO_SMTP_PORT", cls.smtp_port)),
            smtp_from=env.get("WISMO_SMTP_FROM") or cls.smtp_from,
            smtp_user=env.get("WISMO_SMTP_USER") or None,
            smtp_password=env.get("WISMO_SMTP_PASSWORD") or None,
            slack_bot_token=env.get("SLACK_BOT_TOKEN") or None,
            slack_app_token=env.get("SLACK_APP_TOKEN") or None,
            slack_signing_secret=env.get("SLACK_SIGNING_SECRET") or None,
            slack_channel=env.get("SLACK_HANDOFF_CHANNEL") or None,
            slack_api_url=env.get("SLACK_API_URL") or None,
            slack_sandbox_port=int(_number(env, "WISMO_SLACK_SANDBOX_PORT",
                                           cls.slack_sandbox_port)),
            handoff_rules_path=(Path(env["WISMO_HANDOFF_RULES"])
                                if env.get("WISMO_HANDOFF_RULES") else None),
        )
        if s.shopify_store_url and not s.shopify_access_token:
            raise ConfigError("SHOPIFY_ACCESS_TOKEN is required when SHOPIFY_STORE_URL is set")
        if s.shopify_store_url and not s.easypost_api_key:
            raise ConfigError("EASYPOST_API_KEY is required when SHOPIFY_STORE_URL is set")
        parse_schedule(s.business_hours, s.timezone)  # a typo fails at start-up, not mid-chat
        return s

    @property
    def slack_handoff(self) -> bool:
        """A Slack channel is configured: handoffs reach people there and the bot pauses."""
        return bool(self.slack_bot_token and self.slack_channel
                    and (self.slack_app_token or self.slack_signing_secret))

    @property
    def uses_sandbox(self) -> bool:
        """No real store configured: `wismo up` starts the sandbox."""
        return not self.shopify_store_url

    def with_sandbox(self, url: str, shopify_token: str, easypost_key: str) -> Settings:
        """These settings pointed at a running sandbox (which signs its webhooks with these
        settings' secrets: random ones unless others are set)."""
        return replace(
            self,
            shopify_store_url=url,
            shopify_access_token=shopify_token,
            easypost_api_key=easypost_key,
            easypost_base_url=url,
            # New secrets each run: nobody can forge the sandbox's webhooks to the engine.
            shopify_webhook_secret=self.shopify_webhook_secret or secrets.token_hex(16),
            easypost_webhook_secret=self.easypost_webhook_secret or secrets.token_hex(16),
        )

    def with_slack_sandbox(self, api_url: str, bot_token: str, app_token: str,
                           channel: str) -> Settings:
        """These settings pointed at a running sandbox Slack workspace (Socket Mode)."""
        return replace(self, slack_bot_token=bot_token, slack_app_token=app_token,
                       slack_channel=channel, slack_api_url=api_url, slack_signing_secret=None)

    def to_env(self) -> dict[str, str]:
        """Every variable, so a child process (the action server) gets exactly these settings."""
        pairs = {
            "SHOPIFY_STORE_URL": self.shopify_store_url,
            "SHOPIFY_ACCESS_TOKEN": self.shopify_access_token,
            "SHOPIFY_API_VERSION": self.shopify_api_version,
            "EASYPOST_API_KEY": self.easypost_api_key,
            "EASYPOST_BASE_URL": self.easypost_base_url,
            "WISMO_HTTP_TIMEOUT": str(self.http_timeout),
            "WISMO_HTTP_RETRIES": str(self.http_retries),
            "WISMO_RETURN_POLICY": self.return_policy,
            "WISMO_SUPPORT_HOURS": self.support_hours,
            "WISMO_BUSINESS_HOURS": self.business_hours,
            "WISMO_MAX_VERIFICATION_ATTEMPTS": str(self.max_verification_attempts),
            "WISMO_VAR_DIR": str(self.var_dir),
            "WISMO_RASA_PORT": str(self.rasa_port),
            "WISMO_ACTION_PORT": str(self.action_port),
            "WISMO_SANDBOX_PORT": str(self.sandbox_port),
            "WISMO_SANDBOX_TICK": str(self.sandbox_tick),
            "WISMO_TIMEZONE": self.timezone,
            "TELEGRAM_BOT_USERNAME": self.telegram_bot_username,
            "WISMO_ENGINE_PORT": str(self.engine_port),
            "WISMO_ENGINE_HOST": self.engine_host,
            "WISMO_RASA_TOKEN": self.rasa_token,
            "SHOPIFY_WEBHOOK_SECRET": self.shopify_webhook_secret,
            "EASYPOST_WEBHOOK_SECRET": self.easypost_webhook_secret,
            "WISMO_RULES": str(self.rules_path) if self.rules_path else None,
            "TWILIO_WHATSAPP_TEMPLATE_SID": self.whatsapp_template_sid,
            "WISMO_SMTP_HOST": self.smtp_host,
            "WISMO_SMTP_PORT": str(self.smtp_port),
            "WISMO_SMTP_FROM": self.smtp_from,
            "WISMO_SMTP_USER": self.smtp_user,
            "WISMO_SMTP_PASSWORD": self.smtp_password,
            "SLACK_BOT_TOKEN": self.slack_bot_token,
            "SLACK_APP_TOKEN": self.slack_app_token,
            "SLACK_SIGNING_SECRET": self.slack_signing_secret,
            "SLACK_HANDOFF_CHANNEL": self.slack_channel,
            "SLACK_API_URL": self.slack_api_url,
            "WISMO_SLACK_SANDBOX_PORT": str(self.slack_sandbox_port),
            "WISMO_HANDOFF_RULES": str(self.handoff_rules_path) if self.handoff_rules_path
            else None,
        }
        return {k: v for k, v in pairs.items() if v}


def _number(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        return float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from None
