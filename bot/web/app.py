"""The WSGI app: Slack events, Twilio webhooks, the simulator, health. Served by waitress."""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from flask import Flask, Response, request
from slack_bolt import App
from slack_bolt.adapter.flask import SlackRequestHandler

from bot.config.env import VonageEnv
from bot.health import Readiness
from bot.services import Services
from bot.slack import acking
from bot.web import (
    media_routes,
    ops_routes,
    simulator,
    telnyx_routes,
    twilio_routes,
    vonage_routes,
)
from bot.web.media_links import MediaLinks

# Twilio's largest webhook (an MMS with ten media URLs) is a few KB; Slack's payloads are
# well under this too.
MAX_BODY_BYTES = 256 * 1024


@dataclass
class WebContext:
    services: Services
    team_id: str | None  # the one workspace of a bot-token desk; None with OAuth installs
    public_url: str
    twilio_auth_token: str | None
    media_links: MediaLinks
    readiness: Readiness  # the checks behind /readyz
    simulator_token: str | None = None  # the key of /simulator's address (simulator mode)
    ops_token: str | None = None  # SMSDESK_OPS_TOKEN: /metrics and /readyz's details
    # SMS_PROVIDER=telnyx: the key its webhooks are verified with (None: they are refused).
    telnyx_public_key: Ed25519PublicKey | None = None
    vonage: VonageEnv | None = None  # SMS_PROVIDER=vonage: its webhooks' secret

    def team_for(self, business_number: str) -> str | None:
        """The workspace a text to this business number belongs to."""
        return self.services.all_settings.team_for_number(business_number) or self.team_id

    def country_for(self, business_number: str) -> str | None:
        """The country a customer's number written without its country code is read in, when
        they text this business number: its workspace's (None: it reaches no workspace)."""
        team_id = self.team_for(business_number)
        return None if team_id is None else self.services.settings_for(team_id).default_country


def create_web_app(context: WebContext, bolt_app: App | None) -> Flask:
    """`bolt_app` is None in Socket Mode: Slack talks over the socket, not /slack/events."""
    web = Flask("smsdesk")
    web.config["SMSDESK"] = context
    web.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    web.register_blueprint(twilio_routes.blueprint)
    web.register_blueprint(telnyx_routes.blueprint)
    web.register_blueprint(vonage_routes.blueprint)
    web.register_blueprint(media_routes.blueprint)
    web.register_blueprint(ops_routes.blueprint)
    if context.simulator_token is not None:
        web.register_blueprint(simulator.blueprint)

    if bolt_app is not None:
        slack_handler = SlackRequestHandler(bolt_app)

        @web.post("/slack/events")
        def slack_events() -> Response:
            # The work a request acknowledged starts once its answer has been written.
            with acking.answer_first() as answered:
                response = slack_handler.handle(request)
            response.call_on_close(answered)
            return response

        if bolt_app.oauth_flow is not None:
            # "Add to Slack" and Slack's redirect back, both answered by bolt's OAuth flow.
            @web.get("/slack/install")
            def slack_install() -> Response:
                return slack_handler.handle(request)

            @web.get("/slack/oauth_redirect")
            def slack_oauth_redirect() -> Response:
                return slack_handler.handle(request)

    web.config["SMSDESK_READINESS"] = context.readiness
    services = context.services
    services.metrics.watch(services.db,
                           lambda: [queue.name for queue in services.all_settings.all_queues()])
    return web
