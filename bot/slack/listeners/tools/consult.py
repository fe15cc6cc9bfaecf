"""Card tool: consultation (instant message with a colleague)."""

from __future__ import annotations

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.desk.interactions import consultations, transfers
from bot.services import Services
from bot.slack import ids
from bot.slack.directory import display_name
from bot.slack.views.common import interaction_id_of
from bot.slack.views.transfer import build_consult_modal, chosen_colleague, colleague_error


def open_modal(services: Services, client: WebClient, body: dict, context: BoltContext,
               interaction_id: int) -> None:
    team_id, user_id = context.team_id, context.user_id
    why_not = transfers.may_transfer(services.db, team_id, interaction_id, user_id)
    if why_not:
        transfers.refuse(services.db, team_id, user_id, why_not)
        return
    found = consultations.colleagues(services.db, services.settings_for(team_id), team_id,
                                     interaction_id, user_id)

    def named(people: tuple[consultations.Colleague, ...]
              ) -> list[tuple[consultations.Colleague, str]]:
        # Ready first, then by name: who can answer now is who the agent looks for.
        pairs = [(c, display_name(client, team_id, c.user_id)) for c in people]
        return sorted(pairs, key=lambda pair: (not pair[0].ready, pair[1].casefold()))

    client.views_open(trigger_id=body["trigger_id"], view=build_consult_modal(
        interaction_id, found.queue, named(found.in_queue), named(found.others)))


def start_consultation(ack: Ack, view: dict, context: BoltContext, services: Services) -> None:
    interaction_id = interaction_id_of(view)
    if interaction_id is None:
        ack()  # a forged or damaged modal: there is nothing to save it to
        return
    colleague, errors = chosen_colleague(view)
    if colleague is None:
        ack(response_action="errors", errors=errors)
        return
    error = consultations.start_consultation(services.db, context.team_id, interaction_id,
                                             context.user_id, colleague)
    if error:
        ack(response_action="errors", errors=colleague_error(view, error))
    else:
        ack()


def register(app: App) -> None:
    app.view(ids.CONSULT_VIEW)(start_consultation)
