"""A whole working day on a two-queue desk, played against the running app (`smsdesk serve`
in its own process) with Slack's rate limits enforced by the fake.

Sales and Support, two agents each. In the day: an agent rejects a text and a colleague gets
it; an agent lets an offer run out; an agent's reply full of emoji, a link, a mention and a
list reaches the phone as they meant it; a reply held by the spelling check and forgotten is
prompted again and sent from the Home tab; a Sales interaction is transferred to the Support
queue; the app is killed with SIGKILL in the middle of a burst of texts and started again.
At the end every customer who texted has an answer from an agent, and nobody got one twice.
"""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from bot.desk import phone
from bot.slack import ids
from bot.slack.views.transfer import REASON_ACTION, REASON_BLOCK, TARGET_ACTION, TARGET_BLOCK
from tests.harness import (
    BUSINESS_NUMBER,
    DESK_CHANNEL,
    action_value,
    desk_process,
    has_button,
    move_process_clock,
    wait_for_modal,
)

pytestmark = [pytest.mark.slow]

SUPPORT_NUMBER, SALES_NUMBER = BUSINESS_NUMBER, "+15005550009"
SALES = ("USALESA", "USALESB")
SUPPORT = ("USUPPORTC", "USUPPORTD")
AGENTS = SALES + SUPPORT
SUPERVISOR = "USUPERVISOR"
WAIT = 30  # seconds: Slack's limits are on, so a busy channel drains at about a post a second

SETTINGS = f"""
[desk]
channel = "{DESK_CHANNEL}"
business_numbers = ["{SUPPORT_NUMBER}", "{SALES_NUMBER}"]
offer_timeout_seconds = 30
reoffer_after_seconds = 30
agent_capacity = 3

[roles]
supervisors = ["{SUPERVISOR}"]

[[queues]]
name = "Support"
numbers = ["{SUPPORT_NUMBER}"]
members = ["{SUPPORT[0]}", "{SUPPORT[1]}"]

[[queues]]
name = "Sales"
numbers = ["{SALES_NUMBER}"]
members = ["{SALES[0]}", "{SALES[1]}"]
"""


@pytest.fixture
def app(tmp_path):
    desk = desk_process(f"sqlite:///{tmp_path / 'day.sqlite3'}", tmp_path, SETTINGS,
                        agents=(*AGENTS, SUPERVISOR))
    desk.slack.enforce_rate_limits()
    yield desk
    desk.close()
    desk.slack.stop()
    desk.twilio.stop()


# --- the customers' side ------------------------------------------------------------------

def _texts(app, customer: str, body: str, to: str) -> bool:
    """True when the app answered the webhook 200 (the text is the desk's to answer)."""
    try:
        return app.customer_texts(customer, body, To=to).status_code == 200
    except httpx.TransportError:
        return False  # the app is down: Twilio would retry; nothing was promised


def _answers_to(app, customer: str) -> list[str]:
    return [sms.body for sms in app.twilio.sent if sms.to == customer]


# --- the agents' side ---------------------------------------------------------------------

def _preview_of(app, agent: str, text: str, timeout: float = WAIT) -> dict:
    """The agent's preview of the customer text `text`, once it has its buttons."""
    def offered(_s):
        return next((p for p in app.previews_for(agent) if text in json.dumps(p["blocks"])
                     and has_button(p, ids.ACCEPT_OFFER)), None)
    return app.slack.wait_for(offered, timeout, f"{text!r} never offered to {agent}")


def _offered_to(app, agents: tuple[str, ...], text: str) -> tuple[str, dict]:
    """Which of `agents` got the preview of `text`, and the preview."""
    def offered(_s):
        for agent in agents:
            for p in app.previews_for(agent):
                if text in json.dumps(p["blocks"]) and has_button(p, ids.ACCEPT_OFFER):
                    return agent, p
        return None
    return app.slack.wait_for(offered, WAIT, f"{text!r} offered to none of {agents}")


def _card_for(app, customer: str) -> dict:
    shown = phone.display(customer)

    def card(_s):
        return next((c for c in reversed(app.cards())
                     if shown in json.dumps(c.get("blocks") or [])
                     and has_button(c, ids.OPEN_COMPOSE)), None)
    return app.slack.wait_for(card, WAIT, f"no open card for {customer}")


def _accept(app, agent: str, preview: dict, customer: str) -> dict:
    app.click(agent, ids.ACCEPT_OFFER, action_value(preview, ids.ACCEPT_OFFER))
    return _card_for(app, customer)


def _replies(app, agent: str, card: dict, text: str, blocks=None) -> None:
    if blocks is None:
        app.agent_writes_in_thread(agent, card["ts"], text)
    else:
        app.agent_writes_in_thread(agent, card["ts"], text, blocks=blocks)


def _answered(app, customer: str, words: str) -> str:
    return app.twilio.wait_for(
        lambda t: next((b for b in _answers_to(app, customer) if words in b), None), WAIT,
        f"{customer} never got {words!r}")


def _spelling_prompts(app, agent: str) -> list[dict]:
    return [e for e in app.slack.ephemerals(DESK_CHANNEL) if e["user"] == agent
            and ids.SPELL_SEND_CORRECTED in json.dumps(e.get("blocks"))]


def _home_button(app, agent: str, action_id: str) -> dict | None:
    for block in (app.slack.home_view(agent) or {"blocks": []})["blocks"]:
        for element in block.get("elements", []) if block["type"] == "actions" else []:
            if element.get("action_id") == action_id:
                return {**element, "block_id": block.get("block_id", "b")}
    return None


# The blocks Slack sends for "Yes :) it arrives *to*day :wave::skin-tone-4: <link|tracking>
# @Priya\n• box 1\n• box 2" typed in the composer, as Slack's rich_text documentation shows
# them: emoji with their code points, style on text, a link with its own text, a user, a list.
EMOJI_REPLY_TEXT = ("Yes :slightly_smiling_face: it arrives to*day* :wave::skin-tone-4: "
                    "<https://track.example.com/1Z|tracking> <@USUPPORTD>\n• box 1\n• box 2")
EMOJI_REPLY_BLOCKS = [{"type": "rich_text", "block_id": "dAy1", "elements": [
    {"type": "rich_text_section", "elements": [
        {"type": "text", "text": "Yes "},
        {"type": "emoji", "name": "slightly_smiling_face", "unicode": "1f642"},
        {"type": "text", "text": " it arrives to"},
        {"type": "text", "text": "day", "style": {"bold": True}},
        {"type": "text", "text": " "},
        {"type": "emoji", "name": "wave", "unicode": "1f44b-1f3fd", "skin_tone": 4},
        {"type": "text", "text": " "},
        {"type": "link", "url": "https://track.example.com/1Z", "text": "tracking"},
        {"type": "text", "text": " "},
        {"type": "user", "user_id": "USUPPORTD"},
        {"type": "text", "text": "\n"},
    ]},
    {"type": "rich_text_list", "style": "bullet", "indent": 0, "border": 0, "elements": [
        {"type": "rich_text_section", "elements": [{"type": "text", "text": "box 1"}]},
        {"type": "rich_text_section", "elements": [{"type": "text", "text": "box 2"}]},
    ]},
]}]
EMOJI_REPLY_ON_THE_PHONE = ("Yes \U0001F642 it arrives today \U0001F44B\U0001F3FD tracking "
                            "(https://track.example.com/1Z) Agent D\n• box 1\n• box 2")


def test_a_working_day_on_a_two_queue_desk_leaves_no_customer_unanswered(app, tmp_path):
    app.start()
    for agent in AGENTS:
        app.slash(agent, ids.COMMAND_READY)
    texted: dict[str, str] = {}  # customer -> the queue's number they texted

    # 09:00 A Sales text. Whoever is offered it rejects it; their colleague gets it at once,
    # and the rejecter's preview says who (not "someone else").
    texted["+14155550101"] = SALES_NUMBER
    assert _texts(app, "+14155550101", "Do you have the blue one in stock?", SALES_NUMBER)
    rejecter, preview = _offered_to(app, SALES, "blue one in stock")
    colleague = SALES[1 - SALES.index(rejecter)]
    app.click(rejecter, ids.REJECT_OFFER, action_value(preview, ids.REJECT_OFFER))
    taken = _preview_of(app, colleague, "blue one in stock")
    app.slack.wait_for(lambda s: f"offered to <@{colleague}>" in json.dumps(
        s.message(preview["channel"], preview["ts"])["blocks"]), WAIT,
        "the rejecter's preview does not say who has it now")
    card = _accept(app, colleague, taken, "+14155550101")
    _replies(app, colleague, card, "Yes we have it in blue")
    assert _answered(app, "+14155550101", "we have it in blue") == "Yes we have it in blue"

    # 09:20 A Support text whose offer runs out: it goes to the other Support agent.
    texted["+14155550102"] = SUPPORT_NUMBER
    assert _texts(app, "+14155550102", "My parcel has not arrived", SUPPORT_NUMBER)
    misser, _ = _offered_to(app, SUPPORT, "parcel has not arrived")
    other = SUPPORT[1 - SUPPORT.index(misser)]
    move_process_clock(app, 31)
    taken = _preview_of(app, other, "parcel has not arrived")
    card = _accept(app, other, taken, "+14155550102")
    # An answer typed the way agents type: emoji, bold inside a word, a link, a mention, a list.
    _replies(app, other, card, EMOJI_REPLY_TEXT, blocks=EMOJI_REPLY_BLOCKS)
    assert _answered(app, "+14155550102", "it arrives") == EMOJI_REPLY_ON_THE_PHONE

    # 09:40 A reply held by the spelling check, and forgotten (the agent reloaded Slack):
    # marked on the message, prompted again after the reminder delay, sent from the Home tab.
    texted["+14155550104"] = SALES_NUMBER
    assert _texts(app, "+14155550104", "When does my order come?", SALES_NUMBER)
    seller, preview = _offered_to(app, SALES, "my order come")
    card = _accept(app, seller, preview, "+14155550104")
    reply_ts, _ = app.agent_writes_in_thread(seller, card["ts"], "You will recieve it tomorrow")
    app.slack.wait_for(lambda s: "pencil2" in s.reactions(DESK_CHANNEL, reply_ts), WAIT,
                       "the held reply is not marked")
    asked = len(_spelling_prompts(app, seller))
    move_process_clock(app, 121)
    app.slack.wait_for(lambda s: len(_spelling_prompts(app, seller)) > asked, WAIT,
                       "the forgotten reply was not prompted again")
    app.opens_home(seller)
    button = app.slack.wait_for(lambda s: _home_button(app, seller, ids.SPELL_SEND_CORRECTED),
                                WAIT, "the Home tab does not list the held reply")
    app.act_on_home(seller, {"type": "button", "action_id": ids.SPELL_SEND_CORRECTED,
                             "block_id": button["block_id"], "value": button["value"]})
    assert _answered(app, "+14155550104", "tomorrow") == "You will receive it tomorrow"

    # 10:00 A Sales text that is Support's business: transferred to the Support queue, where a
    # Support agent takes it and answers.
    texted["+14155550103"] = SALES_NUMBER
    assert _texts(app, "+14155550103", "My invoice is wrong", SALES_NUMBER)
    seller, preview = _offered_to(app, SALES, "invoice is wrong")
    card = _accept(app, seller, preview, "+14155550103")
    app.click(seller, ids.OPEN_TRANSFER, action_value(card, ids.OPEN_TRANSFER),
              channel=DESK_CHANNEL, message_ts=card["ts"])
    modal = wait_for_modal(app, ids.TRANSFER_VIEW)
    assert app.submit_view(seller, modal, {
        TARGET_BLOCK: {TARGET_ACTION: {"type": "static_select", "selected_option": {
            "text": {"type": "plain_text", "text": "Queue Support"},
            "value": "queue:Support"}}},
        REASON_BLOCK: {REASON_ACTION: {"type": "plain_text_input", "value": "Billing"}},
    }).status_code == 200
    helper, preview = _offered_to(app, SUPPORT, "invoice is wrong")
    app.click(helper, ids.ACCEPT_OFFER, action_value(preview, ids.ACCEPT_OFFER))
    app.slack.wait_for(lambda s: f"<@{helper}>" in json.dumps(
        s.message(DESK_CHANNEL, card["ts"])["blocks"]), WAIT, "the card never moved")
    _replies(app, helper, card, "I have corrected your invoice")
    _answered(app, "+14155550103", "corrected your invoice")
    _replies(app, seller, card, "Seller here")  # no longer theirs: an internal note

    # 11:00 A burst of texts to both queues, and the app dies in the middle of it.
    burst = {f"+1415555{n:04d}": (SALES_NUMBER if n % 2 else SUPPORT_NUMBER)
             for n in range(201, 209)}
    answered_200: list[str] = []
    app.slack.stall_next("chat.postMessage", times=2)  # two previews on their way to Slack

    def customers() -> None:
        for customer, number in burst.items():
            if _texts(app, customer, f"Burst question from {customer}", number):
                answered_200.append(customer)
            time.sleep(0.2)

    sending = threading.Thread(target=customers)
    sending.start()
    app.slack.wait_for(lambda s: len(s.stalled) == 2 and len(answered_200) >= 3, WAIT,
                       "the burst never reached Slack")
    app.kill()
    sending.join(WAIT)
    app.start()
    texted.update({c: burst[c] for c in answered_200})
    assert len(answered_200) >= 3

    # Every text the app took before it died is offered, in its queue, and answered.
    for customer in answered_200:
        members = SALES if burst[customer] == SALES_NUMBER else SUPPORT
        agent, preview = _offered_to(app, members, f"Burst question from {customer}")
        card = _accept(app, agent, preview, customer)
        _replies(app, agent, card, "Thanks for waiting, here is your answer")
        _answered(app, customer, "here is your answer")

    # The end of the day: every customer has an agent's answer, and none got one twice.
    app.wait_idle(WAIT)
    unanswered = [c for c in texted if not _answers_to(app, c)]
    assert not unanswered, f"customers with no answer: {unanswered}"
    doubled = {c: n for c in texted
               if (n := max(_answers_to(app, c).count(b) for b in _answers_to(app, c))) > 1}
    assert not doubled, f"customers who got an answer twice: {doubled}"
    assert not re.search(r":[a-z_]+:", " ".join(sms.body for sms in app.twilio.sent))
    assert not any("Seller here" in b for b in _answers_to(app, "+14155550103"))

    # The supervisor's account of the day (`smsdesk report`) tells the same story: an
    # interaction per customer, each answered, none abandoned; one reject, one missed offer,
    # one transfer; the invoice waited in Sales and ended in Support.
    rows = {row["interaction_id"]: row for row in _report_rows(app, tmp_path)}
    assert len(rows) == len(texted)
    assert all(row["first_response_seconds"] and row["abandoned"] == "no"
               for row in rows.values())
    assert sum(int(row["rejects"]) for row in rows.values()) == 1
    assert sum(int(row["missed_offers"]) for row in rows.values()) == 1
    assert sum(int(row["transfers"]) for row in rows.values()) == 1
    assert [(row["waited_in"], row["queue"]) for row in rows.values()
            if row["waited_in"] != row["queue"]] == [("Sales", "Support")]
    # Texts in and out on the report are the ones the phones sent and received.
    assert sum(int(row["texts_in"]) for row in rows.values()) == len(texted)
    assert sum(int(row["texts_out"]) for row in rows.values()) == len(app.twilio.sent)


def _report_rows(app, tmp_path) -> list[dict[str, str]]:
    """`smsdesk report` over yesterday to tomorrow (the day's clock was moved on), as CSV."""
    today = datetime.now(UTC).date()
    out = tmp_path / "day.csv"
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "report", "--from",
         (today - timedelta(days=1)).isoformat(), "--to", (today + timedelta(days=1)).isoformat(),
         "--csv", str(out)], env=app.env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    with out.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))
