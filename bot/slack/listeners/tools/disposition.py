"""Wrapping up: Done on the card, and the disposition code (the card menu's tool, and asked
for by Done when the settings make a code mandatory)."""

from __future__ import annotations

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.desk import replies
from bot.desk.interactions import dispositions
from bot.services import Services
from bot.slack import ids
from bot.slack.listeners.common import a_row_id_value, clicked_row_id
from bot.slack.views.common import interaction_id_of
from bot.slack.views.disposition import CODE_BLOCK, build_disposition_modal, submitted_code


def open_modal(services: Services, client: WebClient, body: dict, context: BoltContext,
               interaction_id: int) -> None:
    form = dispositions.open_form(services.db, services.settings_for(context.team_id),
                                  context.team_id, interaction_id, context.user_id)
    if form is None:
        return  # not theirs to set: the domain told them why
    client.views_open(trigger_id=body["trigger_id"], view=build_disposition_modal(form))


def mark_done(ack: Ack, body: dict, client: WebClient, context: BoltContext,
              services: Services) -> None:
    settings = services.settings_for(context.team_id)
    ack()
    outcome = replies.mark_done(services.db, settings, context.team_id, clicked_row_id(body),
                                context.user_id)
    if outcome is replies.DoneOutcome.NEEDS_DISPOSITION:
        # Mandatory dispositions: Done waits for a code, so ask for it while the
        # click's trigger_id is still good.
        open_modal(services, client, body, context, clicked_row_id(body))


def choose_disposition(ack: Ack, view: dict, context: BoltContext, services: Services) -> None:
    interaction_id = interaction_id_of(view)
    if interaction_id is None:
        ack()  # a forged or damaged modal: there is nothing to save it to
        return
    code = submitted_code(view)
    settings = services.settings_for(context.team_id)
    if not code:
        ack(response_action="errors", errors={CODE_BLOCK: "Choose a disposition code"})
        return
    if code not in dispositions.all_codes(settings):
        ack(response_action="errors",
            errors={CODE_BLOCK: "That code is no longer offered: choose another"})
        return
    ack()
    dispositions.set_disposition(services.db, settings, context.team_id,
                                 interaction_id, context.user_id, code)


def register(app: App) -> None:
    app.action(ids.MARK_DONE, middleware=[a_row_id_value])(mark_done)
    app.view(ids.DISPOSITION_VIEW)(choose_disposition)
