"""Session mode: a two-way chat that stays open while messages flow and expires when they stop."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.desk import effects
from bot.desk.interactions import timeline
from bot.desk.interactions.lifecycle import (
    ACCEPTED,
    EXPIRED,
    OFFERED,
    QUEUED,
    TRANSFERRING,
    move_interaction,
)
from storage.clock import utcnow
from storage.db import Database
from storage.models import Interaction


def deadline(settings: Settings, now: datetime) -> datetime:
    return now + timedelta(minutes=settings.session_expiry_minutes)


def start(s: Session, settings: Settings, interaction: Interaction, now: datetime) -> None:
    """Arm the one expiry timer of a new session (a persisted job, so restarts keep it)."""
    interaction.session_expires_at = deadline(settings, now)
    effects.expire_session_at(s, interaction.team_id, interaction.id,
                              interaction.session_expires_at)


def keep_alive(s: Session, settings: Settings, interaction_id: int,
               now: datetime | None = None) -> None:
    """A message either way (or an agent taking the chat) restarts the expiry interval."""
    s.execute(
        update(Interaction)
        .where(Interaction.id == interaction_id, Interaction.mode == "session")
        .values(session_expires_at=deadline(settings, now or utcnow()))
        .execution_options(synchronize_session=False)
    )


def expire_if_due(db: Database, settings: Settings, team_id: str,
                  interaction_id: int) -> datetime | None:
    """Close the session for messaging if its time has come.

    Returns when to look again (the interval was extended, or nobody holds the chat yet),
    or None when the timer has nothing more to do.
    """
    now = utcnow()
    with db.transaction() as s:
        interaction = s.get(Interaction, interaction_id)
        if interaction is None or interaction.team_id != team_id or interaction.mode != "session":
            return None
        if interaction.state in (QUEUED, OFFERED, TRANSFERRING):
            # The customer is still waiting for someone: the chat has not begun, so it cannot
            # lapse. Accepting restarts the interval.
            return max(interaction.session_expires_at or now, now) + timedelta(
                minutes=settings.session_expiry_minutes)
        if interaction.state != ACCEPTED:
            return None
        if interaction.session_expires_at and now < interaction.session_expires_at:
            return interaction.session_expires_at
        if not move_interaction(s, interaction.id, ACCEPTED, EXPIRED,
                                _where={"session_expires_at": interaction.session_expires_at}):
            return now  # a message arrived this instant: look again
        timeline.record(s, team_id, interaction.id, timeline.SESSION_EXPIRED,
                        detail=str(settings.session_expiry_minutes))
        effects.update_card(s, team_id, interaction.id)
        effects.sync_transcript(s, team_id, interaction.id)
        if interaction.agent_user_id:
            effects.publish_home(s, team_id, interaction.agent_user_id)
        return None
