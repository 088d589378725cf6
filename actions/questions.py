"""The questions forms ask, one action per slot (Rasa calls `action_ask_<slot>`)."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.base import WismoAction

QUESTIONS = {
    "order_number": "What's your order number? It's in your confirmation email and looks "
    "like #1042.",
    "proof": "Thanks! To keep your order private, what's the email address or the postal code "
    "on the order?",
    # Asked when the customer gave an email instead of an order number.
    "postal_check": "No problem, I can find your orders by email. To make sure they're yours, "
    "what's the postal code they ship to?",
    "new_address": "What's the new delivery address? Please send it in one message: street, "
    "city, state or province, and postal code.",
}


def _question(slot: str, text: str) -> type[WismoAction]:
    class AskAction(WismoAction):
        def name(self) -> str:
            return f"action_ask_{slot}"

        async def handle(
            self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
        ) -> list[dict[str, Any]]:
            dispatcher.utter_message(text=text)
            return []

    AskAction.__name__ = AskAction.__qualname__ = f"ActionAsk_{slot}"
    return AskAction


ASK_ACTIONS = [_question(slot, text) for slot, text in QUESTIONS.items()]
