"""The web chat in a real browser on the real stack: the demo store page served by Rasa,
the widget, socket.io, the trained model, the action server and the sandbox store.

Needs Chromium (Debian's `chromium`); Playwright only drives it. With
WISMO_UPDATE_SCREENSHOT=1 the run also refreshes docs/webchat.png.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from wismo.stack import PROJECT, Stack

pytestmark = pytest.mark.e2e

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
WIDGET = "wismo-webchat"  # Playwright's CSS locators reach into its open shadow root
REPLY_TIMEOUT_MS = 20_000
SCROLLED_DOWN = """() => {
  const log = document.querySelector("wismo-webchat").shadowRoot.querySelector(".log");
  return log.scrollTop + log.clientHeight >= log.scrollHeight - 2;
}"""

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if CHROMIUM is None:
        pytest.skip("Chromium is not installed (apt-get install chromium); "
                    "the web chat browser test needs it")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, stack: Stack) -> Iterator[object]:
    """A new visitor (empty localStorage) on the demo store page."""
    context = browser.new_context(viewport={"width": 1000, "height": 720})
    visitor = context.new_page()
    errors: list[str] = []
    visitor.on("pageerror", lambda error: errors.append(str(error)))
    visitor.goto(f"{stack.rasa_url}/webhooks/webchat/demo")
    yield visitor
    context.close()
    assert errors == []


def open_chat(page) -> None:
    page.locator(f"{WIDGET} .launcher").click()
    expect(page.locator(f"{WIDGET} .panel")).to_be_visible()


def say(page, text: str) -> None:
    page.locator(f"{WIDGET} input").fill(text)
    page.keyboard.press("Enter")


def bot_says(page, text: str):
    """The bot bubble containing `text`, once it is shown."""
    bubble = page.locator(f"{WIDGET} .msg.bot .bubble", has_text=text).last
    expect(bubble).to_be_visible(timeout=REPLY_TIMEOUT_MS)
    return bubble


def session_of(page) -> str:
    return page.evaluate("() => localStorage.getItem('wismo-webchat:session')")


def push_greeting(stack: Stack, session: str) -> None:
    """What a store's backend does to message an open page: Rasa's trigger_intent."""
    response = requests.post(
        f"{stack.rasa_url}/conversations/{session}/trigger_intent",
        params={"output_channel": "webchat", "token": stack.settings.rasa_token},
        json={"name": "greet"}, timeout=20,
    )
    assert response.status_code == 200, response.text


def test_a_customer_finds_their_order_and_sees_it_again_after_a_reload(page, stack, tmp_path):
    open_chat(page)
    say(page, "hi")
    page.locator(f"{WIDGET} .choice", has_text="Where is my order?").click()
    bot_says(page, "What's your order number?")
    say(page, "1001")
    bot_says(page, "email address or the postal code")
    say(page, "ava.thompson@example.com")

    reply = bot_says(page, "Your order #1001")
    expect(reply).to_contain_text("with UPS, on its way to Denver, CO")
    expect(page.locator(f"{WIDGET} .typing")).to_be_hidden()
    user_lines = page.locator(f"{WIDGET} .msg.user").all_inner_texts()
    assert user_lines == ["hi", "Where is my order?", "1001", "ava.thompson@example.com"]
    screenshot = (PROJECT / "docs" / "webchat.png" if os.environ.get("WISMO_UPDATE_SCREENSHOT")
                  else tmp_path / "webchat.png")
    page.wait_for_function(SCROLLED_DOWN)  # the log scrolls smoothly to the newest message
    page.screenshot(path=str(screenshot))

    page.reload()
    # The panel stays open across pages of the store, and the history is fetched again.
    reply = bot_says(page, "Your order #1001")
    expect(reply).to_contain_text("on its way to Denver, CO")
    assert page.locator(f"{WIDGET} .msg.user").all_inner_texts() == user_lines
    assert Path(screenshot).stat().st_size < 150_000

    # The reloaded page is a new socket in the same session: a push still reaches it.
    expect(page.locator(f"{WIDGET}[data-state=online]")).to_have_count(1)
    push_greeting(stack, session_of(page))
    bot_says(page, "What can I do for you?")


def test_a_pushed_message_reaches_the_open_page_and_badges_a_closed_one(page, stack):
    open_chat(page)
    expect(page.locator(f"{WIDGET}[data-state=online]")).to_have_count(1)
    greetings = page.locator(f"{WIDGET} .msg.bot .bubble", has_text="What can I do for you?")

    push_greeting(stack, session_of(page))
    expect(greetings).to_have_count(1, timeout=REPLY_TIMEOUT_MS)
    expect(page.locator(f"{WIDGET} .choice", has_text="Where is my order?")).to_be_visible()

    page.locator(f"{WIDGET} .close").click()
    push_greeting(stack, session_of(page))
    expect(page.locator(f"{WIDGET} .badge")).to_have_text("1", timeout=REPLY_TIMEOUT_MS)
    expect(page.locator(f"{WIDGET} .teaser")).to_contain_text("What can I do for you?")
    page.locator(f"{WIDGET} .teaser").click()
    expect(greetings).to_have_count(2)
    expect(page.locator(f"{WIDGET} .badge")).to_be_hidden()


def test_a_web_chat_customer_is_answered_from_the_support_desk(page, browser, stack, tmp_path):
    """The demo's handoff: the customer in the widget, an agent in the sandbox Slack's desk
    page (what `wismo up` opens at :8009), both real pages on the real stack."""
    open_chat(page)
    say(page, "where is my order 1001")
    bot_says(page, "email address or the postal code")
    say(page, "ava.thompson@example.com")
    bot_says(page, "Your order #1001")
    say(page, "can I talk to a real person please")
    handoff = bot_says(page, "passing you to our support team")
    case_id = handoff.inner_text().split("(case ")[1].split(")")[0]

    desk_context = browser.new_context(viewport={"width": 1100, "height": 1250})
    desk = desk_context.new_page()
    desk.goto(stack.slack.url)
    card = desk.locator(".message, .msg, div", has_text=f"Case {case_id}").last
    expect(card).to_be_visible(timeout=REPLY_TIMEOUT_MS)
    form = desk.locator("input[data-ts]").last
    form.fill("Hi Ava, Sam here. It's with UPS and due tomorrow; I'll keep an eye on it.")
    form.press("Enter")
    bot_says(page, "Sam (support): Hi Ava, Sam here.")
    expect(desk.get_by_text("I'll keep an eye on it.").first).to_be_visible()
    # The first reply takes the case: the card says who has it, and ✅ marks the delivery.
    expect(desk.get_by_text("Taken by").first).to_be_visible(timeout=REPLY_TIMEOUT_MS)
    expect(desk.get_by_text("✅ 1").first).to_be_visible(timeout=REPLY_TIMEOUT_MS)
    screenshot = (PROJECT / "docs" / "handoff.png" if os.environ.get("WISMO_UPDATE_SCREENSHOT")
                  else tmp_path / "handoff.png")
    desk.evaluate("() => window.scrollTo(0, 0)")
    desk.screenshot(path=str(screenshot))

    desk.get_by_role("button", name="Hand back to bot").last.click()
    bot_says(page, "You're back with the assistant")
    desk_context.close()
