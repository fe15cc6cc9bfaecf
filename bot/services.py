"""What jobs and listeners share at run time: the database, settings, Slack, the SMS sender."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from slack_sdk import WebClient

from bot.config import Settings
from bot.sms.messages import SendResult
from storage.db import Database


class SmsSender(Protocol):
    name: str

    def send(self, *, from_number: str, to_number: str, body: str) -> SendResult: ...

    def fetch_media(self, url: str, max_bytes: int) -> tuple[bytes, str | None]: ...

    def close(self) -> None: ...


@dataclass
class Services:
    db: Database
    settings: Settings
    slack_client: Callable[[str], WebClient]  # team_id -> a client with that team's token
    sender: SmsSender
    simulator_url: str | None = None  # set only when SMS_PROVIDER=simulator
    media_link: Callable[[str, int, str], str] | None = None  # (team, media id, purpose) -> URL
