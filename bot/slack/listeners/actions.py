"""Button clicks: Done on a card, a customer's media."""

from __future__ import annotations

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.desk import mms, replies
from bot.services import Services
from bot.slack import ids
from bot.slack.listeners.common import a_row_id_value, clicked_row_id
from bot.slack.listeners.tools import disposition


def register(app: App, services: Services) -> None:
    db = services.db

    @app.action(ids.MARK_DONE, middleware=[a_row_id_value])
    def done(ack: Ack, body: dict, client: WebClient, context: BoltContext) -> None:
        settings = services.settings_for(context.team_id)
        ack()
        outcome = replies.mark_done(db, settings, context.team_id, clicked_row_id(body),
                                    context.user_id)
        if outcome is replies.DoneOutcome.NEEDS_DISPOSITION:
            # Mandatory dispositions: Done waits for a code, so ask for it while the
            # click's trigger_id is still good.
            disposition.open_modal(services, client, body, context, clicked_row_id(body))

    @app.action(ids.OPEN_MEDIA, middleware=[a_row_id_value])
    def open_media(ack: Ack, body: dict, context: BoltContext) -> None:
        settings = services.settings_for(context.team_id)
        ack()
        team_id = context.team_id
        mms.share_links(db, settings, team_id, clicked_row_id(body), context.user_id,
                        lambda media_id, purpose: services.media_link(team_id, media_id,
                                                                      purpose))
