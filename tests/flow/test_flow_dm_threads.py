"""Queues whose threads live in each agent's DM with the app (threads = "dm"): the card and
the conversation are in the holder's DM, replies there reach the phone, and a transfer moves
the thread to the colleague's DM with the conversation so far."""

from __future__ import annotations

import pytest

from bot.config import Settings
from bot.desk.queues import Queue
from bot.slack import ids
from bot.slack.listeners.replies import DM_ANSWER
from bot.slack.views.transfer import REASON_ACTION, REASON_BLOCK, TARGET_ACTION, TARGET_BLOCK
from tests.harness import (
    BUSINESS_NUMBER,
    DESK_CHANNEL,
    action_value,
    card_texts,
    has_button,
    start_desk,
    typed_blocks,
)

pytestmark = pytest.mark.postgres

CUSTOMER = "+14155550100"
A, B = "UAGENT1", "UAGENT2"


@pytest.fixture
def dm_desk(database_url):
    desk = start_desk(database_url, agents=(A, B), settings=Settings(
        desk_channel=DESK_CHANNEL, offer_timeout_seconds=30,
        session_numbers=(BUSINESS_NUMBER,),
        queues=(Queue(name="SMS", threads="dm"),)))
    yield desk
    desk.close()


def _card_in_dm(desk, user: str) -> dict:
    dm = desk.slack.dm_channel(user)
    return desk.slack.wait_for(lambda s: next(
        (m for m in s.messages(dm) if has_button(m, ids.OPEN_COMPOSE)), None), 5,
        f"no card in {user}'s DM")


def _writes(desk, user: str, card: dict, text: str) -> None:
    dm = desk.slack.dm_channel(user)
    blocks = typed_blocks(text)
    ts = desk.slack.user_posts(dm, user, text, thread_ts=card["ts"], blocks=blocks)
    desk.event({"type": "message", "channel": dm, "user": user, "text": text, "ts": ts,
                "thread_ts": card["ts"], "channel_type": "im", "event_ts": ts,
                "blocks": blocks})


def _accepted_by_a(desk) -> dict:
    desk.slash(A, ids.COMMAND_READY)
    desk.customer_texts(CUSTOMER, "My parcel is lost")
    preview = desk.wait_for_preview(A)
    desk.click(A, ids.ACCEPT_OFFER, action_value(preview, ids.ACCEPT_OFFER))
    card = _card_in_dm(desk, A)
    desk.wait_idle()
    return card


def test_the_conversation_lives_in_the_agents_dm(dm_desk):
    desk = dm_desk
    card = _accepted_by_a(desk)
    assert desk.slack.messages(DESK_CHANNEL) == []  # nothing in the shared channel
    dm = desk.slack.dm_channel(A)
    # The card, the thread's root, carries the customer's text: one post in the DM.
    assert card_texts(card) == ["My parcel is lost"]
    assert desk.slack.thread(dm, card["ts"]) == []

    _writes(desk, A, card, "Let me check that for you")
    assert desk.twilio.wait_for(lambda t: t.sent, 5, "reply not sent")[0].body == \
        "Let me check that for you"
    desk.customer_texts(CUSTOMER, "Thanks!")
    desk.slack.wait_for(lambda s: "Thanks!" in str(s.thread(dm, card["ts"])), 5,
                        "the customer's next text is not in the DM thread")


def test_a_transfer_moves_the_thread_to_the_colleagues_dm_with_the_story_so_far(dm_desk):
    desk = dm_desk
    card = _accepted_by_a(desk)
    _writes(desk, A, card, "Let me check that for you")
    desk.twilio.wait_for(lambda t: t.sent, 5, "first reply not sent")
    desk.slash(B, ids.COMMAND_READY)
    desk.wait_idle()

    dm_a = desk.slack.dm_channel(A)
    desk.click(A, ids.OPEN_TRANSFER, action_value(card, ids.OPEN_TRANSFER),
               channel=dm_a, message_ts=card["ts"])
    modal = desk.slack.wait_for(lambda s: next(
        (m for m in s.modals() if m["callback_id"] == ids.TRANSFER_VIEW), None), 5, "no modal")
    desk.submit_view(A, modal, {
        TARGET_BLOCK: {TARGET_ACTION: {"type": "static_select",
                                       "selected_option": {"value": B}}},
        REASON_BLOCK: {REASON_ACTION: {"type": "plain_text_input", "value": "Billing"}}})
    offer = desk.wait_for_preview(B)
    desk.click(B, ids.ACCEPT_OFFER, action_value(offer, ids.ACCEPT_OFFER))

    new_card = _card_in_dm(desk, B)
    desk.wait_idle()
    thread_b = str(desk.slack.thread(desk.slack.dm_channel(B), new_card["ts"]))
    assert "Earlier in this conversation" in thread_b
    assert "My parcel is lost" in thread_b and "Let me check that for you" in thread_b
    old_card = desk.slack.message(dm_a, card["ts"])
    assert f"moved to <@{B}>" in old_card["text"] and not has_button(old_card,
                                                                      ids.OPEN_COMPOSE)

    _writes(desk, B, new_card, "Billing here, refund on its way")
    desk.twilio.wait_for(lambda t: len(t.sent) == 2, 5, "B's reply not sent")
    desk.customer_texts(CUSTOMER, "Great")
    desk.slack.wait_for(lambda s: "Great" in str(
        s.thread(s.dm_channel(B), new_card["ts"])), 5, "the next text is not with B")
    desk.wait_idle()
    assert "Great" not in str(desk.slack.thread(dm_a, card["ts"]))
    assert [sms.body for sms in desk.twilio.sent] == ["Let me check that for you",
                                                      "Billing here, refund on its way"]


def test_a_message_to_the_app_outside_any_thread_gets_told_where_to_write(dm_desk):
    desk = dm_desk
    dm = desk.slack.dm_channel(A)
    ts = desk.slack.user_posts(dm, A, "hello?")
    desk.event({"type": "message", "channel": dm, "user": A, "text": "hello?", "ts": ts,
                "channel_type": "im", "event_ts": ts})
    desk.slack.wait_for(lambda s: any(m.get("text") == DM_ANSWER for m in s.messages(dm)), 5,
                        "no answer")


def test_a_supervisors_reassignment_moves_the_thread_too(database_url):
    from bot.slack.views.supervision import AGENT_ACTION, AGENT_BLOCK

    desk = start_desk(database_url, agents=(A, B, "USUPER"), settings=Settings(
        desk_channel=DESK_CHANNEL, offer_timeout_seconds=30, supervisors=("USUPER",),
        session_numbers=(BUSINESS_NUMBER,), queues=(Queue(name="SMS", threads="dm"),)))
    try:
        card = _accepted_by_a(desk)
        desk.slash(B, ids.COMMAND_READY)
        interaction_id = action_value(card, ids.MARK_DONE)
        answer = desk.submit_view("USUPER", {"callback_id": ids.REASSIGN_VIEW,
                                             "private_metadata": interaction_id},
                                  {AGENT_BLOCK: {AGENT_ACTION: {
                                      "type": "static_select", "selected_option": {"value": B}}}})
        assert answer.status_code == 200
        new_card = _card_in_dm(desk, B)
        desk.wait_idle()
        assert "My parcel is lost" in str(desk.slack.thread(desk.slack.dm_channel(B),
                                                            new_card["ts"]))
        assert f"moved to <@{B}>" in desk.slack.message(desk.slack.dm_channel(A),
                                                         card["ts"])["text"]
        assert any("in your DM with the app" in m.get("text", "")
                   for m in desk.slack.messages(desk.slack.dm_channel(B)))
    finally:
        desk.close()
