"""Clicks on the prompt of a reply held for its custom emoji: send without them, or cancel."""

from __future__ import annotations

from slack_bolt import Ack, App, BoltContext

from bot.desk.replies import custom_emoji
from bot.services import Services
from bot.slack import ids
from bot.slack.listeners.common import a_row_id_value, clicked_row_id

CHOICES = {
    ids.CUSTOM_EMOJI_SEND_WITHOUT: custom_emoji.Choice.SEND_WITHOUT,
    ids.CUSTOM_EMOJI_CANCEL: custom_emoji.Choice.CANCEL,
}


def decide_on_custom_emoji(ack: Ack, body: dict, context: BoltContext,
                           services: Services) -> None:
    ack()
    custom_emoji.decide(services.db, services.settings_for(context.team_id), context.team_id,
                        clicked_row_id(body), context.user_id,
                        CHOICES[body["actions"][0]["action_id"]])


def register(app: App) -> None:
    for action_id in CHOICES:
        app.action(action_id, middleware=[a_row_id_value])(decide_on_custom_emoji)
