"""Changes the customer asked for: cancel or a new address, always after a clear yes."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction

from actions.answer import HANDOFF_BUTTON, YES_NO
from actions.base import WismoAction
from actions.services import off_loop
from actions.support import open_handoff, verified_orders
from wismo import answers
from wismo.address_parse import parse_address
from wismo.domain import Address
from wismo.errors import ProviderRejected


class ValidateAddressForm(FormValidationAction):
    """Accepts the new address only when it has a street, a city and a postal code."""

    def name(self) -> str:
        return "validate_address_form"

    async def validate_new_address(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
        domain: dict[str, Any],
    ) -> dict[str, Any]:
        if parse_address(str(value or "")) is None:
            dispatcher.utter_message(
                text="I need the street with its number, the city and the postal code, "
                "for example: 12 Oak St, Apt 4, Denver, CO 80203."
            )
            return {"new_address": None}
        return {"new_address": str(value)}


class ActionAddressSubmitted(WismoAction):
    """Reads the new address back and asks for a yes before changing anything."""

    def name(self) -> str:
        return "action_address_submitted"

    async def handle(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        live = await off_loop(self.svc.orders.live, tracker.get_slot("verified_order"))
        if live is None:
            return []
        address = parse_address(tracker.get_slot("new_address") or "",
                                live.order.shipping_address)
        if address is None:
            return [SlotSet("pending_action", None)]
        dispatcher.utter_message(
            text=answers.address_confirm_question(live.order, address), buttons=YES_NO
        )
        return [SlotSet("pending_action", "change_address"),
                SlotSet("new_address", json.dumps(asdict(address)))]


class ActionHandleAffirm(WismoAction):
    """'Yes' to whatever the bot last asked: cancel, change address, or talk to a person."""

    def name(self) -> str:
        return "action_handle_affirm"

    async def handle(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        pending = tracker.get_slot("pending_action")
        events: list[dict[str, Any]] = [SlotSet("pending_action", None)]
        if pending and pending.startswith("handoff"):
            reason = pending.partition(":")[2] or "customer_asked"
            return events + open_handoff(dispatcher, tracker, reason,
                                         orders=await verified_orders(tracker))
        if pending not in ("cancel", "change_address"):
            dispatcher.utter_message(text="Great! Is there anything else I can help with?")
            return events
        orders = self.svc.orders
        live = await off_loop(orders.live, tracker.get_slot("verified_order"))
        if live is None:
            return events
        try:
            if pending == "cancel":
                order = await off_loop(orders.cancel, live.order)
                dispatcher.utter_message(text=answers.cancelled_reply(order))
            else:
                address = Address(**json.loads(tracker.get_slot("new_address")))
                order = await off_loop(orders.change_address, live.order, address)
                dispatcher.utter_message(text=answers.address_changed_reply(order))
        except ProviderRejected:
            what = "cancel it" if pending == "cancel" else "change the address"
            dispatcher.utter_message(
                text=f"Sorry, I couldn't {what}: the order may have just been packed. "
                "Would you like me to pass this to a person?",
                buttons=[HANDOFF_BUTTON],
            )
            return events + [SlotSet("pending_action", f"handoff:{pending}_rejected")]
        return events + [SlotSet("new_address", None)]


class ActionHandleDeny(WismoAction):
    """'No' to whatever the bot last asked: nothing changes."""

    def name(self) -> str:
        return "action_handle_deny"

    async def handle(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        pending = tracker.get_slot("pending_action")
        text = {
            "cancel": "No problem, your order stays as it is.",
            "change_address": "OK, I've left the delivery address as it was.",
        }.get(pending or "", "OK. Is there anything else I can help with?")
        dispatcher.utter_message(text=text)
        return [SlotSet("pending_action", None), SlotSet("new_address", None)]
