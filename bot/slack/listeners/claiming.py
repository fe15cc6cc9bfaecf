"""Claim: an agent takes a waiting text from the list on /sms-queue or their Home tab."""

from __future__ import annotations

from slack_bolt import Ack, App, BoltContext

from bot.desk.interactions import claiming
from bot.services import Services
from bot.slack import ids
from bot.slack.listeners.common import a_row_id_value, clicked_row_id


def claim(ack: Ack, body: dict, context: BoltContext, services: Services) -> None:
    settings = services.settings_for(context.team_id)
    ack()
    result = claiming.claim(services.db, settings, context.team_id, clicked_row_id(body),
                            context.user_id)
    from_home = (body.get("container") or {}).get("type") == "view"
    channel = None if from_home else (body.get("channel") or {}).get("id") or \
        (body.get("container") or {}).get("channel_id")
    claiming.answer(services.db, context.team_id, context.user_id, result,
                    channel=channel, from_home=from_home)


def register(app: App) -> None:
    app.action(ids.CLAIM, middleware=[a_row_id_value])(claim)
