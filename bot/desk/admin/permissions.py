"""Who may do what: roles come from the settings, as Slack user ids or Slack user groups.

Guests (single- and multi-channel) are no role at all: the Slack side refuses their requests
before they reach the desk (bot/slack/app.py), whatever the settings name.

`roles_of` is the rule itself (pure); `roles_for` adds the user groups a person belongs to, as
last read from Slack into `GroupMember` (bot/desk/admin/groups.py keeps that table fresh).
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.config import Settings
from storage.models import GroupMember

AGENT, OWNER, SUPERVISOR, ADMIN = "agent", "owner", "supervisor", "admin"


def roles_of(settings: Settings, user_id: str, owner_id: str | None = None, *,
             groups: Collection[str] = ()) -> set[str]:
    """`groups`: the Slack user groups (S…) the person is a member of, when known."""
    roles = {AGENT} if is_agent(settings, user_id, groups) else set()
    if user_id == owner_id:
        roles.add(OWNER)
    if user_id in settings.supervisors or set(groups) & set(settings.supervisor_groups):
        roles.add(SUPERVISOR)
    if user_id in settings.admins or set(groups) & set(settings.admin_groups):
        roles.add(ADMIN)
    return roles


def is_agent(settings: Settings, user_id: str, groups: Collection[str] = ()) -> bool:
    """Everyone is an agent until [roles] agents or agent_groups names who is."""
    if not settings.agent_users and not settings.agent_groups:
        return True
    return user_id in settings.agent_users or bool(set(groups) & set(settings.agent_groups))


def role_groups_of(s: Session, settings: Settings, team_id: str, user_id: str) -> set[str]:
    """The role-giving user groups (agent_, supervisor_ and admin_groups) the person is in."""
    named = (set(settings.agent_groups) | set(settings.supervisor_groups)
             | set(settings.admin_groups))
    if not named:
        return set()
    return set(s.scalars(select(GroupMember.group_id).where(
        GroupMember.team_id == team_id, GroupMember.user_id == user_id,
        GroupMember.group_id.in_(named))))


def roles_for(s: Session, settings: Settings, team_id: str, user_id: str,
              owner_id: str | None = None) -> set[str]:
    """Roles from user ids and from user-group membership."""
    return roles_of(settings, user_id, owner_id,
                    groups=role_groups_of(s, settings, team_id, user_id))


def may_take_interactions(s: Session, settings: Settings, team_id: str, user_id: str) -> bool:
    """Going Ready (and so being offered customers' texts) is the agent role's."""
    return AGENT in roles_for(s, settings, team_id, user_id)


def may_supervise(s: Session, settings: Settings, team_id: str, user_id: str) -> bool:
    """Supervisors and admins see the queues in detail and reassign interactions."""
    return bool(roles_for(s, settings, team_id, user_id) & {SUPERVISOR, ADMIN})


def may_save_media(settings: Settings, user_id: str, owner_id: str | None,
                   groups: Collection[str] = ()) -> bool:
    return bool(roles_of(settings, user_id, owner_id, groups=groups)
                & set(settings.media_save_roles))


def may(s: Session, settings: Settings, team_id: str, user_id: str,
        allowed: Collection[str], owner_id: str | None = None) -> bool:
    """Whether any of the person's roles is one of `allowed` (a setting's role list)."""
    return bool(roles_for(s, settings, team_id, user_id, owner_id) & set(allowed))


def describe_roles(allowed: Collection[str]) -> str:
    """'supervisors or admins': for refusals that say who may."""
    plural = {AGENT: "agents", OWNER: "the agent holding the interaction",
              SUPERVISOR: "supervisors", ADMIN: "admins"}
    names = [plural.get(role, role) for role in allowed]
    return " or ".join(names) if names else "nobody (see the settings)"
