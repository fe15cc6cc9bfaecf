"""Button clicks: Accept / Reject on a preview, Done on a card, Retry on a failed reply."""

from __future__ import annotations

import logging
from collections.abc import Callable

from slack_bolt import Ack, App, BoltContext, BoltResponse
from slack_sdk import WebClient

from bot.desk import mms, offers, replies
from bot.services import Services
from bot.slack import ids
from bot.slack.listeners.tools import disposition
from bot.slack.views.common import row_id_of

log = logging.getLogger(__name__)
REFUSED_VALUE = "This button does not belong to anything on the desk; nothing was changed."


def _value(body: dict) -> int:
    return int(body["actions"][0]["value"])


def _a_row_id_value(body: dict, next: Callable[[], None]) -> BoltResponse | None:
    """Every button here carries the id of an offer, interaction, message or media row; a
    value that is no id was not written by this app, and reaches no listener."""
    value = (body.get("actions") or [{}])[0].get("value")
    if row_id_of(value) is None:
        log.warning("refused a click whose value is not a row id")
        return BoltResponse(status=400, body=REFUSED_VALUE)
    next()
    return None


def register(app: App, services: Services) -> None:
    db = services.db

    @app.action(ids.ACCEPT_OFFER, middleware=[_a_row_id_value])
    def accept(ack: Ack, body: dict, context: BoltContext) -> None:
        settings = services.settings_for(context.team_id)
        ack()
        answer = offers.accept_offer(db, settings, context.team_id, _value(body),
                                     context.user_id)
        services.metrics.observe_accept(answer.waited_seconds)

    @app.action(ids.REJECT_OFFER, middleware=[_a_row_id_value])
    def reject(ack: Ack, body: dict, context: BoltContext) -> None:
        settings = services.settings_for(context.team_id)
        ack()
        offers.reject_offer(db, settings, context.team_id, _value(body), context.user_id)

    @app.action(ids.MARK_DONE, middleware=[_a_row_id_value])
    def done(ack: Ack, body: dict, client: WebClient, context: BoltContext) -> None:
        settings = services.settings_for(context.team_id)
        ack()
        outcome = replies.mark_done(db, settings, context.team_id, _value(body),
                                    context.user_id)
        if outcome is replies.DoneOutcome.NEEDS_DISPOSITION:
            # Mandatory dispositions: Done waits for a code, so ask for it while the
            # click's trigger_id is still good.
            disposition.open_modal(services, client, body, context, _value(body))

    @app.action(ids.OPEN_MEDIA, middleware=[_a_row_id_value])
    def open_media(ack: Ack, body: dict, context: BoltContext) -> None:
        settings = services.settings_for(context.team_id)
        ack()
        team_id = context.team_id
        mms.share_links(db, settings, team_id, _value(body), context.user_id,
                        lambda media_id, purpose: services.media_link(team_id, media_id,
                                                                      purpose))

    @app.action(ids.RETRY_SEND, middleware=[_a_row_id_value])
    def retry_send(ack: Ack, body: dict, context: BoltContext) -> None:
        ack()
        replies.resend_failed_reply(db, context.team_id, _value(body), context.user_id)
