"""Talking about the conversation itself: people, preferences, policy, misunderstandings."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, ConversationPaused, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.base import WismoAction, channel_of, sender_phone
from actions.services import off_loop, services
from wismo.business_hours import parse_schedule, when_a_person_replies
from wismo.domain import Order
from wismo.errors import WismoError
from wismo.handoff.context import case_context
from wismo.handoff.triggers import frustration, priority_reason

log = logging.getLogger(__name__)

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
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    reason: str,
    *,
    orders: Sequence[Order] = (),
    note: str | None = None,
    lead: str = "I'm passing you to our support team",
) -> list[dict[str, Any]]:
    """Open (or add to) the conversation's case and tell the customer what happens next.

    The case carries a snapshot for the person who picks it up: who the customer is and
    how they were verified, the orders with their tracking, and the conversation so far.
    With Slack connected the bot then pauses: the customer's next messages go to the
    case thread, and a person answers from there.
    """
    svc = services()
    channel = channel_of(tracker)
    # Validated at start-up (Settings.from_env), so parsing here cannot fail on a typo.
    schedule = parse_schedule(svc.settings.business_hours, svc.settings.timezone)
    when = when_a_person_replies(schedule, svc.now())
    context = case_context(
        reason, orders, conversation_id=tracker.sender_id, channel=channel,
        customer_name=next((o.customer_name for o in orders if o.customer_name), None),
        identity=_identity(tracker), events=tracker.events, today=svc.today(), note=note,
        told=when)
    number = orders[0].number if orders else tracker.get_slot("verified_order")
    case = svc.cases.open(tracker.sender_id, reason, number, channel, context, note)
    dispatcher.utter_message(
        text=f"{lead} (case {case.id}). {when} Anything you add in the meantime will "
        "reach them."
    )
    log.info("handoff conversation=%s case=%s reason=%s new=%s", tracker.sender_id, case.id,
             reason, case.is_new)
    events = [SlotSet("handoff_case", case.id), SlotSet("pending_action", None)]
    if svc.settings.slack_handoff:
        events.append(ConversationPaused())
    return events


def escalation_due(tracker: Tracker, orders: Sequence[Order]) -> tuple[str, str] | None:
    """(reason, note) when this turn should also reach a person: the customer sounds
    frustrated, or a priority order has a problem (rules/handoff.yml)."""
    svc = services()
    if tracker.get_slot("handoff_case") and svc.cases.active_for(tracker.sender_id):
        return None
    rules = svc.handoff_rules
    angry = frustration(customer_texts(tracker, 3), rules)
    if angry:
        return "frustration", angry
    # A priority order stays late after a person has looked at it: once per order.
    handled = {c.order_number for c in svc.cases.for_conversation(tracker.sender_id)}
    priority = priority_reason([o for o in orders if o.number not in handled], rules,
                               svc.today())
    if priority:
        return "priority_order", priority
    return None


async def verified_orders(tracker: Tracker) -> list[Order]:
    """The verified order for the case card; none if the store can't be reached (a
    handoff must not fail because the store is down)."""
    number = tracker.get_slot("verified_order")
    if not number:
        return []
    try:
        live = await off_loop(services().orders.live, number)
    except WismoError as exc:
        log.warning("handoff without order details conversation=%s: %s", tracker.sender_id, exc)
        return []
    return [live.order] if live else []


def customer_texts(tracker: Tracker, limit: int) -> list[str]:
    """The customer's last `limit` typed messages since the bot last got the conversation
    back from a person, oldest first (button presses skipped): what they wrote to the
    team, or before a hand-back, must not escalate again."""
    texts = [e.get("text") or "" for e in since_hand_back(tracker.events)
             if e.get("event") == "user"]
    typed = [t for t in texts if t and not t.startswith("/")]
    return typed[-limit:]


def since_hand_back(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The events after the last ConversationResumed (all of them if there is none)."""
    for i in range(len(events) - 1, -1, -1):
        if events[i].get("event") == "resume":
            return events[i + 1:]
    return events


def _identity(tracker: Tracker) -> str | None:
    """How the customer proved who they are, in words for the support agent."""
    number, email = tracker.get_slot("verified_order"), tracker.get_slot("verified_email")
    phone = sender_phone(tracker)
    parts = [f"order #{number}" if number else None, f"email {email}" if email else None,
             f"phone {phone}" if phone and number else None]
    said = ", ".join(p for p in parts if p)
    return said or None


class ActionSessionStart(Action):
    """Rasa's session start (slots carried over as domain.yml says), which keeps a paused,
    handed-off conversation paused: a new session would otherwise un-pause it, and the bot
    would answer while a person has the conversation (after an hour's silence, or when a
    proactive update arrives)."""

    def name(self) -> str:
        return "action_session_start"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        events = [SessionStarted()]
        if (domain.get("session_config") or {}).get("carry_over_slots_to_new_session", True):
            events += [SlotSet(e["name"], e.get("value"))
                       for e in _since_session_start(tracker.applied_events())
                       if e.get("event") == "slot"]
        # Only a conversation a person had (paused) stays paused: the engine also opens
        # cases for problems without handing the conversation over.
        if tracker.is_paused() and services().cases.active_for(tracker.sender_id):
            events.append(ConversationPaused())
        return [*events, ActionExecuted("action_listen")]


def _since_session_start(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for i in range(len(events) - 1, -1, -1):
        if events[i].get("event") == "session_started":
            return events[i + 1:]
    return events


class ActionHandoff(WismoAction):
    def name(self) -> str:
        return "action_handoff"

    async def handle(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        reason = "verification_locked" if tracker.get_slot("lookup_locked") else "customer_asked"
        angry = frustration(customer_texts(tracker, 3), self.svc.handoff_rules)
        return open_handoff(dispatcher, tracker, reason, orders=await verified_orders(tracker),
                            note=angry and f"Sounds frustrated: {angry}")


class ActionClarify(WismoAction):
    """Low confidence: offer the likeliest meanings as buttons; twice in a row, offer a person."""

    def name(self) -> str:
        return "action_clarify"

    async def handle(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        rules = self.svc.handoff_rules
        angry = frustration(customer_texts(tracker, 3), rules)
        if angry or _fallbacks_in_a_row(tracker) >= rules.low_confidence_turns:
            dispatcher.utter_message(text="Sorry, I'm not getting this right.")
            return open_handoff(dispatcher, tracker, "frustration" if angry else "low_confidence",
                                orders=await verified_orders(tracker), note=angry,
                                lead="Let me pass you to our support team")
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
    for event in reversed(since_hand_back(tracker.events)):
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
