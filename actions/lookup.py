"""Finding the customer's order and proving it is theirs before anything is shown."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction

from actions.base import TOPIC_INTENTS, channel_of, latest_intent, sender_phone
from actions.services import off_loop, services
from wismo.errors import ProviderError
from wismo.extract import find_email, find_order_number, find_postal_code, find_tracking_number
from wismo.identity import phone_matches, proof_matches

log = logging.getLogger(__name__)
T = TypeVar("T")

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


class ValidateOrderLookupForm(FormValidationAction):
    """Order number + email or postal code → a verified order, or a neutral refusal.

    The per-slot validators only read and disambiguate what the customer typed;
    `get_validation_events` then verifies ownership once per turn.
    """

    def name(self) -> str:
        return "validate_order_lookup_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        turn = self._start_of_turn(dispatcher, tracker)
        tracker.add_slots(turn)
        return turn + await super().run(dispatcher, tracker, domain)

    def _start_of_turn(
        self, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> list[dict[str, Any]]:
        """Remember what the customer asked about; once per message (Rasa may call us twice)."""
        if any(e.get("event") == "slot" and e.get("name") == "topic"
               for e in _since_latest_message(tracker)):
            return []
        intent = latest_intent(tracker)
        topic = intent if intent in TOPIC_INTENTS else tracker.get_slot("topic") or "order_status"
        verified = tracker.get_slot("verified_order")
        number = tracker.get_slot("order_number")
        needs_lookup = not verified or bool(number and find_order_number(number) != verified)
        fresh_question = previous_value(tracker, "requested_slot") is None
        if (needs_lookup and fresh_question and intent in ACKNOWLEDGEMENTS
                and not tracker.get_slot("lookup_locked")):
            dispatcher.utter_message(text=ACKNOWLEDGEMENTS[intent])
        events = [SlotSet("topic", topic)]  # always: it marks the turn as started
        if not tracker.get_slot("verified_email"):
            known = services().contacts.identity(tracker.sender_id)
            if known and known.email:  # proved earlier on this channel, or linked to it
                events.append(SlotSet("verified_email", known.email))
        if tracker.get_slot("pending_action") is not None:
            events.append(SlotSet("pending_action", None))
        if tracker.get_slot("lookup_unavailable"):
            events.append(SlotSet("lookup_unavailable", False))
        return events

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
        if number is None and tracker.get_slot("verified_email"):
            return []  # verified by email and postal code: the answer asks which order
        if number is None and tracker.get_slot("lookup_email"):
            return ["postal_check"]
        return [slot for slot in domain_slots if slot != "postal_check"]

    async def get_validation_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        fresh = tracker.slots_to_validate()
        events = await super().get_validation_events(dispatcher, tracker, domain)
        if tracker.get_slot("lookup_locked") or tracker.get_slot("lookup_unavailable"):
            return events
        number = tracker.get_slot("order_number")
        proof = tracker.get_slot("proof")
        if not number or number == tracker.get_slot("verified_order"):
            return events
        if not (proof or tracker.get_slot("verified_email") or sender_phone(tracker)):
            return events
        proof_is_new = "proof" in fresh and proof != previous_value(tracker, "proof")
        result = await self._verify(number, proof, proof_is_new, dispatcher, tracker)
        tracker.slots.update(result)
        return events + [SlotSet(name, value) for name, value in result.items()]

    async def validate_order_number(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
        domain: dict[str, Any],
    ) -> dict[str, Any]:
        text = str(value or "")
        fresh = tracker.slots_to_validate()
        if (tracker.get_slot("requested_slot") == "proof" and "proof" in fresh
                and _digits(text) == _digits(str(fresh["proof"]))):
            # The answer to "email or postal code?" was also tagged as an order number.
            return {"order_number": previous_value(tracker, "order_number")}
        number = find_order_number(text) if not find_tracking_number(text) else None
        if number is None:
            return self._no_order_number(text, dispatcher, tracker)
        return {"order_number": number}

    async def validate_proof(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
        domain: dict[str, Any],
    ) -> dict[str, Any]:
        text = str(value or "")
        number = tracker.get_slot("order_number")
        if (tracker.get_slot("requested_slot") != "proof" and not find_email(text)
                and number and _digits(text) == _digits(number)):
            # The order number was also tagged as a postal code.
            return {"proof": previous_value(tracker, "proof")}
        if not (find_email(text) or find_postal_code(text)):
            dispatcher.utter_message(
                text="I need the email address or the postal code the order was placed with, "
                "for example jane@example.com or 80202."
            )
            return {"proof": None}
        return {"proof": text}

    async def validate_postal_check(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
        domain: dict[str, Any],
    ) -> dict[str, Any]:
        """Email + postal code: the customer's orders, without an order number."""
        postal = find_postal_code(str(value or ""))
        if postal is None:
            dispatcher.utter_message(text="I need the postal code, for example 80202.")
            return {"postal_check": None}
        email = tracker.get_slot("lookup_email")
        try:
            orders = await _store_call(tracker, services().orders.orders_for_email, email)
        except ProviderError:
            return {"lookup_unavailable": True}
        mine = [o for o in orders if proof_matches(o, postal)]
        if not mine:
            return {**self._failed(dispatcher, tracker), "lookup_email": None,
                    "postal_check": None}
        log.info("customer verified by email conversation=%s orders=%d",
                 tracker.sender_id, len(mine))
        _remember(tracker, email, mine[0].number if len(mine) == 1 else None)
        found = {"postal_check": postal, "verified_email": email, "proof": email}
        if len(mine) == 1:
            number = mine[0].number
            return {**found, "order_number": number, "verified_order": number}
        return {**found, "order_number": None}

    def _no_order_number(
        self, text: str, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> dict[str, Any]:
        intent = latest_intent(tracker)
        email = find_email(text) or find_email(str(tracker.slots_to_validate().get("proof") or ""))
        if email:
            return {"order_number": None, "lookup_email": email}  # the form asks the postal code
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
                "email and looks like #1042. If you don't have it, just tell me the email "
                "address you ordered with."
            )
        return {"order_number": previous_value(tracker, "order_number")}

    async def _verify(
        self, number: str, proof: str | None, proof_is_new: bool,
        dispatcher: CollectingDispatcher, tracker: Tracker,
    ) -> dict[str, Any]:
        try:
            order = await _store_call(tracker, services().orders.find, number)
        except ProviderError:
            return {"lookup_unavailable": True}
        verified_email = tracker.get_slot("verified_email")
        same_customer = bool(
            order and verified_email and (order.email or "").lower() == verified_email
        )
        by_phone = order is not None and phone_matches(order, sender_phone(tracker))
        if order is not None and (
            same_customer or by_phone or (proof and proof_matches(order, proof))
        ):
            log.info("order verified conversation=%s order_id=%s by_phone=%s",
                     tracker.sender_id, order.id, by_phone)
            email = (order.email or "").lower() or None
            _remember(tracker, email, order.number)
            return {"verified_order": order.number, "verified_email": email}
        if not proof_is_new:
            return {"proof": None}  # proof given for another order: ask for this one's
        return self._failed(dispatcher, tracker)

    def _failed(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> dict[str, Any]:
        """A failed ownership check: neutral words, counted, locked after too many."""
        svc = services()
        failures = int(tracker.get_slot("verification_failures") or 0) + 1
        log.info("verification failed conversation=%s attempt=%d", tracker.sender_id, failures)
        if failures >= svc.settings.max_verification_attempts:
            return {"verification_failures": failures, "lookup_locked": True,
                    "order_number": None, "proof": None}
        dispatcher.utter_message(text=MISMATCH)
        verified = tracker.get_slot("verified_order")
        if verified:
            dispatcher.utter_message(text=f"I can still help with your order #{verified}.")
        # Back to the verified order (the form then ends) or to asking again.
        return {"verification_failures": failures, "order_number": verified, "proof": None}


def _remember(tracker: Tracker, email: str | None, order_number: str | None) -> None:
    """This channel conversation belongs to that customer, for later visits and updates."""
    services().contacts.verified(tracker.sender_id, channel_of(tracker) or "rest", email,
                                 order_number, sender_phone(tracker))


async def _store_call(tracker: Tracker, fn: Callable[..., T], *args: Any) -> T:
    """A store lookup off the event loop; a failure is logged with ids, then re-raised."""
    try:
        return await off_loop(fn, *args)
    except ProviderError as exc:
        log.error("store lookup failed conversation=%s provider=%s status=%s",
                  tracker.sender_id, exc.provider, exc.status)
        raise


def previous_value(tracker: Tracker, slot: str) -> Any:
    """The slot's value before the customer's latest message."""
    seen_user = False
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            seen_user = True
        elif seen_user and event.get("event") == "slot" and event.get("name") == slot:
            return event.get("value")
    return None


def _since_latest_message(tracker: Tracker) -> list[dict[str, Any]]:
    """The events after the customer's latest message."""
    for i in range(len(tracker.events) - 1, -1, -1):
        if tracker.events[i].get("event") == "user":
            return tracker.events[i + 1:]
    return list(tracker.events)


def failed_this_turn(tracker: Tracker) -> bool:
    """Whether a verification attempt failed since the customer's latest message."""
    return any(e.get("event") == "slot" and e.get("name") == "verification_failures"
               for e in _since_latest_message(tracker))


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())
