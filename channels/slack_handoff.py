"""Slack as the human channel: a Rasa connector built on slack-bolt.

Enabled in credentials.yml as `channels.slack_handoff.SlackHandoffInput:` and running
inside the Rasa server process, because that is where conversations can be paused,
resumed and written to. It does four things:

* posts each handoff case (wismo/cases.py) as one Block Kit message in the support
  channel, and everything after it into that message's thread, through the queue
  that survives Slack outages (wismo/handoff/slack_poster.py);
* hears Slack in Socket Mode (default: an outbound websocket, no public URL) or over
  the Events API at /webhooks/slack_handoff/events and /interactive, where every
  request must carry a valid `X-Slack-Signature` no older than 5 minutes;
* delivers an agent's thread reply to the customer on their channel and writes it
  into the tracker as a bot utterance marked `wismo_human`; replies starting with
  `//` stay in Slack;
* runs the buttons: "Take it" pauses the bot (ConversationPaused), "Hand back to bot"
  and "Resolve" resume it (ConversationResumed) with a short note to the customer.

The customer's own messages reach the thread through channels/handoff_relay.py, the
event broker that sees every tracker event this process writes.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.events import (
    ActionExecuted,
    ConversationPaused,
    Event,
    SlotSet,
)
from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse
from slack_bolt.adapter.sanic import AsyncSlackRequestHandler
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from channels.common import case_store, var_dir
from channels.conversation_bridge import ConversationBridge
from wismo.cases import Case, CaseStore
from wismo.errors import ConfigError
from wismo.handoff import customer_notes, mrkdwn, thread
from wismo.handoff.handoff_rules import DEFAULT_RULES_PATH, load_handoff_rules
from wismo.handoff.slack_poster import SlackPoster

log = logging.getLogger(__name__)

CHANNEL = "slack_handoff"
API_URL = "https://slack.com/api/"
INTERNAL_PREFIX = "//"
# Thread messages that are an agent writing: plain, "also send to channel", with files.
RELAYED_SUBTYPES = (None, "thread_broadcast", "file_share")
HUMAN = "wismo_human"  # metadata key on bot utterances a person wrote
STRANDED_AFTER = timedelta(minutes=10)

_poster: SlackPoster | None = None  # the one running in this process, woken by the relay


def slack_running() -> bool:
    """Whether this process runs the Slack connector (so there is a thread to relay to)."""
    return _poster is not None


def wake_poster() -> None:
    """Tell this process's Slack worker that something was queued (no-op without one)."""
    if _poster is not None:
        _poster.wake()


class SlackHandoffInput(InputChannel):
    """The support team's side of a handoff, in one Slack channel."""

    @classmethod
    def name(cls) -> str:
        return CHANNEL

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        if not credentials:
            cls.raise_missing_credentials_exception()
        for key, variable in (("bot_token", "SLACK_BOT_TOKEN"),
                              ("channel", "SLACK_HANDOFF_CHANNEL")):
            if not credentials.get(key):
                raise ConfigError(f"credentials.yml: channels.slack_handoff.SlackHandoffInput "
                                  f"needs {key} ({variable})")
        app_token, secret = credentials.get("app_token"), credentials.get("signing_secret")
        if not app_token and not secret:
            raise ConfigError("Slack handoff needs SLACK_APP_TOKEN (Socket Mode) or "
                              "SLACK_SIGNING_SECRET (Events API over HTTP)")
        return cls(
            bot_token=credentials["bot_token"],
            channel=credentials["channel"],
            app_token=app_token,
            signing_secret=secret,
            api_url=credentials.get("api_url") or API_URL,
            reping_minutes=load_handoff_rules(_rules_path()).reping_minutes,
            cases=case_store(var_dir(credentials.get("var_dir"))),
        )

    def __init__(self, bot_token: str, channel: str, cases: CaseStore, *,
                 app_token: str | None = None, signing_secret: str | None = None,
                 api_url: str = API_URL, reping_minutes: float = 15) -> None:
        self.channel_id, self.cases = channel, cases
        self.app_token, self.signing_secret = app_token, signing_secret
        self.client = AsyncWebClient(token=bot_token, base_url=_with_slash(api_url))
        self.poster = SlackPoster(cases, self.client, channel,
                                  reping_after=timedelta(minutes=reping_minutes))
        # Acknowledge Slack at once and work after: Slack re-sends what isn't acknowledged
        # within 3 s, and a delivery may wait on a channel's pacing.
        self.bolt = AsyncApp(client=self.client, signing_secret=signing_secret or "",
                             process_before_response=False,
                             logger=logging.getLogger("slack_bolt.wismo"))
        self.bridge: ConversationBridge | None = None
        self._names: dict[str, str] = {}
        self._tasks: list[asyncio.Task] = []
        self._socket: AsyncSocketModeHandler | None = None
        self._listen()

    @property
    def mode(self) -> str:
        return "socket" if self.app_token else "events"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        bp = Blueprint("slack_handoff", __name__)
        handler = AsyncSlackRequestHandler(self.bolt)

        @bp.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok", "mode": self.mode,
                                  "queued": self.cases.pending_posts()})

        if self.signing_secret:  # bolt answers 401 to a missing, forged or stale signature
            @bp.route("/events", methods=["POST"])
            async def events(request: Request) -> HTTPResponse:
                return await handler.handle(request)

            @bp.route("/interactive", methods=["POST"])
            async def interactive(request: Request) -> HTTPResponse:
                return await handler.handle(request)

        @bp.listener("after_server_start")
        async def start(app: Sanic, _: Any) -> None:
            await self.start(app)

        @bp.listener("before_server_stop")
        async def stop(_: Sanic, __: Any) -> None:
            await self.stop()

        return bp

    async def start(self, app: Sanic) -> None:
        """Start the queue worker and, in Socket Mode, the connection to Slack."""
        global _poster
        self.bridge = ConversationBridge(app)
        _poster = self.poster
        self._tasks.append(asyncio.create_task(self.poster.run(), name="slack-poster"))
        self._tasks.append(asyncio.create_task(self._watch_stranded(), name="slack-stranded"))
        if self.app_token:
            self._socket = AsyncSocketModeHandler(self.bolt, self.app_token,
                                                  web_client=AsyncWebClient(
                                                      token=self.app_token,
                                                      base_url=self.client.base_url))
            self._tasks.append(asyncio.create_task(self._connect(), name="slack-socket"))
        log.info("slack handoff: %s mode, channel %s, %d messages queued", self.mode,
                 self.channel_id, self.cases.pending_posts())

    async def stop(self) -> None:
        global _poster
        if self._socket is not None:
            await self._socket.close_async()
        for task in self._tasks:
            task.cancel()
        self._tasks.clear()
        self.poster.release()
        if _poster is self.poster:
            _poster = None

    async def _connect(self) -> None:
        """Open the Socket Mode connection, retrying while Slack is unreachable."""
        delay = 1.0
        while True:
            try:
                await self._socket.connect_async()  # type: ignore[union-attr]
                log.info("slack handoff: socket mode connected")
                return
            except Exception as exc:  # network or auth: keep trying, say why once
                if delay == 1.0:
                    log.warning("slack handoff: socket mode connection failed (%s); retrying",
                                exc)
                await asyncio.sleep(delay)
                delay = min(30.0, delay * 2)

    async def _watch_stranded(self, every: float = 30.0) -> None:
        while True:
            try:
                if self.poster.is_leader():  # one worker does it
                    await self.release_stranded()
            except Exception:  # keep watching; the next round may succeed
                log.exception("slack handoff: releasing stranded cases failed")
            await asyncio.sleep(every)

    async def release_stranded(self, after: timedelta = STRANDED_AFTER) -> int:
        """Give the bot back the conversations whose case has not reached Slack in
        `after`: nobody can see them, and a paused bot would leave the customer alone.
        The case stays queued; a person's first reply takes the conversation again."""
        stranded = self.cases.stranded(after)
        for case in stranded:
            self.cases.released(case.id)
            if not await self._bridge().is_paused(case.conversation_id):
                continue  # opened by the engine, or already back with the bot: nothing to say
            log.warning("slack handoff: case %s has not reached Slack in %s; the bot answers "
                        "%s again meanwhile", case.id, after, case.conversation_id)
            await self._bridge().set_paused(case.conversation_id, False,
                                            ActionExecuted(ACTION_LISTEN_NAME))
            await self._bridge().say(case.conversation_id, customer_notes.stranded_note(case.id),
                                     {HUMAN: False, "case": case.id})
        return len(stranded)

    # -- what Slack tells us ------------------------------------------------------

    def _listen(self) -> None:
        bolt = self.bolt

        @bolt.event("message")
        async def on_message(event: dict[str, Any]) -> None:
            await self.on_thread_message(event)

        for action_id, state in (("wismo_take", "taken"), ("wismo_hand_back", "handed_back"),
                                 ("wismo_resolve", "resolved")):
            bolt.action(action_id)(self._button(state))

    def _button(self, state: str) -> Callable[..., Awaitable[None]]:
        async def pressed(ack: Callable[[], Awaitable[Any]], body: dict[str, Any]) -> None:
            await ack()
            action = (body.get("actions") or [{}])[0]
            case = self.cases.get(str(action.get("value") or ""))
            user = (body.get("user") or {}).get("id")
            if case is None or not user:
                log.warning("slack handoff: button for unknown case %r", action.get("value"))
                return
            await self.change_state(case, state, user)
        return pressed

    async def on_thread_message(self, event: dict[str, Any]) -> None:
        """An agent wrote in a case thread: deliver it to the customer (once)."""
        if event.get("subtype") not in RELAYED_SUBTYPES or event.get("bot_id") \
                or not event.get("thread_ts"):
            return
        channel, text = event.get("channel", ""), (event.get("text") or "").strip()
        case = self.cases.by_thread(channel, event["thread_ts"])
        if case is None or text.startswith(INTERNAL_PREFIX):
            return
        ts = event.get("ts", "")
        if not self.cases.first_delivery(channel, ts, case.id):
            return  # Slack sent this event again
        if event.get("files"):
            self.cases.note(case.id, "Files and images aren't sent to the customer"
                            + ("; the text was." if text else "."))
        if text:
            try:
                await self._deliver(case, text, event.get("user", ""), ts)
            except Exception:  # the agent must learn it didn't go, and Slack may retry
                log.exception("slack handoff: reply %s of case %s failed", ts, case.id)
                self.cases.forget_delivery(channel, ts)
                self.cases.note(case.id, "Not delivered to the customer: something went wrong "
                                "on our side (see the Rasa server log). Please send it again.")
        wake_poster()

    async def _deliver(self, case: Case, text: str, user: str, ts: str) -> None:
        name = await self._agent_name(user)
        events: list[Event] = []
        # A reply after hand-back or resolve takes the conversation again (unless it has a
        # newer case, whose thread is where it is now).
        if not case.active and self.cases.active_for(case.conversation_id) is None:
            self.cases.set_state(case.id, "taken", user,
                                 note=f"{mrkdwn.mention(user)} reopened the case by replying.")
            events.append(SlotSet("handoff_case", case.id))
        events.append(ConversationPaused())
        problem = await self._bridge().say(
            case.conversation_id, customer_notes.agent_says(name, mrkdwn.from_slack(text)),
            {HUMAN: True, "agent": user, "agent_name": name, "case": case.id}, *events)
        if problem:
            self.cases.note(case.id, f"Not delivered to the customer: {problem}.")
        else:
            self.cases.agent_replied(case.id, user, ts)

    async def change_state(self, case: Case, state: str, user: str) -> None:
        """A button: pause or resume the bot, record it, and tell the thread."""
        if state == case.status:
            return
        note = thread.state_note(state, user)
        if state == "taken":
            self.cases.set_state(case.id, state, user, note=note)
            await self._bridge().set_paused(case.conversation_id, True,
                                            SlotSet("handoff_case", case.id))
        else:
            # The bot listens again before the case says so and before the note goes out,
            # so nothing the customer writes falls between the two (and every user
            # message follows action_listen, as the rules expect).
            await self._bridge().set_paused(case.conversation_id, False,
                                            SlotSet("handoff_case", None),
                                            ActionExecuted(ACTION_LISTEN_NAME))
            self.cases.set_state(case.id, state, user, note=note)
            told = (customer_notes.HANDED_BACK_NOTE if state == "handed_back"
                    else customer_notes.RESOLVED_NOTE)
            problem = await self._bridge().say(case.conversation_id, told,
                                               {HUMAN: False, "case": case.id})
            if problem:
                self.cases.note(case.id, f"The customer was not told: {problem}.")
        wake_poster()

    def _bridge(self) -> ConversationBridge:
        if self.bridge is None:
            raise RuntimeError("slack handoff used before the Rasa server started")
        return self.bridge

    async def _agent_name(self, user: str) -> str:
        """The agent's first name as the customer should see it (cached; 'Support' if
        Slack won't say)."""
        if user not in self._names:
            try:
                info = (await self.client.users_info(user=user))["user"]
                self._names[user] = customer_notes.first_name(info)
            except (SlackApiError, aiohttp.ClientError, OSError, asyncio.TimeoutError) as exc:
                log.warning("slack handoff: users.info %s failed (%s)", user, exc)
                return "Support"
        return self._names[user]


def _rules_path() -> Path:
    """rules/handoff.yml, or WISMO_HANDOFF_RULES (read alone, as var_dir does)."""
    return Path(os.environ.get("WISMO_HANDOFF_RULES") or DEFAULT_RULES_PATH)


def _with_slash(url: str) -> str:
    return url if url.endswith("/") else url + "/"
