"""Media: an agent clicks to open the files a customer sent (MMS); the links come by DM."""

from __future__ import annotations

from slack_bolt import Ack, App, BoltContext

from bot.desk.interactions import mms
from bot.services import Services
from bot.slack import ids
from bot.slack.listeners.common import a_row_id_value, clicked_row_id


def open_media(ack: Ack, body: dict, context: BoltContext, services: Services) -> None:
    settings = services.settings_for(context.team_id)
    ack()
    team_id = context.team_id
    mms.share_links(services.db, settings, team_id, clicked_row_id(body), context.user_id,
                    lambda media_id, purpose: services.media_link(team_id, media_id, purpose))


def register(app: App) -> None:
    app.action(ids.OPEN_MEDIA, middleware=[a_row_id_value])(open_media)
