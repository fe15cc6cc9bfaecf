"""A held reply can't be forgotten: it shows on the agent's message, on the card and on their
Home tab (with the prompt's choices), the prompt comes again after a while, and supervisors
see one that waits too long. Sending or cancelling it takes all of that away."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.config import Settings
from bot.desk.queues import Queue
from bot.slack import ids
from bot.spelling import checker
from storage import clock
from storage.models import Job
from tests.harness import DESK_CHANNEL, action_value, start_desk

A, SUP = "UAGENT1", "USUP"
SUP_CHANNEL = "CSUP"
CUSTOMER = "+14155550100"
HELD_MARK = "pencil2"


@pytest.fixture
def desk(tmp_path):
    checker.preload(["en"])  # as the app does beside start-up: the first check waits for it
    settings = Settings(desk_channel=DESK_CHANNEL, supervisors=(SUP,),
                        queues=(Queue(name="Support", supervisor_channel=SUP_CHANNEL),))
    running = start_desk(f"sqlite:///{tmp_path / 'desk.sqlite3'}", settings=settings,
                         agents=(A, "UAGENT2", SUP))
    running.slack.add_channel(SUP_CHANNEL, "sms-supervisors")
    yield running
    running.close()
    clock.reset()


def _open(desk) -> dict:
    desk.slash(A, ids.COMMAND_READY)
    desk.customer_texts(CUSTOMER, "Where is my parcel?")
    preview = desk.wait_for_preview(A)
    desk.click(A, ids.ACCEPT_OFFER, action_value(preview, ids.ACCEPT_OFFER))
    card = desk.slack.wait_for(lambda s: desk.cards() and desk.cards()[0], 5, "no card")
    assert f"<@{A}>" in str(card["blocks"])  # the card says who holds it
    desk.wait_idle()
    return card


def _prompts(desk) -> list[dict]:
    return [e for e in desk.slack.ephemerals(DESK_CHANNEL) if e["user"] == A
            and ":pencil2:" in str(e.get("blocks"))]


def _card_text(desk, card: dict) -> str:
    return json.dumps(desk.slack.message(DESK_CHANNEL, card["ts"])["blocks"])


def _supervisor_card(desk) -> str:
    return json.dumps([m["blocks"] for m in desk.slack.messages(SUP_CHANNEL)])


def _home(desk) -> dict:
    return desk.slack.home_view(A) or {"blocks": []}


def _home_button(desk, action_id: str) -> dict | None:
    for block in _home(desk)["blocks"]:
        for element in block.get("elements", []) if block["type"] == "actions" else []:
            if element.get("action_id") == action_id:
                return {**element, "block_id": block.get("block_id", "b")}
    return None


def _travel(desk, seconds: float) -> None:
    clock.travel(timedelta(seconds=seconds))
    desk.runtime.worker.wake()


def test_a_held_reply_shows_on_the_message_the_card_and_the_home_tab_until_sent(desk):
    card = _open(desk)
    desk.opens_home(A)
    reply_ts, _ = desk.agent_writes_in_thread(A, card["ts"], "You will recieve it tomorrow")

    desk.slack.wait_for(lambda s: HELD_MARK in s.reactions(DESK_CHANNEL, reply_ts), 5,
                        "no pencil on the held reply")
    desk.slack.wait_for(lambda s: "1 reply waiting for you: spelling" in _card_text(desk, card),
                        5, "the card does not say a reply waits")
    desk.slack.wait_for(lambda s: _home_button(desk, ids.SPELL_SEND_CORRECTED), 5,
                        "the Home tab does not list the held reply")
    home = json.dumps(_home(desk)["blocks"])
    assert "You will recieve it tomorrow" in home and "receive" in home
    assert _home_button(desk, ids.SPELL_CANCEL) and _home_button(desk, ids.SPELL_SEND_ANYWAY)
    desk.wait_idle()
    assert desk.twilio.sent == []

    # Decided on the Home tab (the ephemeral prompt is gone after a reload).
    button = _home_button(desk, ids.SPELL_SEND_CORRECTED)
    desk.act_on_home(A, {"type": "button", "action_id": ids.SPELL_SEND_CORRECTED,
                         "block_id": button["block_id"], "value": button["value"]})
    sms = desk.twilio.wait_for(lambda t: t.sent and t.sent[0], 5, "not sent")
    assert sms.body == "You will receive it tomorrow"
    desk.slack.wait_for(lambda s: HELD_MARK not in s.reactions(DESK_CHANNEL, reply_ts), 5,
                        "the pencil stays after the reply was sent")
    desk.slack.wait_for(lambda s: "waiting for you" not in _card_text(desk, card), 5,
                        "the card still says a reply waits")
    desk.slack.wait_for(lambda s: _home_button(desk, ids.SPELL_SEND_CORRECTED) is None, 5,
                        "the Home tab still lists the sent reply")


def test_a_forgotten_held_reply_is_prompted_again_and_shown_to_supervisors(desk):
    card = _open(desk)
    reply_ts, _ = desk.agent_writes_in_thread(A, card["ts"], "You will recieve it")
    desk.slack.wait_for(lambda s: len(_prompts(desk)) == 1, 5, "no prompt")
    desk.slack.wait_for(lambda s: "In progress" in _supervisor_card(desk), 5,
                        "no supervisor card")
    desk.wait_idle()
    assert "reply held" not in _supervisor_card(desk)  # not yet: it is fresh

    _travel(desk, 121)  # [spelling] remind_after_seconds: 120 by default
    desk.slack.wait_for(lambda s: len(_prompts(desk)) == 2, 5, "the prompt did not come again")
    desk.slack.wait_for(lambda s: "reply held" in _supervisor_card(desk), 5,
                        "supervisors do not see the reply held too long")
    assert f"<@{A}>" in _supervisor_card(desk)

    prompt = _prompts(desk)[-1]
    desk.click(A, ids.SPELL_CANCEL, action_value(prompt, ids.SPELL_CANCEL), channel=DESK_CHANNEL)
    desk.slack.wait_for(lambda s: HELD_MARK not in s.reactions(DESK_CHANNEL, reply_ts), 5,
                        "the pencil stays on a cancelled reply")
    desk.slack.wait_for(lambda s: "reply held" not in _supervisor_card(desk), 5,
                        "supervisors still see a reply that was cancelled")
    desk.slack.wait_for(lambda s: "waiting for you" not in _card_text(desk, card), 5,
                        "the card still says a reply waits")

    _travel(desk, 121)
    desk.wait_idle()
    assert len(_prompts(desk)) == 2  # no reminder of a reply that is no longer held
    assert desk.twilio.sent == []


def _reminders(desk) -> list[str]:
    with desk.db.transaction() as s:
        return list(s.scalars(select(Job.kind).where(Job.state == "pending",
                                                     Job.kind.like("%held_reply%"))))


def test_the_reminder_is_called_off_when_the_reply_is_sent(desk):
    card = _open(desk)
    desk.agent_writes_in_thread(A, card["ts"], "You will recieve it")
    prompt = desk.slack.wait_for(lambda s: _prompts(desk) and _prompts(desk)[0], 5, "no prompt")
    assert len(_reminders(desk)) == 1
    desk.click(A, ids.SPELL_SEND_ANYWAY, action_value(prompt, ids.SPELL_SEND_ANYWAY),
               channel=DESK_CHANNEL)
    desk.twilio.wait_for(lambda t: t.sent, 5, "not sent")
    desk.wait_idle()
    assert _reminders(desk) == []


def test_a_held_reply_of_an_interaction_no_longer_theirs_is_not_sent_and_they_are_told(desk):
    card = _open(desk)
    reply_ts, _ = desk.agent_writes_in_thread(A, card["ts"], "You will recieve it")
    desk.slack.wait_for(lambda s: HELD_MARK in s.reactions(DESK_CHANNEL, reply_ts), 5,
                        "no pencil")
    done = action_value(desk.slack.message(DESK_CHANNEL, card["ts"]), ids.MARK_DONE)
    desk.click(A, ids.MARK_DONE, done, channel=DESK_CHANNEL, message_ts=card["ts"])

    # At once, not at the next reminder: Done closed what the reply was for.
    desk.slack.wait_for(lambda s: any("not sent" in e["text"] and e["user"] == A
                                      for e in s.ephemerals()), 5, "the agent is not told")
    desk.slack.wait_for(lambda s: HELD_MARK not in s.reactions(DESK_CHANNEL, reply_ts), 5,
                        "the pencil stays on a reply that will never be sent")
    asked = len(_prompts(desk))  # 0 or 1: Done may come before the first prompt is posted
    _travel(desk, 121)
    desk.wait_idle()
    assert len(_prompts(desk)) == asked  # no reminder of a reply already let go
    assert desk.twilio.sent == []


def test_a_reply_held_for_a_custom_emoji_is_shown_and_reminded_like_a_spelling_hold(desk):
    card = _open(desk)
    desk.opens_home(A)
    # "Shipped :partyparrot:" as Slack sends it: a custom emoji carries no unicode.
    blocks = [{"type": "rich_text", "block_id": "cE1", "elements": [
        {"type": "rich_text_section", "elements": [
            {"type": "text", "text": "Shipped "},
            {"type": "emoji", "name": "partyparrot"}]}]}]
    reply_ts, _ = desk.agent_writes_in_thread(A, card["ts"], "Shipped :partyparrot:",
                                              blocks=blocks)
    desk.slack.wait_for(lambda s: HELD_MARK in s.reactions(DESK_CHANNEL, reply_ts), 5,
                        "no pencil on the reply held for its custom emoji")
    desk.slack.wait_for(lambda s: "1 reply waiting for you: custom emoji"
                        in _card_text(desk, card), 5, "the card does not say a reply waits")
    desk.slack.wait_for(lambda s: _home_button(desk, ids.CUSTOM_EMOJI_SEND_WITHOUT), 5,
                        "the Home tab does not offer Send without it")
    assert _home_button(desk, ids.SPELL_SEND_CORRECTED) is None  # not a spelling question
    asked = len([e for e in desk.slack.ephemerals(DESK_CHANNEL)
                 if ":partyparrot:" in str(e.get("blocks"))])

    # Forgotten: the custom emoji question (not a spelling one) is asked again.
    try:
        _travel(desk, 121)
        desk.slack.wait_for(lambda s: len([e for e in s.ephemerals(DESK_CHANNEL)
                                           if ":partyparrot:" in str(e.get("blocks"))])
                            > asked, 5, "the question was not asked again")
    finally:
        clock.reset()
    button = _home_button(desk, ids.CUSTOM_EMOJI_SEND_WITHOUT)
    desk.act_on_home(A, {"type": "button", "action_id": ids.CUSTOM_EMOJI_SEND_WITHOUT,
                         "block_id": button["block_id"], "value": button["value"]})
    sms = desk.twilio.wait_for(lambda t: t.sent and t.sent[0], 5, "not sent")
    assert sms.body == "Shipped"
    desk.slack.wait_for(lambda s: HELD_MARK not in s.reactions(DESK_CHANNEL, reply_ts), 5,
                        "the pencil stays after the reply was sent")
