"""Supervision: /sms-queue, and Reassign (the button, its modal, the submission)."""

from __future__ import annotations

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot.desk.interactions import claiming, supervision
from bot.services import Services
from bot.slack import ids
from bot.slack.directory import display_name
from bot.slack.listeners.common import answer
from bot.slack.views.claiming import with_waiting
from bot.slack.views.common import interaction_id_of
from bot.slack.views.supervision import (
    AGENT_BLOCK,
    MAX_BLOCKS,
    build_queue_report,
    build_reassign_modal,
    chosen_agent,
)


def _clicked_in(body: dict) -> str | None:
    return (body.get("channel") or {}).get("id") or \
        (body.get("container") or {}).get("channel_id")


def show_queues(ack: Ack, respond: Respond, context: BoltContext, services: Services) -> None:
    """/sms-queue: a few indexed counts, shown only to who asked."""
    ack()
    settings = services.settings_for(context.team_id)
    report = supervision.queue_report(services.db, settings, context.team_id, context.user_id)
    # Below the queues, what waits in the asker's own queues, with Claim (an agent's view).
    waiting = claiming.waiting_texts(services.db, settings, context.team_id, context.user_id)
    answer(respond, **with_waiting(build_queue_report(report), waiting, MAX_BLOCKS))


def open_reassign(ack: Ack, body: dict, client: WebClient, context: BoltContext,
                  services: Services) -> None:
    settings = services.settings_for(context.team_id)
    ack()
    db = services.db
    team_id, user_id = context.team_id, context.user_id
    form = supervision.reassign_form(db, settings, team_id,
                                     int(body["actions"][0]["value"]), user_id)
    if isinstance(form, supervision.Refused):
        supervision.tell(db, team_id, user_id, form.reason, channel=_clicked_in(body))
        return
    names = [(user, display_name(client, team_id, user)) for user in form.candidates]
    client.views_open(trigger_id=body["trigger_id"], view=build_reassign_modal(form, names))


def reassign(ack: Ack, view: dict, context: BoltContext, services: Services) -> None:
    settings = services.settings_for(context.team_id)
    interaction_id = interaction_id_of(view)
    if interaction_id is None:
        ack()  # a forged or damaged modal: there is nothing to save it to
        return
    target = chosen_agent(view)
    if not target:
        ack(response_action="errors", errors={AGENT_BLOCK: "Pick who takes it."})
        return
    result = supervision.reassign(services.db, settings, context.team_id,
                                  interaction_id, context.user_id, target)
    if result.done:
        ack()
    else:
        ack(response_action="errors", errors={AGENT_BLOCK: result.error})


def register(app: App) -> None:
    app.command(ids.COMMAND_QUEUE)(show_queues)
    app.action(ids.REASSIGN)(open_reassign)
    app.view(ids.REASSIGN_VIEW)(reassign)
