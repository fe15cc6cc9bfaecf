"""The Slack delivery scheduler against a fake Slack that rate-limits like Slack: a 429 on one
channel does not delay another; a burst into one channel arrives complete and in order;
many card updates become a few chat.update calls ending in the final state; customers'
messages overtake queued cosmetic updates. These desks run with Slack's own budgets."""

from __future__ import annotations

import time

import pytest

from bot.config import Settings
from bot.desk.queues import Queue
from bot.slack import ids
from bot.slack.views import case as case_view
from bot.slack.views.transfer import COLLEAGUE_ACTION, COLLEAGUE_BLOCK
from bot.worker.pacing import SlackPacer
from tests.harness import (
    BUSINESS_NUMBER,
    DESK_CHANNEL,
    accept_new_interaction,
    action_value,
    card_texts,
    fast_pacer,
    line_text,
    start_desk,
)

SUP_CHANNEL = "CSUPER"
CUSTOMER = "+14155550100"


@pytest.fixture
def slack_paced(database_url):
    desk = start_desk(database_url, pacer=SlackPacer(), settings=Settings(
        desk_channel=DESK_CHANNEL, offer_timeout_seconds=60, agent_capacity=30,
        session_numbers=(BUSINESS_NUMBER,), case_editable=("Counter",),
        queues=(Queue(name="SMS", supervisor_channel=SUP_CHANNEL),)))
    desk.slack.add_channel(SUP_CHANNEL, "sms-supervisors")
    yield desk
    desk.close()


def _customer_lines(desk, thread_ts: str) -> list[str]:
    """The customer's texts as the thread shows them: on its card (the root), then lines."""
    return card_texts(desk.slack.message(DESK_CHANNEL, thread_ts)) + [
        line_text(m).split(": ", 1)[1] for m in desk.slack.thread(DESK_CHANNEL, thread_ts)
        if m.get("username") and "(customer)" in line_text(m)]


def _fields(message: dict) -> list[str]:
    return [f["text"] for b in message["blocks"] for f in b.get("fields", [])]


def test_a_429_on_one_channel_does_not_delay_another(slack_paced):
    desk = slack_paced
    card = accept_new_interaction(desk, CUSTOMER, "first")
    desk.slack.rate_limit_channel(DESK_CHANNEL, 4)
    desk.customer_texts(CUSTOMER, "second, while the desk channel is rate limited")
    time.sleep(0.5)  # the thread's post meets the 429 and its channel pauses

    # Meanwhile a new customer's preview goes to UAGENT1's DM at once.
    started = time.monotonic()
    desk.customer_texts("+14155550111", "I am someone else")
    desk.wait_for_preview("UAGENT1", count=2, timeout=3)
    assert time.monotonic() - started < 2.0

    # The thread gets its line once the channel answers again: once, in order.
    desk.slack.wait_for(lambda s: len(_customer_lines(desk, card["ts"])) == 2, 10,
                        "the line never reached the thread")
    assert _customer_lines(desk, card["ts"]) == [
        "first", "second, while the desk channel is rate limited"]
    # Only the rate-limited channel saw 429s, and few: the scheduler waited, not hammered.
    limited = {channel for _method, channel in desk.slack.rate_limited}
    assert limited <= {DESK_CHANNEL} and len(desk.slack.rate_limited) <= 3


def test_a_burst_into_one_channel_arrives_complete_and_in_order(slack_paced):
    desk = slack_paced
    desk.slack.enforce_rate_limits(per_channel_post=(1.0, 3))
    card = accept_new_interaction(desk, CUSTOMER, "text 0")
    for n in range(1, 12):
        desk.customer_texts(CUSTOMER, f"text {n}")
    desk.slack.wait_for(lambda s: len(_customer_lines(desk, card["ts"])) >= 12, 30,
                        "the burst did not all arrive")
    desk.wait_idle(timeout=30)
    assert _customer_lines(desk, card["ts"]) == [f"text {n}" for n in range(12)]
    # The pacer kept within Slack's per-channel limit: no 429 for the desk channel.
    assert [c for _m, c in desk.slack.rate_limited if c == DESK_CHANNEL] == []
    # Slack is a view: nothing was read back from its history.
    assert not [c for c in desk.slack.calls if c.method.startswith("conversations.history")
                or c.method.startswith("conversations.replies")]


def test_twenty_card_updates_in_a_second_become_a_few_ending_in_the_final_state(slack_paced):
    desk = slack_paced
    card = accept_new_interaction(desk, CUSTOMER, "hello")
    desk.slack.enforce_rate_limits(per_channel_post=None,
                                   methods={"chat.update": (50 / 60, 5)})
    updates_before = len([c for c in desk.slack.calls_to("chat.update")
                          if c.params.get("ts") == card["ts"]])
    interaction_id = card["blocks"] and next(
        e["value"] for b in card["blocks"] if b["type"] == "actions"
        for e in b["elements"] if e.get("action_id") == ids.MARK_DONE)
    modal = {"callback_id": ids.CASE_VIEW, "private_metadata": interaction_id}
    for n in range(1, 21):
        response = desk.submit_view("UAGENT1", modal, {case_view.field_block_id("Counter"): {
            ids.CASE_FIELD: {"type": "plain_text_input", "value": str(n)}}})
        assert response.status_code == 200
    desk.wait_idle(timeout=20)
    desk.slack.wait_for(lambda s: "*Counter*\n20" in _fields(s.message(DESK_CHANNEL, card["ts"])),
                        20, "the card never showed the final state")
    updates = [c for c in desk.slack.calls_to("chat.update")
               if c.params.get("ts") == card["ts"]][updates_before:]
    assert 1 <= len(updates) <= 5
    assert [c for c in updates if c.failed] == []


def test_customer_messages_overtake_queued_cosmetic_updates(slack_paced):
    desk = slack_paced
    card = accept_new_interaction(desk, CUSTOMER, "hello")
    desk.slash("UAGENT1", ids.COMMAND_NOT_READY)  # newcomers wait: supervisor cards only
    desk.wait_idle()
    desk.slack.rate_limit_everything(3)
    for n in range(20):
        desk.customer_texts(f"+1415555{2000 + n:04d}", f"newcomer {n}")
    desk.customer_texts(CUSTOMER, "the customer in a conversation")
    desk.slack.wait_for(lambda s: "the customer in a conversation" in
                        str(_customer_lines(desk, card["ts"])), 15, "never posted")
    desk.wait_idle(timeout=40)
    posts = [c for c in desk.slack.calls_to("chat.postMessage") if not c.failed]
    order = [c.params.get("channel") for c in posts if c.at > posts[0].at]
    customer_at = next(i for i, c in enumerate(posts)
                       if "the customer in a conversation" in str(c.params.get("attachments")))
    supervisor_cards_after = [c for c in posts[customer_at:]
                              if c.params.get("channel") == SUP_CHANNEL]
    # The twenty newcomers' supervisor cards were queued before the customer's line, yet
    # most went out after it.
    assert len(supervisor_cards_after) >= 10, order


def test_a_job_put_back_by_the_pacer_asks_slack_nothing_twice(database_url):
    """A job that makes a call, then is put back before its next one (the pacer, or a 429),
    has spent that call: asking it again on every try spent a budget for nothing (a preview
    once asked chat.getPermalink each time it was put back: 155 calls in 90 s). A
    consultation opens a group DM, then posts in it: with the workspace's posting paused,
    it is put back after the first call, and its next run opens nothing again."""
    pacer = fast_pacer()
    desk = start_desk(database_url, pacer=pacer, agents=("UAGENT1", "UAGENT3"),
                      settings=Settings(desk_channel=DESK_CHANNEL,
                                        session_numbers=(BUSINESS_NUMBER,)))
    try:
        card = accept_new_interaction(desk, CUSTOMER, "My parcel is lost")
        desk.slash("UAGENT3", ids.COMMAND_READY)
        desk.choose("UAGENT1", ids.CARD_MENU,
                    f"{ids.MENU_CONSULT}:{action_value(card, ids.MARK_DONE)}",
                    channel=DESK_CHANNEL, message_ts=card["ts"])
        modal = desk.slack.wait_for(lambda s: next(
            (m for m in s.modals() if m["callback_id"] == ids.CONSULT_VIEW), None), 5,
            "no consult modal")
        desk.wait_idle()
        opened_before = len(desk.slack.calls_to("conversations.open"))
        deferred_before = pacer.usage().deferred
        # As after a 429 for chat.postMessage: nothing is posted for the next second.
        pacer.rate_limited(desk.team_id, "chat.postMessage", None, 1.0)
        desk.submit_view("UAGENT1", modal, {COLLEAGUE_BLOCK: {COLLEAGUE_ACTION: {
            "type": "static_select", "selected_option": {"value": "UAGENT3"}}}})
        desk.slack.wait_for(lambda s: any(s.messages(ch) for ch in s.channels_like("G")), 10,
                            "no consultation")
        desk.wait_idle()
        assert pacer.usage().deferred > deferred_before  # it was put back
        assert len(desk.slack.calls_to("conversations.open")) - opened_before == 1
    finally:
        desk.close()
