"""What jobs and listeners share at run time: the database, settings, Slack, the SMS sender."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from slack_sdk import WebClient

from bot.config import Settings
from bot.desk.admin.admin_settings import SettingsOverlay
from bot.desk.ports import SmsSender
from bot.metrics import DeskMetrics
from storage.db import Database


@dataclass
class Services:
    db: Database
    all_settings: Settings  # the file's: top-level, and each [workspaces.T…] table
    slack_client: Callable[[str], WebClient]  # team_id -> a client with that team's token
    sender: SmsSender
    simulator_url: str | None = None  # set only when SMS_PROVIDER=simulator
    media_link: Callable[[str, int, str], str] | None = None  # (team, media id, purpose) -> URL
    metrics: DeskMetrics = field(default_factory=DeskMetrics)  # this desk's own registry
    # What admins changed from Slack (/sms-admin), laid over the file's settings.
    settings_overlay: SettingsOverlay = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.settings_overlay = SettingsOverlay(self.db)

    def settings_for(self, team_id: str | None) -> Settings:
        return self.settings_overlay.apply(team_id, self.all_settings.for_team(team_id))
