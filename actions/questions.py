"""The questions forms ask, one action per slot (Rasa calls `action_ask_<slot>`)."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.base import WismoAction


class ActionAskOrderNumber(WismoAction):
    """The form's question for the order number (first time, or again after a mismatch)."""

    def name(self) -> str:
        return "action_ask_order_number"

    async def handle(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        dispatcher.utter_message(
            text="What's your order number? It's in your confirmation email and looks like #1042."
        )
        return []


class ActionAskProof(WismoAction):
    def name(self) -> str:
        return "action_ask_proof"

    async def handle(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        dispatcher.utter_message(
            text="Thanks! To keep your order private, what's the email address or the postal "
            "code on the order?"
        )
        return []


class ActionAskPostalCheck(WismoAction):
    """Asked when the customer gave an email instead of an order number."""

    def name(self) -> str:
        return "action_ask_postal_check"

    async def handle(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        dispatcher.utter_message(
            text="No problem, I can find your orders by email. To make sure they're yours, "
            "what's the postal code they ship to?"
        )
        return []


class ActionAskNewAddress(WismoAction):
    def name(self) -> str:
        return "action_ask_new_address"

    async def handle(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        dispatcher.utter_message(
            text="What's the new delivery address? Please send it in one message: street, "
            "city, state or province, and postal code."
        )
        return []
