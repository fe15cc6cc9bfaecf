"""Card tool: consultation (instant message with a colleague)."""

from __future__ import annotations

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.desk.interactions import consultations, transfers
from bot.services import Services
from bot.slack import ids
from bot.slack.views.common import interaction_id_of
from bot.slack.views.transfer import COLLEAGUE_ACTION, COLLEAGUE_BLOCK, build_consult_modal


def open_modal(services: Services, client: WebClient, body: dict, context: BoltContext,
               interaction_id: int) -> None:
    why_not = transfers.may_transfer(services.db, context.team_id, interaction_id,
                                     context.user_id)
    if why_not:
        transfers.refuse(services.db, context.team_id, context.user_id, why_not)
        return
    client.views_open(trigger_id=body["trigger_id"], view=build_consult_modal(interaction_id))


def start_consultation(ack: Ack, view: dict, context: BoltContext, services: Services) -> None:
    interaction_id = interaction_id_of(view)
    if interaction_id is None:
        ack()  # a forged or damaged modal: there is nothing to save it to
        return
    colleague = (view["state"]["values"].get(COLLEAGUE_BLOCK, {})
                 .get(COLLEAGUE_ACTION, {}).get("selected_user"))
    if not colleague:
        ack(response_action="errors", errors={COLLEAGUE_BLOCK: "Pick a colleague."})
        return
    error = consultations.start_consultation(services.db, context.team_id, interaction_id,
                                             context.user_id, colleague)
    if error:
        ack(response_action="errors", errors={COLLEAGUE_BLOCK: error})
    else:
        ack()


def register(app: App) -> None:
    app.view(ids.CONSULT_VIEW)(start_consultation)
