"""Instant transfer and consultation end to end, over HTTP against the fakes."""

from __future__ import annotations

import pytest

from bot.config import Settings
from bot.slack import ids
from bot.slack.views.transfer import (
    COLLEAGUE_ACTION,
    COLLEAGUE_BLOCK,
    REASON_ACTION,
    REASON_BLOCK,
    TARGET_ACTION,
    TARGET_BLOCK,
)
from tests.harness import (
    BUSINESS_NUMBER,
    DESK_CHANNEL,
    action_value,
    has_button,
    line_text,
    start_desk,
)

CUSTOMER = "+14155550100"
A, B, C = "UAGENT1", "UAGENT2", "UAGENT3"


@pytest.fixture
def team(tmp_path):
    desk = start_desk(f"sqlite:///{tmp_path / 'desk.sqlite3'}",
                      # Session mode: a page-mode reply would close it before any transfer.
                      settings=Settings(desk_channel=DESK_CHANNEL, offer_timeout_seconds=5,
                                        session_numbers=(BUSINESS_NUMBER,)),
                      agents=(A, B, C))
    yield desk
    desk.close()


def _held_by_a(desk) -> dict:
    desk.slash(A, ids.COMMAND_READY)
    desk.customer_texts(CUSTOMER, "My parcel is lost")
    preview = desk.wait_for_preview(A)
    desk.click(A, ids.ACCEPT_OFFER, action_value(preview, ids.ACCEPT_OFFER))
    card = desk.slack.wait_for(lambda s: desk.cards() and desk.cards()[0], 5, "no card")
    assert f"<@{A}>" in str(card["blocks"])  # the card says who holds it
    desk.wait_idle()
    desk.agent_writes_in_thread(A, card["ts"], "Let me check that for you")
    desk.twilio.wait_for(lambda t: t.sent, 5, "first reply not sent")
    return card


def _open_transfer_modal(desk, card) -> dict:
    desk.click(A, ids.OPEN_TRANSFER, action_value(card, ids.OPEN_TRANSFER),
               channel=DESK_CHANNEL, message_ts=card["ts"])
    return desk.slack.wait_for(lambda s: next((m for m in s.modals()
                                               if m["callback_id"] == ids.TRANSFER_VIEW), None),
                               5, "no transfer modal")


def _transfer(desk, modal: dict, target: str, reason: str = ""):
    values = {TARGET_BLOCK: {TARGET_ACTION: {"type": "static_select",
                                             "selected_option": {"value": target}}},
              REASON_BLOCK: {REASON_ACTION: {"type": "plain_text_input", "value": reason}}}
    return desk.submit_view(A, modal, values)


def _thread_text(desk, card) -> str:
    return " ".join(line_text(m) for m in desk.slack.thread(DESK_CHANNEL, card["ts"]))


def test_a_transfer_accepted_moves_the_conversation_to_the_colleague(team):
    desk = team
    card = _held_by_a(desk)
    desk.slash(B, ids.COMMAND_READY)
    modal = _open_transfer_modal(desk, card)
    listed = [o["value"] for o in modal["blocks"][0]["element"]["options"]]
    assert B in listed and A not in listed and C not in listed  # only Ready colleagues

    assert _transfer(desk, modal, B, "Needs the billing team").status_code == 200
    offer = desk.wait_for_preview(B)
    assert "is transferring" in offer["text"]
    assert "Needs the billing team" in str(offer["blocks"])
    assert "My parcel is lost" in str(offer["blocks"])  # the transcript so far
    assert "Let me check that for you" in str(offer["blocks"])
    desk.slack.wait_for(lambda s: "Being transferred" in str(
        s.message(DESK_CHANNEL, card["ts"])["blocks"]), 5, "card not updated")

    # While it is offered, the old owner cannot send.
    desk.agent_writes_in_thread(A, card["ts"], "Hold on")
    desk.slack.wait_for(lambda s: any("being transferred" in e["text"]
                                      for e in s.ephemerals(DESK_CHANNEL)), 5, "A not told")

    desk.click(B, ids.ACCEPT_OFFER, action_value(offer, ids.ACCEPT_OFFER))
    desk.slack.wait_for(lambda s: f"now handled by <@{B}>" in _thread_text(desk, card), 5,
                        "no transfer line")
    desk.slack.wait_for(lambda s: f"<@{B}>" in str(s.message(DESK_CHANNEL, card["ts"])["blocks"])
                        and has_button(s.message(DESK_CHANNEL, card["ts"]), ids.OPEN_COMPOSE),
                        5, "card not with B")
    desk.slack.wait_for(lambda s: any(f"<@{B}> accepted your transfer" in m["text"]
                                      for m in s.messages(A)), 5, "A not told who accepted")

    desk.agent_writes_in_thread(A, card["ts"], "Old owner here")
    desk.agent_writes_in_thread(B, card["ts"], "Billing here, refund on its way")
    desk.twilio.wait_for(lambda t: len(t.sent) == 2, 5, "B's reply not sent")
    desk.wait_idle()
    assert [sms.body for sms in desk.twilio.sent] == ["Let me check that for you",
                                                      "Billing here, refund on its way"]


def test_a_rejected_transfer_comes_back_to_its_owner(team):
    desk = team
    card = _held_by_a(desk)
    desk.slash(B, ids.COMMAND_READY)
    _transfer(desk, _open_transfer_modal(desk, card), B)
    offer = desk.wait_for_preview(B)
    desk.click(B, ids.REJECT_OFFER, action_value(offer, ids.REJECT_OFFER))
    desk.slack.wait_for(lambda s: any("rejected your transfer" in m["text"] and
                                      "back with you" in m["text"] for m in s.messages(A)),
                        5, "A not told")
    desk.slack.wait_for(lambda s: "rejected the transfer" in _thread_text(desk, card), 5,
                        "no thread line")
    desk.agent_writes_in_thread(A, card["ts"], "Still me")
    desk.twilio.wait_for(lambda t: len(t.sent) == 2, 5, "A cannot send again")


def test_an_unanswered_transfer_times_out_back_to_the_owner(team):
    from datetime import timedelta

    from storage import clock

    desk = team
    card = _held_by_a(desk)
    desk.slash(B, ids.COMMAND_READY)
    _transfer(desk, _open_transfer_modal(desk, card), B)
    offer = desk.wait_for_preview(B)
    try:
        clock.travel(timedelta(seconds=6))
        desk.runtime.worker.wake()
        desk.slack.wait_for(lambda s: "went back to" in str(
            s.message(offer["channel"], offer["ts"])["blocks"]), 5, "B's preview not updated")
        # Still in the travelled time: the jobs the timeout wrote are due by its clock.
        desk.slack.wait_for(lambda s: any("did not answer your transfer" in m["text"]
                                          for m in s.messages(A)), 5, "A not told")
        desk.slack.wait_for(lambda s: has_button(s.message(DESK_CHANNEL, card["ts"]),
                                                 ids.OPEN_COMPOSE), 5, "card not back with A")
    finally:
        clock.reset()


def test_a_consultation_can_become_a_transfer_with_one_click(team):
    desk = team
    card = _held_by_a(desk)
    desk.slash(C, ids.COMMAND_READY)
    desk.choose(A, ids.CARD_MENU, f"{ids.MENU_CONSULT}:{action_value(card, ids.MARK_DONE)}",
                channel=DESK_CHANNEL, message_ts=card["ts"])
    modal = desk.slack.wait_for(lambda s: next((m for m in s.modals()
                                                if m["callback_id"] == ids.CONSULT_VIEW), None),
                                5, "no consult modal")
    listed = [o["value"] for b in modal["blocks"] if b.get("block_id") == COLLEAGUE_BLOCK
              for o in b["element"]["options"]]
    assert C in listed and A not in listed  # the desk's agents, not the one asking
    values = {COLLEAGUE_BLOCK: {COLLEAGUE_ACTION: {"type": "static_select",
                                                   "selected_option": {"value": C}}}}
    assert desk.submit_view(A, modal, values).status_code == 200

    group = desk.slack.wait_for(lambda s: next(
        (m for ch in s.channels_like("G") for m in s.messages(ch)), None), 5, "no group DM")
    assert "My parcel is lost" in str(group["blocks"])
    assert "Nothing said here reaches the customer" in group["text"]
    desk.slack.wait_for(lambda s: f"consulting <@{C}>" in _thread_text(desk, card), 5,
                        "no consult line")

    # The colleague's words in the consultation never reach the phone.
    desk.wait_idle()
    assert len(desk.twilio.sent) == 1

    # Only the owner's click counts.
    desk.click(C, ids.TRANSFER_TO_CONSULTED, action_value(group, ids.TRANSFER_TO_CONSULTED),
               channel=group["channel"], message_ts=group["ts"])
    desk.wait_idle()
    assert desk.previews_for(C) == []
    desk.click(A, ids.TRANSFER_TO_CONSULTED, action_value(group, ids.TRANSFER_TO_CONSULTED),
               channel=group["channel"], message_ts=group["ts"])
    offer = desk.wait_for_preview(C)
    assert "is transferring" in offer["text"]


def test_a_transfer_to_someone_no_longer_ready_is_a_field_error(team):
    desk = team
    card = _held_by_a(desk)
    desk.slash(B, ids.COMMAND_READY)
    modal = _open_transfer_modal(desk, card)
    desk.slash(B, ids.COMMAND_NOT_READY)
    desk.wait_idle()  # the command's work runs after its ack
    response = _transfer(desk, modal, B)
    assert response.status_code == 200
    assert response.json()["response_action"] == "errors"
    assert "not Ready" in response.json()["errors"][TARGET_BLOCK]
    response = _transfer(desk, modal, "UNOBODY")
    assert response.json()["response_action"] == "errors"
    desk.wait_idle()
    assert desk.previews_for(B) == []
