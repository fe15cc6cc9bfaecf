"""Contact directory: /sms-contact, the contact modal (View, or a card's menu) with its
history paging, Transcript, Edit and Assign-to-a-contact. The rules live in bot.desk."""

from __future__ import annotations

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot.desk.data_protection import redaction
from bot.desk.directory import assignment, contact_editing, contacts_directory
from bot.desk.directory.contact_editing import ContactEdit
from bot.desk.directory.history import contact_history
from bot.desk.interactions import outbound
from bot.services import Services
from bot.slack import ids
from bot.slack.listeners.common import answer
from bot.slack.views import contacts as views
from bot.slack.views.common import notice_modal
from bot.slack.views.contacts import (
    SHOWN_RESULTS,
    ContactActions,
    build_contact_modal,
    build_search_results,
    build_transcript_modal,
)


def _shown(services: Services, team_id: str):
    """Customer text as this workspace's privacy settings let agents see it."""
    settings = services.settings_for(team_id)
    return lambda text: redaction.shown(text, settings)


def _pair(body: dict) -> tuple[int, int]:
    first, _, second = body["actions"][0]["value"].partition(":")
    return int(first), int(second or 0)


def contact_modal(services: Services, team_id: str, user_id: str, contact_id: int,
                  page: int = 0, from_interaction: int | None = None) -> dict | None:
    """The contact modal as this person may use it, or None if the contact is gone."""
    db, settings = services.db, services.settings_for(team_id)
    contact = contacts_directory.get(db, team_id, contact_id)
    if contact is None:
        return None
    assign_from = None
    if from_interaction is not None and contact.name is None and assignment.may_assign(
            db, settings, team_id, user_id, from_interaction):
        assign_from = from_interaction
    actions = ContactActions(
        new_sms=outbound.may_send(db, settings, team_id, user_id),
        edit=contact_editing.may_edit(db, settings, team_id, user_id),
        assign_interaction_id=assign_from, from_interaction_id=from_interaction,
        opted_out=contacts_directory.is_opted_out(db, team_id, contact))
    history = contact_history(db, team_id, contact_id, _shown(services, team_id))
    return build_contact_modal(contact, history, page, actions)


def open_from_card(services: Services, client: WebClient, body: dict, context: BoltContext,
                   interaction_id: int) -> None:
    """The card menu's "Contact…": the modal of the interaction's contact."""
    team_id, user_id = context.team_id, context.user_id
    settings = services.settings_for(team_id)
    if not contacts_directory.may_view(services.db, settings, team_id, user_id):
        client.views_open(trigger_id=body["trigger_id"], view=notice_modal("Contact",
            contacts_directory.refusal_for_view(settings)))
        return
    contact_id = contacts_directory.contact_of_interaction(services.db, team_id, interaction_id)
    modal = contact_id and contact_modal(services, team_id, user_id, contact_id,
                                         from_interaction=interaction_id)
    if modal:
        client.views_open(trigger_id=body["trigger_id"], view=modal)


def _may_view(context: BoltContext, services: Services) -> bool:
    settings = services.settings_for(context.team_id)
    return contacts_directory.may_view(services.db, settings, context.team_id, context.user_id)


def search_contacts(ack: Ack, respond: Respond, command: dict, context: BoltContext,
                    services: Services) -> None:
    """/sms-contact [query]: the results shown only to who asked."""
    ack()
    settings = services.settings_for(context.team_id)
    if not _may_view(context, services):
        answer(respond, contacts_directory.refusal_for_view(settings))
        return
    query = (command.get("text") or "").strip()
    found = contacts_directory.search(services.db, context.team_id, query,
                                      limit=SHOWN_RESULTS + 1,
                                      default_country=settings.default_country)
    answer(respond, **build_search_results(query, found))


def view_contact(ack: Ack, body: dict, client: WebClient, context: BoltContext,
                 services: Services) -> None:
    """View on a search result, or the recent count on a preview or a card."""
    ack()
    if not _may_view(context, services):
        if not body.get("view"):  # a card in the desk channel is seen by everyone in it
            client.views_open(trigger_id=body["trigger_id"], view=notice_modal(
                "Contact", contacts_directory.refusal_for_view(
                    services.settings_for(context.team_id))))
        return
    modal = contact_modal(services, context.team_id, context.user_id,
                          int(body["actions"][0]["value"]))
    if modal is None:
        return
    if body.get("view"):  # a result in the search modal: on top of it
        client.views_push(trigger_id=body["trigger_id"], view=modal)
    else:
        client.views_open(trigger_id=body["trigger_id"], view=modal)


def open_search(ack: Ack, body: dict, client: WebClient, context: BoltContext,
                services: Services) -> None:
    """The Home tab's Find a contact."""
    settings = services.settings_for(context.team_id)
    ack()
    client.views_open(trigger_id=body["trigger_id"], view=(
        views.build_search_modal() if _may_view(context, services)
        else notice_modal("Contact", contacts_directory.refusal_for_view(settings))))


def search_in_modal(ack: Ack, body: dict, client: WebClient, context: BoltContext,
                    services: Services) -> None:
    settings = services.settings_for(context.team_id)
    ack()
    if not _may_view(context, services):
        return
    query = (body["actions"][0].get("value") or "").strip()
    found = contacts_directory.search(services.db, context.team_id, query,
                                      limit=SHOWN_RESULTS + 1,
                                      default_country=settings.default_country)
    client.views_update(view_id=body["view"]["id"],
                        view=views.build_search_modal(query, found))


def submit_search(ack: Ack, view: dict, context: BoltContext, services: Services) -> None:
    settings = services.settings_for(context.team_id)
    if not _may_view(context, services):
        ack(response_action="errors", errors={
            views.SEARCH_BLOCK: contacts_directory.refusal_for_view(settings)})
        return
    query = views.search_query(view)
    found = contacts_directory.search(services.db, context.team_id, query,
                                      limit=SHOWN_RESULTS + 1,
                                      default_country=settings.default_country)
    ack(response_action="update", view=views.build_search_modal(query, found))


def turn_page(ack: Ack, body: dict, client: WebClient, context: BoltContext,
              services: Services) -> None:
    """Older / Newer in the contact's history."""
    ack()
    if not _may_view(context, services):
        return
    contact_id, page = _pair(body)
    modal = contact_modal(services, context.team_id, context.user_id, contact_id, page,
                          views.origin_of(body["view"]))
    if modal:
        client.views_update(view_id=body["view"]["id"], hash=body["view"].get("hash"),
                            view=modal)


def show_transcript(ack: Ack, body: dict, client: WebClient, context: BoltContext,
                    services: Services) -> None:
    ack()
    if not _may_view(context, services):
        return
    db = services.db
    contact_id, interaction_id = _pair(body)
    contact = contacts_directory.get(db, context.team_id, contact_id)
    if contact is None:
        return
    entry = next((e for e in contact_history(db, context.team_id, contact_id,
                                             _shown(services, context.team_id))
                  if e.interaction_id == interaction_id), None)
    if entry is not None:
        client.views_push(trigger_id=body["trigger_id"],
                          view=build_transcript_modal(contact, entry))


# --- Edit ------------------------------------------------------------------------------

def open_edit(ack: Ack, body: dict, client: WebClient, context: BoltContext,
              services: Services) -> None:
    settings = services.settings_for(context.team_id)
    ack()
    db = services.db
    if not contact_editing.may_edit(db, settings, context.team_id, context.user_id):
        return
    contact = contacts_directory.get(db, context.team_id, int(body["actions"][0]["value"]))
    if contact is not None:
        view = body.get("view") or {}
        client.views_push(trigger_id=body["trigger_id"], view=views.build_contact_edit_modal(
            contact, view.get("id"), views.origin_of(view)))


def save_edit(ack: Ack, view: dict, client: WebClient, context: BoltContext,
              services: Services) -> None:
    settings = services.settings_for(context.team_id)
    contact_part, root_view_id, origin = (view["private_metadata"].split(":") + ["", ""])[:3]
    values = views.edit_values(view)
    result = contact_editing.update_contact(
        services.db, settings, context.team_id, context.user_id, int(contact_part),
        ContactEdit(values["name"], values["email"], values["numbers"],
                    values["attributes"]))
    if result.refused:
        ack(response_action="errors", errors={"contact_edit.name": result.refused})
        return
    if result.errors:
        ack(response_action="errors", errors={
            f"contact_edit.{field}": why for field, why in result.errors.items()})
        return
    ack()
    # Back on the contact modal underneath: show what was just saved.
    modal = contact_modal(services, context.team_id, context.user_id, int(contact_part),
                          from_interaction=int(origin) if origin.isdigit() else None)
    if modal and root_view_id:
        client.views_update(view_id=root_view_id, view=modal)


# --- Assign an unknown number to a contact ---------------------------------------------

def open_assign(ack: Ack, body: dict, client: WebClient, context: BoltContext,
                services: Services) -> None:
    settings = services.settings_for(context.team_id)
    ack()
    db = services.db
    interaction_id = int(body["actions"][0]["value"])
    if not assignment.may_assign(db, settings, context.team_id, context.user_id,
                                 interaction_id):
        return
    contact_id = contacts_directory.contact_of_interaction(db, context.team_id,
                                                           interaction_id)
    contact = contact_id and contacts_directory.get(db, context.team_id, contact_id)
    if contact:
        client.views_push(trigger_id=body["trigger_id"],
                          view=views.build_assign_modal(interaction_id, contact.phone))


def suggest_contacts(ack: Ack, body: dict, context: BoltContext, services: Services) -> None:
    settings = services.settings_for(context.team_id)
    if not _may_view(context, services):
        ack(options=[])
        return
    found = contacts_directory.search(services.db, context.team_id, body.get("value") or "",
                                      limit=50, default_country=settings.default_country)
    # Only named contacts: an unknown number is not someone to assign to.
    ack(options=[views.contact_option(c) for c in found if c.name])


def assign(ack: Ack, view: dict, context: BoltContext, services: Services) -> None:
    settings = services.settings_for(context.team_id)
    db = services.db
    interaction_id, confirmed, picked = views.assign_choice(view)
    contact_id = contacts_directory.contact_of_interaction(db, context.team_id,
                                                           interaction_id)
    source = contact_id and contacts_directory.get(db, context.team_id, contact_id)
    if confirmed is None:
        target = picked and contacts_directory.get(db, context.team_id, picked)
        if not source or not target:
            ack(response_action="errors",
                errors={views.ASSIGN_BLOCK: "Pick a contact from the list."})
            return
        ack(response_action="update",
            view=views.build_assign_confirm(interaction_id, source.phone, target))
        return
    result = assignment.assign(db, settings, context.team_id, context.user_id,
                               interaction_id, confirmed)
    if result.outcome is not assignment.AssignOutcome.ASSIGNED:
        ack(response_action="update", view=notice_modal("Contact", result.message))
        return
    # All modals closed: the card and the thread now say whose the interaction is.
    ack(response_action="clear")


def register(app: App) -> None:
    app.command(ids.COMMAND_CONTACT)(search_contacts)
    app.action(ids.VIEW_CONTACT)(view_contact)
    app.action(ids.HOME_FIND_CONTACT)(open_search)
    app.action(ids.CONTACT_SEARCH_INPUT)(search_in_modal)
    app.view(ids.CONTACT_SEARCH_VIEW)(submit_search)
    app.action(ids.CONTACT_NEWER)(turn_page)
    app.action(ids.CONTACT_OLDER)(turn_page)
    app.action(ids.CONTACT_TRANSCRIPT)(show_transcript)
    app.action(ids.CONTACT_EDIT)(open_edit)
    app.view(ids.CONTACT_EDIT_VIEW)(save_edit)
    app.action(ids.CONTACT_ASSIGN)(open_assign)
    app.options(ids.ASSIGN_SEARCH)(suggest_contacts)
    app.view(ids.ASSIGN_VIEW)(assign)
