"""Workspaces installed by OAuth ("Add to Slack"): where their tokens live and how jobs get a
client for one.

Tokens are kept by slack_sdk's SQLAlchemy installation store in the desk's own database (one
place to back up, shared by every instance), with token rotation on: a bot token lives 12
hours and is refreshed with its refresh token before it expires, by whichever instance needs
it first. bolt does the same for Slack's requests (its authorize); this is the jobs' side.

Tokens are sealed at rest: every token column (bot, user and refresh tokens, in both of
slack_sdk's tables) holds a Fernet ciphertext made with SMSDESK_ENCRYPTION_KEY, so a copy of
the database (a backup, a replica, a leaked dump) holds no usable token. The variable may hold
several comma-separated keys: the first seals, all open (rotation, `smsdesk tokens rotate`).
The sealing sits on the columns themselves, so every path of slack_sdk's store (save,
save_bot, the finds, token rotation's refreshes) goes through it without being copied here.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from slack_sdk import WebClient
from slack_sdk.oauth.installation_store import InstallationStore
from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from slack_sdk.oauth.token_rotation import TokenRotator
from sqlalchemy import MetaData, Table, Text, func, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from sqlalchemy.types import TypeDecorator

from bot.desk.data_protection import purge

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


ENCRYPTION_KEY_VARIABLE = "SMSDESK_ENCRYPTION_KEY"
GENERATE_KEY = ('python -c "from cryptography.fernet import Fernet; '
                'print(Fernet.generate_key().decode())"')
# The columns of slack_sdk's tables that hold a secret (migration 0012 widened them to TEXT,
# since a ciphertext is about twice as long as a token).
TOKEN_COLUMNS = ("bot_token", "bot_refresh_token", "user_token", "user_refresh_token")
# Every Fernet token starts with its version byte 0x80, which is "gAAAAA" in base64.
FERNET_PREFIX = "gAAAAA"


class KeyProblem(Exception):
    """SMSDESK_ENCRYPTION_KEY is missing, malformed, or not the key the tokens were sealed
    with. The message says how to fix it and never holds a token."""


def key_problem(keys: str | None) -> str | None:
    """What is wrong with the variable's value, or None when it is usable."""
    if not keys or not keys.strip():
        return (f"{ENCRYPTION_KEY_VARIABLE} is not set: installed workspaces' Slack tokens are "
                f"stored encrypted with it. Generate one with {GENERATE_KEY} and keep it "
                "secret and safe (without it the stored tokens cannot be read)")
    for number, key in enumerate(_split(keys), 1):
        try:
            Fernet(key)
        except ValueError:
            return (f"{ENCRYPTION_KEY_VARIABLE} key #{number} is not a Fernet key (32 "
                    f"url-safe base64-encoded bytes): generate one with {GENERATE_KEY}")
    return None


def _split(keys: str) -> list[str]:
    return [key.strip() for key in keys.split(",") if key.strip()]


def cipher(keys: str | None) -> MultiFernet:
    """The first key seals, every key opens."""
    problem = key_problem(keys)
    if problem:
        raise KeyProblem(problem)
    return MultiFernet([Fernet(key) for key in _split(keys or "")])


def _wrong_key(where: str) -> KeyProblem:
    return KeyProblem(
        f"a stored Slack token ({where}) cannot be decrypted with any key in "
        f"{ENCRYPTION_KEY_VARIABLE}: it was sealed with another key. Put that key back in the "
        "variable (after the new one, comma-separated), run `smsdesk tokens rotate`, then "
        "drop it")


class SealedToken(TypeDecorator):
    """A token column: sealed on the way in, opened on the way out.

    A plaintext token (stored before encryption was turned on) still opens, so an upgrade
    does not lock a workspace out; `stores()` seals such rows at start."""

    impl = Text
    cache_ok = True

    def __init__(self, fernet: MultiFernet, where: str = "token"):
        super().__init__()
        self.fernet = fernet
        self.where = where

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        return self.fernet.encrypt(value.encode()).decode()

    def process_result_value(self, value, dialect):
        if value is None or not value.startswith(FERNET_PREFIX):
            return value
        try:
            return self.fernet.decrypt(value.encode()).decode()
        except InvalidToken:
            raise _wrong_key(self.where) from None  # the cause would only repeat the cipher


class EncryptedInstallationStore(SQLAlchemyInstallationStore):
    """slack_sdk's SQLAlchemy store with every token column sealed (see the module's doc).

    `on_installed(team_id)`: called after "Add to Slack" saved an installation (a reinstall
    within the uninstall grace period cancels the pending purge there)."""

    def __init__(self, client_id: str, engine: Engine, fernet: MultiFernet,
                 on_installed: Callable[[str], None] | None = None):
        super().__init__(client_id=client_id, engine=engine)
        self.fernet = fernet
        self.on_installed = on_installed
        for table in (self.bots, self.installations):
            for name in TOKEN_COLUMNS:
                if name in table.c:
                    table.c[name].type = SealedToken(fernet, f"{table.name}.{name}")

    def save(self, installation: Installation) -> None:
        super().save(installation)
        if self.on_installed is not None and installation.team_id:
            self.on_installed(installation.team_id)


def _plain_tables() -> list[Table]:
    """slack_sdk's token tables as stored (no sealing), for re-encryption."""
    metadata = MetaData()
    store = SQLAlchemyInstallationStore
    return [store.build_bots_table(metadata, store.default_bots_table_name),
            store.build_installations_table(metadata, store.default_installations_table_name)]


def reseal(engine: Engine, fernet: MultiFernet, *, plaintext_only: bool = False,
           on_progress: Callable[[int, int | None], None] | None = None) -> int:
    """Seal every stored token with the first key (opening it with any key), or with
    `plaintext_only` only those still in plaintext. Returns how many values were rewritten.
    Raises KeyProblem, changing nothing, when a value opens with no key.
    `on_progress(done, total)` hears each stored row (an installation, a bot) read."""
    rewritten = done = 0
    with engine.begin() as conn:
        tables = _plain_tables()
        total = sum(conn.scalar(select(func.count()).select_from(table)) or 0
                    for table in tables) if on_progress is not None else None
        for table in tables:
            columns = [table.c[name] for name in TOKEN_COLUMNS if name in table.c]
            for row in conn.execute(select(table.c.id, *columns)).mappings():
                values = {}
                for column in columns:
                    value = row[column.name]
                    if not value:
                        continue
                    if not value.startswith(FERNET_PREFIX):
                        values[column.name] = fernet.encrypt(value.encode()).decode()
                    elif not plaintext_only:
                        try:
                            values[column.name] = fernet.rotate(value.encode()).decode()
                        except InvalidToken:
                            raise _wrong_key(f"{table.name}.{column.name}") from None
                if values:
                    conn.execute(update(table).where(table.c.id == row["id"]).values(**values))
                    rewritten += len(values)
                done += 1
                if on_progress is not None:
                    on_progress(done, total)
    return rewritten


def check_keys(engine: Engine, fernet: MultiFernet) -> None:
    """Raise KeyProblem if some stored token opens with none of the keys: better to refuse to
    start than to answer every request from that workspace with an error."""
    with engine.connect() as conn:
        for table in _plain_tables():
            for name in TOKEN_COLUMNS:
                if name not in table.c:
                    continue
                for value in conn.execute(select(table.c[name]).where(
                        table.c[name].like(f"{FERNET_PREFIX}%"))).scalars():
                    try:
                        fernet.decrypt(value.encode())
                    except InvalidToken:
                        raise _wrong_key(f"{table.name}.{name}") from None


def _cancel_purge_on_reinstall(engine: Engine) -> Callable[[str], None]:
    def cancel(team_id: str) -> None:
        with Session(engine) as s, s.begin():
            purge.cancel_scheduled(s, team_id)
    return cancel


def stores(engine: Engine, client_id: str, keys: str | None = None
           ) -> tuple[EncryptedInstallationStore, SQLAlchemyOAuthStateStore]:
    """The installation and OAuth state stores; their tables come from migration 0010.

    `keys`: SMSDESK_ENCRYPTION_KEY's value. Raises KeyProblem when it is missing or does not
    open the stored tokens; tokens stored in plaintext before are sealed here."""
    fernet = cipher(keys)
    check_keys(engine, fernet)
    reseal(engine, fernet, plaintext_only=True)
    return (EncryptedInstallationStore(client_id, engine, fernet,
                                       on_installed=_cancel_purge_on_reinstall(engine)),
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


def forget_workspace(store: InstallationStore | None, clients: object, team_id: str,
                     enterprise_id: str | None = None) -> bool:
    """Delete every token of the workspace at once (the app was uninstalled, or its bot
    token revoked) and drop the jobs' cached client. False when there is no store: the one
    token is in SLACK_BOT_TOKEN, which only the operator can remove."""
    forget = getattr(clients, "forget", None)  # WorkspaceClients; a single client has none
    if forget is not None:
        forget(team_id)
    if store is None:
        return False
    store.delete_all(enterprise_id=enterprise_id, team_id=team_id)
    return True


def forget_users(store: InstallationStore | None, team_id: str, user_ids: list[str],
                 enterprise_id: str | None = None) -> None:
    """Delete only these people's user tokens (their tokens were revoked, the bot's not)."""
    if store is None:
        return
    for user_id in user_ids:
        store.delete_installation(enterprise_id=enterprise_id, team_id=team_id,
                                  user_id=user_id)
