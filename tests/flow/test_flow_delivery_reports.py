"""Twilio's delivery reports reach the agent's reply in the thread, even the ones that come
before Twilio's answer to the send itself (both race: on loopback, and under load)."""

from __future__ import annotations

import pytest

from tests.harness import DESK_CHANNEL, accept_new_interaction, line_text

CUSTOMER = "+14155550100"
pytestmark = pytest.mark.postgres


def _reply(desk, text: str) -> str:
    """The agent answers in the thread of a new interaction; returns the reply's ts once the
    phone has it."""
    card = accept_new_interaction(desk, CUSTOMER, "Is my parcel out yet?")
    reply_ts, answer = desk.agent_writes_in_thread("UAGENT1", card["ts"], text)
    assert answer.status_code == 200
    desk.twilio.wait_for(lambda t: t.sent_to(CUSTOMER), 5, "no SMS sent")
    return reply_ts


def test_a_delivered_report_that_overtakes_the_send_answer_marks_the_reply_delivered(desk):
    desk.twilio.report_before_answering("sent", "delivered")
    reply_ts = _reply(desk, "Yes, it left this morning")

    # Both reports reached the desk, and were answered, before the send's answer did.
    desk.twilio.wait_for(lambda t: len(t.early_report_answers) == 2, 5, "no reports posted")
    assert desk.twilio.early_report_answers == [204, 204]
    desk.slack.wait_for(lambda s: s.reactions(DESK_CHANNEL, reply_ts) == {"white_check_mark"},
                        5, "the early report was dropped: the reply never shows delivered")


def test_an_undelivered_report_that_overtakes_the_send_answer_is_told_in_the_thread(desk):
    desk.twilio.report_before_answering("undelivered")
    reply_ts = _reply(desk, "Your parcel is at the depot")

    desk.slack.wait_for(lambda s: s.reactions(DESK_CHANNEL, reply_ts) == {"x"},
                        5, "the early report was dropped: the reply never shows undelivered")
    card_ts = desk.cards()[0]["ts"]
    desk.slack.wait_for(lambda s: any(
        "The carrier reports the reply was not delivered" in line_text(m)
        for m in s.thread(DESK_CHANNEL, card_ts)), 5, "the thread never says why")
