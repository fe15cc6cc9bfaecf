"""Closing an interaction: Done from the card, and page mode's close once its one reply is
sent (with mandatory dispositions, Done waits for a code)."""

from __future__ import annotations

import enum

from sqlalchemy import update
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.desk import effects
from bot.desk.interactions import routing, timeline
from bot.desk.interactions.lifecycle import ACCEPTED, DONE, EXPIRED, move_interaction
from bot.desk.notices import naming
from storage.clock import utcnow
from storage.db import Database, rows_changed
from storage.models import Interaction


class DoneOutcome(enum.Enum):
    CLOSED = "closed"
    # Mandatory dispositions and none set yet: Done is recorded (done_requested_by) and the
    # interaction closes once a code is set. The Done listener opens the code picker.
    NEEDS_DISPOSITION = "needs_disposition"
    REFUSED = "refused"  # not the clicker's to close (they are told why)
    NOT_OPEN = "not_open"  # already closed, gone, or in a state Done cannot leave


MARKED_DONE = "marked Done"
REPLY_SENT = "reply sent"


def mark_done(db: Database, settings: Settings, team_id: str, interaction_id: int,
              user_id: str) -> DoneOutcome:
    """Done from the card."""
    with db.transaction() as s:
        interaction = s.get(Interaction, interaction_id)
        if interaction is None or interaction.team_id != team_id:
            return DoneOutcome.NOT_OPEN
        if interaction.agent_user_id != user_id:
            effects.notify_agent(
                s, team_id, user_id,
                naming("Only {holder}, who holds this interaction, can mark it Done.",
                       holder=interaction.agent_user_id or ""),
                channel=interaction.desk_channel, thread_ts=interaction.thread_ts)
            return DoneOutcome.REFUSED
        return close(s, settings, interaction, user_id, reason=MARKED_DONE)


def close(s: Session, settings: Settings, interaction: Interaction, user_id: str | None,
           reason: str) -> DoneOutcome:
    if settings.disposition_mandatory and not interaction.disposition:
        # Conditional, like a transition: a code set meanwhile (another transaction) makes
        # this match nothing, and then the interaction closes below instead of waiting.
        asked_before = interaction.done_requested_by is not None
        waiting = rows_changed(s.execute(
            update(Interaction)
            .where(Interaction.id == interaction.id, Interaction.state.in_((ACCEPTED, EXPIRED)),
                   Interaction.disposition.is_(None))
            .values(done_requested_by=interaction.done_requested_by or user_id
                    or interaction.agent_user_id)
            .execution_options(synchronize_session=False)
        )) == 1
        if waiting:
            if not asked_before:
                timeline.record(s, interaction.team_id, interaction.id,
                                timeline.DISPOSITION_NEEDED, actor=user_id, detail=reason)
                effects.update_card(s, interaction.team_id, interaction.id)
            effects.sync_transcript(s, interaction.team_id, interaction.id)
            return DoneOutcome.NEEDS_DISPOSITION
        s.refresh(interaction)
    closed = any(move_interaction(s, interaction.id, from_state, DONE,
                                  closed_at=utcnow(), closed_by=user_id)
                 for from_state in (ACCEPTED, EXPIRED))
    if not closed:
        return DoneOutcome.NOT_OPEN
    timeline.record(s, interaction.team_id, interaction.id, timeline.CLOSED, actor=user_id,
                    detail=reason)
    effects.update_card(s, interaction.team_id, interaction.id)
    effects.sync_transcript(s, interaction.team_id, interaction.id)
    if interaction.agent_user_id:
        effects.publish_home(s, interaction.team_id, interaction.agent_user_id)
    # A slot just freed up: whoever waits in the queue can be offered now.
    routing.dispatch_waiting(s, settings, interaction.team_id)
    return DoneOutcome.CLOSED
