"""Workspaces installed by OAuth ("Add to Slack"): where their tokens live and how jobs get a
client for one.

Tokens are kept by slack_sdk's SQLAlchemy installation store in the desk's own database (one
place to back up, shared by every instance), with token rotation on: a bot token lives 12
hours and is refreshed with its refresh token before it expires, by whichever instance needs
it first. bolt does the same for Slack's requests (its authorize); this is the jobs' side.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from slack_sdk import WebClient
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from slack_sdk.oauth.token_rotation import TokenRotator
from sqlalchemy.engine import Engine

# Refresh a rotating token this long before it expires (bolt's default is the same).
ROTATE_MINUTES_BEFORE_EXPIRY = 120
# How long a job's client trusts the token it read before looking at the store again (an
# uninstall or another instance's refresh shows within this).
RECHECK_SECONDS = 60.0
INSTALL_STATE_SECONDS = 600


class NotInstalled(Exception):
    """A job for a workspace the app is not (or no longer) installed in."""

    def __init__(self, team_id: str):
        super().__init__(f"smsdesk is not installed in workspace {team_id}: install it again "
                         "from /slack/install")
        self.team_id = team_id


def stores(engine: Engine, client_id: str) -> tuple[SQLAlchemyInstallationStore,
                                                    SQLAlchemyOAuthStateStore]:
    """The installation and OAuth state stores; their tables come from migration 0010."""
    return (SQLAlchemyInstallationStore(client_id=client_id, engine=engine),
            SQLAlchemyOAuthStateStore(expiration_seconds=INSTALL_STATE_SECONDS, engine=engine))


@dataclass
class _Cached:
    client: WebClient
    token: str
    checked_at: float
    expires_at: float | None  # epoch seconds, for rotating tokens


class WorkspaceClients:
    """team_id -> a Web API client holding that workspace's current bot token."""

    def __init__(self, store: SQLAlchemyInstallationStore, rotator: TokenRotator,
                 make_client: Callable[[str, str], WebClient],
                 clock: Callable[[], float] = time.time):
        self.store = store
        self.rotator = rotator
        self.make_client = make_client  # (token, team_id) -> client
        self.clock = clock
        self._cache: dict[str, _Cached] = {}
        self._lock = threading.Lock()

    def __call__(self, team_id: str) -> WebClient:
        now = self.clock()
        cached = self._cache.get(team_id)
        if cached is not None and now - cached.checked_at < RECHECK_SECONDS and (
                cached.expires_at is None
                or cached.expires_at - now > ROTATE_MINUTES_BEFORE_EXPIRY * 60):
            return cached.client
        with self._lock:
            return self._refresh(team_id, now)

    def _refresh(self, team_id: str, now: float) -> WebClient:
        bot = self.store.find_bot(enterprise_id=None, team_id=team_id)
        if bot is None or not bot.bot_token:
            self._cache.pop(team_id, None)
            raise NotInstalled(team_id)
        if bot.bot_refresh_token:
            rotated = self.rotator.perform_bot_token_rotation(
                bot=bot, minutes_before_expiration=ROTATE_MINUTES_BEFORE_EXPIRY)
            if rotated is not None:
                self.store.save_bot(rotated)
                bot = rotated
        cached = self._cache.get(team_id)
        if cached is None or cached.token != bot.bot_token:
            client = self.make_client(bot.bot_token, team_id)
        else:
            client = cached.client
        self._cache[team_id] = _Cached(client, bot.bot_token, now, bot.bot_token_expires_at)
        return client

    def forget(self, team_id: str) -> None:
        self._cache.pop(team_id, None)
