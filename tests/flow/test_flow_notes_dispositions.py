"""Notes and disposition codes from the card's menu, over HTTP against the fakes: a note reaches
the thread (internal) and the contact's history; a disposition reaches the card, the thread and
the history; with mandatory dispositions Done (and a page-mode reply) waits for one."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.config import Settings
from bot.config.transcript import TranscriptColors
from bot.desk.directory.history import contact_history
from bot.slack import ids
from bot.slack.views.disposition import CODE_ACTION, CODE_BLOCK
from bot.slack.views.note import NOTE_ACTION, NOTE_BLOCK
from storage.models import Contact, Interaction, TimelineEvent
from tests.harness import (
    DESK_CHANNEL,
    accept_new_interaction,
    action_value,
    has_button,
    line_blocks,
    line_text,
    start_desk,
)

CUSTOMER = "+14155550100"
SUPERVISOR = "USUPER1"
pytestmark = pytest.mark.postgres


@pytest.fixture
def strict_desk(database_url):
    """Mandatory dispositions, and a supervisor."""
    settings = Settings(desk_channel=DESK_CHANNEL, offer_timeout_seconds=30,
                        disposition_mandatory=True, supervisors=(SUPERVISOR,))
    running = start_desk(database_url, settings=settings,
                         agents=("UAGENT1", "UAGENT2", SUPERVISOR))
    yield running
    running.close()


def _open_interaction(desk, text: str = "Where is my order?") -> dict:
    return accept_new_interaction(desk, CUSTOMER, text)


def _interaction_id(card: dict) -> int:
    return int(action_value(card, ids.MARK_DONE))


def _use_menu(desk, user_id: str, tool: str, card: dict):
    return desk.choose(user_id, ids.CARD_MENU, f"{tool}:{_interaction_id(card)}",
                       channel=DESK_CHANNEL, message_ts=card["ts"])


def _modal(desk, callback_id: str, count: int = 1) -> dict:
    def opened(s):
        found = [m for m in s.modals() if m["callback_id"] == callback_id]
        return len(found) >= count and found[count - 1]
    return desk.slack.wait_for(opened, 5, f"no {callback_id} modal #{count}")


def _modals(desk, callback_id: str) -> list[dict]:
    return [m for m in desk.slack.modals() if m["callback_id"] == callback_id]


def _thread_line(desk, card: dict, words: str) -> dict:
    return desk.slack.wait_for(
        lambda s: next((m for m in s.thread(DESK_CHANNEL, card["ts"]) if words in line_text(m)),
                       None), 5, f"no thread line with {words!r}")


def _history(desk) -> list:
    with desk.db.transaction() as s:
        contact_id = s.scalar(select(Contact.id).where(Contact.phone == CUSTOMER))
    return contact_history(desk.db, desk.team_id, contact_id)


def _choose_code(code: str) -> dict:
    return {CODE_BLOCK: {CODE_ACTION: {"type": "static_select", "selected_option": {
        "text": {"type": "plain_text", "text": code}, "value": code}}}}


def _card(desk, card: dict) -> dict:
    return desk.slack.message(DESK_CHANNEL, card["ts"])


def _card_fields(desk, card: dict) -> list[str]:
    return [f["text"] for b in _card(desk, card)["blocks"] for f in b.get("fields", [])]


def _state(desk, interaction_id: int) -> str:
    with desk.db.transaction() as s:
        return s.get(Interaction, interaction_id).state


# --- notes ----------------------------------------------------------------------------------

def test_a_colleagues_note_shows_in_the_thread_as_internal_and_in_the_contacts_history(desk):
    card = _open_interaction(desk)
    _use_menu(desk, "UAGENT2", ids.MENU_NOTE, card)
    modal = _modal(desk, ids.NOTE_VIEW)
    assert modal["private_metadata"] == str(_interaction_id(card))

    note = "Prefers a call after 5pm <!channel> & <https://evil.example|bank.com>"
    response = desk.submit_view("UAGENT2", modal,
                                {NOTE_BLOCK: {NOTE_ACTION: {"type": "plain_text_input",
                                                            "value": note}}})
    assert response.status_code == 200 and response.text == ""

    line = _thread_line(desk, card, ":memo: Note from <@UAGENT2>:")
    for shown in (line_text(line), str(line_blocks(line))):
        assert "internal" in shown and "never sent to the customer" in shown
        assert "<!channel>" not in shown and "<https://evil.example|bank.com>" not in shown
        assert "&lt;!channel&gt; &amp; &lt;https://evil.example|bank.com&gt;" in shown
    desk.wait_idle()
    assert desk.twilio.sent == []  # internal: nothing went to the phone

    [entry] = _history(desk)
    assert [(n.text, n.author_user_id) for n in entry.notes] == [(note, "UAGENT2")]
    assert [(t.direction, t.text) for t in entry.transcript] == [
        ("inbound", "Where is my order?")]


def test_customer_system_and_note_lines_carry_the_admins_colours(database_url):
    colors = TranscriptColors(customer="#1264A3", system="#616061", note="#E01E5A")
    desk = start_desk(database_url, settings=Settings(desk_channel=DESK_CHANNEL,
                                                      transcript_colors=colors))
    try:
        card = _open_interaction(desk, "Where is my order?")
        _use_menu(desk, "UAGENT1", ids.MENU_NOTE, card)
        desk.submit_view("UAGENT1", _modal(desk, ids.NOTE_VIEW), {NOTE_BLOCK: {NOTE_ACTION: {
            "type": "plain_text_input", "value": "Called twice already"}}})
        note = _thread_line(desk, card, ":memo: Note from <@UAGENT1>:")
        _use_menu(desk, "UAGENT1", ids.MENU_DISPOSITION, card)
        desk.submit_view("UAGENT1", _modal(desk, ids.DISPOSITION_VIEW),
                         _choose_code("Follow-up needed"))
        system = _thread_line(desk, card, "Disposition set to Follow-up needed")
        # The first text rides on the card; the customer's next one is a thread line.
        desk.customer_texts(CUSTOMER, "Any news?")
        customer = _thread_line(desk, card, "Any news?")
        for line, color in ((customer, "#1264A3"), (system, "#616061"), (note, "#E01E5A")):
            [attachment] = line["attachments"]
            assert attachment["color"] == color
            assert attachment["blocks"] and line.get("blocks") in (None, [])
        assert "Any news?" in str(customer["attachments"][0]["blocks"])
    finally:
        desk.close()


def test_an_empty_note_gets_a_field_error_in_the_modal(desk):
    card = _open_interaction(desk)
    _use_menu(desk, "UAGENT1", ids.MENU_NOTE, card)
    modal = _modal(desk, ids.NOTE_VIEW)
    response = desk.submit_view("UAGENT1", modal,
                                {NOTE_BLOCK: {NOTE_ACTION: {"type": "plain_text_input",
                                                            "value": "  \n\t "}}})
    assert response.status_code == 200
    assert response.json() == {"response_action": "errors",
                               "errors": {NOTE_BLOCK: "Write the note first"}}
    desk.wait_idle()
    with desk.db.transaction() as s:
        assert s.scalars(select(TimelineEvent).where(TimelineEvent.kind == "note")).all() == []
    assert _history(desk)[0].notes == ()


# --- disposition codes ----------------------------------------------------------------------

def test_a_disposition_shows_on_the_card_in_the_thread_and_in_the_contacts_history(desk):
    card = _open_interaction(desk)
    _use_menu(desk, "UAGENT1", ids.MENU_DISPOSITION, card)
    modal = _modal(desk, ids.DISPOSITION_VIEW)
    options = [o["value"] for o in modal["blocks"][-1]["element"]["options"]]
    assert options == ["Resolved", "Follow-up needed", "No action"]

    response = desk.submit_view("UAGENT1", modal, _choose_code("Follow-up needed"))
    assert response.status_code == 200 and response.text == ""

    desk.slack.wait_for(lambda s: "*Disposition*\nFollow-up needed" in _card_fields(desk, card),
                        5, "card does not show the disposition")
    _thread_line(desk, card, "Disposition set to Follow-up needed by <@UAGENT1>")
    # Not mandatory: the interaction stays open.
    assert has_button(_card(desk, card), ids.MARK_DONE)
    [entry] = _history(desk)
    assert (entry.disposition, entry.disposition_by) == ("Follow-up needed", "UAGENT1")

    # Opened again, the picker shows the code already set.
    _use_menu(desk, "UAGENT1", ids.MENU_DISPOSITION, card)
    again = _modal(desk, ids.DISPOSITION_VIEW, count=2)
    assert again["blocks"][-1]["element"]["initial_option"]["value"] == "Follow-up needed"


def test_a_disposition_submitted_without_a_choice_gets_a_field_error(desk):
    card = _open_interaction(desk)
    _use_menu(desk, "UAGENT1", ids.MENU_DISPOSITION, card)
    modal = _modal(desk, ids.DISPOSITION_VIEW)
    response = desk.submit_view("UAGENT1", modal, {CODE_BLOCK: {CODE_ACTION: {
        "type": "static_select", "selected_option": None}}})
    assert response.json()["response_action"] == "errors"
    assert CODE_BLOCK in response.json()["errors"]
    unknown = desk.submit_view("UAGENT1", modal, _choose_code("Made up"))
    assert unknown.json()["response_action"] == "errors"
    desk.wait_idle()
    assert _history(desk)[0].disposition is None


def test_a_non_owner_agent_cannot_set_the_disposition(desk):
    card = _open_interaction(desk)
    _use_menu(desk, "UAGENT2", ids.MENU_DISPOSITION, card)
    desk.slack.wait_for(lambda s: any(
        e["user"] == "UAGENT2" and "Only <@UAGENT1>" in e["text"] and "disposition" in e["text"]
        for e in s.ephemerals(DESK_CHANNEL)), 5, "no refusal")
    desk.wait_idle()
    assert _modals(desk, ids.DISPOSITION_VIEW) == []

    # A picker opened by the owner and submitted by someone else is refused as well.
    _use_menu(desk, "UAGENT1", ids.MENU_DISPOSITION, card)
    modal = _modal(desk, ids.DISPOSITION_VIEW)
    assert desk.submit_view("UAGENT2", modal, _choose_code("Resolved")).status_code == 200
    desk.slack.wait_for(lambda s: sum(e["user"] == "UAGENT2"
                                      for e in s.ephemerals(DESK_CHANNEL)) == 2,
                        5, "second refusal missing")
    desk.wait_idle()
    assert _history(desk)[0].disposition is None
    assert not any(f.startswith("*Disposition*") for f in _card_fields(desk, card))


def test_a_supervisor_may_set_the_disposition_of_someone_elses_interaction(strict_desk):
    desk = strict_desk
    card = _open_interaction(desk)
    _use_menu(desk, SUPERVISOR, ids.MENU_DISPOSITION, card)
    modal = _modal(desk, ids.DISPOSITION_VIEW)
    desk.submit_view(SUPERVISOR, modal, _choose_code("No action"))
    _thread_line(desk, card, f"Disposition set to No action by <@{SUPERVISOR}>")
    assert _history(desk)[0].disposition_by == SUPERVISOR


# --- mandatory dispositions -----------------------------------------------------------------

def test_with_mandatory_dispositions_done_waits_for_a_code_and_opens_the_picker(strict_desk):
    desk = strict_desk
    card = _open_interaction(desk)
    interaction_id = _interaction_id(card)
    desk.click("UAGENT1", ids.MARK_DONE, str(interaction_id), channel=DESK_CHANNEL,
               message_ts=card["ts"])
    modal = _modal(desk, ids.DISPOSITION_VIEW)
    assert modal["submit"]["text"] == "Save and close"
    _thread_line(desk, card, "<@UAGENT1> marked it Done: it closes once a disposition code")
    desk.wait_idle()
    assert _state(desk, interaction_id) == "accepted"
    assert has_button(_card(desk, card), ids.MARK_DONE)
    assert "*Disposition*\n:warning: Needed to close" in _card_fields(desk, card)

    desk.submit_view("UAGENT1", modal, _choose_code("Resolved"))
    desk.slack.wait_for(lambda s: not has_button(_card(desk, card), ids.MARK_DONE),
                        5, "not closed once the code was set")
    _thread_line(desk, card, "Disposition set to Resolved")
    desk.slack.wait_for(lambda s: "Done — closed by <@UAGENT1> (disposition set)" in str(
        _card(desk, card)["blocks"]), 5, "the card does not say it closed")
    assert _state(desk, interaction_id) == "done"
    assert "*Disposition*\nResolved" in _card_fields(desk, card)


def test_with_mandatory_dispositions_a_page_mode_reply_waits_for_a_code_then_closes(
        strict_desk):
    desk = strict_desk
    card = _open_interaction(desk)
    interaction_id = _interaction_id(card)
    desk.agent_writes_in_thread("UAGENT1", card["ts"], "It ships today")
    desk.twilio.wait_for(lambda t: t.sent_to(CUSTOMER), 5, "no SMS")
    _thread_line(desk, card, "Reply sent. Set a disposition code to close this interaction.")
    desk.slack.wait_for(lambda s: any(
        e["user"] == "UAGENT1" and "Set a disposition code" in e["text"]
        for e in s.ephemerals(DESK_CHANNEL)), 5, "the agent was not told")
    desk.wait_idle()
    assert _state(desk, interaction_id) == "accepted"
    assert has_button(_card(desk, card), ids.MARK_DONE)
    assert "*Disposition*\n:warning: Needed to close" in _card_fields(desk, card)

    _use_menu(desk, "UAGENT1", ids.MENU_DISPOSITION, card)
    modal = _modal(desk, ids.DISPOSITION_VIEW)
    assert modal["submit"]["text"] == "Save and close"
    desk.submit_view("UAGENT1", modal, _choose_code("Resolved"))
    desk.slack.wait_for(lambda s: not has_button(_card(desk, card), ids.MARK_DONE),
                        5, "not closed once the code was set")
    desk.slack.wait_for(lambda s: "Done — closed by <@UAGENT1> (disposition set)" in str(
        _card(desk, card)["blocks"]), 5, "the card does not say it closed")
    assert _state(desk, interaction_id) == "done"
    [entry] = _history(desk)
    assert entry.disposition == "Resolved"
    assert [(t.direction, t.text) for t in entry.transcript] == [
        ("inbound", "Where is my order?"), ("outbound", "It ships today")]


def test_with_mandatory_dispositions_done_closes_at_once_when_a_code_is_already_set(
        strict_desk):
    desk = strict_desk
    card = _open_interaction(desk)
    _use_menu(desk, "UAGENT1", ids.MENU_DISPOSITION, card)
    modal = _modal(desk, ids.DISPOSITION_VIEW)
    assert modal["submit"]["text"] == "Save"
    desk.submit_view("UAGENT1", modal, _choose_code("Resolved"))
    desk.wait_idle()
    assert has_button(_card(desk, card), ids.MARK_DONE)  # setting a code alone closes nothing
    desk.click("UAGENT1", ids.MARK_DONE, str(_interaction_id(card)), channel=DESK_CHANNEL,
               message_ts=card["ts"])
    desk.slack.wait_for(lambda s: not has_button(_card(desk, card), ids.MARK_DONE),
                        5, "Done did not close")
    desk.wait_idle()
    assert len(_modals(desk, ids.DISPOSITION_VIEW)) == 1
