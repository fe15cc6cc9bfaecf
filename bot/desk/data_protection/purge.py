"""A workspace's purge: when it uninstalls the app (or an admin asks), everything the desk
holds for it is deleted, after the grace period of `[privacy] uninstall_grace_days`.

The purge is an outbox timer job (`jobs.PurgeWorkspace`), so it survives restarts and runs once
across instances; a reinstall within the grace period cancels it. It walks every table with
a `team_id` column (tables added later are covered without touching this module), except:

- `opt_outs`: they protect the people who texted STOP; forgetting them would let the next
  install of this workspace text them again. (The erasure work hashes their numbers.)
- `privacy_keys`: the key that hashes those opt-outs' numbers.
- `erasures`, and the audit lines of data-protection actions (`privacy.*`): the proof that
  an erasure, an export or this purge happened. Other audit lines (settings changes, which
  carry response texts and member lists) are desk data and go.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Table, and_, delete, func, not_, select
from sqlalchemy.orm import Session

from bot.desk import jobs
from bot.desk.admin import audit
from storage import outbox
from storage.clock import utcnow
from storage.db import Database, rows_changed
from storage.models import AuditEntry, Base

# Audit actions (all `privacy.*`, so a purge keeps them).
UNINSTALL_RECEIVED = "privacy.uninstall_received"
USER_TOKENS_REVOKED = "privacy.user_tokens_revoked"
PURGE_SCHEDULED = "privacy.purge_scheduled"
PURGE_CANCELLED = "privacy.purge_cancelled"
PURGE_DONE = "privacy.purged"
PROOF_PREFIX = "privacy."

# Why a purge was asked for (the job's payload); only an uninstall's purge is cancelled by
# a reinstall.
BY_UNINSTALL, BY_ADMIN = jobs.BY_UNINSTALL, jobs.BY_ADMIN

KEPT_TABLES = {
    "opt_outs": "opt-outs (people who texted STOP stay opted out)",
    "privacy_keys": "the key that hashes erased contacts' opted-out numbers",
    "erasures": "records of erasures (proof they were done)",
}
# What people call each table's rows, for the confirmation and the audit line.
NAMES = {
    "contacts": "contacts",
    "contact_numbers": "contact numbers",
    "interactions": "conversations",
    "messages": "messages",
    "media": "pictures and files (MMS)",
    "offers": "offers",
    "timeline_events": "timeline lines",
    "jobs": "queued jobs",
    "agents": "agent states",
    "home_views": "Home tab visits",
    "standard_responses": "standard responses",
    "dictionary_words": "dictionary words",
    "group_members": "user group members",
    "slack_event_receipts": "Slack event receipts",
    "setting_overrides": "settings changed in Slack",
    "audit_log": "change-log lines (except data-protection ones)",
}


@dataclass(frozen=True)
class Scheduled:
    job_id: int
    due_at: datetime
    new: bool  # False: a purge was already pending (the second uninstall event)


def team_tables() -> list[Table]:
    """The tables a purge empties for a team, children before parents."""
    return [table for table in reversed(Base.metadata.sorted_tables)
            if "team_id" in table.c and table.name not in KEPT_TABLES]


def _parent_tables(tables: list[Table]) -> list[Table]:
    """The purged tables other purged tables point at, parents first."""
    pointed_at = {fk.column.table.name for table in tables for fk in table.foreign_keys}
    return [table for table in reversed(tables) if table.name in pointed_at]


def _rows_of(table: Table, team_id: str) -> ColumnElement[bool]:
    # The purge's own job goes too: the worker's "done" then updates no row, and a job
    # that is gone cannot run twice.
    condition = table.c.team_id == team_id
    if table.name == AuditEntry.__tablename__:
        condition = and_(condition, not_(table.c.action.startswith(PROOF_PREFIX)))
    return condition


def counts(db: Database, team_id: str) -> dict[str, int]:
    """What a purge would delete now: table -> rows (tables with none left out)."""
    found: dict[str, int] = {}
    with db.transaction() as s:
        for table in team_tables():
            number = s.scalar(select(func.count()).select_from(table)
                              .where(_rows_of(table, team_id))) or 0
            if number:
                found[table.name] = number
    return found


def describe(found: dict[str, int]) -> list[str]:
    """"12 messages" lines, in the order people think of them."""
    order = list(NAMES)
    ranked = sorted(found, key=lambda name: order.index(name) if name in order else len(order))
    return [f"{found[name]} {NAMES.get(name, name.replace('_', ' '))}" for name in ranked]


def schedule(s: Session, team_id: str, grace_days: int, *, reason: str = BY_UNINSTALL,
             actor_user_id: str | None = None) -> Scheduled:
    """Due after the grace period (0: at once). One purge per workspace: both of Slack's
    uninstall events ask for it (one at each of two instances, often: the outbox orders
    them), and the earlier due time stands, so an admin's purge brings a waiting one
    forward to now, as an admin's."""
    due = utcnow() + timedelta(days=max(grace_days, 0))
    job, new = jobs.ensure_one(s, team_id, jobs.PurgeWorkspace(reason), due_at=due)
    if not new:
        return Scheduled(job.id, job.due_at, False)
    s.flush()
    audit.record(s, team_id, actor_user_id, PURGE_SCHEDULED, "workspace data",
                 old=None, new=due.isoformat(), reason=reason, grace_days=grace_days)
    return Scheduled(job.id, due, True)


def cancel_scheduled(s: Session, team_id: str) -> bool:
    """A reinstall: the pending uninstall purge is called off. True when there was one."""
    waiting = [job for job in outbox.unfinished(s, team_id, jobs.PurgeWorkspace.KIND)
               if job.state == "pending" and (job.payload or {}).get("reason") == BY_UNINSTALL]
    outbox.cancel(s, waiting, "cancelled: the app was installed again")
    if waiting:
        audit.record(s, team_id, None, PURGE_CANCELLED, "workspace data",
                     old=waiting[0].due_at.isoformat(), new=None, reason="reinstalled")
    return bool(waiting)


def purge(db: Database, team_id: str, *, reason: str = BY_UNINSTALL,
          actor_user_id: str | None = None) -> dict[str, int]:
    """Delete the team's desk data in one transaction; returns table -> rows deleted. The
    audit line of it commits with it (it is the proof, and it says what went)."""
    deleted: dict[str, int] = {}
    tables = team_tables()
    with db.transaction() as s:
        # A busy desk keeps writing while the purge runs (a timer's timeline line, a late
        # text's message). Locking the parent rows first makes those writers wait for the
        # purge, whose deletes then take their rows too; without the locks, PostgreSQL
        # lets a child row land between its table's delete and its parent's, and the
        # purge fails on the foreign key. SQLite has one writer at a time anyway.
        for parent in _parent_tables(tables):
            s.execute(select(parent.c.id).where(_rows_of(parent, team_id))
                      .order_by(parent.c.id).with_for_update())
        for table in tables:
            number = rows_changed(s.execute(delete(table).where(_rows_of(table, team_id))
                                  .execution_options(synchronize_session=False)))
            if number:
                deleted[table.name] = number
        detail: dict[str, Any] = {"reason": reason, "kept": sorted(KEPT_TABLES)}
        audit.record(s, team_id, actor_user_id, PURGE_DONE, "workspace data", old=deleted,
                     new=None, **detail)
    return deleted


def workspace_gone(db: Database, team_id: str, event_type: str,
                   grace_days: int) -> Scheduled:
    """Slack said the app was uninstalled (or its bot token revoked): audit it and schedule
    the purge, in one transaction."""
    with db.transaction() as s:
        audit.record(s, team_id, None, UNINSTALL_RECEIVED, event_type, old=None, new=None)
        return schedule(s, team_id, grace_days)


def user_tokens_revoked(db: Database, team_id: str, user_ids: list[str]) -> None:
    with db.transaction() as s:
        audit.record(s, team_id, None, USER_TOKENS_REVOKED, "user tokens", old=None,
                     new=None, users=sorted(user_ids))


def purge_requested(db: Database, team_id: str, admin_user_id: str) -> Scheduled:
    """An admin's /sms-admin purge, confirmed: due at once."""
    with db.transaction() as s:
        return schedule(s, team_id, 0, reason=BY_ADMIN, actor_user_id=admin_user_id)
