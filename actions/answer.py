"""Answering the question the customer asked, once their order is verified."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.base import SORRY_STORE_DOWN, WismoAction
from actions.lookup import failed_this_turn, previous_value
from actions.services import Services, off_loop
from actions.support import escalation_due, open_handoff
from wismo import answers
from wismo.domain import Order

HANDOFF_BUTTON = {"title": "Talk to a person", "payload": "/human_handoff"}
YES_NO = [{"title": "Yes", "payload": "/affirm"}, {"title": "No", "payload": "/deny"}]
LOCKED = (
    "For your security I can't look up orders in this chat any more, after several details "
    "didn't match. A person from our team can help you verify your order."
)
CARRIER_DOWN_NOTE = (
    "(I couldn't reach the carrier just now, so the latest scan may not show yet.)"
)
# What the customer hears when a turn also reaches a person (actions.support.escalation_due).
ESCALATION_LEADS = {
    "frustration": "I'm sorry this has been frustrating. I've asked a person from our support "
                   "team to look at it",
    "priority_order": "I've also asked our support team to look into this for you",
}
SIMPLE_REPLIES = {
    "delivery_eta": answers.eta_reply,
    "delivery_delay": answers.delay_reply,
}


class ActionAnswerOrder(WismoAction):
    """Says where the verified order is (or what was asked about it) in plain words."""

    def name(self) -> str:
        return "action_answer_order"

    async def handle(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        svc = self.svc
        if tracker.get_slot("lookup_locked"):
            dispatcher.utter_message(text=LOCKED)
            return open_handoff(dispatcher, tracker, "verification_locked")
        if tracker.get_slot("lookup_unavailable"):
            dispatcher.utter_message(text=SORRY_STORE_DOWN)
            return [SlotSet("lookup_unavailable", False)]
        if failed_this_turn(tracker):
            return []  # the mismatch was already explained
        number = tracker.get_slot("verified_order")
        if number is None and tracker.get_slot("verified_email"):
            return await self._ask_which(dispatcher, svc, tracker.get_slot("verified_email"))
        live = await off_loop(svc.orders.live, number) if number else None
        if live is None:
            dispatcher.utter_message(text="Sorry, I can't find that order any more.")
            return []
        order, today = live.order, svc.today()
        topic = tracker.get_slot("topic") or "order_status"
        events: list[dict[str, Any]] = []
        if topic in SIMPLE_REPLIES:
            dispatcher.utter_message(text=SIMPLE_REPLIES[topic](order, today))
        elif topic == "tracking_link":
            dispatcher.utter_message(text=answers.tracking_reply(order))
        elif topic in ("package_missing", "damaged_or_wrong_item"):
            events += self._escalate(dispatcher, tracker, svc, order, topic)
        elif topic == "cancel_order":
            events += self._cancel(dispatcher, order)
        elif topic == "change_address":
            events += self._change_address(dispatcher, tracker, svc, order)
        else:
            dispatcher.utter_message(text=answers.status_reply(order, today))
            first_answer = previous_value(tracker, "verified_order") is None
            others = await self._other_orders(svc, order) if first_answer else []
            if others:
                lines = "\n".join(answers.order_summary_line(o, today) for o in others)
                dispatcher.utter_message(text=f"Your other recent orders:\n{lines}")
        if not live.carrier_ok:
            dispatcher.utter_message(text=CARRIER_DOWN_NOTE)
        due = None if events else escalation_due(tracker, [order])
        if due:
            reason, note = due
            events += open_handoff(dispatcher, tracker, reason, orders=[order], note=note,
                                   lead=ESCALATION_LEADS[reason])
        return events

    def _escalate(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, svc: Services, order: Order,
        topic: str,
    ) -> list[dict[str, Any]]:
        text = (answers.missing_package_reply(order, svc.today()) if topic == "package_missing"
                else answers.damaged_item_reply(order))
        dispatcher.utter_message(text=text)
        return open_handoff(dispatcher, tracker, topic, orders=[order],
                            lead="I've opened a case with our support team and shared your "
                            "order details, so you won't need to repeat anything")

    def _cancel(self, dispatcher: CollectingDispatcher, order: Order) -> list[dict[str, Any]]:
        if order.is_cancelled:
            dispatcher.utter_message(text=answers.status_reply(order, self.svc.today()))
            return []
        if order.shipments:
            dispatcher.utter_message(text=answers.cancel_refused_reply(order),
                                     buttons=[HANDOFF_BUTTON])
            return [SlotSet("pending_action", "handoff")]
        dispatcher.utter_message(text=answers.cancel_confirm_question(order), buttons=YES_NO)
        return [SlotSet("pending_action", "cancel")]

    def _change_address(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, svc: Services, order: Order
    ) -> list[dict[str, Any]]:
        if order.is_cancelled:
            dispatcher.utter_message(text=answers.status_reply(order, svc.today()))
            return []
        if order.shipments:
            dispatcher.utter_message(text=answers.address_change_refused_reply(order))
            return open_handoff(dispatcher, tracker, "address_change_after_shipping",
                                orders=[order], lead="I've asked our support team to contact "
                                "the carrier about the address")
        return [SlotSet("pending_action", "change_address"), SlotSet("new_address", None),
                FollowupAction("address_form")]

    async def _ask_which(
        self, dispatcher: CollectingDispatcher, svc: Services, email: str
    ) -> list[dict[str, Any]]:
        """Verified by email and postal code: list the orders and let the customer pick."""
        orders = (await off_loop(svc.orders.orders_for_email, email))[:5]
        today = svc.today()
        lines = "\n".join(answers.order_summary_line(o, today) for o in orders)
        dispatcher.utter_message(
            text=f"I found {len(orders)} recent orders for you:\n{lines}\nWhich one shall I "
            "look at?",
            buttons=[{"title": f"#{o.number}",
                      "payload": f'/inform{{"order_number": "{o.number}"}}'} for o in orders],
        )
        return []

    async def _other_orders(self, svc: Services, order: Order) -> list[Order]:
        if not order.email:
            return []
        orders = await off_loop(svc.orders.orders_for_email, order.email)
        return [o for o in orders if o.number != order.number][:3]
