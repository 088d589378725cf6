"""Talking about the conversation itself: people, preferences, policy, misunderstandings."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.base import WismoAction, channel_of
from actions.services import services
from wismo.business_hours import parse_schedule, when_a_person_replies

# Buttons offered when the bot is unsure what the customer meant.
SUGGESTIONS = {
    "order_status": "Where is my order?",
    "delivery_eta": "When will it arrive?",
    "delivery_delay": "Why is it late?",
    "package_missing": "It says delivered but it's not here",
    "tracking_link": "Tracking link",
    "change_address": "Change the delivery address",
    "cancel_order": "Cancel my order",
    "return_refund": "Returns and refunds",
    "damaged_or_wrong_item": "Damaged or wrong item",
    "human_handoff": "Talk to a person",
    "stop_notifications": "Stop updates",
    "subscribe_updates": "Send me updates",
}
DEFAULT_SUGGESTIONS = ("order_status", "delivery_eta", "human_handoff")


def open_handoff(
    dispatcher: CollectingDispatcher, tracker: Tracker, reason: str
) -> list[dict[str, Any]]:
    """Record a case for a person and tell the customer what happens next."""
    svc = services()
    case = svc.cases.open(tracker.sender_id, reason, tracker.get_slot("verified_order"),
                          channel_of(tracker))
    # Validated at start-up (Settings.from_env), so parsing here cannot fail on a typo.
    schedule = parse_schedule(svc.settings.business_hours, svc.settings.timezone)
    dispatcher.utter_message(
        text=f"I'm passing you to our support team (case {case.id}). "
        f"{when_a_person_replies(schedule, svc.now())} Anything you add in the meantime "
        "will reach them."
    )
    return [SlotSet("handoff_case", case.id), SlotSet("pending_action", None)]


class ActionHandoff(WismoAction):
    def name(self) -> str:
        return "action_handoff"

    async def handle(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        reason = "verification_locked" if tracker.get_slot("lookup_locked") else "customer_asked"
        return open_handoff(dispatcher, tracker, reason)


class ActionClarify(WismoAction):
    """Low confidence: offer the likeliest meanings as buttons; twice in a row, offer a person."""

    def name(self) -> str:
        return "action_clarify"

    async def handle(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        if _fallbacks_in_a_row(tracker) >= 2:
            dispatcher.utter_message(
                text="Sorry, I'm still not getting it. Would you like me to pass you to a person?",
                buttons=[{"title": "Yes, a person please", "payload": "/human_handoff"},
                         {"title": "Where is my order?", "payload": "/order_status"}],
            )
            return [SlotSet("pending_action", "handoff")]
        ranking = (tracker.latest_message or {}).get("intent_ranking") or []
        likely = [r["name"] for r in ranking if r.get("name") in SUGGESTIONS][:3]
        for name in DEFAULT_SUGGESTIONS:
            if len(likely) >= 3:
                break
            if name not in likely:
                likely.append(name)
        dispatcher.utter_message(
            text="Sorry, I'm not sure I understood. Did you mean one of these?",
            buttons=[{"title": SUGGESTIONS[n], "payload": f"/{n}"} for n in likely],
        )
        return []


def _fallbacks_in_a_row(tracker: Tracker) -> int:
    count = 0
    for event in reversed(tracker.events):
        if event.get("event") != "user":
            continue
        if (event.get("parse_data") or {}).get("intent", {}).get("name") != "nlu_fallback":
            break
        count += 1
    return count


class ActionStopNotifications(WismoAction):
    def name(self) -> str:
        return "action_stop_notifications"

    async def handle(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        self.svc.contacts.set_notifications(tracker.sender_id, channel_of(tracker) or "rest",
                                            False)
        dispatcher.utter_message(
            text="Done: I won't send you any more order updates here. You can still ask me "
            "about your order anytime, and reply START to turn updates back on."
        )
        return [SlotSet("notifications", False)]


class ActionSubscribeUpdates(WismoAction):
    def name(self) -> str:
        return "action_subscribe_updates"

    async def handle(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        svc, channel = self.svc, channel_of(tracker) or "rest"
        svc.contacts.set_notifications(tracker.sender_id, channel, True)
        dispatcher.utter_message(
            text="You're all set: I'll message you here when your order ships, when it's out "
            "for delivery, when it arrives, and straight away if anything goes wrong."
        )
        bot = svc.settings.telegram_bot_username
        token = svc.contacts.issue_link(tracker.sender_id) if bot and channel != "telegram" \
            else None
        if token:
            dispatcher.utter_message(
                text=f"Prefer Telegram? Open https://t.me/{bot}?start={token} and I'll send "
                "your updates there too (the link works once, for an hour)."
            )
        return [SlotSet("notifications", True)]


class ActionReturnPolicy(WismoAction):
    def name(self) -> str:
        return "action_return_policy"

    async def handle(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        dispatcher.utter_message(text=self.svc.settings.return_policy)
        dispatcher.utter_message(
            text="Would you like me to connect you with a person to start a return?",
            buttons=[{"title": "Yes, please", "payload": "/affirm"},
                     {"title": "No, thanks", "payload": "/deny"}],
        )
        return [SlotSet("pending_action", "handoff")]
