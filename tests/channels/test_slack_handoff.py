"""The Slack handoff connector on a real Sanic app with Rasa's own tracker and lock
stores, against the sandbox Slack workspace (Web API, Socket Mode, signed Events API).

The customer's channel is a stand-in that collects what was pushed to it: the
connector's job ends at "send this to the customer's channel", which the
end-to-end tests (tests/e2e/test_handoff_e2e.py) follow on to Telegram.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
import requests
from rasa.core.agent import Agent
from rasa.core.channels.channel import (
    CollectingOutputChannel,
    InputChannel,
    register,
)
from rasa.core.lock_store import InMemoryLockStore
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ConversationPaused, UserUttered
from sanic import Blueprint, Sanic

from channels.handoff_relay import HandoffRelay
from channels.slack_handoff import SlackHandoffInput
from tests.channels.host import AppHost
from tests.factories import make_order
from wismo.cases import Case, CaseStore
from wismo.handoff.context import case_context
from wismo.handoff.customer_notes import HANDED_BACK_NOTE, RESOLVED_NOTE
from wismo.sandbox.slack import SlackWorkspace
from wismo.sandbox.slack_payloads import event_callback, message_event, sign
from wismo.stack import PROJECT

CONVERSATION = "telegram:4242"
DOMAIN = Domain.load(str(PROJECT / "domain.yml"))  # the bot's slots, handoff_case among them


class CustomerChannel(InputChannel):
    """Where the customer is: records every push, as the customer would see it."""

    def __init__(self) -> None:
        self.output = CollectingOutputChannel()

    @classmethod
    def name(cls) -> str:
        return "telegram"

    def get_output_channel(self) -> CollectingOutputChannel:
        return self.output

    def blueprint(self, on_new_message) -> Blueprint:
        return Blueprint("customer_channel")

    def texts(self) -> list[str]:
        return [m.get("text", "") for m in self.output.messages]


@dataclass
class World:
    slack: SlackWorkspace
    cases: CaseStore
    connector: SlackHandoffInput
    customer: CustomerChannel
    host: AppHost
    agent: Agent

    def escalate(self, conversation: str = CONVERSATION) -> tuple[Case, dict]:
        """What the action server does: open a case (paused), then wait for its card."""
        order = make_order(number="1047", customer_name="Ana Ruiz")
        context = case_context("customer_asked", [order], conversation_id=conversation,
                               channel="telegram", customer_name="Ana Ruiz",
                               identity="order #1047", today=date(2026, 11, 24))
        self.say(conversation, "I want a person", paused=True)
        time.sleep(0.01)  # the case opens after the turn that asked for it
        case = self.cases.open(conversation, "customer_asked", "1047", "telegram", context)
        self.connector.poster.wake()
        card = self.slack.wait_for(lambda: self._card_of(case.id))
        return self.cases.get(case.id), card

    def say(self, conversation: str, text: str, paused: bool = False) -> None:
        """The customer writes (what Rasa's processor logs for a message)."""
        async def turn() -> None:
            store = self.agent.tracker_store
            tracker = await store.get_or_create_tracker(conversation)
            tracker.update(UserUttered(text, input_channel="telegram"))
            if paused:
                tracker.update(ConversationPaused())
            await store.save(tracker)
        self.host.run(turn())

    def tracker(self, conversation: str = CONVERSATION):
        return self.host.run(self.agent.tracker_store.retrieve(conversation))

    def _card_of(self, case_id: str) -> dict | None:
        return next((m for m in self.slack.messages() if case_id in m.get("text", "")
                     and m.get("blocks") and m.get("thread_ts") in (None, m["ts"])), None)


def make_world(tmp_path, slack: SlackWorkspace, *, socket: bool = True) -> Iterator[World]:
    Sanic.test_mode = True
    cases = CaseStore(tmp_path / "wismo.db")
    connector = SlackHandoffInput(
        bot_token=slack.bot_token, channel=slack.channel_id, cases=cases,
        app_token=slack.app_token if socket else None,
        signing_secret=None if socket else slack.signing_secret, api_url=slack.api_url)
    connector.poster.idle_wait = 0.05
    customer = CustomerChannel()
    agent = Agent(domain=DOMAIN,
                  tracker_store=InMemoryTrackerStore(DOMAIN, event_broker=HandoffRelay(cases)),
                  lock_store=InMemoryLockStore())
    app = Sanic(f"slack_{uuid.uuid4().hex[:8]}")
    app.ctx.agent = agent
    register([customer, connector], app, "/webhooks/")
    with AppHost(app) as host:
        if socket:
            slack.wait_for(lambda: slack.connected)
        yield World(slack, cases, connector, customer, host, agent)


@pytest.fixture
def world(tmp_path) -> Iterator[World]:
    with SlackWorkspace() as slack:
        yield from make_world(tmp_path, slack)


def test_an_escalation_posts_one_case_card_with_the_context_and_buttons(world):
    case, card = world.escalate()
    flat = json.dumps(card["blocks"])
    assert case.id in flat and "Ana Ruiz" in flat and "#1047" in flat
    buttons = [e["action_id"] for b in card["blocks"] if b["type"] == "actions"
               for e in b["elements"]]
    assert buttons == ["wismo_take", "wismo_hand_back", "wismo_resolve"]
    assert (case.slack_channel, case.slack_ts) == (world.slack.channel_id, card["ts"])


def test_the_customers_next_messages_land_in_the_case_thread_in_order(world):
    case, card = world.escalate()
    world.say(CONVERSATION, "it was a gift")
    world.say(CONVERSATION, "for my mum's birthday on friday")
    thread = world.slack.wait_for(lambda: len(world.slack.thread(card["ts"])) >= 2
                                  and world.slack.thread(card["ts"]))
    assert "it was a gift" in thread[0]["text"] and "Ana" in thread[0]["text"]
    assert "birthday on friday" in thread[1]["text"]
    assert "I want a person" not in json.dumps(thread)  # that turn is on the card already


def test_an_agent_reply_reaches_the_customer_and_the_tracker_as_a_human(world):
    case, card = world.escalate()
    reply = world.slack.agent_reply(card["ts"], "Hi Ana, I'm checking with UPS now.")
    world.slack.wait_for(lambda: world.customer.texts())
    assert world.customer.texts() == ["Sam (support): Hi Ana, I'm checking with UPS now."]
    tracker = world.tracker()
    bot = [e for e in tracker.events if e.type_name == "bot"][-1]
    assert bot.text.endswith("checking with UPS now.")
    assert bot.metadata["wismo_human"] is True and bot.metadata["agent"] == "U0SAM"
    assert tracker.is_paused()
    world.slack.wait_for(lambda: world.slack.reactions(reply["ts"]))
    assert world.slack.reactions(reply["ts"]) == ["white_check_mark"]
    assert world.slack.wait_for(lambda: world.cases.get(case.id).status == "taken")
    world.slack.wait_for(lambda: "U0SAM" in json.dumps(world.slack.message(card["ts"])))


def test_an_internal_note_and_the_bots_own_posts_stay_in_slack(world):
    _, card = world.escalate()
    world.slack.agent_reply(card["ts"], "// checking the warehouse first")
    world.slack.agent_reply(card["ts"], "Found it, it ships today.")
    world.slack.wait_for(lambda: world.customer.texts())
    assert world.customer.texts() == ["Sam (support): Found it, it ships today."]


def test_take_then_hand_back_pauses_and_resumes_the_bot_with_a_note(world):
    case, card = world.escalate()
    world.host.run(world.connector.bridge.set_paused(CONVERSATION, False))
    world.slack.click(card["ts"], "wismo_take", user="U0ALEX")
    world.slack.wait_for(lambda: world.tracker().is_paused())
    assert world.cases.get(case.id).assignee == "U0ALEX"
    taken = world.slack.wait_for(lambda: world.slack.message(card["ts"])["blocks"] != card[
        "blocks"] and world.slack.message(card["ts"]))
    assert [e["action_id"] for b in taken["blocks"] if b["type"] == "actions"
            for e in b["elements"]] == ["wismo_hand_back", "wismo_resolve"]
    world.slack.click(card["ts"], "wismo_hand_back", user="U0ALEX")
    world.slack.wait_for(lambda: world.customer.texts())
    assert world.customer.texts() == [HANDED_BACK_NOTE]
    tracker = world.tracker()
    assert not tracker.is_paused() and tracker.get_slot("handoff_case") is None
    assert world.cases.get(case.id).status == "handed_back"
    notes = world.slack.wait_for(lambda: len(world.slack.thread(card["ts"])) >= 2
                                 and world.slack.thread(card["ts"]))
    assert "took the case" in notes[0]["text"] and "handed" in notes[1]["text"]


def test_resolve_closes_the_case_and_tells_the_customer(world):
    case, card = world.escalate()
    world.slack.click(card["ts"], "wismo_resolve")
    world.slack.wait_for(lambda: world.customer.texts())
    assert world.customer.texts() == [RESOLVED_NOTE]
    assert world.cases.get(case.id).status == "resolved"
    assert not world.tracker().is_paused()
    world.say(CONVERSATION, "thanks!")  # back with the bot: no longer relayed
    time.sleep(0.3)
    assert not any("thanks!" in m["text"] for m in world.slack.thread(card["ts"]))


def test_while_slack_is_down_messages_wait_and_then_arrive_in_order(world):
    _, card = world.escalate()
    world.slack.go_down()
    for text in ("first", "second", "third"):
        world.say(CONVERSATION, text)
    time.sleep(0.5)
    assert world.cases.pending_posts() == 3 and world.slack.thread(card["ts"]) == []
    world.slack.come_back()
    thread = world.slack.wait_for(lambda: len(world.slack.thread(card["ts"])) >= 3
                                  and world.slack.thread(card["ts"]), timeout=15)
    assert [m["text"].rsplit(" ", 1)[-1] for m in thread] == ["first", "second", "third"]
    assert world.cases.pending_posts() == 0


def test_a_case_opened_while_slack_is_down_is_posted_when_it_returns(world):
    world.slack.go_down()
    world.say("telegram:77", "agent", paused=True)
    case = world.cases.open("telegram:77", "customer_asked", channel="telegram")
    world.say("telegram:77", "hello?")
    time.sleep(0.3)
    world.slack.come_back()
    card = world.slack.wait_for(lambda: world._card_of(case.id), timeout=15)
    thread = world.slack.wait_for(lambda: world.slack.thread(card["ts"]))
    assert "hello?" in thread[0]["text"]


def test_a_rate_limit_is_waited_out_and_nothing_is_reordered(world):
    _, card = world.escalate()
    world.slack.rate_limit(1, retry_after=1)
    started = time.monotonic()
    world.say(CONVERSATION, "one")
    world.say(CONVERSATION, "two")
    thread = world.slack.wait_for(lambda: len(world.slack.thread(card["ts"])) >= 2
                                  and world.slack.thread(card["ts"]))
    assert time.monotonic() - started >= 1.0
    assert [m["text"].rsplit(" ", 1)[-1] for m in thread] == ["one", "two"]


def test_a_card_slack_cannot_render_goes_out_as_text_and_keeps_its_thread(world):
    world.slack.fail_next("chat.postMessage", "invalid_blocks")
    world.say("telegram:88", "agent", paused=True)
    case = world.cases.open("telegram:88", "customer_asked", channel="telegram")
    world.connector.poster.wake()
    plain = world.slack.wait_for(lambda: next(
        (m for m in world.slack.messages() if case.id in m.get("text", "")), None))
    assert world.slack.wait_for(lambda: world.cases.get(case.id).slack_ts) == plain["ts"]
    world.say("telegram:88", "still there?")
    thread = world.slack.wait_for(lambda: world.slack.thread(plain["ts"]))
    assert "still there?" in thread[0]["text"]


def test_a_customer_left_waiting_is_re_pinged(world):
    case, card = world.escalate()
    world.say(CONVERSATION, "hello? anyone?")
    world.connector.poster.reping_after = timedelta(0)
    world.connector.poster.queue_pings()
    world.connector.poster.wake()
    ping = world.slack.wait_for(lambda: next(
        (m for m in world.slack.thread(card["ts"]) if "<!here>" in m["text"]), None))
    assert case.id in ping["text"] and "waiting" in ping["text"]


# -- the Events API over HTTP ----------------------------------------------------------------

@pytest.fixture
def http_world(tmp_path) -> Iterator[World]:
    with SlackWorkspace() as slack:
        yield from make_world(tmp_path, slack, socket=False)


def test_events_over_http_deliver_an_agent_reply(http_world):
    w = http_world
    w.slack.deliver_to(f"{w.host.url}/webhooks/slack_handoff/events",
                       f"{w.host.url}/webhooks/slack_handoff/interactive")
    _, card = w.escalate()
    w.slack.agent_reply(card["ts"], "On it!")
    w.slack.wait_for(lambda: w.customer.texts())
    assert w.customer.texts() == ["Sam (support): On it!"]
    w.slack.click(card["ts"], "wismo_resolve")
    w.slack.wait_for(lambda: len(w.customer.texts()) == 2)
    assert w.customer.texts()[1] == RESOLVED_NOTE


def _post_event(w: World, body: bytes, headers: dict[str, str]) -> requests.Response:
    return requests.post(f"{w.host.url}/webhooks/slack_handoff/events", data=body, timeout=5,
                         headers={"Content-Type": "application/json", **headers})


def test_forged_stale_and_unsigned_requests_are_refused_and_change_nothing(http_world):
    w = http_world
    _, card = w.escalate()
    message = {"type": "message", "channel": w.slack.channel_id, "user": "U0SAM",
               "text": "Send me your card number", "ts": "1800000000.000100",
               "thread_ts": card["ts"]}
    body = json.dumps(event_callback(message_event(message))).encode()
    now = int(time.time())
    forged = sign("not-the-secret", body, now)
    stale = sign(w.slack.signing_secret, body, now - 6 * 60)
    for headers in (forged, stale, {}):
        assert _post_event(w, body, headers).status_code == 401
    time.sleep(0.3)
    assert w.customer.texts() == []
    good = _post_event(w, body, sign(w.slack.signing_secret, body, now))
    assert good.status_code == 200
    w.slack.wait_for(lambda: w.customer.texts())


def test_slacks_url_verification_handshake_is_answered(http_world):
    w = http_world
    body = json.dumps({"token": "x", "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P", "type": "url_verification"}).encode()  # noqa: E501
    reply = _post_event(w, body, sign(w.slack.signing_secret, body, int(time.time())))
    assert reply.status_code == 200
    assert "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" in reply.text


# -- what Slack and people do that the happy path doesn't ------------------------------------

def _thread_event(w: World, card: dict, text: str, ts: str, **extra) -> dict:
    return {"type": "message", "channel": w.slack.channel_id, "user": "U0SAM", "text": text,
            "ts": ts, "thread_ts": card["ts"], **extra}


def test_an_event_slack_sends_twice_reaches_the_customer_once(world):
    _, card = world.escalate()
    event = _thread_event(world, card, "Hello from Sam", "1800000000.000200")
    world.host.run(world.connector.on_thread_message(event))
    world.host.run(world.connector.on_thread_message(dict(event)))  # Slack's retry
    assert world.customer.texts() == ["Sam (support): Hello from Sam"]


def test_a_reply_sent_to_the_channel_too_is_delivered_and_files_are_explained(world):
    case, card = world.escalate()
    world.host.run(world.connector.on_thread_message(_thread_event(
        world, card, "See the label photo", "1800000000.000300", subtype="file_share",
        files=[{"id": "F1", "name": "label.jpg"}])))
    world.host.run(world.connector.on_thread_message(_thread_event(
        world, card, "Shipped!", "1800000000.000400", subtype="thread_broadcast")))
    assert world.customer.texts() == ["Sam (support): See the label photo",
                                      "Sam (support): Shipped!"]
    note = world.slack.wait_for(lambda: next((m for m in world.slack.thread(card["ts"])
                                              if "Files and images" in m["text"]), None))
    assert "the text was" in note["text"]


def test_a_reply_after_resolve_takes_the_conversation_again(world):
    case, card = world.escalate()
    world.slack.click(card["ts"], "wismo_resolve")
    world.slack.wait_for(lambda: world.customer.texts() == [RESOLVED_NOTE])
    world.slack.agent_reply(card["ts"], "One more thing: what colour was it?")
    world.slack.wait_for(lambda: len(world.customer.texts()) == 2)
    assert world.tracker().is_paused()
    assert world.tracker().get_slot("handoff_case") == case.id
    assert world.slack.wait_for(lambda: world.cases.get(case.id).status == "taken")
    world.say(CONVERSATION, "it was blue")
    world.slack.wait_for(lambda: any("it was blue" in m["text"]
                                     for m in world.slack.thread(card["ts"])))


def test_button_notes_mention_the_person_who_pressed(world):
    _, card = world.escalate()
    world.slack.click(card["ts"], "wismo_take", user="U0ALEX")
    note = world.slack.wait_for(lambda: next((m for m in world.slack.thread(card["ts"])
                                              if "took the case" in m["text"]), None))
    assert "<@U0ALEX> took the case" in note["text"]


def test_a_case_that_cannot_reach_slack_gives_the_customer_the_bot_back(world):
    world.slack.go_down()
    world.say("telegram:55", "agent please", paused=True)
    case = world.cases.open("telegram:55", "customer_asked", channel="telegram")
    assert world.host.run(world.connector.release_stranded(timedelta(0))) == 1
    assert world.customer.texts() == [f"Sorry, I can't reach our support team right now. "
                                      f"Your case {case.id} is saved and they'll reply here as "
                                      "soon as they can; in the meantime I'm back to help with "
                                      "your order."]
    assert not world.tracker("telegram:55").is_paused()
    assert world.host.run(world.connector.release_stranded(timedelta(0))) == 0  # once
    world.slack.come_back()
    card = world.slack.wait_for(lambda: world._card_of(case.id), timeout=15)
    world.slack.agent_reply(card["ts"], "Sorry for the wait!")
    world.slack.wait_for(lambda: len(world.customer.texts()) == 2)
    assert world.tracker("telegram:55").is_paused()


def test_a_post_that_breaks_is_skipped_and_the_queue_goes_on(world):
    world.say("telegram:66", "agent", paused=True)
    broken = world.cases.open("telegram:66", "customer_asked", context={"orders": 5})
    _, card = world.escalate()
    assert card is not None and world._card_of(broken.id) is None


def test_a_forged_button_press_is_refused_and_changes_nothing(http_world):
    w = http_world
    case, card = w.escalate()
    payload = json.dumps({"type": "block_actions", "user": {"id": "U0SAM"},
                          "actions": [{"action_id": "wismo_resolve", "value": case.id}]})
    body = ("payload=" + requests.utils.quote(payload)).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded",
               **sign("not-the-secret", body, int(time.time()))}
    reply = requests.post(f"{w.host.url}/webhooks/slack_handoff/interactive", data=body,
                          headers=headers, timeout=5)
    assert reply.status_code == 401
    time.sleep(0.3)
    assert w.cases.get(case.id).status == "open" and w.customer.texts() == []


def test_an_engine_case_that_cannot_reach_slack_says_nothing_to_the_customer(world):
    world.slack.go_down()
    world.say("telegram:56", "where is my parcel")  # not paused: nobody took it
    world.cases.open("telegram:56", "proactive:lost", "1024", "telegram")
    assert world.host.run(world.connector.release_stranded(timedelta(0))) == 1
    assert world.customer.texts() == []


def test_a_half_set_slack_block_says_what_is_missing(tmp_path, monkeypatch):
    from wismo.errors import ConfigError

    monkeypatch.setenv("WISMO_VAR_DIR", str(tmp_path))
    with pytest.raises(ConfigError, match="SLACK_HANDOFF_CHANNEL"):
        SlackHandoffInput.from_credentials({"bot_token": "xoxb-1"})
    with pytest.raises(ConfigError, match="SLACK_APP_TOKEN .* or SLACK_SIGNING_SECRET"):
        SlackHandoffInput.from_credentials({"bot_token": "xoxb-1", "channel": "C0SUPPORT"})
    made = SlackHandoffInput.from_credentials({"bot_token": "xoxb-1", "channel": "C0SUPPORT",
                                               "app_token": "xapp-1"})
    assert made.mode == "socket" and made.poster.reping_after == timedelta(minutes=15)
