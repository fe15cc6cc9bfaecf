"""Session mode end to end: a two-way chat in a thread that expires when messages stop."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.config import Settings
from bot.slack import ids
from storage import clock
from tests.harness import (
    BUSINESS_NUMBER,
    DESK_CHANNEL,
    action_value,
    card_texts,
    has_button,
    line_blocks,
    line_text,
    start_desk,
)

CUSTOMER = "+14155550100"
SESSION_SETTINGS = Settings(desk_channel=DESK_CHANNEL, offer_timeout_seconds=30,
                            session_numbers=(BUSINESS_NUMBER,), session_expiry_minutes=30)
pytestmark = pytest.mark.postgres


@pytest.fixture
def session_desk(database_url, provider):
    desk = start_desk(database_url, settings=SESSION_SETTINGS, sms_provider=provider)
    yield desk
    desk.close()
    clock.reset()


def _travel(desk, minutes: float) -> None:
    clock.travel(timedelta(minutes=minutes))
    desk.runtime.worker.wake()


def _accept_session(desk, first_text: str) -> dict:
    desk.slash("UAGENT1", ids.COMMAND_READY)
    desk.customer_texts(CUSTOMER, first_text)
    preview = desk.wait_for_preview("UAGENT1")
    assert "Session" in str(preview["blocks"]) and "(Session mode)" in preview["text"]
    desk.click("UAGENT1", ids.ACCEPT_OFFER, action_value(preview, ids.ACCEPT_OFFER))
    card = desk.slack.wait_for(lambda s: desk.cards() and desk.cards()[0], 5, "no card")
    # The card, the thread's root, says who holds it and carries the customer's first text.
    assert "<@UAGENT1>" in str(card["blocks"]) and card_texts(card) == [first_text]
    return card


def _wait_line(desk, card: dict, words: str) -> dict:
    return desk.slack.wait_for(
        lambda s: next((m for m in s.thread(DESK_CHANNEL, card["ts"]) if words in line_text(m)
                        or words in str(line_blocks(m))), None), 5, f"no line with {words!r}")


def _chat(desk, card: dict) -> list[str]:
    """The conversation as the thread shows it: the customer's texts on the card, then
    customer lines and the agent's messages."""
    lines = ["customer: " + text
             for text in card_texts(desk.slack.message(DESK_CHANNEL, card["ts"]))]
    for message in desk.slack.thread(DESK_CHANNEL, card["ts"]):
        if message["username"]:
            lines.append("customer: " + line_blocks(message)[0]["text"]["text"])
        elif message["user"] == "UAGENT1":
            lines.append("agent: " + message["text"])
    return lines


def test_a_session_interleaves_both_sides_in_order_and_stays_open(session_desk):
    desk = session_desk
    card = _accept_session(desk, "Hi, I need help with my booking")
    desk.customer_texts(CUSTOMER, "It's for Friday")
    _wait_line(desk, card, "It's for Friday")
    desk.agent_writes_in_thread("UAGENT1", card["ts"], "Sure, which hotel?")
    desk.provider.wait_for(lambda t: len(t.sent) == 1, 5, "first reply not sent")
    desk.customer_texts(CUSTOMER, "The Grand")
    _wait_line(desk, card, "The Grand")
    desk.agent_writes_in_thread("UAGENT1", card["ts"], "Found it, all set!")
    desk.provider.wait_for(lambda t: len(t.sent) == 2, 5, "second reply not sent")
    desk.wait_idle()

    assert _chat(desk, card) == [
        "customer: Hi, I need help with my booking",
        "customer: It's for Friday",
        "agent: Sure, which hotel?",
        "customer: The Grand",
        "agent: Found it, all set!",
    ]
    assert [sms.body for sms in desk.provider.sent] == ["Sure, which hotel?", "Found it, all set!"]
    # Sending does not close a session; only Done does.
    live_card = desk.slack.message(DESK_CHANNEL, card["ts"])
    assert has_button(live_card, ids.MARK_DONE) and "In progress" in str(live_card["blocks"])
    assert len(desk.previews_for("UAGENT1")) == 1  # later texts joined, nothing new offered


def test_a_quiet_session_expires_and_the_next_text_starts_a_new_interaction(session_desk):
    desk = session_desk
    card = _accept_session(desk, "Hello?")
    _travel(desk, 31)
    _wait_line(desk, card, "No message either way for 30 minutes")
    expired = desk.slack.wait_for(
        lambda s: "Session expired" in str(s.message(DESK_CHANNEL, card["ts"])["blocks"])
        and s.message(DESK_CHANNEL, card["ts"]), 5, "card not expired")
    assert has_button(expired, ids.MARK_DONE)

    desk.agent_writes_in_thread("UAGENT1", card["ts"], "Still there?")
    desk.slack.wait_for(lambda s: any("session expired" in e["text"]
                                      for e in s.ephemerals(DESK_CHANNEL)), 5, "no notice")
    assert desk.provider.sent == []

    desk.customer_texts(CUSTOMER, "Sorry, I was away")
    second = desk.wait_for_preview("UAGENT1", count=2)
    assert "Sorry, I was away" in str(second["blocks"])


def test_messages_keep_a_session_alive_for_the_whole_interval(session_desk):
    desk = session_desk
    card = _accept_session(desk, "Hi")
    _travel(desk, 20)
    desk.agent_writes_in_thread("UAGENT1", card["ts"], "Checking now")
    desk.provider.wait_for(lambda t: t.sent, 5, "reply not sent")
    _travel(desk, 20)  # 40 minutes since the start, 20 since the last message
    desk.wait_idle()
    assert "Session expired" not in str(desk.slack.message(DESK_CHANNEL, card["ts"])["blocks"])

    _travel(desk, 11)  # 31 minutes since the last message
    _wait_line(desk, card, "No message either way")
