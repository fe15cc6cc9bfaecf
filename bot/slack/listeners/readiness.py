"""Readiness: an agent goes Ready or Not Ready, by /sms-ready and /sms-notready [reason] or
by the Home tab's buttons."""

from __future__ import annotations

import logging

from slack_bolt import Ack, App, BoltContext, Respond

from bot.desk.interactions import agents
from bot.services import Services
from bot.slack import ids
from bot.slack.listeners.common import answer
from bot.slack.mrkdwn import escape

log = logging.getLogger(__name__)
READY = "You are *Ready* for SMS. New interactions will be offered to you here."


def go_ready(ack: Ack, respond: Respond, context: BoltContext, services: Services) -> None:
    """/sms-ready: the answer says whether it took."""
    ack()
    settings = services.settings_for(context.team_id)
    try:
        agents.set_ready(services.db, settings, context.team_id, context.user_id, True)
    except agents.NotAnAgent:
        answer(respond, agents.NOT_AN_AGENT)
        return
    answer(respond, READY)


def go_not_ready(ack: Ack, respond: Respond, command: dict, context: BoltContext,
                 services: Services) -> None:
    """/sms-notready [reason]."""
    ack()
    settings = services.settings_for(context.team_id)
    reason = (command.get("text") or "").strip()[:200] or None
    agents.set_ready(services.db, settings, context.team_id, context.user_id, False, reason)
    said = f" ({escape(reason)})" if reason else ""
    answer(respond, f"You are *Not Ready* for SMS{said}. Interactions you hold stay yours.")


def go_ready_from_home(ack: Ack, context: BoltContext, services: Services) -> None:
    settings = services.settings_for(context.team_id)
    ack()
    try:
        agents.set_ready(services.db, settings, context.team_id, context.user_id, True,
                         from_home=True)
    except agents.NotAnAgent:
        # The Home tab still shows Not Ready: a click that changes nothing.
        log.info("%s is not an agent: stays Not Ready", context.user_id)


def go_not_ready_from_home(ack: Ack, context: BoltContext, services: Services) -> None:
    settings = services.settings_for(context.team_id)
    ack()
    agents.set_ready(services.db, settings, context.team_id, context.user_id, False,
                     from_home=True)


def register(app: App) -> None:
    app.command(ids.COMMAND_READY)(go_ready)
    app.command(ids.COMMAND_NOT_READY)(go_not_ready)
    app.action(ids.SET_READY)(go_ready_from_home)
    app.action(ids.SET_NOT_READY)(go_not_ready_from_home)
