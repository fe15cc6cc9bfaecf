"""The provider's delivery reports (each provider's, in turn) reach the agent's reply in the
thread, even the ones that come before the provider's answer to the send itself (both race:
on loopback, and under load); and the marks they draw cost as few of the workspace's
reaction calls as they can (a sent reply shows 📤, a delivered one 📤 and ✅, like two
ticks)."""

from __future__ import annotations

import threading

import pytest

from bot.worker.pacing import SlackPacer
from tests.harness import DESK_CHANNEL, accept_new_interaction, fast_pacer, line_text, start_desk

CUSTOMER = "+14155550100"
SENT, DELIVERED, WAITING = "outbox_tray", "white_check_mark", "hourglass_flowing_sand"
pytestmark = [pytest.mark.postgres, pytest.mark.usefixtures("provider")]


def _reaction_calls(desk, ts: str) -> list[tuple[str, str]]:
    return [(call.method, call.params["name"]) for call in desk.slack.calls
            if call.method.startswith("reactions.") and call.params.get("timestamp") == ts]


def _reply(desk, text: str) -> str:
    """The agent answers in the thread of a new interaction; returns the reply's ts once the
    phone has it."""
    card = accept_new_interaction(desk, CUSTOMER, "Is my parcel out yet?")
    reply_ts, answer = desk.agent_writes_in_thread("UAGENT1", card["ts"], text)
    assert answer.status_code == 200
    desk.provider.wait_for(lambda t: t.sent_to(CUSTOMER), 10, "no SMS sent")
    return reply_ts


def test_a_delivered_report_that_overtakes_the_send_answer_marks_the_reply_delivered(desk):
    desk.provider.report_before_answering("sent", "delivered")
    reply_ts = _reply(desk, "Yes, it left this morning")

    # Both reports reached the desk, and were answered, before the send's answer did.
    desk.provider.wait_for(lambda t: len(t.early_report_answers) == 2, 5, "no reports posted")
    assert desk.provider.early_report_answers == [204, 204]
    desk.slack.wait_for(lambda s: s.reactions(DESK_CHANNEL, reply_ts) == {DELIVERED},
                        5, "the early report was dropped: the reply never shows delivered")
    # Delivered was known before the sent mark was drawn: the sent mark never is.
    desk.wait_idle()
    assert _reaction_calls(desk, reply_ts) == [("reactions.add", DELIVERED)]


def test_an_undelivered_report_that_overtakes_the_send_answer_is_told_in_the_thread(desk):
    desk.provider.report_before_answering("undelivered")
    reply_ts = _reply(desk, "Your parcel is at the depot")

    desk.slack.wait_for(lambda s: s.reactions(DESK_CHANNEL, reply_ts) == {"x"},
                        5, "the early report was dropped: the reply never shows undelivered")
    card_ts = desk.cards()[0]["ts"]
    desk.slack.wait_for(lambda s: any(
        "The carrier reports the reply was not delivered" in line_text(m)
        for m in s.thread(DESK_CHANNEL, card_ts)), 5, "the thread never says why")


def test_a_delivered_reply_shows_sent_then_delivered_for_two_reaction_calls(desk):
    reply_ts = _reply(desk, "It is on the van")
    desk.slack.wait_for(lambda s: s.reactions(DESK_CHANNEL, reply_ts) == {SENT}, 5,
                        "no sent mark")
    sms = desk.provider.sent_to(CUSTOMER)[0]

    assert desk.carrier_reports(sms, "delivered").status_code == 204
    desk.slack.wait_for(lambda s: s.reactions(DESK_CHANNEL, reply_ts) == {SENT, DELIVERED}, 5,
                        "delivered does not join sent")
    desk.wait_idle()
    assert _reaction_calls(desk, reply_ts) == [("reactions.add", SENT),
                                               ("reactions.add", DELIVERED)]


class ReactionsSpent(SlackPacer):
    """The workspace's reactions budget spent elsewhere (a storm): every mark waits its turn
    until `refilled` is set."""

    def __init__(self) -> None:
        fast = fast_pacer()
        super().__init__(per_channel_post=fast.per_channel_post,
                         method_limits=fast.method_limits)
        self.refilled = threading.Event()

    def acquire(self, team_id, method, channel, priority, holder=None, message=None):
        if method.startswith("reactions.") and not self.refilled.is_set():
            return 0.2
        return super().acquire(team_id, method, channel, priority, holder, message)


def test_a_reply_delivered_while_its_sent_mark_waited_for_the_budget_costs_one_call(
        database_url, provider):
    pacer = ReactionsSpent()
    desk = start_desk(database_url, pacer=pacer, sms_provider=provider)
    try:
        _delivered_while_the_mark_waited(desk, pacer)
    finally:
        desk.close()


def _delivered_while_the_mark_waited(desk, pacer: ReactionsSpent) -> None:
    reply_ts = _reply(desk, "Out for delivery now")
    assert desk.carrier_reports(desk.provider.sent_to(CUSTOMER)[0], "delivered").status_code == 204

    pacer.refilled.set()
    desk.slack.wait_for(lambda s: s.reactions(DESK_CHANNEL, reply_ts) == {DELIVERED}, 5,
                        "delivered not shown")
    desk.wait_idle()
    assert _reaction_calls(desk, reply_ts) == [("reactions.add", DELIVERED)]


def test_a_slow_send_shows_waiting_then_only_the_newest_state(desk):
    # The answer to the send is late, and delivered is known by the time it comes.
    desk.provider.report_before_answering("sent", "delivered")
    answer = desk.provider.hold_next_answer()
    reply_ts = _reply(desk, "Let me check with the depot")
    desk.slack.wait_for(lambda s: s.reactions(DESK_CHANNEL, reply_ts) == {WAITING}, 5,
                        "a slow send never shows it is waiting")

    answer.set()
    desk.slack.wait_for(lambda s: s.reactions(DESK_CHANNEL, reply_ts) == {DELIVERED}, 5,
                        "delivered not shown")
    desk.wait_idle()
    assert _reaction_calls(desk, reply_ts) == [
        ("reactions.add", WAITING), ("reactions.remove", WAITING),
        ("reactions.add", DELIVERED)]
