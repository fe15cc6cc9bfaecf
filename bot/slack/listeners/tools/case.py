"""Card tool: Case information — view it, and edit the fields the settings mark editable."""

from __future__ import annotations

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.desk.interactions import case_info
from bot.services import Services
from bot.slack import ids
from bot.slack.views import case as case_view
from bot.slack.views.common import interaction_id_of


def open_modal(services: Services, client: WebClient, body: dict, context: BoltContext,
               interaction_id: int) -> None:
    settings = services.settings_for(context.team_id)
    shown = case_info.case_view(services.db, settings, context.team_id,
                                interaction_id, context.user_id)
    if shown is None:
        return
    client.views_open(trigger_id=body["trigger_id"], view=case_view.build_case_modal(
        shown.interaction_id, shown.case_data, shown.editable, shown.can_edit,
        settings.case_links))


def save_case(ack: Ack, view: dict, context: BoltContext, services: Services) -> None:
    settings = services.settings_for(context.team_id)
    values = case_view.submitted_values(view)
    interaction_id = interaction_id_of(view)
    if not values or interaction_id is None:
        ack()
        return
    result = case_info.update_case(services.db, settings, context.team_id, interaction_id,
                                   context.user_id, values)
    if result.not_allowed:
        ack(response_action="errors", errors={
            case_view.field_block_id(name): case_info.NOT_ALLOWED for name in values})
    elif result.errors:
        ack(response_action="errors", errors={
            case_view.field_block_id(name): error for name, error in result.errors.items()})
    else:
        ack()


def register(app: App) -> None:
    app.view(ids.CASE_VIEW)(save_case)
