"""The bolt app: one App, listeners registered per kind, one error handler."""

from __future__ import annotations

import logging
from concurrent.futures import Executor

from slack_bolt import App
from slack_sdk import WebClient

from bot.services import Services
from bot.slack.listeners import (
    actions,
    commands,
    contacts,
    events,
    outbound,
    spelling,
    supervision,
    tools,
)

log = logging.getLogger(__name__)


class _SameTokenNotice(logging.Filter):
    """bolt reads SLACK_BOT_TOKEN itself and warns that our client (built from that same
    token) wins; the warning would send an admin hunting for a problem that isn't there."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()


log.addFilter(_SameTokenNotice())


def build_bolt_app(services: Services, client: WebClient, signing_secret: str | None,
                   listener_executor: Executor | None = None) -> App:
    app = App(
        listener_executor=listener_executor,
        client=client,
        signing_secret=signing_secret or "unused-in-socket-mode",
        # Socket Mode requests are authenticated by the socket itself.
        request_verification_enabled=signing_secret is not None,
        name="smsdesk",
        logger=log,
    )

    @app.error
    def on_error(error: Exception, body: dict) -> None:
        # Listeners ack first, so the user already has an answer; the failure is logged with
        # what Slack sent so it can be replayed. Domain outcomes never reach here.
        log.exception("listener failed for %s", body.get("type"), exc_info=error)

    actions.register(app, services)
    commands.register(app, services)
    events.register(app, services)
    tools.register(app, services)
    spelling.register(app, services)
    supervision.register(app, services)
    contacts.register(app, services)
    outbound.register(app, services)
    return app
