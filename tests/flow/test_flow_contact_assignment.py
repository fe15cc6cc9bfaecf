"""Assign to a contact: an interaction from an unknown number is given, from its card's
Contact… modal, to a contact of the directory. The number joins that contact, the interaction
moves to their history, replies still go to the number the customer texts from, and the next
text from it arrives under their name. Only the roles the settings name may do it."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import insert, select

from bot.config import Settings
from bot.desk.directory import assignment
from bot.desk.directory.assignment import AssignOutcome
from bot.desk.directory.contacts import create_contact
from bot.desk.directory.history import contact_history
from bot.slack import ids
from storage.models import Contact, ContactNumber, Interaction
from tests.harness import (
    BUSINESS_NUMBER,
    DESK_CHANNEL,
    accept_new_interaction,
    act_in_view,
    find_button,
    line_blocks,
    line_text,
    start_desk,
    suggest,
    wait_for_modal,
)

pytestmark = pytest.mark.postgres

UNKNOWN = "+14155550100"
JANE_PHONE = "+14155550199"
A = "UAGENT1"


def _contact(desk, phone: str, name: str | None, team_id: str | None = None) -> int:
    with desk.db.transaction() as s:
        return create_contact(s, team_id or desk.team_id, phone, name=name).id


def _interaction_from(desk, phone: str) -> Interaction:
    with desk.db.transaction() as s:
        return s.scalars(select(Interaction).where(Interaction.customer_number == phone)
                         .order_by(Interaction.id)).first()


_modal = wait_for_modal
_button = find_button


def _open_contact_from_card(desk, card: dict, interaction_id: int, user: str = A) -> dict:
    response = desk.choose(user, ids.CARD_MENU, f"{ids.MENU_CONTACT}:{interaction_id}",
                           channel=DESK_CHANNEL, message_ts=card["ts"])
    assert response.status_code == 200
    return _modal(desk, ids.CONTACT_VIEW)


def _thread_text(desk, card: dict) -> str:
    return json.dumps([[line_text(m), line_blocks(m)] for m in
                       desk.slack.thread(DESK_CHANNEL, card["ts"])])


# --- the whole flow -------------------------------------------------------------------------

def test_an_unknown_number_is_assigned_to_a_contact_and_stays_with_them(desk):
    jane = _contact(desk, JANE_PHONE, "Jane Doe")
    card = accept_new_interaction(desk, UNKNOWN, "Hi, Jane here, on my new phone")
    interaction = _interaction_from(desk, UNKNOWN)
    unknown_contact = interaction.contact_id
    assert unknown_contact != jane

    # Card menu Contact…: the unknown number's modal offers Assign.
    contact_modal = _open_contact_from_card(desk, card, interaction.id)
    assert "unknown number" in json.dumps(contact_modal["blocks"])
    assign_button = _button(contact_modal, ids.CONTACT_ASSIGN)
    assert assign_button["value"] == str(interaction.id)
    act_in_view(desk, A, contact_modal, {"type": "button", "action_id": ids.CONTACT_ASSIGN,
                                         "block_id": "contact.actions",
                                         "value": assign_button["value"]})
    assign_modal = _modal(desk, ids.ASSIGN_VIEW)
    assert "+1 415-555-0100" in json.dumps(assign_modal["blocks"])

    # The agent types "jane": Jane is offered (and the unknown number itself is not).
    options = suggest(desk, A, ids.ASSIGN_SEARCH, "jane", assign_modal,
                      block_id="assign.contact").json()["options"]
    assert [o["value"] for o in options] == [str(jane)]
    assert options[0]["text"]["text"].startswith("Jane Doe")
    assert suggest(desk, A, ids.ASSIGN_SEARCH, "555-0100", assign_modal,
                   block_id="assign.contact").json()["options"] == []

    # Next: a confirmation saying what will happen.
    picked = {"assign.contact": {ids.ASSIGN_SEARCH: {"type": "external_select",
                                                     "selected_option": options[0]}}}
    first = desk.submit_view(A, assign_modal, picked)
    assert first.status_code == 200
    answer = first.json()
    assert answer["response_action"] == "update"
    confirm = answer["view"]
    assert confirm["callback_id"] == ids.ASSIGN_VIEW
    assert confirm["private_metadata"] == f"{interaction.id}:{jane}"
    assert "Jane Doe" in json.dumps(confirm["blocks"])
    assert _interaction_from(desk, UNKNOWN).contact_id == unknown_contact  # not yet

    # Assign: every modal closes.
    second = desk.submit_view(A, confirm, {})
    assert second.status_code == 200 and second.json() == {"response_action": "clear"}
    desk.wait_idle()

    # Jane's history holds the interaction; the unknown contact is gone.
    assert [e.interaction_id for e in contact_history(desk.db, desk.team_id, jane)] == [
        interaction.id]
    with desk.db.transaction() as s:
        assert s.get(Contact, unknown_contact) is None
        assert set(s.scalars(select(ContactNumber.phone).where(
            ContactNumber.contact_id == jane))) == {JANE_PHONE, UNKNOWN}

    # The card names her (and still shows the number the customer texts from).
    desk.slack.wait_for(lambda s: "Jane Doe" in json.dumps(
        s.message(DESK_CHANNEL, card["ts"])["blocks"]), 5, "the card does not name Jane")
    shown_card = json.dumps(desk.slack.message(DESK_CHANNEL, card["ts"])["blocks"])
    assert "+1 415-555-0100" in shown_card
    # The thread says who did it.
    desk.slack.wait_for(lambda s: "assigned this number to the contact Jane Doe"
                        in _thread_text(desk, card), 5, "no assignment line in the thread")
    assert f"<@{A}> assigned this number" in _thread_text(desk, card)

    # Contact search by the number finds Jane.
    found = desk.slash(A, ids.COMMAND_CONTACT, "(415) 555-0100").json()
    assert "Jane Doe" in json.dumps(found["blocks"])
    assert _button(found, ids.VIEW_CONTACT)["value"] == str(jane)

    # The agent's reply goes to the number the customer texts from, not Jane's primary one.
    desk.agent_writes_in_thread(A, card["ts"], "Thanks Jane, noted your new number")
    sms = desk.twilio.wait_for(lambda t: t.sent_to(UNKNOWN) and t.sent_to(UNKNOWN)[0], 15,
                               "the reply was not sent")
    assert sms.body == "Thanks Jane, noted your new number"
    assert desk.twilio.sent_to(JANE_PHONE) == []

    # Page mode: the reply closes the interaction. The next text arrives under Jane's name.
    desk.slack.wait_for(lambda s: _interaction_from(desk, UNKNOWN).state == "done", 5,
                        "page mode did not close after the reply")
    desk.wait_idle()
    desk.customer_texts(UNKNOWN, "One more thing")

    def new_interaction(_s):
        with desk.db.transaction() as s:
            return s.scalars(select(Interaction).where(
                Interaction.customer_number == UNKNOWN,
                Interaction.id != interaction.id)).first()
    following = desk.slack.wait_for(new_interaction, 5, "the text opened no interaction")
    assert following.contact_id == jane
    with desk.db.transaction() as s:
        assert s.scalar(select(Contact.id).where(Contact.phone == UNKNOWN)) is None
    desk.wait_idle()
    assert [e.interaction_id for e in contact_history(desk.db, desk.team_id, jane)] == [
        following.id, interaction.id]


# --- who may ----------------------------------------------------------------------------------

@pytest.fixture
def supervisors_only(database_url):
    running = start_desk(database_url, settings=Settings(
        desk_channel=DESK_CHANNEL, offer_timeout_seconds=30, supervisors=("USUPER",),
        contacts_assign_roles=("supervisor",)))
    yield running
    running.close()


def test_only_the_roles_the_settings_name_may_assign(supervisors_only):
    desk = supervisors_only
    jane = _contact(desk, JANE_PHONE, "Jane Doe")
    card = accept_new_interaction(desk, UNKNOWN, "Hello")
    interaction = _interaction_from(desk, UNKNOWN)

    # The agent holding it sees the unknown number, without Assign.
    contact_modal = _open_contact_from_card(desk, card, interaction.id)
    assert "unknown number" in json.dumps(contact_modal["blocks"])
    assert _button(contact_modal, ids.CONTACT_ASSIGN) is None

    # A forged Assign button click pushes nothing.
    act_in_view(desk, A, contact_modal, {"type": "button", "action_id": ids.CONTACT_ASSIGN,
                                         "block_id": "contact.actions",
                                         "value": str(interaction.id)})
    desk.wait_idle()
    assert [m for m in desk.slack.modals() if m["callback_id"] == ids.ASSIGN_VIEW] == []

    # A forged confirmation is refused in the modal, and nothing moves.
    forged = {"callback_id": ids.ASSIGN_VIEW, "private_metadata": f"{interaction.id}:{jane}"}
    response = desk.submit_view(A, forged, {})
    assert response.status_code == 200
    answer = response.json()
    assert answer["response_action"] == "update"
    assert "supervisors assign numbers" in json.dumps(answer["view"]["blocks"])
    desk.wait_idle()
    assert _interaction_from(desk, UNKNOWN).contact_id == interaction.contact_id
    assert contact_history(desk.db, desk.team_id, jane) == []
    assert "assigned this number" not in _thread_text(desk, card)

    # A supervisor opening the same card's Contact… does get Assign.
    desk.choose("USUPER", ids.CARD_MENU, f"{ids.MENU_CONTACT}:{interaction.id}",
                channel=DESK_CHANNEL, message_ts=card["ts"])
    supervisor_modal = _modal(desk, ids.CONTACT_VIEW, count=2)
    assert _button(supervisor_modal, ids.CONTACT_ASSIGN)["value"] == str(interaction.id)


# --- what cannot be assigned ------------------------------------------------------------------

def _held_interaction(desk, contact_id: int, phone: str) -> int:
    with desk.db.transaction() as s:
        row = s.execute(insert(Interaction).values(
            team_id=desk.team_id, contact_id=contact_id, business_number=BUSINESS_NUMBER,
            customer_number=phone, state="accepted", agent_user_id=A,
            case_data={}, spelling_ignored={}).returning(Interaction.id))
        return row.scalar_one()


def test_a_named_contacts_interaction_or_another_workspaces_contact_cannot_be_assigned(desk):
    settings = desk.runtime.services.settings_for(desk.team_id)
    jane = _contact(desk, JANE_PHONE, "Jane Doe")
    bob = _contact(desk, "+14155550188", "Bob Brown")
    bobs = _held_interaction(desk, bob, "+14155550188")

    result = assignment.assign(desk.db, settings, desk.team_id, A, bobs, jane)
    assert result.outcome is AssignOutcome.ALREADY_KNOWN
    assert "Bob Brown" in result.message

    unknown = _contact(desk, UNKNOWN, None)
    unknowns = _held_interaction(desk, unknown, UNKNOWN)
    elsewhere = _contact(desk, "+14155550177", "Secret", team_id="TOTHER")
    result = assignment.assign(desk.db, settings, desk.team_id, A, unknowns, elsewhere)
    assert result.outcome is AssignOutcome.NOT_FOUND

    # And the other workspace cannot reach this one's interaction either.
    result = assignment.assign(desk.db, settings, "TOTHER", A, unknowns, elsewhere)
    assert result.outcome is AssignOutcome.NOT_FOUND

    # Nothing moved.
    with desk.db.transaction() as s:
        assert s.get(Interaction, bobs).contact_id == bob
        assert s.get(Interaction, unknowns).contact_id == unknown
        assert s.get(Contact, unknown) is not None
        assert s.scalar(select(ContactNumber.contact_id).where(
            ContactNumber.phone == UNKNOWN)) == unknown


def test_an_assignment_is_in_the_admins_change_log(database_url):
    admin = "UADMIN"
    settings = Settings(desk_channel=DESK_CHANNEL, offer_timeout_seconds=30, admins=(admin,))
    desk = start_desk(database_url, settings=settings, agents=(A, admin))
    try:
        jane = _contact(desk, JANE_PHONE, "Jane Doe")
        card = accept_new_interaction(desk, UNKNOWN, "Hi, Jane here, on my new phone")
        interaction = _interaction_from(desk, UNKNOWN)
        modal = _open_contact_from_card(desk, card, interaction.id)
        act_in_view(desk, A, modal, {"type": "button", "action_id": ids.CONTACT_ASSIGN,
                                     "block_id": "contact.actions", "value": str(interaction.id)})
        assign_modal = _modal(desk, ids.ASSIGN_VIEW)
        options = suggest(desk, A, ids.ASSIGN_SEARCH, "jane", assign_modal,
                          block_id="assign.contact").json()["options"]
        picked = {"assign.contact": {ids.ASSIGN_SEARCH: {"type": "external_select",
                                                         "selected_option": options[0]}}}
        confirm = desk.submit_view(A, assign_modal, picked).json()["view"]
        assert desk.submit_view(A, confirm, {}).json() == {"response_action": "clear"}
        desk.wait_idle()
        assert _interaction_from(desk, UNKNOWN).contact_id == jane

        before = len(desk.slack.modals())
        desk.slash(admin, ids.COMMAND_ADMIN, "log")
        log = desk.slack.wait_for(lambda s: len(s.modals()) > before and s.modals()[-1], 5,
                                  "no log modal")
        shown = json.dumps(log["blocks"])
        assert "contacts.assign Jane Doe" in shown and f"<@{A}>" in shown
        assert "unknown number ending 0100" in shown and "4155550100" not in shown
    finally:
        desk.close()
