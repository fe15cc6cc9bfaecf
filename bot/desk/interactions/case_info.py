"""Case information: the key/value data attached to an interaction, and editing it.

The data comes from the inbound webhook's extra fields, routing rules, or agents. Agents may
edit (and add) only the fields the settings list in `[case] editable`; the agent holding the
interaction, supervisors and admins may edit, anyone may look. Every change is a timeline
event (a line in the thread) and refreshes the card.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from bot.config import Settings
from bot.desk import effects
from bot.desk.admin import permissions
from bot.desk.interactions import timeline
from storage.db import Database
from storage.models import Interaction

VALUE_LIMIT = 500
EDITORS = {permissions.OWNER, permissions.SUPERVISOR, permissions.ADMIN}
NOT_ALLOWED = ("Only the agent holding this interaction, a supervisor or an admin can edit "
               "its case information.")


@dataclass(frozen=True)
class CaseView:
    """What the case modal shows one person."""

    interaction_id: int
    case_data: dict[str, str]
    editable: tuple[str, ...]  # from the settings, in their order, present or not
    can_edit: bool


@dataclass
class CaseUpdate:
    """`errors` maps a submitted field to what is wrong with it (then nothing was saved);
    `changes` lists (field, new value or None when cleared)."""

    errors: dict[str, str] = field(default_factory=dict)
    changes: list[tuple[str, str | None]] = field(default_factory=list)
    not_allowed: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors and not self.not_allowed


def may_edit(s: Session, settings: Settings, interaction: Interaction, user_id: str) -> bool:
    return bool(permissions.roles_for(s, settings, interaction.team_id, user_id,
                                      interaction.agent_user_id) & EDITORS)


def case_view(db: Database, settings: Settings, team_id: str, interaction_id: int,
              user_id: str) -> CaseView | None:
    with db.transaction() as s:
        interaction = s.get(Interaction, interaction_id)
        if interaction is None or interaction.team_id != team_id:
            return None
        return CaseView(interaction.id, dict(interaction.case_data or {}),
                        settings.case_editable,
                        may_edit(s, settings, interaction, user_id))


def update_case(db: Database, settings: Settings, team_id: str, interaction_id: int,
                user_id: str, values: dict[str, str | None]) -> CaseUpdate:
    """Save the submitted fields, all or none. A field that is not editable is refused as
    read-only (a forged submission, or settings changed while the modal was open)."""
    result = CaseUpdate()
    editable = set(settings.case_editable)
    cleaned: dict[str, str] = {}
    for name, value in values.items():
        value = (value or "").strip()
        if name not in editable:
            result.errors[name] = f"{name} is read-only."
        elif len(value) > VALUE_LIMIT:
            result.errors[name] = f"At most {VALUE_LIMIT} characters ({len(value)} now)."
        else:
            cleaned[name] = value
    with db.transaction() as s:
        interaction = s.get(Interaction, interaction_id, with_for_update=True)
        if interaction is None or interaction.team_id != team_id or not may_edit(
                s, settings, interaction, user_id):
            result.not_allowed = True
            return result
        if result.errors:
            return result
        data = dict(interaction.case_data or {})
        for name, value in cleaned.items():
            if value and data.get(name) != value:
                data[name] = value
                result.changes.append((name, value))
            elif not value and name in data:
                del data[name]
                result.changes.append((name, None))
        if not result.changes:
            return result
        interaction.case_data = data  # a new dict, so the JSON column sees the change
        timeline.record(s, team_id, interaction.id, timeline.CASE_UPDATED, actor=user_id,
                        detail=json.dumps(result.changes, ensure_ascii=False))
        effects.update_card(s, team_id, interaction.id)
        effects.sync_transcript(s, team_id, interaction.id)
    return result


def read_changes(detail: str | None) -> list[tuple[str, str | None]]:
    """The changes a CASE_UPDATED event recorded (an unreadable detail reads as none)."""
    try:
        changes = json.loads(detail or "[]")
        return [(str(name), None if value is None else str(value)) for name, value in changes]
    except (ValueError, TypeError):
        return []
