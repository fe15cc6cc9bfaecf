"""Card tool: Add a note (modal and submission). Anyone who can see the card may add one."""

from __future__ import annotations

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.desk.interactions import notes
from bot.services import Services
from bot.slack import ids
from bot.slack.views.common import interaction_id_of
from bot.slack.views.note import NOTE_BLOCK, build_note_modal, submitted_note


def open_modal(services: Services, client: WebClient, body: dict, context: BoltContext,
               interaction_id: int) -> None:
    client.views_open(trigger_id=body["trigger_id"], view=build_note_modal(interaction_id))


def add_note(ack: Ack, view: dict, context: BoltContext, services: Services) -> None:
    interaction_id = interaction_id_of(view)
    if interaction_id is None:
        ack()  # a forged or damaged modal: there is nothing to save it to
        return
    text = submitted_note(view)
    if not text.strip():
        ack(response_action="errors", errors={NOTE_BLOCK: "Write the note first"})
        return
    ack()
    notes.add_note(services.db, context.team_id, interaction_id, context.user_id, text)


def register(app: App) -> None:
    app.view(ids.NOTE_VIEW)(add_note)
