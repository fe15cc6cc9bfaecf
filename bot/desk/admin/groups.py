"""Slack user groups named in the settings (queue members, supervisors, admins), cached.

Routing and role checks read `GroupMember`, never Slack, so a click never waits on
`usergroups.users.list`. One timer job per workspace refreshes the cache at start-up and then
every REFRESH_EVERY (bot/worker/supervision_jobs.refresh_groups re-arms it); starting again
brings it forward instead of adding one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import timedelta

from sqlalchemy import delete, select

from bot.config import Settings
from bot.desk import jobs
from storage.clock import utcnow
from storage.db import Database
from storage.models import GroupMember

REFRESH_EVERY = timedelta(minutes=15)


def named_groups(settings: Settings) -> tuple[str, ...]:
    """Every user group id the settings name, each once, in the order they appear."""
    found = [group for queue in settings.all_queues() for group in queue.member_groups]
    found += [*settings.agent_groups, *settings.supervisor_groups, *settings.admin_groups]
    return tuple(dict.fromkeys(found))


def schedule_refresh(db: Database, settings: Settings, team_id: str) -> bool:
    """Refresh now: bring the waiting timer forward, or start one if there is none.

    At most one refresh job per workspace exists, however often this runs (every start of
    every instance). Returns False when no group is named (nothing to read).
    """
    if not named_groups(settings):
        return False
    with db.transaction() as s:
        jobs.ensure_one(s, team_id, jobs.RefreshGroups(), due_at=utcnow())
    return True


def replace_members(db: Database, team_id: str, group_id: str, members: Iterable[str]) -> None:
    """The group's members as Slack listed them just now (one transaction per group)."""
    now = utcnow()
    with db.transaction() as s:
        s.execute(delete(GroupMember).where(GroupMember.team_id == team_id,
                                            GroupMember.group_id == group_id))
        for user_id in dict.fromkeys(members):
            s.add(GroupMember(team_id=team_id, group_id=group_id, user_id=user_id,
                              refreshed_at=now))


def refresh_groups(db: Database, settings: Settings, team_id: str,
                   members_of: Callable[[str], list[str] | None]) -> int:
    """Read every named group through `members_of` (None: could not be read this time, keep
    what we had) and forget groups the settings no longer name. Returns groups refreshed."""
    named = named_groups(settings)
    refreshed = 0
    for group_id in named:
        members = members_of(group_id)
        if members is not None:
            replace_members(db, team_id, group_id, members)
            refreshed += 1
    with db.transaction() as s:
        s.execute(delete(GroupMember).where(GroupMember.team_id == team_id,
                                            GroupMember.group_id.not_in(named)))
    return refreshed


def members_of_groups(db: Database, team_id: str, group_ids: Iterable[str]) -> set[str]:
    group_ids = tuple(group_ids)
    if not group_ids:
        return set()
    with db.transaction() as s:
        return set(s.scalars(select(GroupMember.user_id).where(
            GroupMember.team_id == team_id, GroupMember.group_id.in_(group_ids))))
