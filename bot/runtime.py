"""Assembly: from configuration to a running desk (database, Slack client, worker, web app)."""

from __future__ import annotations

import logging
import secrets
import threading
from concurrent.futures import Executor
from dataclasses import dataclass

from flask import Flask
from slack_bolt import App
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
)
from slack_sdk.oauth.token_rotation import TokenRotator

from bot import health
from bot.config import Env, Settings
from bot.desk.admin import groups
from bot.desk.data_protection import retention
from bot.desk.ports import SmsSender
from bot.desk.reports import digest
from bot.services import Services
from bot.slack import identity, install_pages, installations
from bot.slack.app import build_bolt_app
from bot.slack.ids import BOT_SCOPES
from bot.sms import telnyx
from bot.sms.simulator import SimulatorSender
from bot.sms.telnyx import TelnyxSender
from bot.sms.twilio import TwilioSender
from bot.sms.vonage import vonage_sender
from bot.spelling import checker, dictionaries
from bot.web import telnyx_routes
from bot.web.app import WebContext, create_web_app
from bot.web.media_links import MediaLinks, link_secret
from bot.worker.handlers import run_job
from bot.worker.paced_client import PacedWebClient
from bot.worker.pacing import SlackPacer
from bot.worker.runner import Worker
from storage.db import Database

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    services: Services
    team_id: str | None  # None: installed by OAuth into any number of workspaces
    bolt: App
    web: Flask
    worker: Worker

    def close(self) -> None:
        self.worker.stop()
        self.services.sender.close()
        self.services.db.dispose()


def _sender(env: Env, public_url: str) -> SmsSender:
    if env.sms_provider == "twilio":
        return TwilioSender(env.twilio_account_sid, env.twilio_auth_token, env.twilio_api_url,
                            status_callback_url=f"{public_url}/sms/twilio/status")
    if env.sms_provider == "telnyx":
        return TelnyxSender(env.telnyx_api_key or "", env.telnyx_api_url,
                            webhook_url=f"{public_url}{telnyx_routes.WEBHOOK_PATH}",
                            messaging_profile_id=env.telnyx_messaging_profile_id)
    if env.sms_provider == "vonage" and env.vonage is not None:
        return vonage_sender(env.vonage, status_url=f"{public_url}/sms/vonage/status")
    return SimulatorSender()


def _readiness(env: Env, services: Services, client: WebClient) -> health.Readiness:
    """With one bot token, Slack is ready when the token is; installed by OAuth there is no
    token of the desk's own (each workspace's is checked as jobs use it), so the app's
    credentials are what can be checked."""
    settings = services.all_settings
    local = (() if not settings.spelling_enabled else
             (lambda: health.check_spelling(settings.spelling_language, dictionaries.is_loaded),))
    if env.oauth:
        def slack() -> health.Check:
            return health.check_slack_app(WebClient(base_url=env.slack_api_url, timeout=15),
                                          env.slack_client_id, env.slack_client_secret)
        return health.Readiness(services.db, slack, services.sender, local=local)

    def slack() -> health.Check:
        return health.check_slack(client)

    def desk_channel() -> health.Check:
        return health.check_desk_channel(client, services.all_settings.desk_channel or "",
                                         unchecked_is_ok=True)
    return health.Readiness(services.db, slack, services.sender, desk_channel=desk_channel,
                            local=local)


def _workspaces(settings: Settings, team_id: str | None) -> list[tuple[str, Settings]]:
    """(team, its settings) of every workspace this desk serves that the settings know."""
    known = [(w.team_id, w.settings) for w in settings.workspaces]
    if team_id is not None and team_id not in {team for team, _ in known}:
        known.append((team_id, settings))
    return known


def build_runtime(env: Env, settings: Settings, *, socket_mode: bool = False,
                  worker_threads: int = 4, migrate: bool = True,
                  listener_executor: Executor | None = None,
                  pacer: SlackPacer | None = None, pacing: bool = True) -> Runtime:
    """`pacing=False` is the bench's baseline: Slack calls go straight out and a 429 is
    slept through by slack_sdk's RateLimitErrorRetryHandler, as most apps do."""
    db = Database(env.database_url)
    if migrate:
        db.upgrade()
    # One pacer for every Slack call of this process: jobs wait their turn without sleeping,
    # listeners' calls (which must answer at once) count against the same budgets.
    pacer = pacer or SlackPacer()

    def make_client(token: str | None, team_id: str = "") -> WebClient:
        if pacing:
            return PacedWebClient(token=token, base_url=env.slack_api_url, timeout=15,
                                  pacer=pacer, team_id=team_id, retry_handlers=[
                                      ConnectionErrorRetryHandler(max_retry_count=2)])
        return WebClient(token=token, base_url=env.slack_api_url, timeout=15,
                         retry_handlers=[ConnectionErrorRetryHandler(max_retry_count=2),
                                         RateLimitErrorRetryHandler(max_retry_count=100)])

    public_url = env.public_url or f"http://localhost:{env.port}"
    oauth_settings: OAuthSettings | None = None
    if env.oauth:
        # Many workspaces: no token of our own; each workspace's comes from its install.
        installation_store, state_store = installations.stores(db.engine, env.slack_client_id,
                                                                   env.encryption_key)
        rotator = TokenRotator(client_id=env.slack_client_id,
                               client_secret=env.slack_client_secret,
                               client=WebClient(base_url=env.slack_api_url, timeout=15))
        slack_client = installations.WorkspaceClients(installation_store, rotator, make_client)
        client = make_client(None)
        team_id = None
        oauth_settings = OAuthSettings(
            client_id=env.slack_client_id, client_secret=env.slack_client_secret,
            scopes=sorted(BOT_SCOPES), redirect_uri=f"{public_url}/slack/oauth_redirect",
            installation_store=installation_store, state_store=state_store,
            installation_store_bot_only=True,
            token_rotation_expiration_minutes=installations.ROTATE_MINUTES_BEFORE_EXPIRY,
            callback_options=install_pages.callback_options(lambda: settings))
    else:
        client = make_client(env.slack_bot_token)
        team_id = identity.auth_test(client)["team_id"]  # remembered for bolt and links
        if isinstance(client, PacedWebClient):
            client.team_id = team_id

        def slack_client(_team_id: str) -> WebClient:
            return client
    simulator_url = simulator_token = None
    if env.sms_provider == "simulator":
        simulator_url = f"{public_url}/simulator"
        # New at every start and printed only in the log: whoever can read the log may play
        # the customer; a stranger who reaches the port, or a page of another site, may not.
        simulator_token = secrets.token_urlsafe(16)
    links = MediaLinks(link_secret(env.slack_signing_secret, env.slack_app_token,
                                   env.slack_bot_token), public_url)
    services = Services(
        db=db,
        all_settings=settings,
        slack_client=slack_client,
        sender=_sender(env, public_url),
        simulator_url=simulator_url,
        media_link=links.url_for,
    )
    bolt = build_bolt_app(services, client,
                          None if socket_mode else env.slack_signing_secret, listener_executor,
                          oauth_settings, installed_team=team_id)
    web = create_web_app(
        WebContext(services, team_id, public_url,
                   env.twilio_auth_token if env.sms_provider == "twilio" else None, links,
                   _readiness(env, services, client), simulator_token, env.ops_token,
                   telnyx.public_key_of(env.telnyx_public_key)
                   if env.sms_provider == "telnyx" and env.telnyx_public_key else None,
                   vonage=env.vonage if env.sms_provider == "vonage" else None),
        None if socket_mode else bolt,
    )
    worker = Worker(services, run_job, threads=worker_threads)
    if settings.spelling_enabled:
        # A dictionary takes 1-3 s to load: do it beside start-up, not inside the first
        # listener that needs it (Slack wants an answer within 3 s).
        threading.Thread(target=checker.preload, args=([settings.spelling_language],),
                         name="spelling-warm-up", daemon=True).start()
    # Transcripts past [privacy] retention_days: one hourly timer for the whole desk.
    retention.schedule(db)
    # Read the user groups the settings name now, then every 15 minutes (one timer job).
    for workspace_team, workspace_settings in _workspaces(settings, team_id):
        groups.schedule_refresh(db, workspace_settings, workspace_team)
        # Each queue's daily digest ([reports] digest_at): one timer per workspace.
        digest.schedule(db, workspace_settings, workspace_team)
        if not workspace_settings.desk_channel:
            log.warning("No desk channel for workspace %s ([workspaces.%s.desk] channel): "
                        "accepted interactions cannot open a thread", workspace_team,
                        workspace_team)
    if simulator_url:
        log.warning("SMS_PROVIDER=simulator: no real SMS are being sent. The customer's "
                    "phone is at %s?token=%s", simulator_url, simulator_token)
    if not settings.desk_channel and not settings.workspaces:
        log.warning("No desk channel set (desk.channel in %s or SMSDESK_DESK_CHANNEL): "
                    "accepted interactions cannot open a thread", env.settings_file)
    return Runtime(services, team_id, bolt, web, worker)
