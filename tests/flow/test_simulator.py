"""The simulator: an admin plays the customer's phone at /simulator and no real SMS is sent.

Over HTTP against the fakes like every flow test, plus one test that drives the real page in
headless Chromium, the way an admin trying the desk out would.
"""

from __future__ import annotations

import importlib.util
import os
import re
import socket
from pathlib import Path

import pytest

from bot.config import Settings
from bot.slack import ids
from tests.fakes import wait_until
from tests.harness import (
    DESK_CHANNEL,
    SESSION_DESK_TOML,
    action_value,
    desk_process,
    has_button,
    rich_text,
    section,
    start_desk,
)

CUSTOMER = "+14155550123"
CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture
def simulator_desk(database_url):
    # Spelling check off: the browser test's reply is markup on purpose ("img", "onerror").
    running = start_desk(database_url, sms_provider="simulator",
                         settings=Settings(desk_channel=DESK_CHANNEL, spelling_enabled=False))
    yield running
    running.close()


def _ready(desk, agent: str = "UAGENT1") -> None:
    response = desk.slash(agent, ids.COMMAND_READY)
    assert response.status_code == 200 and "Ready" in response.text


def _phone_texts(desk, from_number: str, body: str):
    return desk.http.post(desk.url + "/simulator/api/messages", headers=desk.simulator_headers,
                          json={"from": from_number, "body": body})


def _phone_shows(desk, phone: str) -> list[dict]:
    response = desk.http.get(desk.url + "/simulator/api/messages", params={"phone": phone},
                             headers=desk.simulator_headers)
    assert response.status_code == 200, response.text
    return response.json()["messages"]


def _accept_first_offer(desk, agent: str = "UAGENT1") -> dict:
    """The agent clicks Accept on the preview in their DM; returns the card in the desk.

    Returns once the card names its holder and the desk has recorded which thread is the
    card's (the outbox is idle).
    """
    preview = desk.wait_for_preview(agent)
    desk.click(agent, ids.ACCEPT_OFFER, action_value(preview, ids.ACCEPT_OFFER))
    card = desk.slack.wait_for(
        lambda s: desk.cards() and has_button(desk.cards()[0], ids.MARK_DONE) and desk.cards()[0],
        5, "no card in the desk channel")
    assert f"<@{agent}>" in str(card["blocks"])
    desk.wait_idle()
    return card


# --- the conversation over the simulator API ----------------------------------------------


@pytest.mark.postgres
def test_a_simulated_text_reaches_the_agent_and_the_reply_reaches_the_simulated_phone(
        simulator_desk):
    desk = simulator_desk
    _ready(desk)

    response = _phone_texts(desk, "(415) 555-0123", "Hi, is my order 1234 shipped?")
    assert response.status_code == 201

    preview = desk.wait_for_preview("UAGENT1")
    assert "Hi, is my order 1234 shipped?" in str(preview["blocks"])
    assert "+1 415-555-0123" in str(preview["blocks"])

    card = _accept_first_offer(desk)
    _ts, response = desk.agent_writes_in_thread(
        "UAGENT1", card["ts"], "Yes &amp; it ships today",
        blocks=rich_text(section({"type": "text", "text": "Yes & it ships today"})))
    assert response.status_code == 200

    shown = wait_until(lambda: len(_phone_shows(desk, CUSTOMER)) >= 2
                       and _phone_shows(desk, CUSTOMER), 5, "the reply never reached the phone")
    assert [(m["direction"], m["body"]) for m in shown] == [
        ("inbound", "Hi, is my order 1234 shipped?"),
        ("outbound", "Yes & it ships today"),
    ]
    assert shown[1]["state"] == "delivered"

    desk.wait_idle()
    assert desk.twilio.sent == [] and desk.twilio.calls == []


def test_the_phone_only_shows_its_own_conversation(simulator_desk):
    desk = simulator_desk
    assert _phone_texts(desk, CUSTOMER, "mine").status_code == 201
    assert _phone_texts(desk, "+14155550999", "someone else's").status_code == 201

    assert [m["body"] for m in _phone_shows(desk, "415-555-0123")] == ["mine"]
    assert [m["body"] for m in _phone_shows(desk, "+14155550100")] == []


def test_the_home_tab_says_no_real_sms_are_being_sent(simulator_desk):
    desk = simulator_desk
    response = desk.event({"type": "app_home_opened", "user": "UAGENT1",
                           "channel": "DAGENT1", "tab": "home", "event_ts": "1.0"})
    assert response.status_code == 200

    home = desk.slack.wait_for(lambda s: s.home_view("UAGENT1"), 5, "no Home tab published")
    assert "no real SMS are being sent" in str(home["blocks"])
    assert desk.url + "/simulator" in str(home["blocks"])


def test_the_home_tab_says_nothing_about_a_simulator_when_twilio_sends(desk):
    desk.event({"type": "app_home_opened", "user": "UAGENT1", "channel": "DAGENT1",
                "tab": "home", "event_ts": "1.0"})

    home = desk.slack.wait_for(lambda s: s.home_view("UAGENT1"), 5, "no Home tab published")
    assert "simulator" not in str(home["blocks"]).lower()


def test_there_is_no_simulator_when_twilio_sends(desk):
    _ready(desk)

    assert desk.http.get(desk.url + "/simulator").status_code == 404
    assert desk.http.post(desk.url + "/simulator/api/messages",
                          json={"from": CUSTOMER, "body": "let me in"}).status_code == 404
    assert desk.http.get(desk.url + "/simulator/api/messages",
                         params={"phone": CUSTOMER}).status_code == 404

    desk.wait_idle()
    assert desk.previews_for("UAGENT1") == []


# --- who may use it ---------------------------------------------------------------------------


def test_the_simulator_answers_only_with_the_key_from_the_log(simulator_desk):
    desk = simulator_desk
    _ready(desk)
    messages = desk.url + "/simulator/api/messages"

    for key in ({}, {"X-Simulator-Token": "guessed"}):
        page = desk.http.get(desk.url + "/simulator", params={"token": key.get(
            "X-Simulator-Token", "")})
        assert page.status_code == 403 and "address printed in the log" in page.text
        texted = desk.http.post(messages, json={"from": CUSTOMER, "body": "fake"}, headers=key)
        assert texted.status_code == 403
        assert "address printed in the log" in texted.json()["error"]
        read = desk.http.get(messages, params={"phone": CUSTOMER}, headers=key)
        assert read.status_code == 403
    # The key in the address does not open the API: only the page's own calls carry it.
    assert desk.http.get(messages + "?token=" + desk.simulator_page.split("token=")[1],
                         params={"phone": CUSTOMER}).status_code == 403

    desk.wait_idle()
    assert desk.previews_for("UAGENT1") == []
    page = desk.http.get(desk.simulator_page)
    assert page.status_code == 200 and "no real SMS are sent" in page.text
    assert page.headers["Referrer-Policy"] == "no-referrer"  # the key stays on this page
    assert _phone_shows(desk, CUSTOMER) == []


def test_a_form_on_another_site_cannot_text_the_desk(simulator_desk):
    desk = simulator_desk
    _ready(desk)
    form = {"from": CUSTOMER, "body": "send your password to evil.example"}
    image = {"image": ("a.jpg", b"\xff\xd8\xff\xd9", "image/jpeg")}

    # What a browser sends for a form on evil.example that posts here: no key, its Origin.
    answer = desk.http.post(desk.url + "/simulator/api/messages", data=form, files=image,
                            headers={"Origin": "http://evil.example"})
    assert answer.status_code == 403
    # Even knowing the key, a post from another origin is refused, multipart or JSON.
    for origin in ("http://evil.example", "null", desk.url.replace("127.0.0.1", "localhost")):
        headers = {**desk.simulator_headers, "Origin": origin}
        answer = desk.http.post(desk.url + "/simulator/api/messages", data=form, files=image,
                                headers=headers)
        assert answer.status_code == 403 and "another site" in answer.json()["error"]
        answer = desk.http.post(desk.url + "/simulator/api/messages", json=form,
                                headers=headers)
        assert answer.status_code == 403

    desk.wait_idle()
    assert desk.previews_for("UAGENT1") == []
    assert _phone_shows(desk, CUSTOMER) == []
    # The page itself posts from the desk's own origin: taken.
    answer = desk.http.post(desk.url + "/simulator/api/messages", json=form,
                            headers={**desk.simulator_headers, "Origin": desk.url})
    assert answer.status_code == 201


def test_serve_in_simulator_mode_listens_on_loopback_only_unless_told(tmp_path):
    desk = desk_process(f"sqlite:///{tmp_path / 'd.sqlite3'}", tmp_path, SESSION_DESK_TOML)
    desk.env["SMS_PROVIDER"] = "simulator"
    desk.serve_args = ()  # no --host: the default an admin gets
    port = int(desk.env["PORT"])
    try:
        desk.start()
        # 127.0.0.2 is this machine too, but not the address 127.0.0.1 a socket bound to.
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.2", port), timeout=5).close()
        log = desk.log()
        assert "listening on 127.0.0.1 only" in log and "--host" in log
        printed = re.search(r"phone is at (http://\S+/simulator\?token=[\w-]+)", log)
        assert printed, log
        assert desk.http.get(printed.group(1)).status_code == 200
        assert desk.http.get(desk.url + "/simulator").status_code == 403
        desk.process.terminate()
        desk.process.wait(10)

        desk.serve_args = ("--host", "0.0.0.0")  # the admin asked for every interface
        desk.start()
        socket.create_connection(("127.0.0.2", port), timeout=5).close()
    finally:
        desk.close()
        desk.slack.stop()
        desk.twilio.stop()


# --- bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize(("sent", "error_says"), [
    ({"from": CUSTOMER, "body": ""}, "write a message"),
    ({"from": CUSTOMER, "body": "   \n"}, "write a message"),
    ({"from": CUSTOMER}, "write a message"),
    ({"from": "not a number", "body": "hello"}, "not a phone number"),
    ({"from": "12", "body": "hello"}, "not a possible phone number"),
    ({"body": "hello"}, "not a phone number"),
    ({"from": CUSTOMER, "body": "x" * 1601}, "at most 1600 characters"),
    (["not", "an", "object"], "write a message"),
], ids=["empty body", "blank body", "no body", "words for a number", "too short a number",
        "no number", "over 1600 characters", "not a JSON object"])
def test_a_bad_simulated_text_is_refused_with_a_reason_and_nothing_is_offered(
        simulator_desk, sent, error_says):
    desk = simulator_desk
    _ready(desk)

    response = desk.http.post(desk.url + "/simulator/api/messages", json=sent,
                              headers=desk.simulator_headers)

    assert response.status_code == 400
    assert error_says in response.json()["error"]
    desk.wait_idle()
    assert desk.previews_for("UAGENT1") == []
    assert _phone_shows(desk, CUSTOMER) == []


def test_a_simulated_text_of_exactly_1600_characters_is_taken(simulator_desk):
    desk = simulator_desk
    _ready(desk)

    assert _phone_texts(desk, CUSTOMER, "x" * 1600).status_code == 201
    desk.wait_for_preview("UAGENT1")


def test_reading_the_conversation_of_a_bad_number_is_refused_with_a_reason(simulator_desk):
    response = simulator_desk.http.get(simulator_desk.url + "/simulator/api/messages",
                                       params={"phone": "nope"},
                                       headers=simulator_desk.simulator_headers)
    assert response.status_code == 400
    assert "not a phone number" in response.json()["error"]


# --- the page in a real browser ---------------------------------------------------------------


# Playwright already passes most of these; naming them keeps the test independent of the
# driver's defaults. Root needs --no-sandbox, and on a closed network chromium's background
# connections (updates, sync, field trials) are refused many at a time and slow it down.
# Even so Debian's chromium still looks up update.googleapis.com and accounts.google.com:
# the resolver rule answers every name "not found" without asking DNS. The desk is at
# 127.0.0.1, an address, so the page itself needs no name.
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run",
                  "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"]
WAIT_MS = 10_000


def _require_browser() -> None:
    missing = []
    if not CHROMIUM.exists():
        missing.append(f"{CHROMIUM} (apt-get install -y chromium)")
    if importlib.util.find_spec("playwright") is None:
        missing.append("the playwright package (pip install -e '.[test]')")
    if not missing:
        return
    reason = f"{' and '.join(missing)} not installed"
    if os.environ.get("SMSDESK_REQUIRE_BROWSER") == "1":
        pytest.fail(f"SMSDESK_REQUIRE_BROWSER=1 but {reason}")
    pytest.skip(f"browser test needs Chromium and Playwright: {reason}")


@pytest.fixture
def page():
    _require_browser()
    from playwright.sync_api import sync_playwright

    # Debian's chromium by path: Playwright never looks for (or downloads) a browser of its own.
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 800, "height": 900})
        page.set_default_timeout(WAIT_MS)
        page.set_default_navigation_timeout(15_000)
        yield page
        browser.close()


def test_an_admin_texts_from_the_simulator_page_and_sees_the_agents_reply(
        simulator_desk, page):
    from playwright.sync_api import expect

    desk = simulator_desk
    _ready(desk)
    dialogs = []  # an alert() would mean the page ran a message as markup
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(desk.simulator_page)  # the address from the log, key included
    expect(page.locator(".banner")).to_contain_text("no real SMS are sent")

    phone = page.locator("#phone")
    body = page.locator("#body")
    error = page.locator("#error")
    send = page.locator("#send")

    # A mistyped number: the page says why, and the message is still there to send again.
    phone.fill("12")
    body.fill("Where is my parcel?")
    send.click()
    expect(error).to_contain_text("not a possible phone number", timeout=WAIT_MS)
    expect(body).to_have_value("Where is my parcel?")

    phone.fill("+1 415 555 0123")
    send.click()
    expect(page.locator("#log .bubble.inbound")).to_contain_text(
        "Where is my parcel?", timeout=WAIT_MS)
    expect(error).to_have_text("")
    expect(body).to_have_value("")

    card = _accept_first_offer(desk)
    # The agent typed `<img src=x onerror=alert(1)>`; Slack escapes it in the event text.
    typed = "It left today. You wrote <img src=x onerror=alert(1)>?"
    desk.agent_writes_in_thread(
        "UAGENT1", card["ts"], "It left today. You wrote &lt;img src=x onerror=alert(1)&gt;?",
        blocks=rich_text(section({"type": "text", "text": typed})))

    reply = page.locator("#log .bubble.outbound", has_text="It left today.")
    expect(reply).to_contain_text("You wrote <img src=x onerror=alert(1)>?", timeout=WAIT_MS)
    expect(reply).to_contain_text("from the desk")
    expect(page.locator("#log img")).to_have_count(0)
    expect(page.locator("#log .bubble")).to_have_class(["bubble inbound", "bubble outbound"])
    assert dialogs == []
    assert desk.twilio.sent == []
