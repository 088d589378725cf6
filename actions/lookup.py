"""Finding the customer's order and proving it is theirs before anything is shown."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction

from actions.base import TOPIC_INTENTS, WismoAction, latest_intent
from actions.services import off_loop, services
from wismo.errors import ProviderError
from wismo.extract import find_email, find_order_number, find_postal_code, find_tracking_number
from wismo.identity import proof_matches

log = logging.getLogger(__name__)

# Said before the order number is asked for, so the customer knows they were heard.
ACKNOWLEDGEMENTS = {
    "package_missing": "I'm sorry your parcel hasn't turned up. Let's sort this out.",
    "damaged_or_wrong_item": "I'm sorry about that. Let's get it put right.",
    "delivery_delay": "Sorry for the wait. Let me check what's holding it up.",
    "delivery_eta": "Happy to check when it will arrive.",
    "tracking_link": "Sure, I'll get you the tracking details.",
    "cancel_order": "I can help with cancelling.",
    "change_address": "I can help with the delivery address.",
}
MISMATCH = (
    "Sorry, I couldn't find an order matching those details. Please check the order number "
    "and the email or postal code from your confirmation email, and try again."
)


class ActionSetTopic(WismoAction):
    """Remembers what the customer wants to know, before the lookup form runs."""

    def name(self) -> str:
        return "action_set_topic"

    async def handle(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        intent = latest_intent(tracker)
        topic = intent if intent in TOPIC_INTENTS else tracker.get_slot("topic") or "order_status"
        events: list[dict[str, Any]] = [
            SlotSet("topic", topic),
            SlotSet("pending_action", None),
            SlotSet("lookup_unavailable", False),
        ]
        verified = tracker.get_slot("verified_order")
        number = tracker.get_slot("order_number")
        switching = bool(verified and number and find_order_number(number) != verified)
        if switching:
            events.append(SlotSet("proof", None))  # the old proof was for another order
        needs_lookup = not verified or switching
        if needs_lookup and not tracker.get_slot("lookup_locked") and topic in ACKNOWLEDGEMENTS \
                and tracker.active_loop_name is None:
            dispatcher.utter_message(text=ACKNOWLEDGEMENTS[topic])
        return events


class ValidateOrderLookupForm(FormValidationAction):
    """Order number + email or postal code → a verified order, or a neutral refusal."""

    def name(self) -> str:
        return "validate_order_lookup_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> list[str]:
        if tracker.get_slot("lookup_locked") or tracker.get_slot("lookup_unavailable"):
            return []
        verified = tracker.get_slot("verified_order")
        number = tracker.get_slot("order_number")
        if verified and (number is None or find_order_number(number) == verified):
            return []
        return domain_slots

    async def validate_order_number(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
        domain: dict[str, Any],
    ) -> dict[str, Any]:
        text = str(value or "")
        number = find_order_number(text) if not find_tracking_number(text) else None
        if number is None:
            intent = latest_intent(tracker)
            topic = {"topic": intent} if intent in TOPIC_INTENTS else {}
            if find_tracking_number(text):
                dispatcher.utter_message(
                    text="That looks like a tracking number. I need the order number from "
                    "your confirmation email instead: it looks like #1042."
                )
            elif intent in TOPIC_INTENTS:
                dispatcher.utter_message(text="Sure, I'll check that as soon as I have the order.")
            else:
                dispatcher.utter_message(
                    text="I couldn't spot an order number there. It's in your confirmation "
                    "email and looks like #1042."
                )
            return {"order_number": None, **topic}
        proof = tracker.get_slot("proof")
        verified_email = tracker.get_slot("verified_email")
        if proof or verified_email:
            return await self._verify(number, proof, dispatcher, tracker)
        return {"order_number": number}

    async def validate_proof(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
        domain: dict[str, Any],
    ) -> dict[str, Any]:
        text = str(value or "")
        if not (find_email(text) or find_postal_code(text)):
            dispatcher.utter_message(
                text="I need the email address or the postal code the order was placed with, "
                "for example jane@example.com or 80202."
            )
            return {"proof": None}
        number = tracker.get_slot("order_number")
        if not number:
            return {"proof": text}  # verified once the order number arrives
        return await self._verify(find_order_number(number) or number, text, dispatcher, tracker)

    async def _verify(
        self, number: str, proof: str | None, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> dict[str, Any]:
        svc = services()
        try:
            order = await off_loop(svc.orders.find, number)
        except ProviderError as exc:
            log.error("order lookup failed conversation=%s provider=%s status=%s",
                      tracker.sender_id, exc.provider, exc.status)
            return {"order_number": number, "proof": proof, "lookup_unavailable": True}
        verified_email = tracker.get_slot("verified_email")
        same_customer = bool(
            order and verified_email and (order.email or "").lower() == verified_email
        )
        if order is not None and (same_customer or (proof and proof_matches(order, proof))):
            log.info("order verified conversation=%s order_id=%s", tracker.sender_id, order.id)
            return {
                "order_number": number,
                "proof": proof or verified_email,
                "verified_order": order.number,
                "verified_email": (order.email or "").lower() or None,
            }
        if proof is None:
            return {"order_number": number}  # another customer's order: ask for its proof
        failures = int(tracker.get_slot("verification_failures") or 0) + 1
        log.info("verification failed conversation=%s attempt=%d", tracker.sender_id, failures)
        if failures >= svc.settings.max_verification_attempts:
            return {"verification_failures": failures, "lookup_locked": True,
                    "order_number": None, "proof": None}
        dispatcher.utter_message(text=MISMATCH)
        return {"verification_failures": failures, "order_number": None, "proof": None}
