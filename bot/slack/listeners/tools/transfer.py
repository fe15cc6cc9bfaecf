"""Card tool: instant transfer (modal, submission) and the one-click transfer after a consult."""

from __future__ import annotations

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.desk.interactions import transfers
from bot.services import Services
from bot.slack import ids
from bot.slack.directory import display_name
from bot.slack.views.common import interaction_id_of
from bot.slack.views.transfer import (
    REASON_ACTION,
    REASON_BLOCK,
    TARGET_ACTION,
    TARGET_BLOCK,
    build_transfer_modal,
)


def open_modal(services: Services, client: WebClient, body: dict, context: BoltContext,
               interaction_id: int) -> None:
    team_id, user_id = context.team_id, context.user_id
    why_not = transfers.may_transfer(services.db, team_id, interaction_id, user_id)
    if why_not:
        transfers.refuse(services.db, team_id, user_id, why_not)
        return
    found = transfers.targets(services.db, services.settings_for(team_id), team_id,
                              interaction_id, user_id)
    names = [(user, display_name(client, team_id, user)) for user in found.colleagues]
    client.views_open(trigger_id=body["trigger_id"], view=build_transfer_modal(
        interaction_id, found.queue, names, list(found.other_queues)))


def open_transfer(ack: Ack, body: dict, client: WebClient, context: BoltContext,
                  services: Services) -> None:
    ack()
    open_modal(services, client, body, context, int(body["actions"][0]["value"]))


def start_transfer(ack: Ack, view: dict, context: BoltContext, services: Services) -> None:
    interaction_id = interaction_id_of(view)
    if interaction_id is None:
        ack()  # a forged or damaged modal: there is nothing to save it to
        return
    values = view["state"]["values"]
    chosen = (values.get(TARGET_BLOCK, {}).get(TARGET_ACTION, {}).get("selected_option")
              or {}).get("value")
    if not chosen:
        ack(response_action="errors", errors={TARGET_BLOCK: "Pick who takes it over."})
        return
    reason = values.get(REASON_BLOCK, {}).get(REASON_ACTION, {}).get("value")
    result = transfers.start_transfer(services.db, services.settings_for(context.team_id),
                                      context.team_id, interaction_id, context.user_id,
                                      chosen, reason)
    if result.started:
        ack()
    else:
        ack(response_action="errors", errors={TARGET_BLOCK: result.error})


def transfer_to_consulted(ack: Ack, body: dict, context: BoltContext,
                          services: Services) -> None:
    ack()
    interaction_id, _, colleague = body["actions"][0]["value"].partition(":")
    transfers.transfer_to_consulted(services.db, services.settings_for(context.team_id),
                                    context.team_id, int(interaction_id), context.user_id,
                                    colleague, (body.get("channel") or {}).get("id"))


def register(app: App) -> None:
    app.action(ids.OPEN_TRANSFER)(open_transfer)
    app.view(ids.TRANSFER_VIEW)(start_transfer)
    app.action(ids.TRANSFER_TO_CONSULTED)(transfer_to_consulted)
