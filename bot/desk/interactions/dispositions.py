"""Disposition codes: how an interaction ended, chosen from the codes in the settings.

The holding agent, a supervisor or an admin may set (or correct) it. With mandatory
dispositions, Done waits for a code (`replies.close` records `done_requested_by`); setting
the code then closes the interaction in the same transaction, through the lifecycle.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from sqlalchemy import update
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.desk import effects, replies
from bot.desk.admin.permissions import ADMIN, OWNER, SUPERVISOR, roles_for
from bot.desk.interactions import timeline
from bot.desk.interactions.lifecycle import ACCEPTED, EXPIRED
from bot.desk.notices import Notice, naming
from storage.clock import utcnow
from storage.db import Database
from storage.models import Interaction

MAY_SET = {OWNER, SUPERVISOR, ADMIN}
CLOSED_BY_CODE = "disposition set"


class DispositionOutcome(enum.Enum):
    SET = "set"
    SET_AND_CLOSED = "set_and_closed"  # Done was waiting for it
    NOT_ALLOWED = "not_allowed"  # told why, privately
    UNKNOWN_CODE = "unknown_code"  # not (or no longer) among the configured codes
    NOT_FOUND = "not_found"


@dataclass(frozen=True)
class DispositionForm:
    """What the code picker shows: the choices, the current code, and whether saving closes."""

    interaction_id: int
    codes: tuple[str, ...]
    groups: tuple[tuple[str, tuple[str, ...]], ...]
    current: str | None
    closes_on_save: bool


def all_codes(settings: Settings) -> tuple[str, ...]:
    return settings.disposition_codes + tuple(
        code for _label, codes in settings.disposition_groups for code in codes)


def may_set(s: Session, settings: Settings, interaction: Interaction, user_id: str) -> bool:
    return bool(roles_for(s, settings, interaction.team_id, user_id,
                          interaction.agent_user_id) & MAY_SET)


def _refusal(interaction: Interaction) -> Notice:
    holder = ("{holder}, who holds this interaction," if interaction.agent_user_id
              else "the agent holding this interaction")
    return naming(f"Only {holder} or a supervisor can set its disposition code.",
                  holder=interaction.agent_user_id or "")



def _waiting_for_code(interaction: Interaction) -> bool:
    return bool(interaction.done_requested_by) and interaction.state in (ACCEPTED, EXPIRED)


def open_form(db: Database, settings: Settings, team_id: str, interaction_id: int,
              user_id: str) -> DispositionForm | None:
    """The picker for someone allowed to use it; None (and a private refusal) otherwise."""
    with db.transaction() as s:
        interaction = s.get(Interaction, interaction_id)
        if interaction is None or interaction.team_id != team_id:
            return None
        if not may_set(s, settings, interaction, user_id):
            effects.notify_agent(s, team_id, user_id, _refusal(interaction),
                                 channel=interaction.desk_channel,
                                 thread_ts=interaction.thread_ts)
            return None
        return DispositionForm(interaction.id, settings.disposition_codes,
                               settings.disposition_groups, interaction.disposition,
                               _waiting_for_code(interaction))


def set_disposition(db: Database, settings: Settings, team_id: str, interaction_id: int,
                    user_id: str, code: str) -> DispositionOutcome:
    if code not in all_codes(settings):
        return DispositionOutcome.UNKNOWN_CODE
    with db.transaction() as s:
        interaction = s.get(Interaction, interaction_id)
        if interaction is None or interaction.team_id != team_id:
            return DispositionOutcome.NOT_FOUND
        if not may_set(s, settings, interaction, user_id):
            effects.notify_agent(s, team_id, user_id, _refusal(interaction),
                                 channel=interaction.desk_channel,
                                 thread_ts=interaction.thread_ts)
            return DispositionOutcome.NOT_ALLOWED
        changed = interaction.disposition != code
        if changed:
            s.execute(update(Interaction).where(Interaction.id == interaction.id)
                      .values(disposition=code, disposition_by=user_id,
                              disposition_at=utcnow())
                      .execution_options(synchronize_session=False))
            timeline.record(s, team_id, interaction.id, timeline.DISPOSITION, actor=user_id,
                            detail=code)
            effects.update_card(s, team_id, interaction.id)
            effects.sync_transcript(s, team_id, interaction.id)
        # Read again after the write: a Done committed meanwhile is seen here, so a Done and
        # a code that cross each other still close the interaction.
        s.refresh(interaction)
        if _waiting_for_code(interaction):
            # Closes only if the customer wrote nothing since the last reply (or Done).
            outcome = replies.close(s, settings, interaction, interaction.done_requested_by,
                                    reason=CLOSED_BY_CODE, unless_customer_wrote=True)
            if outcome is replies.DoneOutcome.CLOSED:
                return DispositionOutcome.SET_AND_CLOSED
        return DispositionOutcome.SET
