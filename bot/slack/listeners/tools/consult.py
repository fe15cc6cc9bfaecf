"""Card tool: consult (modal and submission)."""

from __future__ import annotations

from slack_bolt import App, BoltContext
from slack_sdk import WebClient

from bot.services import Services


def open_modal(services: Services, client: WebClient, body: dict, context: BoltContext,
               interaction_id: int) -> None:
    raise NotImplementedError("consult tool")


def register(app: App, services: Services) -> None:
    pass
