"""The foundation story end to end over HTTP: a customer's SMS reaches an agent in Slack and
the agent's reply reaches the phone."""

from __future__ import annotations

import uuid

import pytest

from bot.slack import ids
from tests.harness import (
    DESK_CHANNEL,
    action_value,
    card_texts,
    has_button,
    rich_text,
    section,
)

CUSTOMER = "+14155550100"
pytestmark = [pytest.mark.postgres, pytest.mark.usefixtures("provider")]


def _ready(desk, *agents: str) -> None:
    for agent in agents:
        response = desk.slash(agent, ids.COMMAND_READY)
        assert response.status_code == 200
        assert "Ready" in response.text


def test_customer_text_reaches_agent_and_reply_reaches_phone(desk):
    _ready(desk, "UAGENT1")
    fields, shown = desk.kit.case_information or ({}, None)
    response = desk.customer_texts(CUSTOMER, "Hi, is my order 1234 shipped?", **fields)
    assert response.status_code == 200

    preview = desk.wait_for_preview("UAGENT1")
    assert "Hi, is my order 1234 shipped?" in str(preview["blocks"])
    assert "+1 415-555-0100" in str(preview["blocks"])
    assert "Page" in str(preview["blocks"]) and "SMS" in str(preview["blocks"])
    assert preview["text"].startswith("New SMS from +1 415-555-0100")
    if shown is not None:
        assert "Case information" in str(preview["blocks"])
        assert shown in str(preview["blocks"])

    desk.click("UAGENT1", ids.ACCEPT_OFFER, action_value(preview, ids.ACCEPT_OFFER))
    card = desk.slack.wait_for(lambda s: desk.cards() and desk.cards()[0], 5, "no card")
    # The card, the thread's root, says who holds it and carries what the customer wrote.
    assert "<@UAGENT1>" in str(card["blocks"]) and has_button(card, ids.MARK_DONE)
    assert "with *+1 415-555-0100*" in str(card["blocks"])
    assert card_texts(card) == ["Hi, is my order 1234 shipped?"]

    # The preview now says what happened.
    updated = desk.slack.wait_for(
        lambda s: not has_button(s.message(preview["channel"], preview["ts"]),
                                 ids.ACCEPT_OFFER) and s.message(preview["channel"],
                                                                 preview["ts"]),
        5, "preview not updated")
    assert "You accepted" in str(updated["blocks"])

    reply_ts, response = desk.agent_writes_in_thread(
        "UAGENT1", card["ts"], "Yes &amp; it ships today, <@UAGENT2> will follow up",
        blocks=rich_text(section({"type": "text", "text": "Yes & it ships today, "},
                                 {"type": "user", "user_id": "UAGENT2"},
                                 {"type": "text", "text": " will follow up"})))
    assert response.status_code == 200
    sms = desk.provider.wait_for(lambda t: t.sent_to(CUSTOMER) and t.sent_to(CUSTOMER)[0],
                                 5, "no SMS sent")
    assert sms.body == "Yes & it ships today, Agent 2 will follow up"
    assert sms.from_ == "+15005550006"
    assert sms.status_callback == desk.url + desk.kit.status_path

    # Page mode: the reply closes the interaction and the card says so, and what it cost.
    closed = desk.slack.wait_for(
        lambda s: "Done — closed by <@UAGENT1> (reply sent)" in str(
            s.message(DESK_CHANNEL, card["ts"])["blocks"])
        and not has_button(s.message(DESK_CHANNEL, card["ts"]), ids.MARK_DONE)
        and s.message(DESK_CHANNEL, card["ts"]), 5, "card not closed")
    assert "Last reply sent as 1 SMS (GSM-7)" in str(closed["blocks"])
    assert card_texts(closed) == ["Hi, is my order 1234 shipped?"]
    desk.slack.wait_for(lambda s: "outbox_tray" in s.reactions(DESK_CHANNEL, reply_ts),
                        5, "no sent mark on the reply")

    # Delivered joins sent, like a second tick (bot/slack/delivery_marks.py).
    assert desk.carrier_reports(sms, "delivered").status_code == 204
    desk.slack.wait_for(
        lambda s: s.reactions(DESK_CHANNEL, reply_ts) == {"outbox_tray", "white_check_mark"},
        5, "delivered not shown")


def test_rejected_offer_goes_to_the_next_ready_agent(desk):
    _ready(desk, "UAGENT1", "UAGENT2")
    desk.customer_texts(CUSTOMER, "Can someone call me?")
    first_agent = desk.slack.wait_for(
        lambda s: next((a for a in ("UAGENT1", "UAGENT2") if desk.previews_for(a)), None),
        5, "nobody got a preview")
    second_agent = "UAGENT2" if first_agent == "UAGENT1" else "UAGENT1"
    first = desk.previews_for(first_agent)[0]
    desk.click(first_agent, ids.REJECT_OFFER, action_value(first, ids.REJECT_OFFER))

    second = desk.wait_for_preview(second_agent)
    assert "Can someone call me?" in str(second["blocks"])
    desk.slack.wait_for(lambda s: "rejected" in str(s.message(first["channel"],
                                                              first["ts"])["blocks"]),
                        5, "first preview not updated")
    assert not has_button(desk.slack.message(first["channel"], first["ts"]), ids.ACCEPT_OFFER)
    desk.click(second_agent, ids.ACCEPT_OFFER, action_value(second, ids.ACCEPT_OFFER))
    card = desk.slack.wait_for(lambda s: desk.cards() and desk.cards()[0], 5, "no card")
    assert f"<@{second_agent}>" in str(card["blocks"])


def test_a_retried_webhook_creates_nothing_new(desk):
    _ready(desk, "UAGENT1")
    sid = "SM" + "1" * 32 if desk.kit.name == "twilio" else str(uuid.uuid4())
    for _ in range(3):
        assert desk.customer_texts(CUSTOMER, "hello", sid=sid).status_code == 200
    desk.wait_for_preview("UAGENT1")
    desk.wait_idle()
    assert len(desk.previews_for("UAGENT1")) == 1


@pytest.mark.parametrize("how", ["unsigned", "wrong key", "tampered"])
def test_a_bad_signature_is_refused_and_nothing_is_stored(desk, how):
    if how not in desk.kit.forgeries:  # Vonage: an unsigned webhook is answered 503
        pytest.skip(f"{desk.kit.name} is not refused that way: see its own tests")
    _ready(desk, "UAGENT1")
    response = desk.kit.forged(desk, CUSTOMER, "+15005550006", "forged", how=how)
    assert response.status_code == 403
    desk.wait_idle()
    assert desk.previews_for("UAGENT1") == []


def test_a_long_reply_tells_the_agent_how_many_segments_it_cost(desk):
    _ready(desk, "UAGENT1")
    desk.customer_texts(CUSTOMER, "Tell me everything")
    preview = desk.wait_for_preview("UAGENT1")
    desk.click("UAGENT1", ids.ACCEPT_OFFER, action_value(preview, ids.ACCEPT_OFFER))
    card = desk.slack.wait_for(lambda s: desk.cards() and desk.cards()[0], 5, "no card")
    # Typed with an emoji (":grinning:" in the event's text): the phone gets the emoji, so
    # the reply is counted, and sent, as UCS-2.
    words = "Thanks for waiting! " * 10
    desk.agent_writes_in_thread(
        "UAGENT1", card["ts"], words + ":grinning:",
        blocks=rich_text(section({"type": "text", "text": words},
                                 {"type": "emoji", "name": "grinning", "unicode": "1f600"})))
    desk.slack.wait_for(
        lambda s: "sent as 4 SMS segments (UCS-2)" in str(
            s.message(DESK_CHANNEL, card["ts"])["blocks"]), 5, "segments not shown on the card")
