"""Sends the handoff queue to Slack, in order, whatever Slack is doing.

One worker drains `handoff_posts` (wismo/cases.py) oldest first. What can go wrong,
and what happens then:

* 429 (``Retry-After``): wait that long, then send the same post again;
* Slack unreachable, 5xx, timeouts: back off 1, 2, 4 … 30 s and try again;
  the queue behind it waits, so messages arrive in the order they were written;
* a setup problem (bad token, bot not in the channel): logged once, retried every
  30 s, so fixing the setup delivers everything that waited;
* Slack refuses one message (blocks it cannot render, a deleted thread): a card is
  retried as plain text, anything else is logged and skipped.

chat.postMessage is paced to one message a second per channel, Slack's documented
limit. The worker also queues re-pings for cases whose customer waits for a person.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from channels.limits import SendLimiter
from wismo.cases import Case, CaseStore, Post
from wismo.handoff import card, thread
from wismo.handoff.lease import SenderLease

log = logging.getLogger(__name__)

# Errors that mean the app is set up wrong, not that this message is wrong.
SETUP_ERRORS = frozenset({
    "invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired",
    "channel_not_found", "not_in_channel", "is_archived", "missing_scope",
    "team_access_not_granted", "no_permission", "ekm_access_denied",
})
MAX_BACKOFF = 30.0
SETUP_RETRY = 30.0
MAX_BROKEN_ATTEMPTS = 3
# Longer than the longest wait of a holder (a 30 s backoff plus a 30 s request), renewed
# when a third is left: another worker takes over only from one that stopped.
LEASE = timedelta(seconds=90)
DELIVERED_REACTION = "white_check_mark"


class SlackPoster:
    """Drains the case queue into one Slack channel."""

    def __init__(
        self,
        cases: CaseStore,
        client: AsyncWebClient,
        channel_id: str,
        *,
        reping_after: timedelta = timedelta(minutes=15),
        ping_check_every: float = 30.0,
        idle_wait: float = 0.2,
        now: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.cases, self.client, self.channel_id = cases, client, channel_id
        self.reping_after, self.ping_check_every = reping_after, ping_check_every
        self.idle_wait = idle_wait
        self._now, self._sleep = now, sleep
        # Slack: about 1 message a second per channel, "generous" short bursts.
        self._limiter = SendLimiter(per_key_interval=1.0, global_per_second=0, per_key_burst=3)
        self._wake = asyncio.Event()
        self.lease = SenderLease(cases.path)
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self._lease_until = 0.0  # monotonic time until which our lease surely holds
        self._broken: dict[int, int] = {}  # post id → unexpected failures
        self._failures = 0
        self._setup_error: str | None = None
        self._next_ping_check = 0.0

    def wake(self) -> None:
        """Something was queued: look now rather than at the next idle tick."""
        self._wake.set()

    async def run(self) -> None:
        """Send forever (until cancelled); with several workers, only the lease holder."""
        loop = asyncio.get_running_loop()
        while True:
            try:
                delay = await self._round(loop)
            except Exception:  # a bug or a locked database must not stop the worker
                log.exception("slack handoff worker: unexpected error; retrying in 5 s")
                delay = 5.0
            if delay is None:
                self._wake.clear()
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.idle_wait)
            elif delay > 0:
                await self._sleep(delay)

    def is_leader(self) -> bool:
        """Whether this worker sends now; the lease is written only when a third is left."""
        now = time.monotonic()
        if now < self._lease_until - LEASE.total_seconds() * 2 / 3:
            return True
        if self.lease.take(self.holder, LEASE):
            self._lease_until = now + LEASE.total_seconds()
            return True
        self._lease_until = 0.0
        return False

    def release(self) -> None:
        """Stopping: hand the queue to another worker now."""
        self.lease.give_up(self.holder)
        self._lease_until = 0.0

    async def _round(self, loop: asyncio.AbstractEventLoop) -> float | None:
        if not self.is_leader():
            return LEASE.total_seconds() / 3
        if loop.time() >= self._next_ping_check:
            self.queue_pings()
            self._next_ping_check = loop.time() + self.ping_check_every
        return await self.send_next()

    def queue_pings(self) -> int:
        """Queue a re-ping for every case whose customer has waited too long."""
        due = self.cases.due_pings(self.reping_after)
        for case in due:
            waited = self._now() - (case.waiting_since or self._now())
            self.cases.ping(case.id, thread.ping_message(case.id, waited, case.assignee))
        return len(due)

    async def send_next(self) -> float | None:
        """Send the oldest queued post: None when the queue is empty, else the seconds
        to wait before the next try (0 after a success)."""
        post = self.cases.next_post()
        if post is None:
            return None
        case = self.cases.get(post.case_id)
        if case is None:
            self.cases.failed(post, "case not found", give_up=True)
            return 0.0
        try:
            await self._send(post, case)
        except SlackApiError as exc:
            return self._refused(post, case, exc)
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
            return self._unreachable(post, f"{type(exc).__name__}: {exc}")
        except Exception as exc:  # this post breaks something: skip it after a few tries
            self._broken[post.id] = self._broken.get(post.id, 0) + 1
            give_up = self._broken[post.id] >= MAX_BROKEN_ATTEMPTS
            log.exception("slack handoff: post %d (%s of %s) failed%s", post.id, post.kind,
                          case.id, "; skipped" if give_up else "")
            self.cases.failed(post, f"{type(exc).__name__}: {exc}", give_up=give_up)
            return 1.0
        if self._failures or self._setup_error:
            log.info("slack reachable again; sending the %d queued messages",
                     self.cases.pending_posts())
        self._failures, self._setup_error = 0, None
        return 0.0

    async def _send(self, post: Post, case: Case) -> None:
        if post.kind == "card":
            text, blocks = self._card(case)
            try:
                response = await self._post(text=text, blocks=blocks)
            except SlackApiError as exc:
                if _kind_of_refusal(exc) != "message":
                    raise
                log.error("slack refused the card of %s (%s); posting it as plain text",
                          case.id, _error_of(exc))
                response = await self._post(text=text)
            self.cases.sent(post, response["channel"], response["ts"])
        elif post.kind == "card_update":
            if case.slack_ts:  # else the card is still queued and renders the new state
                text, blocks = self._card(case)
                await self.client.chat_update(channel=case.slack_channel, ts=case.slack_ts,
                                              text=text, blocks=blocks)
            self.cases.sent(post)
        elif post.kind == "reaction":
            if case.slack_ts:
                try:
                    await self.client.reactions_add(channel=case.slack_channel,
                                                    timestamp=post.extra["ts"],
                                                    name=DELIVERED_REACTION)
                except SlackApiError as exc:
                    if _error_of(exc) != "already_reacted":
                        raise
            self.cases.sent(post)
        else:
            await self._post(text=self._line(post, case), thread_ts=case.slack_ts)
            self.cases.sent(post)

    async def _post(self, **message: Any) -> Any:
        async with self._limiter.turn(self.channel_id):
            return await self.client.chat_postMessage(
                channel=self.channel_id, unfurl_links=False, unfurl_media=False, **message)

    def _card(self, case: Case) -> tuple[str, list[dict[str, Any]]]:
        return card.case_message(case.id, case.context, state=case.status,
                                 assignee=case.assignee, opened_at=case.created_at)

    def _line(self, post: Post, case: Case) -> str:
        """A thread line; without a thread (its card was refused) it names the case."""
        who = post.extra.get("who", "note")
        if post.kind == "ping" or who == "mrkdwn":  # built by us, mentions and all
            text = post.text or ""
        elif who == "note":
            text = thread.note(post.text or "")
        else:
            customer = case.context.get("customer") or {}
            text = thread.thread_message(who, post.text or "", channel=case.channel,
                                       name=customer.get("name"))
        return text if case.slack_ts else f"*{case.id}* {text}"

    def _refused(self, post: Post, case: Case, exc: SlackApiError) -> float:
        refusal = _kind_of_refusal(exc)
        error = _error_of(exc)
        if refusal == "rate":
            retry = _retry_after(exc.response.headers)
            self._limiter.retry_after(retry, self.channel_id)
            log.warning("slack rate limit: waiting %.0f s (post %d)", retry, post.id)
            return retry
        if refusal == "outage":
            return self._unreachable(post, error)
        if refusal == "setup":
            if error != self._setup_error:
                log.error("slack refused our messages (%s): check SLACK_BOT_TOKEN, the scopes "
                          "and that the app is in channel %s; %d messages wait and go out "
                          "once it is fixed", error, self.channel_id, self.cases.pending_posts())
            self._setup_error = error
            self.cases.failed(post, error)
            return SETUP_RETRY
        log.error("slack refused post %d (%s of %s): %s; skipped", post.id, post.kind,
                  case.id, error)
        self.cases.failed(post, error, give_up=True)
        return 0.0

    def _unreachable(self, post: Post, reason: str) -> float:
        self._failures += 1
        delay = min(MAX_BACKOFF, 2.0 ** (self._failures - 1))
        if self._failures == 1:
            log.warning("slack unreachable (%s); queueing, %d waiting", reason,
                        self.cases.pending_posts())
        self.cases.failed(post, reason)
        return delay


def _kind_of_refusal(exc: SlackApiError) -> str:
    """'rate', 'outage', 'setup' (the app is misconfigured) or 'message' (this one is bad)."""
    status = getattr(exc.response, "status_code", 200) or 200
    error = _error_of(exc)
    if status == 429 or error == "ratelimited":
        return "rate"
    if status >= 500 or error in ("fatal_error", "internal_error", "service_unavailable",
                                  "request_timeout"):
        return "outage"
    if error in SETUP_ERRORS:
        return "setup"
    return "message"


def _error_of(exc: SlackApiError) -> str:
    data = getattr(exc.response, "data", None)
    if isinstance(data, dict) and data.get("error"):
        return str(data["error"])
    return f"HTTP {getattr(exc.response, 'status_code', '?')}"


def _retry_after(headers: Any) -> float:
    try:
        return max(1.0, float((headers or {}).get("Retry-After") or
                              (headers or {}).get("retry-after") or 1))
    except (TypeError, ValueError):
        return 1.0
