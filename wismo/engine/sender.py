"""Delivering outbox rows: chat messages through Rasa, the rest by email.

A chat message goes through Rasa's `POST /conversations/{id}/trigger_intent` with the
customer's channel as `output_channel` and the intent `EXTERNAL_order_update`, so the
conversation holds what the customer was told and a reply like "why?" is understood
(actions/updates.py). Customers with no chat channel get an email over SMTP.

Each row is claimed before it is sent (two senders never send the same row), retried
with exponential backoff and jitter (a provider's Retry-After is a floor) and, after the
last try, left visible as failed (`wismo engine outbox --failed`), never dropped.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import quote

import requests

from wismo.cases import CaseStore
from wismo.contacts import ContactStore
from wismo.engine.outbox import OutboxRow, backoff
from wismo.engine.store import EngineStore

log = logging.getLogger(__name__)

UPDATE_INTENT = "EXTERNAL_order_update"


class RetryableError(Exception):
    """The recipient's side may accept it later (a 5xx, a 429, a timeout)."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PermanentError(Exception):
    """Trying again cannot help (a 4xx other than 429, a refused address)."""


class ConversationHeld(Exception):
    """A person has the conversation (the bot is paused): the update waits for hand-back."""


HELD = "held: a person has the conversation"
HOLD_FOR = timedelta(minutes=5)


@dataclass(frozen=True)
class SmtpSettings:
    """Where emails go out. With no `host`, emails are written as .eml files to `drop_dir`
    (the demo and development default: nothing is lost, nothing leaves the machine); with
    neither, an email fails visibly."""

    host: str | None = None
    drop_dir: Path | None = None
    port: int = 587
    sender: str = "orders@example.com"
    user: str | None = None
    password: str | None = None
    starttls: bool = True
    subject: str = "An update on your order"


class Sender:
    """Sends what is due; `send_due` is called by the engine's loop (and by tests)."""

    def __init__(
        self,
        store: EngineStore,
        rasa_url: str,
        *,
        token: str | None = None,
        contacts: ContactStore | None = None,
        cases: CaseStore | None = None,
        smtp: SmtpSettings | None = None,
        max_attempts: int = 6,
        timeout: float = 120.0,  # a channel may pace or wait out a 429: never cut it short
        clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
        session: requests.Session | None = None,
    ) -> None:
        self.store, self.rasa_url, self.token = store, rasa_url.rstrip("/"), token
        self.contacts, self.cases = contacts, cases
        self.smtp = smtp or SmtpSettings()
        self.max_attempts, self.timeout, self.clock = max_attempts, timeout, clock
        self.http = session or requests.Session()

    def recover(self) -> int:
        """On start-up: rows a sender claimed and never finished go back to the queue (one
        sender per database, so every claim still open is a dead one)."""
        released = self.store.release_stale_claims(self.clock())
        if released:
            log.warning("%d outbox row(s) were claimed by a stopped sender: queued again",
                        released)
        return released

    def send_due(self, limit: int = 50) -> int:
        """Send every row that is due now; the number sent."""
        sent = 0
        for row in self.store.due(self.clock(), limit):
            if row.id is None or not self.store.claim(row.id):
                continue  # another sender has it
            if self._opted_out(row):  # STOP since it was queued (e.g. held for quiet hours)
                self.store.mark_dropped(row.id, "opted out before sending")
                continue
            try:
                self.deliver(row)
            except ConversationHeld:
                self._hold(row)
            except RetryableError as exc:
                self._retry(row, str(exc), exc.retry_after)
            except PermanentError as exc:
                log.error("outbox %s to %s failed for good: %s", row.id, row.channel, exc)
                self.store.mark_failed(row.id, str(exc))
            except Exception as exc:  # a bug must not strand the row in 'sending'
                log.exception("outbox %s to %s: unexpected error", row.id, row.channel)
                self._retry(row, f"{type(exc).__name__}: {exc}", None)
            else:
                self.store.mark_sent(row.id, self.clock())
                sent += 1
        return sent

    def _opted_out(self, row: OutboxRow) -> bool:
        if self.contacts is None or not row.conversation_id:
            return False
        contact = self.contacts.get(row.conversation_id)
        return contact is not None and not contact.notifications

    def deliver(self, row: OutboxRow) -> None:
        """One attempt; raises RetryableError or PermanentError."""
        if row.channel == "email":
            self._email(row)
        else:
            self._chat(row)

    def _chat(self, row: OutboxRow) -> None:
        conversation = quote(row.conversation_id or "", safe=":+@")
        url = f"{self.rasa_url}/conversations/{conversation}/trigger_intent"
        entities = {"order_number": row.order_number, "update_text": row.text,
                    "update_kind": row.kind.split("/")[0]}
        try:
            params = {"output_channel": row.channel}
            if self.token:
                params["token"] = self.token
            response = self.http.post(url, params=params,
                                      json={"name": UPDATE_INTENT, "entities": entities},
                                      timeout=self.timeout)
        except requests.RequestException as exc:
            raise RetryableError(f"Rasa unreachable: {type(exc).__name__}") from None
        if response.ok:
            self._check_said(row, response)
            return
        status = response.status_code
        if status == 429 or status >= 500:
            raise RetryableError(f"Rasa answered {status}", _retry_after(response))
        raise PermanentError(f"Rasa answered {status}: {response.text[:200]}")

    def _check_said(self, row: OutboxRow, response: requests.Response) -> None:
        """A 200 is not yet delivery: Rasa answers 200 when the channel is not running (it
        collects the messages instead, and returns them) and when the action failed."""
        try:
            body = response.json()
        except ValueError:
            raise RetryableError("Rasa answered 200 without JSON") from None
        if "messages" in body:
            raise RetryableError(f"the {row.channel} channel is not running in Rasa")
        if (body.get("tracker") or {}).get("paused"):
            raise ConversationHeld()
        events = (body.get("tracker") or {}).get("events") or []
        if not any(e.get("event") == "bot" and e.get("text") == row.text for e in events[-30:]):
            raise RetryableError("Rasa did not say the update (see the action server log)")

    def _email(self, row: OutboxRow) -> None:
        mail = EmailMessage()
        mail["From"], mail["To"] = self.smtp.sender, row.address or ""
        mail["Subject"] = f"{self.smtp.subject} #{row.order_number}"
        mail.set_content(row.text)
        if not self.smtp.host:
            if self.smtp.drop_dir is None:
                raise PermanentError("email is not configured (WISMO_SMTP_HOST)")
            self.smtp.drop_dir.mkdir(parents=True, exist_ok=True)
            (self.smtp.drop_dir / f"outbox-{row.id}.eml").write_bytes(bytes(mail))
            return
        tls = ssl.create_default_context()
        try:
            if self.smtp.port == 465:  # implicit TLS
                connection = smtplib.SMTP_SSL(self.smtp.host, self.smtp.port,
                                              timeout=self.timeout, context=tls)
            else:
                connection = smtplib.SMTP(self.smtp.host, self.smtp.port, timeout=self.timeout)
            with connection as smtp:
                smtp.ehlo()
                if self.smtp.port != 465 and self.smtp.starttls:
                    if not smtp.has_extn("starttls"):  # never send a password in clear
                        raise PermanentError("the SMTP server offers no STARTTLS")
                    smtp.starttls(context=tls)
                    smtp.ehlo()
                if self.smtp.user:
                    smtp.login(self.smtp.user, self.smtp.password or "")
                smtp.send_message(mail)
        except smtplib.SMTPRecipientsRefused as exc:
            raise PermanentError(f"address refused: {exc.recipients}") from None
        except (smtplib.SMTPException, OSError) as exc:
            raise RetryableError(f"SMTP: {type(exc).__name__}") from None

    def _hold(self, row: OutboxRow) -> None:
        """Keep the update until the bot has the conversation back; the first time, tell
        the person who has it, in the case thread."""
        assert row.id is not None
        self.store.hold(row.id, HELD, self.clock() + HOLD_FOR)
        if row.last_error == HELD or self.cases is None or not row.conversation_id:
            return
        case = self.cases.active_for(row.conversation_id)
        if case is not None:
            self.cases.note(case.id, "Order update held while you have the conversation "
                            f"(it goes out after you hand back): {row.text}")

    def _retry(self, row: OutboxRow, error: str, retry_after: float | None) -> None:
        assert row.id is not None
        attempts = row.attempts + 1  # the claim counted this try
        if attempts >= self.max_attempts:
            log.error("outbox %s to %s failed after %d tries: %s", row.id, row.channel,
                      attempts, error)
            self.store.mark_failed(row.id, error)
            return
        wait = backoff(attempts, retry_after=retry_after)
        log.warning("outbox %s to %s: %s; retry in %.0f s", row.id, row.channel, error, wait)
        self.store.mark_retry(row.id, error, self.clock() + timedelta(seconds=wait))


def _retry_after(response: requests.Response) -> float | None:
    raw = response.headers.get("Retry-After")
    try:
        return float(raw) if raw else None
    except ValueError:
        return None
