"""Edit a contact: from the contact modal, Edit pushes a form (name, numbers, e-mail, other
information); Save checks it field by field and shows the saved contact in the modal
underneath. A number added there reaches the contact from then on: search finds it, and texts
from it join their history. Only the roles the settings name may edit, or even look."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from bot.config import Settings
from bot.desk.directory.contacts import create_contact
from bot.slack import ids
from storage.models import Contact, ContactNumber, Interaction
from tests.harness import (
    DESK_CHANNEL,
    accept_new_interaction,
    act_in_view,
    find_button,
    start_desk,
    wait_for_modal,
)

pytestmark = pytest.mark.postgres

JANE_PHONE = "+14155550100"
SECOND = "+14155550123"
A = "UAGENT1"


def _contact(desk, phone: str = JANE_PHONE, name: str | None = "Jane Doe",
             email: str | None = "jane@example.com") -> int:
    with desk.db.transaction() as s:
        return create_contact(s, desk.team_id, phone, name=name, email=email).id


_modal = wait_for_modal
_button = find_button


def _view_contact(desk, query: str = "Jane", user: str = A) -> dict:
    """/sms-contact, then View on the first result: the contact modal."""
    results = desk.slash(user, ids.COMMAND_CONTACT, query).json()
    desk.click(user, ids.VIEW_CONTACT, _button(results, ids.VIEW_CONTACT)["value"])
    return _modal(desk, ids.CONTACT_VIEW)


def _open_edit(desk, contact_modal: dict, user: str = A) -> dict:
    edit = _button(contact_modal, ids.CONTACT_EDIT)
    act_in_view(desk, user, contact_modal, {"type": "button", "action_id": ids.CONTACT_EDIT,
                                            "block_id": "contact.actions",
                                            "value": edit["value"]})
    return _modal(desk, ids.CONTACT_EDIT_VIEW)


def _form(name: str = "Jane Doe", numbers: str = "+1 415-555-0100",
          email: str = "jane@example.com", attributes: str = "") -> dict:
    fields = {"name": name, "numbers": numbers, "email": email, "attributes": attributes}
    return {f"contact_edit.{field}": {"value": {"type": "plain_text_input", "value": value}}
            for field, value in fields.items()}


def _saved(desk, contact_id: int) -> tuple:
    """What the database holds of the contact: compared before and after refused saves."""
    with desk.db.transaction() as s:
        contact = s.get(Contact, contact_id)
        numbers = sorted(s.scalars(select(ContactNumber.phone).where(
            ContactNumber.contact_id == contact_id)))
        return contact.name, contact.phone, contact.email, contact.attributes, numbers


# --- the whole flow -------------------------------------------------------------------------

def test_an_edit_adds_a_number_and_information_that_the_desk_then_uses(desk):
    jane = _contact(desk)
    contact_modal = _view_contact(desk)
    edit_modal = _open_edit(desk, contact_modal)
    assert edit_modal["private_metadata"] == f"{jane}:{contact_modal['id']}:"
    numbers_block = next(b for b in edit_modal["blocks"]
                         if b["block_id"] == "contact_edit.numbers")
    assert numbers_block["element"]["initial_value"] == "+1 415-555-0100"

    response = desk.submit_view(A, edit_modal, _form(
        numbers="+1 415-555-0100\n(415) 555-0123", email="jane.doe@example.com",
        attributes="Account: 12345\nPlan: Gold"))
    assert response.status_code == 200 and not response.content.strip()  # closes the form

    # The contact modal underneath (same view) now shows what was saved.
    def updated(s):
        shown = json.dumps(s.view(contact_modal["id"])["blocks"])
        return "+1 415-555-0123" in shown and shown
    shown = desk.slack.wait_for(updated, 5, "the contact modal was not updated")
    assert "+1 415-555-0100" in shown and "Account" in shown and "12345" in shown
    assert "Plan" in shown and "Gold" in shown and "jane.doe@example.com" in shown
    assert len([m for m in desk.slack.modals() if m["callback_id"] == ids.CONTACT_VIEW]) == 1
    assert _saved(desk, jane) == ("Jane Doe", JANE_PHONE, "jane.doe@example.com",
                                  {"Account": "12345", "Plan": "Gold"},
                                  sorted([JANE_PHONE, SECOND]))

    # Search by the new number finds Jane.
    found = desk.slash(A, ids.COMMAND_CONTACT, "555-0123").json()
    assert "Jane Doe" in json.dumps(found["blocks"])
    assert _button(found, ids.VIEW_CONTACT)["value"] == str(jane)

    # A text from the new number joins her history.
    desk.customer_texts(SECOND, "Texting from my work phone")

    def arrived(_s):
        with desk.db.transaction() as s:
            return s.scalars(select(Interaction).where(
                Interaction.customer_number == SECOND)).first()
    interaction = desk.slack.wait_for(arrived, 5, "the text opened no interaction")
    assert interaction.contact_id == jane
    desk.wait_idle()
    with desk.db.transaction() as s:
        assert s.scalar(select(Contact.id).where(Contact.phone == SECOND)) is None


# --- what the form refuses --------------------------------------------------------------------

def test_the_form_says_what_is_wrong_where_and_saves_nothing(desk):
    jane = _contact(desk)
    _contact(desk, "+14155550199", "Bob Brown", None)
    contact_modal = _view_contact(desk)
    edit_modal = _open_edit(desk, contact_modal)
    before = _saved(desk, jane)

    def errors(**form) -> dict:
        response = desk.submit_view(A, edit_modal, _form(name="Jane Smith", **form))
        assert response.status_code == 200
        answer = response.json()
        assert answer["response_action"] == "errors"
        return answer["errors"]

    bad_line = errors(numbers="+1 415-555-0100\ncall me maybe")
    assert set(bad_line) == {"contact_edit.numbers"}
    assert "call me maybe" in bad_line["contact_edit.numbers"]

    taken = errors(numbers="+1 415-555-0100\n(415) 555-0199")
    assert set(taken) == {"contact_edit.numbers"}
    assert "Bob Brown" in taken["contact_edit.numbers"]
    assert "+1 415-555-0199" in taken["contact_edit.numbers"]

    no_number = errors(numbers="  \n")
    assert "at least one number" in no_number["contact_edit.numbers"]

    bad_email = errors(email="jane@")
    assert set(bad_email) == {"contact_edit.email"}

    bad_attribute = errors(attributes="Account 12345")
    assert set(bad_attribute) == {"contact_edit.attributes"}

    # Several problems at once: each field says its own.
    both = errors(numbers="nope", email="nope")
    assert set(both) == {"contact_edit.numbers", "contact_edit.email"}

    desk.wait_idle()
    assert _saved(desk, jane) == before
    assert "Jane Smith" not in json.dumps(desk.slack.view(contact_modal["id"])["blocks"])


# --- who may ----------------------------------------------------------------------------------

@pytest.fixture
def admins_edit(database_url):
    running = start_desk(database_url, settings=Settings(
        desk_channel=DESK_CHANNEL, offer_timeout_seconds=30, admins=("UADMIN",),
        contacts_edit_roles=("admin",)))
    yield running
    running.close()


def test_only_the_roles_the_settings_name_may_edit(admins_edit):
    desk = admins_edit
    jane = _contact(desk)
    before = _saved(desk, jane)

    contact_modal = _view_contact(desk)
    assert "Jane Doe" in json.dumps(contact_modal["blocks"])
    assert _button(contact_modal, ids.CONTACT_EDIT) is None

    # A forged Edit click pushes no form.
    act_in_view(desk, A, contact_modal, {"type": "button", "action_id": ids.CONTACT_EDIT,
                                         "block_id": "contact.actions", "value": str(jane)})
    desk.wait_idle()
    assert [m for m in desk.slack.modals() if m["callback_id"] == ids.CONTACT_EDIT_VIEW] == []

    # A forged submission is refused and changes nothing.
    forged = {"callback_id": ids.CONTACT_EDIT_VIEW,
              "private_metadata": f"{jane}:{contact_modal['id']}"}
    response = desk.submit_view(A, forged, _form(name="Mallory", numbers="+1 415-555-0166"))
    assert response.status_code == 200
    answer = response.json()
    assert answer["response_action"] == "errors"
    assert "admins edit contacts" in " ".join(answer["errors"].values())
    desk.wait_idle()
    assert _saved(desk, jane) == before

    # An admin does get Edit.
    results = desk.slash("UADMIN", ids.COMMAND_CONTACT, "Jane").json()
    desk.click("UADMIN", ids.VIEW_CONTACT, _button(results, ids.VIEW_CONTACT)["value"])
    admin_view = _modal(desk, ids.CONTACT_VIEW, count=2)
    assert _button(admin_view, ids.CONTACT_EDIT)["value"] == str(jane)


@pytest.fixture
def supervisors_look(database_url):
    running = start_desk(database_url, settings=Settings(
        desk_channel=DESK_CHANNEL, offer_timeout_seconds=30, supervisors=("USUPER",),
        contacts_view_roles=("supervisor",)))
    yield running
    running.close()


def test_the_directory_is_closed_to_roles_the_settings_do_not_name(supervisors_look):
    desk = supervisors_look
    jane = _contact(desk)
    answer = desk.slash(A, ids.COMMAND_CONTACT, "Jane")
    assert answer.status_code == 200
    # A plain-text answer: Slack shows it to the person only.
    assert "open to supervisors" in answer.text
    assert "Jane Doe" not in answer.text

    # The recent count on a card (or a forged View): told why, shown nothing of Jane.
    desk.click(A, ids.VIEW_CONTACT, str(jane))
    desk.wait_idle()
    [refusal] = desk.slack.modals()
    assert "open to supervisors" in json.dumps(refusal["blocks"])
    assert "Jane Doe" not in json.dumps(refusal)

    assert "Jane Doe" in json.dumps(desk.slash("USUPER", ids.COMMAND_CONTACT, "Jane").json())


def test_editing_an_unknown_number_from_its_card_keeps_assign_in_the_modal(desk):
    """Opened from an unknown number's card, the modal keeps Assign after an edit that gives
    no name (an e-mail address, say)."""
    card = accept_new_interaction(desk, JANE_PHONE, "Hello")
    with desk.db.transaction() as s:
        interaction = s.scalars(select(Interaction)).one()
    desk.choose(A, ids.CARD_MENU, f"{ids.MENU_CONTACT}:{interaction.id}",
                channel=DESK_CHANNEL, message_ts=card["ts"])
    contact_modal = _modal(desk, ids.CONTACT_VIEW)
    assert _button(contact_modal, ids.CONTACT_ASSIGN)["value"] == str(interaction.id)
    edit_modal = _open_edit(desk, contact_modal)
    response = desk.submit_view(A, edit_modal, _form(name="", email="someone@example.com"))
    assert response.status_code == 200 and not response.content.strip()
    updated = desk.slack.wait_for(
        lambda s: "someone@example.com" in json.dumps(s.view(contact_modal["id"])["blocks"])
        and s.view(contact_modal["id"]), 5, "the contact modal was not updated")
    assert _button(updated, ids.CONTACT_ASSIGN)["value"] == str(interaction.id)
    assert updated["private_metadata"].endswith(f":{interaction.id}")
