"""The WSGI app: Slack events, Twilio webhooks, the simulator, health. Served by waitress."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, Response, jsonify, request
from slack_bolt import App
from slack_bolt.adapter.flask import SlackRequestHandler

from bot.services import Services
from bot.web import media_routes, simulator, twilio_routes
from bot.web.media_links import MediaLinks

# Twilio's largest webhook (an MMS with ten media URLs) is a few KB; Slack's payloads are
# well under this too.
MAX_BODY_BYTES = 256 * 1024


@dataclass
class WebContext:
    services: Services
    team_id: str
    public_url: str
    twilio_auth_token: str | None
    media_links: MediaLinks


def create_web_app(context: WebContext, bolt_app: App | None) -> Flask:
    """`bolt_app` is None in Socket Mode: Slack talks over the socket, not /slack/events."""
    web = Flask("smsdesk")
    web.config["SMSDESK"] = context
    web.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    web.register_blueprint(twilio_routes.blueprint)
    web.register_blueprint(media_routes.blueprint)
    if context.services.simulator_url is not None:
        web.register_blueprint(simulator.blueprint)

    if bolt_app is not None:
        slack_handler = SlackRequestHandler(bolt_app)

        @web.post("/slack/events")
        def slack_events() -> Response:
            return slack_handler.handle(request)

    @web.get("/healthz")
    def healthz() -> Response:
        return jsonify(ok=True)

    return web
