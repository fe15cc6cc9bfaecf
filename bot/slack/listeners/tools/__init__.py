"""The agent's tools on the interaction card: each opens a modal and handles its submission.

The card's overflow menu carries "<tool>:<interaction id>" values; `open_from_menu` sends the
click to the tool's `open_modal`, which must call views.open at once (the trigger_id lives
three seconds).
"""

from __future__ import annotations

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.services import Services
from bot.slack import ids
from bot.slack.listeners.tools import (
    case,
    compose,
    consult,
    contact,
    disposition,
    note,
    transfer,
)

MENU_TOOLS = {
    ids.MENU_CONSULT: consult,
    ids.MENU_NOTE: note,
    ids.MENU_DISPOSITION: disposition,
    ids.MENU_CASE: case,
    ids.MENU_CONTACT: contact,
}


def open_from_menu(ack: Ack, body: dict, client: WebClient, context: BoltContext,
                   services: Services) -> None:
    ack()
    tool, _, interaction_id = body["actions"][0]["selected_option"]["value"].partition(":")
    MENU_TOOLS[tool].open_modal(services, client, body, context, int(interaction_id))


def register(app: App) -> None:
    app.action(ids.CARD_MENU)(open_from_menu)
    for module in (case, compose, consult, disposition, note, transfer):
        module.register(app)
