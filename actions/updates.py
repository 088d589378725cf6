"""Proactive updates arrive in the conversation, so the customer's reply has context.

The engine sends an update through Rasa's `trigger_intent` with the intent
`EXTERNAL_order_update` and the entities `order_number`, `update_text` and `update_kind`,
on the customer's own channel. This action says the text and makes that order the one
the conversation is about: after "Your parcel is delayed by the storm, now expected
Friday", "why?" or "can I change the address?" is answered for that order at once.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.base import WismoAction

# What a reply to the update is most likely about: a problem → why is it late.
TOPIC_BY_KIND = {
    "order_confirmed": "order_status",
    "shipped": "tracking_link",
    "out_for_delivery": "delivery_eta",
    "delivered": "order_status",
    "available_for_pickup": "order_status",
}
PROBLEM_TOPIC = "delivery_delay"


class ActionOrderUpdate(WismoAction):
    """Say the engine's update and remember its order as the verified one."""

    def name(self) -> str:
        return "action_order_update"

    async def handle(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        entities = {e.get("entity"): e.get("value")
                    for e in (tracker.latest_message or {}).get("entities") or []}
        text, number = entities.get("update_text"), entities.get("order_number")
        if not text:
            return []
        dispatcher.utter_message(text=str(text))
        events: list[dict[str, Any]] = []
        # Updates go only to conversations verified for that customer (the engine checks);
        # the contact store says who that is, so the order needs no new proof here.
        known = self.svc.contacts.identity(tracker.sender_id)
        if number and known is not None:
            events += [SlotSet("verified_order", str(number)),
                       SlotSet("verified_email", known.email),
                       SlotSet("order_number", str(number))]
        kind = str(entities.get("update_kind") or "")
        events.append(SlotSet("topic", TOPIC_BY_KIND.get(kind, PROBLEM_TOPIC)))
        return events
