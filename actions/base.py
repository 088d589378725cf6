"""The one place where errors become polite replies."""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.services import Services, services
from wismo.errors import ProviderError, WismoError

log = logging.getLogger(__name__)

SORRY_STORE_DOWN = (
    "Sorry, I can't reach our order system right now. Please try again in a few minutes, "
    "or say \"agent\" and I'll pass this to a person."
)
SORRY_BUG = (
    "Sorry, something went wrong on my side. Please try again in a moment, or say "
    "\"agent\" and I'll pass this to a person."
)

TOPIC_INTENTS = (
    "order_status",
    "delivery_eta",
    "delivery_delay",
    "package_missing",
    "tracking_link",
    "change_address",
    "cancel_order",
    "damaged_or_wrong_item",
)


class WismoAction(Action, ABC):
    """Base for our actions: `handle` does the work, `run` turns failures into replies.

    Expected failures (a provider down, a rejected change) get a specific
    apology; anything else is a bug, logged with its traceback and the
    conversation id, and the customer still gets an answer.
    """

    @property
    def svc(self) -> Services:
        return services()

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        try:
            return await self.handle(dispatcher, tracker, domain)
        except ProviderError as exc:
            log.error("provider failed in %s conversation=%s provider=%s status=%s",
                      self.name(), tracker.sender_id, exc.provider, exc.status)
            dispatcher.utter_message(text=SORRY_STORE_DOWN)
        except WismoError as exc:
            log.error("%s failed conversation=%s: %s", self.name(), tracker.sender_id, exc)
            dispatcher.utter_message(text=SORRY_BUG)
        except Exception:  # the error boundary: logged in full, never shown to the customer
            log.exception("bug in %s conversation=%s", self.name(), tracker.sender_id)
            dispatcher.utter_message(text=SORRY_BUG)
        return []

    @abstractmethod
    async def handle(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Do the action's work; may raise WismoError."""


def latest_intent(tracker: Tracker) -> str | None:
    return (tracker.latest_message or {}).get("intent", {}).get("name")


def channel_of(tracker: Tracker) -> str | None:
    return tracker.get_latest_input_channel()


# Channels whose connector proves the sender's number (Twilio signs every request).
PHONE_CHANNELS = ("whatsapp", "sms")


def sender_phone(tracker: Tracker) -> str | None:
    """The customer's number as a WhatsApp/SMS connector passed it; None elsewhere.

    Only those connectors are trusted: a REST or web chat client could put any
    "phone" in its metadata.
    """
    if channel_of(tracker) not in PHONE_CHANNELS:
        return None
    return ((tracker.latest_message or {}).get("metadata") or {}).get("phone")
