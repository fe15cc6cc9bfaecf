"""No customer stranded: a rejected or missed text goes back to the queue and is offered
again (to the same agent too, after a back-off), an agent who keeps missing offers is set
Not Ready, a text that waits too long is announced to supervisors with a Reassign, and the
customer may get a holding reply once. Timers are driven by moving the desk's clock."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from bot.config import Settings
from bot.desk.queues import Queue
from bot.slack import ids
from bot.slack.views.supervision import AGENT_ACTION, AGENT_BLOCK
from storage import clock
from tests.harness import (
    DESK_CHANNEL,
    action_value,
    fast_pacer,
    find_button,
    line_text,
    start_desk,
    wait_for_modal,
)

A, B, SUP = "UAGENT1", "UAGENT2", "USUP"
SUP_CHANNEL = "CSUP"
CUSTOMER = "+14155550100"


@pytest.fixture
def controlled_clock():
    yield clock
    clock.reset()


def _desk(tmp_path, **settings):
    values = dict(desk_channel=DESK_CHANNEL)
    values.update(settings)
    desk = start_desk(f"sqlite:///{tmp_path / 'desk.sqlite3'}", agents=(A, B, SUP),
                      settings=Settings(**values))
    desk.slack.add_channel(SUP_CHANNEL, "sms-supervisors")
    return desk


def _later(desk, seconds: float) -> None:
    """Move the desk's clock on and let the worker look at what fell due."""
    clock.travel(timedelta(seconds=seconds))
    desk.runtime.worker.wake()


def _says(desk, message: dict, words: str) -> dict:
    """The message (as it is now) once its blocks say `words`."""
    def drawn(s):
        now = s.message(message["channel"], message["ts"])
        return words in json.dumps(now["blocks"]) and now
    return desk.slack.wait_for(drawn, 5, f"the message never said {words!r}")


def _accept(desk, agent: str, preview: dict) -> dict:
    desk.click(agent, ids.ACCEPT_OFFER, action_value(preview, ids.ACCEPT_OFFER))
    return desk.slack.wait_for(lambda s: desk.cards() and desk.cards()[-1], 5, "no card")


def _home(desk, agent: str, words: str) -> dict:
    """What the agent sees when they open their Home tab."""
    desk.opens_home(agent)
    return desk.slack.wait_for(
        lambda s: words in json.dumps(s.home_view(agent) or {}) and s.home_view(agent), 5,
        f"the Home tab never said {words!r}")


# --- reject and miss: back to the queue, offered again ------------------------------------

def test_on_a_one_agent_desk_a_rejected_text_is_offered_to_them_again_after_the_back_off(
        tmp_path, controlled_clock):
    desk = _desk(tmp_path)  # reoffer_after_seconds: the default 30
    try:
        desk.slash(A, ids.COMMAND_READY)
        desk.customer_texts(CUSTOMER, "hello?")
        first = desk.wait_for_preview(A)
        desk.click(A, ids.REJECT_OFFER, action_value(first, ids.REJECT_OFFER))
        _says(desk, first, "returned to the queue")
        desk.wait_idle()
        assert len(desk.previews_for(A)) == 1  # not straight back: the back-off first

        _later(desk, 31)
        second = desk.wait_for_preview(A, count=2)
        assert "hello?" in json.dumps(second["blocks"])
        _says(desk, first, "offered to you again")
        card = _accept(desk, A, second)
        assert f"<@{A}>" in json.dumps(card["blocks"])
    finally:
        desk.close()


def test_a_rejected_text_goes_at_once_to_the_other_ready_agent_and_the_preview_says_whom(
        tmp_path):
    desk = _desk(tmp_path)
    try:
        desk.slash(A, ids.COMMAND_READY)
        desk.wait_idle()  # A Ready first: A has waited longest and gets the offer
        desk.slash(B, ids.COMMAND_READY)
        desk.customer_texts(CUSTOMER, "hello?")
        first = desk.wait_for_preview(A)
        desk.click(A, ids.REJECT_OFFER, action_value(first, ids.REJECT_OFFER))
        desk.wait_for_preview(B)
        line = _says(desk, first, f"offered to <@{B}>")
        assert "someone else" not in json.dumps(line["blocks"])
    finally:
        desk.close()


def test_the_next_agents_preview_does_not_wait_for_the_rejected_one_to_be_redrawn(tmp_path):
    """Redrawing a preview costs a chat.update, of which Slack allows about 50 a minute for
    the whole workspace. The customer and the next agent wait for the next preview; nobody
    waits for the rejected one to say where its text went."""
    pacer = fast_pacer()
    desk = start_desk(f"sqlite:///{tmp_path / 'desk.sqlite3'}", agents=(A, B), pacer=pacer,
                      settings=Settings(desk_channel=DESK_CHANNEL))
    try:
        desk.slash(A, ids.COMMAND_READY)
        desk.wait_idle()
        desk.slash(B, ids.COMMAND_READY)
        desk.customer_texts(CUSTOMER, "hello?")
        first = desk.wait_for_preview(A)
        desk.wait_idle()
        pacer.rate_limited(desk.team_id, "chat.update", None, 3.0)  # as after a 429
        desk.click(A, ids.REJECT_OFFER, action_value(first, ids.REJECT_OFFER))
        desk.wait_for_preview(B)
        _says(desk, first, f"offered to <@{B}>")  # redrawn once chat.update may go again
        calls = [c for c in desk.slack.calls if not c.failed]
        preview_b = next(i for i, c in enumerate(calls) if c.method == "chat.postMessage"
                         and c.params.get("channel") == B)
        # Redrawn through the Reject click's response_url (no chat.update budget), or, where
        # that fails, by chat.update only after B's preview went.
        redraws_a = [i for i, c in enumerate(calls) if c.method == "chat.update"
                     and c.params.get("ts") == first["ts"]]
        assert not redraws_a or min(redraws_a) > preview_b
    finally:
        desk.close()


def test_an_agent_who_misses_offers_in_a_row_is_set_not_ready_and_told_why(
        tmp_path, controlled_clock):
    desk = _desk(tmp_path, missed_offers_not_ready=2)
    try:
        desk.slash(A, ids.COMMAND_READY)
        desk.customer_texts(CUSTOMER, "hello?")
        first = desk.wait_for_preview(A)
        _later(desk, 61)  # the offer's 60 s run out: one miss
        _says(desk, first, "Not answered in time; it returned to the queue")
        _later(desk, 31)  # nobody else: back to A after the back-off
        second = desk.wait_for_preview(A, count=2)
        _says(desk, first, "offered to you again")
        _later(desk, 61)  # the second miss in a row
        _says(desk, second, "Not answered in time")
        told = desk.slack.wait_for(
            lambda s: next((m for m in desk.previews_for(A)
                            if "missed 2 SMS offers in a row" in m["text"]), None),
            5, "A was not told why they are Not Ready")
        assert "Go Ready" in told["text"]
        home = _home(desk, A, "missed 2 offers in a row")
        assert ":red_circle: You are *Not Ready*" in json.dumps(home["blocks"])

        _later(desk, 31)
        desk.wait_idle()
        assert len([m for m in desk.previews_for(A) if m.get("blocks")]) == 2  # no more offers
    finally:
        desk.close()


def test_an_answered_offer_starts_the_missed_count_again(tmp_path, controlled_clock):
    desk = _desk(tmp_path, missed_offers_not_ready=2)
    try:
        desk.slash(A, ids.COMMAND_READY)
        desk.customer_texts(CUSTOMER, "first")
        first = desk.wait_for_preview(A)
        _later(desk, 61)  # one miss
        _says(desk, first, "Not answered in time")
        _later(desk, 31)
        _accept(desk, A, desk.wait_for_preview(A, count=2))  # an answer: the count restarts

        desk.customer_texts("+14155550101", "second")
        third = desk.wait_for_preview(A, count=3)
        _later(desk, 61)  # one miss again, not two in a row
        _says(desk, third, "Not answered in time")
        desk.wait_idle()
        _home(desk, A, "You are *Ready*")
        assert not any("in a row" in m["text"] for m in desk.previews_for(A))
    finally:
        desk.close()


def test_a_declined_preview_follows_the_text_to_wherever_it_is_now(tmp_path, controlled_clock):
    """A's preview said "offered to B"; B rejects too, so the text is back in the queue, and
    later offered to A again: A's and B's previews each say where it is now."""
    desk = _desk(tmp_path)
    try:
        desk.slash(A, ids.COMMAND_READY)
        desk.wait_idle()
        desk.slash(B, ids.COMMAND_READY)
        desk.customer_texts(CUSTOMER, "hello?")
        first = desk.wait_for_preview(A)
        desk.click(A, ids.REJECT_OFFER, action_value(first, ids.REJECT_OFFER))
        second = desk.wait_for_preview(B)
        _says(desk, first, f"offered to <@{B}>")
        desk.click(B, ids.REJECT_OFFER, action_value(second, ids.REJECT_OFFER))
        _says(desk, second, "returned to the queue")
        _says(desk, first, "returned to the queue")
        _later(desk, 31)
        desk.wait_for_preview(A, count=2)
        _says(desk, second, f"offered to <@{A}>")
        _says(desk, first, "offered to you again")
    finally:
        desk.close()


# --- a text that waits too long -----------------------------------------------------------

def _alerts(desk, where: str) -> list[dict]:
    return [m for m in desk.slack.messages(where) if "has waited" in m["text"]]


def test_a_text_waiting_too_long_is_announced_to_supervisors_with_a_reassign_that_works(
        tmp_path, controlled_clock):
    desk = _desk(tmp_path, supervisors=(SUP,),
                 queues=(Queue(name="Support", supervisor_channel=SUP_CHANNEL),))
    try:
        desk.slash(A, ids.COMMAND_READY)
        desk.customer_texts(CUSTOMER, "Is anyone there?")
        first = desk.wait_for_preview(A)
        desk.click(A, ids.REJECT_OFFER, action_value(first, ids.REJECT_OFFER))
        desk.wait_idle()
        assert _alerts(desk, SUP_CHANNEL) == []

        _later(desk, 121)  # waiting_alert_seconds: the default 120
        alert = desk.slack.wait_for(lambda s: _alerts(desk, SUP_CHANNEL), 5,
                                    "supervisors were not told")[0]
        assert "Support" in alert["text"]
        button = find_button(alert, ids.REASSIGN)
        assert button is not None
        desk.wait_idle()  # the back-off passed too: it is offered to A again meanwhile
        desk.wait_for_preview(A, count=2)

        desk.slash(B, ids.COMMAND_READY)
        desk.wait_idle()
        desk.click(SUP, ids.REASSIGN, button["value"], channel=SUP_CHANNEL,
                   message_ts=alert["ts"])
        modal = wait_for_modal(desk, ids.REASSIGN_VIEW)
        listed = [o["value"] for b in modal["blocks"] if b["type"] == "input"
                  for o in b["element"]["options"]]
        assert listed == [B]
        response = desk.submit_view(SUP, modal, {AGENT_BLOCK: {AGENT_ACTION: {
            "type": "static_select", "selected_option": {"value": B}}}})
        assert response.status_code == 200 and not response.content
        card = _accept(desk, B, desk.wait_for_preview(B))
        assert f"<@{B}>" in json.dumps(card["blocks"])

        _later(desk, 600)
        desk.wait_idle()
        assert len(_alerts(desk, SUP_CHANNEL)) == 1  # one alert per interaction
    finally:
        desk.close()


def test_without_a_supervisor_channel_each_supervisor_gets_the_alert_in_their_dm(
        tmp_path, controlled_clock):
    desk = _desk(tmp_path, supervisors=(SUP,))
    try:
        desk.customer_texts(CUSTOMER, "Is anyone there?")  # nobody is Ready
        desk.wait_idle()
        _later(desk, 121)
        alert = desk.slack.wait_for(lambda s: _alerts(desk, SUP), 5,
                                    "the supervisor got no DM")[0]
        assert find_button(alert, ids.REASSIGN) is not None
        assert _alerts(desk, A) == []
    finally:
        desk.close()


def test_the_customer_gets_the_holding_reply_once_and_the_thread_shows_it(
        tmp_path, controlled_clock):
    holding = "Thanks for your text: all our agents are busy, we will answer you shortly."
    desk = _desk(tmp_path, holding_reply=holding)
    try:
        desk.customer_texts(CUSTOMER, "hello?")  # nobody is Ready
        desk.wait_idle()
        assert desk.twilio.sent == []
        _later(desk, 121)
        desk.twilio.wait_for(lambda t: t.sent, 5, "no holding reply")
        assert [(sms.to, sms.body) for sms in desk.twilio.sent] == [(CUSTOMER, holding)]

        desk.customer_texts(CUSTOMER, "still there?")
        _later(desk, 600)
        desk.wait_idle()
        assert len(desk.twilio.sent) == 1  # once per interaction

        desk.slash(A, ids.COMMAND_READY)
        card = _accept(desk, A, desk.wait_for_preview(A))
        desk.slack.wait_for(lambda s: any("holding reply" in line_text(m) for m in
                                          s.thread(DESK_CHANNEL, card["ts"])),
                            5, "the thread does not show the holding reply")
    finally:
        desk.close()
