"""The bolt app: one App, the middleware every request passes, one error handler, and the
listener modules (one per feature, bot/slack/listeners/) registered."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor

from slack_bolt import App, BoltContext, BoltResponse
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk import WebClient

from bot.services import Services
from bot.slack import directory, identity
from bot.slack.acking import AckFirstApp
from bot.slack.install_pages import not_serving_text
from bot.slack.listeners import (
    admin,
    claiming,
    contacts,
    custom_emoji,
    home,
    media,
    offers,
    outbound,
    privacy,
    readiness,
    replies,
    reports,
    spelling,
    supervision,
    tools,
    uninstall,
)

log = logging.getLogger(__name__)


class _SameTokenNotice(logging.Filter):
    """bolt reads SLACK_BOT_TOKEN itself and warns that our client (built from that same
    token) wins; the warning would send an admin hunting for a problem that isn't there."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()


log.addFilter(_SameTokenNotice())

NOT_FOR_GUESTS = ("smsdesk is for this workspace's members: guest accounts cannot use it. "
                  "Ask an admin of the workspace if you think you should.")
# What a workspace the settings don't serve is still heard on: its leaving, so its tokens go.
_HEARD_FROM_ANY_WORKSPACE = frozenset({"app_uninstalled", "tokens_revoked"})


def _refused(body: dict, text: str) -> BoltResponse:
    """A slash command's answer shows only to the person who typed it; anything else is
    acknowledged (so Slack does not retry it) and does nothing."""
    if body.get("command"):
        return BoltResponse(status=200, body={"response_type": "ephemeral", "text": text})
    return BoltResponse(status=200, body="")


def build_bolt_app(services: Services, client: WebClient, signing_secret: str | None,
                   listener_executor: Executor | None = None,
                   oauth_settings: OAuthSettings | None = None,
                   installed_team: str | None = None) -> App:
    """`oauth_settings`: installed into workspaces by "Add to Slack" (bolt then finds each
    request's token in the installation store); None: the one workspace of `client`'s token.
    `installed_team`: that one workspace's team id (auth.test at start); a request from any
    other team is refused before a listener sees it."""
    app = AckFirstApp(  # acks before any listener work: bot/slack/acking.py
        listener_executor=listener_executor or ThreadPoolExecutor(max_workers=10),
        client=client,
        signing_secret=signing_secret or "unused-in-socket-mode",
        # Socket Mode requests are authenticated by the socket itself.
        request_verification_enabled=signing_secret is not None,
        oauth_settings=oauth_settings,
        # Who the token is was asked once at start (bot/runtime.py), and every request's
        # authorize reads it from memory instead of asking auth.test again.
        token_verification_enabled=False,
        before_authorize=identity.remembered_in,
        name="smsdesk",
        logger=log,
    )

    @app.use
    def carry_services(context: BoltContext, next: Callable[[], None]) -> None:
        # bolt hands a listener any context key its parameters name: every module-level
        # callback that declares `services` gets these (listeners/__init__.py).
        context["services"] = services
        context["installation_store"] = app.installation_store  # None without OAuth
        next()

    @app.use
    def serve_the_requests_team(context: BoltContext, body: dict,
                                next: Callable[[], None]) -> BoltResponse | None:
        if installed_team is not None and context.team_id != installed_team:
            # One bot token serves one workspace: a request naming another team (a forged
            # payload, or the app installed elsewhere with this desk's signing secret) would
            # act on this workspace's rows with that team's ids. It changes nothing.
            log.warning("refused a Slack %s request from team %s: this desk serves %s",
                        body.get("type") or "command", context.team_id, installed_team)
            if body.get("type") == "event_callback":
                return BoltResponse(status=200, body="")  # no retries of an event we ignore
            return BoltResponse(status=403, body="This app serves another Slack workspace.")
        event_type = (body.get("event") or {}).get("type")
        if (installed_team is None and event_type not in _HEARD_FROM_ANY_WORKSPACE
                and not services.all_settings.names_workspace(context.team_id)):
            # Installed by "Add to Slack" but named by no [workspaces.T…] table: it is no
            # desk, and the top-level numbers, contacts and settings are not its to use.
            log.warning("ignored a Slack %s request from team %s: installed, but the settings "
                        "have no [workspaces.%s] table", body.get("type") or "command",
                        context.team_id, context.team_id)
            return _refused(body, not_serving_text(context.team_id or "T…"))
        if (body.get("type") != "event_callback" and context.user_id
                and directory.is_guest(context.client, context.team_id or "",
                                       context.user_id)):
            log.info("refused a Slack %s request from guest %s", body.get("type") or "command",
                     context.user_id)
            return _refused(body, NOT_FOR_GUESTS)
        next()
        return None

    @app.error
    def on_error(error: Exception, body: dict) -> None:
        # Listeners ack first, so the user already has an answer; the failure is logged with
        # what Slack sent so it can be replayed. Domain outcomes never reach here.
        log.exception("listener failed for %s", body.get("type"), exc_info=error)

    readiness.register(app)
    offers.register(app)
    claiming.register(app)
    replies.register(app)
    media.register(app)
    home.register(app)
    tools.register(app)
    spelling.register(app)
    custom_emoji.register(app)
    supervision.register(app)
    reports.register(app)
    contacts.register(app)
    outbound.register(app)
    admin.register(app)
    privacy.register(app)
    uninstall.register(app)
    return app
