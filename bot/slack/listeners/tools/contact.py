"""Card menu "Contact…": the contact modal of the interaction's contact, with New SMS, Edit
and (for an unknown number) Assign to a contact. Its listeners live with the directory's."""

from __future__ import annotations

from slack_bolt import BoltContext
from slack_sdk import WebClient

from bot.services import Services
from bot.slack.listeners.contacts import open_from_card


def open_modal(services: Services, client: WebClient, body: dict, context: BoltContext,
               interaction_id: int) -> None:
    open_from_card(services, client, body, context, interaction_id)

