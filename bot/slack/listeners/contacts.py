"""Contact directory: /sms-contact, View (opens the contact modal), history paging, and
Transcript (pushed on top of the contact modal)."""

from __future__ import annotations

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.desk import contacts_directory
from bot.desk.history import contact_history
from bot.services import Services
from bot.slack import ids
from bot.slack.views.contacts import (
    SHOWN_RESULTS,
    build_contact_modal,
    build_search_results,
    build_transcript_modal,
)


def _pair(body: dict) -> tuple[int, int]:
    first, _, second = body["actions"][0]["value"].partition(":")
    return int(first), int(second or 0)


def register(app: App, services: Services) -> None:
    db, settings = services.db, services.settings

    @app.command(ids.COMMAND_CONTACT)
    def search_contacts(ack: Ack, command: dict, context: BoltContext) -> None:
        # Indexed lookups: answered in the ack itself, privately.
        query = (command.get("text") or "").strip()
        found = contacts_directory.search(db, context.team_id, query, limit=SHOWN_RESULTS + 1,
                                          default_country=settings.default_country)
        ack(**build_search_results(query, found))

    @app.action(ids.VIEW_CONTACT)
    def view_contact(ack: Ack, body: dict, client: WebClient, context: BoltContext) -> None:
        ack()
        contact_id = int(body["actions"][0]["value"])
        contact = contacts_directory.get(db, context.team_id, contact_id)
        if contact is None:
            return
        history = contact_history(db, context.team_id, contact_id)
        client.views_open(trigger_id=body["trigger_id"],
                          view=build_contact_modal(contact, history))

    @app.action(ids.CONTACT_OLDER)
    @app.action(ids.CONTACT_NEWER)
    def turn_page(ack: Ack, body: dict, client: WebClient, context: BoltContext) -> None:
        ack()
        contact_id, page = _pair(body)
        contact = contacts_directory.get(db, context.team_id, contact_id)
        if contact is None:
            return
        history = contact_history(db, context.team_id, contact_id)
        client.views_update(view_id=body["view"]["id"], hash=body["view"].get("hash"),
                            view=build_contact_modal(contact, history, page))

    @app.action(ids.CONTACT_TRANSCRIPT)
    def show_transcript(ack: Ack, body: dict, client: WebClient, context: BoltContext) -> None:
        ack()
        contact_id, interaction_id = _pair(body)
        contact = contacts_directory.get(db, context.team_id, contact_id)
        if contact is None:
            return
        entry = next((e for e in contact_history(db, context.team_id, contact_id)
                      if e.interaction_id == interaction_id), None)
        if entry is not None:
            client.views_push(trigger_id=body["trigger_id"],
                              view=build_transcript_modal(contact, entry))
