"""Button clicks: Accept / Reject on a preview, Done on a card, Retry on a failed reply,
Ready / Not Ready on Home."""

from __future__ import annotations

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.desk import agents, mms, offers, replies
from bot.services import Services
from bot.slack import ids
from bot.slack.listeners.tools import disposition


def _value(body: dict) -> int:
    return int(body["actions"][0]["value"])


def register(app: App, services: Services) -> None:
    db, settings = services.db, services.settings

    @app.action(ids.ACCEPT_OFFER)
    def accept(ack: Ack, body: dict, context: BoltContext) -> None:
        ack()
        answer = offers.accept_offer(db, settings, context.team_id, _value(body),
                                     context.user_id)
        services.metrics.observe_accept(answer.waited_seconds)

    @app.action(ids.REJECT_OFFER)
    def reject(ack: Ack, body: dict, context: BoltContext) -> None:
        ack()
        offers.reject_offer(db, settings, context.team_id, _value(body), context.user_id)

    @app.action(ids.MARK_DONE)
    def done(ack: Ack, body: dict, client: WebClient, context: BoltContext) -> None:
        ack()
        outcome = replies.mark_done(db, settings, context.team_id, _value(body),
                                    context.user_id)
        if outcome is replies.DoneOutcome.NEEDS_DISPOSITION:
            # Mandatory dispositions: Done waits for a code, so ask for it while the
            # click's trigger_id is still good.
            disposition.open_modal(services, client, body, context, _value(body))

    @app.action(ids.OPEN_MEDIA)
    def open_media(ack: Ack, body: dict, context: BoltContext) -> None:
        ack()
        team_id = context.team_id
        mms.share_links(db, settings, team_id, _value(body), context.user_id,
                        lambda media_id, purpose: services.media_link(team_id, media_id,
                                                                      purpose))

    @app.action(ids.RETRY_SEND)
    def retry_send(ack: Ack, body: dict, context: BoltContext) -> None:
        ack()
        replies.resend_failed_reply(db, context.team_id, _value(body), context.user_id)

    @app.action(ids.SET_READY)
    def go_ready(ack: Ack, context: BoltContext) -> None:
        ack()
        agents.set_ready(db, settings, context.team_id, context.user_id, True)

    @app.action(ids.SET_NOT_READY)
    def go_not_ready(ack: Ack, context: BoltContext) -> None:
        ack()
        agents.set_ready(db, settings, context.team_id, context.user_id, False)
