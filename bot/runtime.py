"""Assembly: from configuration to a running desk (database, Slack client, worker, web app)."""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Executor
from dataclasses import dataclass

from flask import Flask
from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
)

from bot.config import Env, Settings
from bot.desk import groups
from bot.services import Services, SmsSender
from bot.slack.app import build_bolt_app
from bot.sms.simulator import SimulatorSender
from bot.sms.twilio import TwilioSender
from bot.spelling import checker
from bot.web.app import WebContext, create_web_app
from bot.web.media_links import MediaLinks, link_secret
from bot.worker.handlers import HANDLERS
from bot.worker.paced_client import PacedWebClient
from bot.worker.pacing import SlackPacer
from bot.worker.runner import Worker
from storage.db import Database

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    services: Services
    team_id: str
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
    return SimulatorSender()


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
    if pacing:
        client = PacedWebClient(token=env.slack_bot_token, base_url=env.slack_api_url,
                                timeout=15, pacer=pacer or SlackPacer(),
                                retry_handlers=[ConnectionErrorRetryHandler(max_retry_count=2)])
    else:
        client = WebClient(token=env.slack_bot_token, base_url=env.slack_api_url, timeout=15,
                           retry_handlers=[ConnectionErrorRetryHandler(max_retry_count=2),
                                           RateLimitErrorRetryHandler(max_retry_count=100)])
    auth = client.auth_test()
    team_id = auth["team_id"]
    if isinstance(client, PacedWebClient):
        client.team_id = team_id
    public_url = env.public_url or f"http://localhost:{env.port}"
    simulator_url = f"{public_url}/simulator" if env.sms_provider == "simulator" else None
    links = MediaLinks(link_secret(env.slack_signing_secret, env.slack_app_token,
                                   env.slack_bot_token), public_url)
    services = Services(
        db=db,
        settings=settings,
        slack_client=lambda _team_id: client,
        sender=_sender(env, public_url),
        simulator_url=simulator_url,
        media_link=links.url_for,
    )
    bolt = build_bolt_app(services, client,
                          None if socket_mode else env.slack_signing_secret, listener_executor)
    web = create_web_app(
        WebContext(services, team_id, public_url,
                   env.twilio_auth_token if env.sms_provider == "twilio" else None, links),
        None if socket_mode else bolt,
    )
    worker = Worker(services, HANDLERS, threads=worker_threads)
    if settings.spelling_enabled:
        # A dictionary takes 1-3 s to load: do it beside start-up, not inside the first
        # listener that needs it (Slack wants an answer within 3 s).
        threading.Thread(target=checker.preload, args=([settings.spelling_language],),
                         name="spelling-warm-up", daemon=True).start()
    # Read the user groups the settings name now, then every 15 minutes (one timer job).
    groups.schedule_refresh(db, settings, team_id)
    if simulator_url:
        log.warning("SMS_PROVIDER=simulator: no real SMS are being sent. The customer's "
                    "phone is at %s", simulator_url)
    if not settings.desk_channel:
        log.warning("No desk channel set (desk.channel in %s or SMSDESK_DESK_CHANNEL): "
                    "accepted interactions cannot open a thread", env.settings_file)
    return Runtime(services, team_id, bolt, web, worker)
