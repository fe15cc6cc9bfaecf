"""Offers: an agent clicks Accept or Reject on a preview in their DM."""

from __future__ import annotations

from slack_bolt import Ack, App, BoltContext

from bot.desk.interactions import offers
from bot.services import Services
from bot.slack import ids
from bot.slack.listeners.common import a_row_id_value, clicked_row_id


def accept_offer(ack: Ack, body: dict, context: BoltContext, services: Services) -> None:
    settings = services.settings_for(context.team_id)
    ack()
    answer = offers.accept_offer(services.db, settings, context.team_id, clicked_row_id(body),
                                 context.user_id, body.get("response_url"))
    services.metrics.observe_accept(answer.waited_seconds)


def reject_offer(ack: Ack, body: dict, context: BoltContext, services: Services) -> None:
    settings = services.settings_for(context.team_id)
    ack()
    offers.reject_offer(services.db, settings, context.team_id, clicked_row_id(body),
                        context.user_id, body.get("response_url"))


def register(app: App) -> None:
    app.action(ids.ACCEPT_OFFER, middleware=[a_row_id_value])(accept_offer)
    app.action(ids.REJECT_OFFER, middleware=[a_row_id_value])(reject_offer)
