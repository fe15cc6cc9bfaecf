"""Slash commands: /sms-ready and /sms-notready [reason]."""

from __future__ import annotations

from slack_bolt import Ack, App, BoltContext

from bot.desk import agents
from bot.services import Services
from bot.slack import ids
from bot.slack.mrkdwn import escape


def register(app: App, services: Services) -> None:
    db = services.db

    @app.command(ids.COMMAND_READY)
    def ready(ack: Ack, context: BoltContext) -> None:
        settings = services.settings_for(context.team_id)
        if not agents.may_go_ready(db, settings, context.team_id, context.user_id):
            ack(agents.NOT_AN_AGENT)
            return
        ack("You are *Ready* for SMS. New interactions will be offered to you here.")
        agents.set_ready(db, settings, context.team_id, context.user_id, True)

    @app.command(ids.COMMAND_NOT_READY)
    def not_ready(ack: Ack, command: dict, context: BoltContext) -> None:
        settings = services.settings_for(context.team_id)
        reason = (command.get("text") or "").strip()[:200] or None
        said = f" ({escape(reason)})" if reason else ""
        ack(f"You are *Not Ready* for SMS{said}. Interactions you hold stay yours.")
        agents.set_ready(db, settings, context.team_id, context.user_id, False, reason)
