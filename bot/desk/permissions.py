"""Who may do what: roles come from the settings (Slack user ids)."""

from __future__ import annotations

from bot.config import Settings

AGENT, OWNER, SUPERVISOR, ADMIN = "agent", "owner", "supervisor", "admin"


def roles_of(settings: Settings, user_id: str, owner_id: str | None = None) -> set[str]:
    roles = {AGENT}
    if user_id == owner_id:
        roles.add(OWNER)
    if user_id in settings.supervisors:
        roles.add(SUPERVISOR)
    if user_id in settings.admins:
        roles.add(ADMIN)
    return roles


def may_save_media(settings: Settings, user_id: str, owner_id: str | None) -> bool:
    return bool(roles_of(settings, user_id, owner_id) & set(settings.media_save_roles))
