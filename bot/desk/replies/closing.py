"""Closing an interaction: Done from the card, and page mode's close once its one reply is
sent (with mandatory dispositions, Done waits for a code).

The closes nobody clicked (page mode's after the reply, and the one a mandatory code
brings) do not happen when the customer wrote after the agent's last reply (or Done): a
conditional update on `awaiting_reply`, which the customer's text sets in its own
transaction, so however the two interleave the text is never closed away unanswered. The
interaction stays open and its thread says why."""

from __future__ import annotations

import enum

from sqlalchemy import update
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.desk import effects, timings
from bot.desk.interactions import routing, timeline
from bot.desk.interactions.lifecycle import ACCEPTED, DONE, EXPIRED, move_interaction
from bot.desk.notices import naming
from bot.desk.replies import held
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
    # An automatic close, but the customer wrote after the last reply: it stays open, and a
    # line in its thread says so (a Done that waited for the code is dropped).
    KEPT_OPEN = "kept_open"


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
           reason: str, *, unless_customer_wrote: bool = False) -> DoneOutcome:
    """`unless_customer_wrote`: a close nobody asked for just now (page mode's after the
    reply, the code Done waited for), which keeps the interaction open (KEPT_OPEN) if the
    customer wrote after the agent's last reply or Done. Done itself closes regardless."""
    # The customer wrote nothing since the last reply (or Done): the condition of such a close.
    answered = {"awaiting_reply": False} if unless_customer_wrote else {}
    if settings.disposition_mandatory and not interaction.disposition:
        # Conditional, like a transition: a code set meanwhile (another transaction) makes
        # this match nothing, and then the interaction closes below instead of waiting.
        asked_before = interaction.done_requested_by is not None
        waiting = rows_changed(s.execute(
            update(Interaction)
            .where(Interaction.id == interaction.id, Interaction.state.in_((ACCEPTED, EXPIRED)),
                   Interaction.disposition.is_(None),
                   *([Interaction.awaiting_reply.is_(False)] if unless_customer_wrote else []))
            # Done (or the reply that asks for the code) answers what was written until now.
            .values(done_requested_by=interaction.done_requested_by or user_id
                    or interaction.agent_user_id, awaiting_reply=False)
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
        if not interaction.disposition:  # not for the code: closed, or the customer wrote
            return _kept_open_or_not_open(s, interaction, user_id, reason,
                                          unless_customer_wrote)
    now = utcnow()
    closed = any(move_interaction(s, interaction.id, from_state, DONE,
                                  closed_at=now, closed_by=user_id, _where=answered)
                 for from_state in (ACCEPTED, EXPIRED))
    if not closed:
        s.refresh(interaction)
        return _kept_open_or_not_open(s, interaction, user_id, reason, unless_customer_wrote)
    timings.closed(s, interaction, now)
    timeline.record(s, interaction.team_id, interaction.id, timeline.CLOSED, actor=user_id,
                    detail=reason)
    held.discard_all(s, interaction, held.CLOSED_MEANWHILE)
    effects.update_card(s, interaction.team_id, interaction.id)
    effects.sync_transcript(s, interaction.team_id, interaction.id)
    if interaction.agent_user_id:
        effects.publish_home(s, interaction.team_id, interaction.agent_user_id)
    # A slot just freed up: whoever waits in the queue can be offered now.
    routing.dispatch_waiting(s, settings, interaction.team_id)
    return DoneOutcome.CLOSED


def _kept_open_or_not_open(s: Session, interaction: Interaction, user_id: str | None,
                           reason: str, unless_customer_wrote: bool) -> DoneOutcome:
    """Why a close matched nothing (the row read again): the customer wrote after the last
    reply, so it stays open and the thread says so; or it is not open any more."""
    if not (unless_customer_wrote and interaction.awaiting_reply
            and interaction.state in (ACCEPTED, EXPIRED)):
        return DoneOutcome.NOT_OPEN
    # A Done that waited for the code is dropped: the customer is owed an answer first, and
    # the agent's next reply (or Done) closes it as usual.
    s.execute(update(Interaction).where(Interaction.id == interaction.id)
              .values(done_requested_by=None).execution_options(synchronize_session=False))
    timeline.record(s, interaction.team_id, interaction.id, timeline.KEPT_OPEN, actor=user_id,
                    detail=reason)
    effects.update_card(s, interaction.team_id, interaction.id)
    effects.sync_transcript(s, interaction.team_id, interaction.id)
    return DoneOutcome.KEPT_OPEN
