"""Settings admins change from Slack (/sms-admin), laid over the settings file, and audited.

What can change: the disposition codes (the flat list), the offer timeout, the session
expiry, each queue's members, and the Standard Response Library. Each change is one row of
`setting_overrides` per workspace and key, written with its audit line (bot/desk/admin/audit.py) in
one transaction, after the permission is checked again there: a submission is never trusted
because a modal happened to open.

Every webhook, job and listener asks `services.settings_for(team_id)` for its workspace's
settings, so `SettingsOverlay.apply` must cost a dict lookup: overrides are cached per
workspace, dropped at once in this process when an admin saves, and re-read at most every
REFRESH_SECONDS otherwise, which is how other instances on the same PostgreSQL pick a
change up.

Values are validated by the settings file's own loader (`Settings.from_data`), so a value
the file would refuse is refused here with the same rule.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import Engine, create_engine, select
from sqlalchemy import delete as sql_delete
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from bot.config import ConfigError, Settings
from bot.desk.admin import audit, permissions, responses
from bot.desk.interactions import routing
from bot.desk.queues import Queue
from storage.clock import utcnow
from storage.db import Database
from storage.models import SettingOverride, StandardResponse

log = logging.getLogger(__name__)

REFRESH_SECONDS = 5.0
DISPOSITION_CODES = "dispositions.codes"
OFFER_TIMEOUT = "desk.offer_timeout_seconds"
SESSION_EXPIRY = "session.expiry_minutes"
QUEUE_MEMBERS = "queues.{}.members"  # .format(queue name)
REFUSAL = "Only admins change the desk's settings (roles.admins or roles.admin_groups)."


# --- the overlay ----------------------------------------------------------------------------

def overlay(base: Settings, overrides: dict[str, Any]) -> Settings:
    """`base` with the stored overrides in place. A stored value of the wrong shape (edited
    by hand in the database) is skipped with a warning rather than breaking every read."""
    changes: dict[str, Any] = {}
    try:
        if OFFER_TIMEOUT in overrides:
            changes["offer_timeout_seconds"] = int(overrides[OFFER_TIMEOUT])
        if SESSION_EXPIRY in overrides:
            changes["session_expiry_minutes"] = int(overrides[SESSION_EXPIRY])
        if DISPOSITION_CODES in overrides:
            # A flat list set from Slack replaces the file's codes or groups alike.
            changes["disposition_codes"] = tuple(str(c) for c in overrides[DISPOSITION_CODES])
            changes["disposition_groups"] = ()
        queues, touched = [], False
        for queue in base.all_queues():
            members = overrides.get(QUEUE_MEMBERS.format(queue.name))
            if members is not None:
                queue, touched = replace(queue, members=tuple(str(m) for m in members)), True
            queues.append(queue)
        if touched:
            changes["queues"] = tuple(queues)
    except (TypeError, ValueError) as error:
        log.warning("ignoring a malformed setting override: %s", error)
        return base
    return replace(base, **changes) if changes else base


@dataclass
class _Cached:
    read_at: float
    overrides: dict[str, Any]
    base: Settings
    settings: Settings


def _reader(db: Database) -> Engine:
    """What the overlay reads with. Settings are read inside other use cases' transactions;
    on SQLite the desk's own engine begins every transaction with BEGIN IMMEDIATE (the write
    lock), which a second connection on the same thread would wait for forever. A plain
    SQLite read takes no lock under WAL, so reads go through an engine without that hook."""
    if not db.is_sqlite or db.url in ("sqlite://", "sqlite:///:memory:"):
        return db.engine
    return create_engine(db.url, poolclass=NullPool,
                         connect_args={"check_same_thread": False, "timeout": 30})


class SettingsOverlay:
    """Per-workspace cache of the stored overrides, applied on top of the file's settings."""

    def __init__(self, db: Database, refresh_seconds: float = REFRESH_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._engine = _reader(db)
        self._refresh_seconds = refresh_seconds
        self._clock = clock
        self._cache: dict[str, _Cached] = {}
        self._lock = threading.Lock()

    def apply(self, team_id: str | None, base: Settings) -> Settings:
        if team_id is None:
            return base  # nothing served (start-up, the CLI): the file's settings
        cached = self._cache.get(team_id)
        now = self._clock()
        if cached is not None and now - cached.read_at < self._refresh_seconds:
            if cached.base is base:
                return cached.settings
            cached = _Cached(cached.read_at, cached.overrides, base,
                             overlay(base, cached.overrides))
            self._cache[team_id] = cached
            return cached.settings
        with self._lock:
            cached = self._cache.get(team_id)
            if cached is None or now - cached.read_at >= self._refresh_seconds \
                    or cached.base is not base:
                overrides = self._read(team_id, cached)
                cached = _Cached(self._clock(), overrides, base, overlay(base, overrides))
                self._cache[team_id] = cached
            return cached.settings

    def invalidate(self, team_id: str) -> None:
        """An admin saved: the next read in this process sees it."""
        self._cache.pop(team_id, None)

    def _read(self, team_id: str, cached: _Cached | None) -> dict[str, Any]:
        try:
            with self._engine.connect() as connection:
                return {key: value for key, value in connection.execute(
                    select(SettingOverride.key, SettingOverride.value)
                    .where(SettingOverride.team_id == team_id))}
        except SQLAlchemyError as error:
            # The database is down or not migrated yet: keep what was last known, and try
            # again next interval rather than failing every settings read.
            log.warning("could not read setting overrides for %s: %s", team_id, error)
            return cached.overrides if cached is not None else {}


# --- outcomes -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Outcome:
    """What a save did: refused (not an admin), field errors, or saved."""

    refused: str | None = None
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def saved(self) -> bool:
        return self.refused is None and not self.errors


def is_admin(db: Database, settings: Settings, team_id: str, user_id: str) -> bool:
    with db.transaction() as s:
        return _admin(s, settings, team_id, user_id)


def _admin(s: Session, settings: Settings, team_id: str, user_id: str) -> bool:
    return permissions.ADMIN in permissions.roles_for(s, settings, team_id, user_id)


def _loader_problem(data: dict[str, Any]) -> str | None:
    """What the settings file's loader says about these values, or None if it takes them."""
    try:
        Settings.from_data("settings", data, {})
    except ConfigError as error:
        return str(error).removeprefix("settings: ")
    return None


def _store(s: Session, team_id: str, user_id: str, key: str, value: Any) -> None:
    row = s.scalars(select(SettingOverride).where(SettingOverride.team_id == team_id,
                                                  SettingOverride.key == key)).first()
    if row is None:
        s.add(SettingOverride(team_id=team_id, key=key, value=value, updated_by=user_id,
                              updated_at=utcnow()))
    else:
        row.value, row.updated_by, row.updated_at = value, user_id, utcnow()


def _whole(text: str | None) -> int | None:
    text = (text or "").strip()
    return int(text) if text.lstrip("-").isdigit() else None


# --- settings -------------------------------------------------------------------------------

def current_codes(settings: Settings) -> list[str]:
    return list(settings.disposition_codes) + [
        code for _label, codes in settings.disposition_groups for code in codes]


def save_dispositions(db: Database, cache: SettingsOverlay, settings: Settings, team_id: str,
                      user_id: str, codes: list[str]) -> Outcome:
    """Replace the disposition codes with this flat list (empty: no picker)."""
    codes = [code.strip() for code in codes if code.strip()]
    problem = _loader_problem({"dispositions": {
        "codes": codes, "mandatory": settings.disposition_mandatory}})
    with db.transaction() as s:
        if not _admin(s, settings, team_id, user_id):
            return Outcome(refused=REFUSAL)
        if problem:
            return Outcome(errors={"codes": problem})
        old = current_codes(settings)
        if old != codes:
            _store(s, team_id, user_id, DISPOSITION_CODES, codes)
            audit.record(s, team_id, user_id, "settings.dispositions", "disposition codes",
                         old=old, new=codes)
    cache.invalidate(team_id)
    return Outcome()


def save_timeouts(db: Database, cache: SettingsOverlay, settings: Settings, team_id: str,
                  user_id: str, *, offer_timeout: str | None,
                  session_expiry: str | None) -> Outcome:
    """The offer timeout (seconds) and the session expiry (minutes), as typed."""
    fields = {"offer_timeout": (OFFER_TIMEOUT, "desk", "offer_timeout_seconds", "seconds",
                                settings.offer_timeout_seconds, offer_timeout),
              "session_expiry": (SESSION_EXPIRY, "session", "expiry_minutes", "minutes",
                                 settings.session_expiry_minutes, session_expiry)}
    errors: dict[str, str] = {}
    changed: list[tuple[str, str, int, int]] = []
    for name, (key, section, setting, unit, old, typed) in fields.items():
        value = _whole(typed)
        if value is None:
            errors[name] = f"Enter a whole number of {unit}."
            continue
        problem = _loader_problem({section: {setting: value}})
        if problem:
            errors[name] = problem
        elif value != old:
            changed.append((name, key, old, value))
    with db.transaction() as s:
        if not _admin(s, settings, team_id, user_id):
            return Outcome(refused=REFUSAL)
        if errors:
            return Outcome(errors=errors)
        for name, key, old, value in changed:
            _store(s, team_id, user_id, key, value)
            audit.record(s, team_id, user_id, f"settings.{name}", key, old=old, new=value)
    cache.invalidate(team_id)
    return Outcome()


def queue_of(settings: Settings, name: str) -> Queue | None:
    return next((q for q in settings.all_queues() if q.name == name), None)


def save_queue_members(db: Database, cache: SettingsOverlay, settings: Settings, team_id: str,
                       user_id: str, queue_name: str, members: list[str]) -> Outcome:
    """Who is in the queue (user ids). Its user groups, from the file, still count too."""
    members = list(dict.fromkeys(m.strip() for m in members if m.strip()))
    queue = queue_of(settings, queue_name)
    problem = _loader_problem({"queues": [{"name": queue_name, "members": members}]})
    with db.transaction() as s:
        if not _admin(s, settings, team_id, user_id):
            return Outcome(refused=REFUSAL)
        if queue is None:
            return Outcome(errors={"members": f"There is no queue {queue_name!r} any more."})
        if problem:
            return Outcome(errors={"members": problem})
        old = list(queue.members)
        if old == members:
            return Outcome()
        _store(s, team_id, user_id, QUEUE_MEMBERS.format(queue_name), members)
        audit.record(s, team_id, user_id, "settings.queue_members", queue_name,
                     old=old, new=members)
    cache.invalidate(team_id)
    # A new member who is Ready may take what waits in the queue now, not at the next text:
    # routed by the settings as they are after this save.
    saved = overlay(settings, {QUEUE_MEMBERS.format(queue_name): members})
    with db.transaction() as s:
        routing.dispatch_waiting(s, saved, team_id)
    return Outcome()


# --- the Standard Response Library ----------------------------------------------------------

def _response(row: StandardResponse) -> dict[str, str]:
    return {"name": row.name, "category": row.category, "text": row.text}


def save_response(db: Database, settings: Settings, team_id: str, user_id: str,
                  response_id: int | None, *, name: str, category: str,
                  text: str) -> Outcome:
    """Add a response (no id) or edit one (its name too). The library's own rules apply
    (bot/desk/admin/responses.py); written here, not through `responses.upsert`, so the change,
    a rename and the audit line are one transaction."""
    name = responses._clean(name)
    category = responses._clean(category) or responses.DEFAULT_CATEGORY
    text = responses._clean(text)
    problem = responses._problem(name, category, text)
    with db.transaction() as s:
        if not _admin(s, settings, team_id, user_id):
            return Outcome(refused=REFUSAL)
        if problem:
            where = "name" if "name" in problem else "category" if "category" in problem \
                else "text"
            return Outcome(errors={where: problem[0].upper() + problem[1:] + "."})
        row = s.get(StandardResponse, response_id) if response_id else None
        if response_id and (row is None or row.team_id != team_id):
            return Outcome(errors={"name": "This response was deleted meanwhile."})
        clash = s.scalars(select(StandardResponse.id).where(
            StandardResponse.team_id == team_id, StandardResponse.name == name)).first()
        if clash is not None and clash != response_id:
            return Outcome(errors={"name": "Another response has this name: pick another "
                                           "(or edit that one)."})
        new = {"name": name, "category": category, "text": text}
        if row is None:
            s.add(StandardResponse(team_id=team_id, name=name, category=category, text=text,
                                   updated_by=user_id, updated_at=utcnow()))
            audit.record(s, team_id, user_id, "responses.add", name, old=None, new=new)
        else:
            old = _response(row)
            if old != new:
                row.name, row.category, row.text = name, category, text
                row.updated_by, row.updated_at = user_id, utcnow()
                audit.record(s, team_id, user_id, "responses.edit", name, old=old, new=new)
    return Outcome()


def delete_response(db: Database, settings: Settings, team_id: str, user_id: str,
                    response_id: int) -> Outcome:
    with db.transaction() as s:
        if not _admin(s, settings, team_id, user_id):
            return Outcome(refused=REFUSAL)
        row = s.get(StandardResponse, response_id)
        if row is None or row.team_id != team_id:
            return Outcome()  # already gone: what the admin wanted
        audit.record(s, team_id, user_id, "responses.delete", row.name,
                     old=_response(row), new=None)
        s.execute(sql_delete(StandardResponse).where(StandardResponse.id == response_id))
    return Outcome()
