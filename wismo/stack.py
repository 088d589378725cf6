"""Start and stop the whole agent: sandbox, action server, Rasa server, engine.

Used by `wismo up`, the end-to-end tests and the benchmarks, so all three run
the same stack the same way.
"""

from __future__ import annotations

import logging
import os
import secrets
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import requests

from wismo.config import Settings
from wismo.credentials import ChannelPlan, plan_channels, write_credentials

log = logging.getLogger(__name__)

PROJECT = Path(__file__).resolve().parent.parent


@dataclass
class Stack:
    """The running processes and where they listen."""

    settings: Settings
    rasa_url: str
    action_url: str
    engine_url: str = ""
    sandbox: Any = None
    slack: Any = None  # the sandbox Slack workspace, when no real Slack is configured
    channels: ChannelPlan = field(default_factory=ChannelPlan)
    processes: list[subprocess.Popen] = field(default_factory=list)

    def stop(self) -> None:
        """Stop children politely, then firmly; stop the sandbox last."""
        for proc in self.processes:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 10
        for proc in self.processes:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
        if self.sandbox is not None:
            self.sandbox.stop()
        if self.slack is not None:
            self.slack.stop()


def start_stack(
    settings: Settings,
    model: Path,
    *,
    project: Path = PROJECT,
    log_dir: Path | None = None,
    start_timeout: float = 180.0,
    extra_env: dict[str, str] | None = None,
) -> Stack:
    """Start everything and return once the Rasa server has loaded the model.

    With no store configured the sandbox starts first, in this process, and the
    action server is pointed at it.
    """
    sandbox = None
    if settings.uses_sandbox:
        from wismo.sandbox import start_sandbox

        sandbox = start_sandbox(port=settings.sandbox_port)
        settings = settings.with_sandbox(sandbox.url, sandbox.shopify_token, sandbox.easypost_key)
    slack = None
    if sandbox is not None and not settings.slack_bot_token:
        from wismo.sandbox.slack import SlackWorkspace

        slack = SlackWorkspace(port=settings.slack_sandbox_port).start()
        settings = settings.with_slack_sandbox(slack.api_url, slack.bot_token, slack.app_token,
                                               slack.channel_id)
    if settings.rasa_token is None:  # Rasa's HTTP API is never open without a token
        settings = replace(settings, rasa_token=secrets.token_urlsafe(24))
    var = settings.var_dir if settings.var_dir.is_absolute() else project / settings.var_dir
    var.mkdir(parents=True, exist_ok=True)
    log_dir = log_dir or var
    env = {
        **os.environ,
        **settings.to_env(),
        "WISMO_VAR_DIR": str(var),
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "PYTHONWARNINGS": "ignore",
        "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
        **(extra_env or {}),
    }
    channels = plan_channels(project / "credentials.yml", env)
    stack = Stack(
        settings=settings,
        rasa_url=f"http://127.0.0.1:{settings.rasa_port}",
        action_url=f"http://127.0.0.1:{settings.action_port}",
        engine_url=f"http://127.0.0.1:{settings.engine_port}",
        sandbox=sandbox,
        slack=slack,
        channels=channels,
    )
    try:
        stack.processes.append(_spawn(
            [sys.executable, "-m", "rasa_sdk", "--actions", "actions",
             "--port", str(settings.action_port)],
            project, env, log_dir / "actions.log",
        ))
        stack.processes.append(_spawn(
            [sys.executable, "-m", "wismo.rasa_server", "run", "--enable-api", "--cors", "*",
             f"--auth-token={settings.rasa_token}",  # a token may start with "-"
             "--port", str(settings.rasa_port), "--model", str(model),
             "--credentials", str(write_credentials(channels, var / "credentials.yml")),
             "--endpoints", str(write_endpoints(var, settings.action_port))],
            project, env, log_dir / "rasa.log",
        ))
        stack.processes.append(_spawn(
            [sys.executable, "-m", "wismo.engine", "--rasa-url", stack.rasa_url],
            project, env, log_dir / "engine.log",
        ))
        _wait_until_up(stack, start_timeout)
        if sandbox is not None:  # parcels move along; the engine hears it (docs/sandbox.md)
            sandbox.start_clock(stack.engine_url, settings.sandbox_tick,
                                shopify_secret=settings.shopify_webhook_secret,
                                easypost_secret=settings.easypost_webhook_secret)
    except BaseException:
        stack.stop()
        raise
    return stack


def write_endpoints(var: Path, action_port: int) -> Path:
    """endpoints.yml for this run: our action server, conversations in var/tracker.db."""
    path = var / "endpoints.yml"
    path.write_text(
        "action_endpoint:\n"
        f'  url: "http://127.0.0.1:{action_port}/webhook"\n'
        "tracker_store:\n"  # Rasa's SQL store, one read per turn (wismo/rasa_server.py)
        "  type: wismo.rasa_server.SQLTrackerStore\n"
        '  dialect: "sqlite"\n'
        f'  db: "{var / "tracker.db"}"\n'
        "lock_store:\n"
        "  type: in_memory\n"
        "event_broker:\n"  # carries conversations in handoff into their Slack thread
        "  type: channels.handoff_relay.HandoffRelay\n"
        f'  var_dir: "{var}"\n'
    )
    return path


def _spawn(cmd: list[str], cwd: Path, env: dict[str, str], log_file: Path) -> subprocess.Popen:
    log_file.parent.mkdir(parents=True, exist_ok=True)
    out = log_file.open("a")
    return subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT,
                            start_new_session=True)


def _wait_until_up(stack: Stack, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    checks = {
        "action server": f"{stack.action_url}/health",
        "engine": f"{stack.engine_url}/health",
        "Rasa server": f"{stack.rasa_url}/status?token={stack.settings.rasa_token}",
    }
    for name, url in checks.items():
        while True:
            for proc in stack.processes:
                if proc.poll() is not None:
                    raise RuntimeError(f"{proc.args[2]} exited with {proc.returncode} on start; "
                                       f"see the logs in {stack.settings.var_dir}")
            try:
                response = requests.get(url, timeout=2)
                if response.ok and (name != "Rasa server" or response.json().get("model_file")):
                    break
            except (requests.RequestException, ValueError):
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"the {name} did not come up within {timeout:.0f}s ({url})")
            time.sleep(0.5)
