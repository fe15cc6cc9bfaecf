"""A text nobody takes: once it has waited `desk.waiting_alert_seconds` without an Accept, its
queue's supervisors are told (the supervisor channel, else each supervisor's DM) with a
Reassign, and the customer gets `desk.holding_reply` if one is set. Both once per
interaction: the timer is set when the interaction opens and runs once."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.desk import effects
from bot.desk.interactions import desk_texts, supervision, timeline
from bot.desk.interactions.lifecycle import OFFERED, QUEUED
from storage.clock import utcnow
from storage.db import Database
from storage.models import Contact, Interaction, TimelineEvent

log = logging.getLogger(__name__)

# Nobody has accepted it yet.
STILL_WAITING = (QUEUED, OFFERED)
# Events that start a new wait in a queue's line, after someone had accepted it.
BACK_IN_LINE = (timeline.QUEUE_TRANSFERRED, timeline.TRANSFER_RETURNED)
# A wait's start and its timer's due time are read a moment apart: no new timer for that.
LEEWAY = timedelta(seconds=1)


def arm(s: Session, settings: Settings, interaction: Interaction, now: datetime) -> None:
    """A new interaction, or one back in a queue's line: look at it again once it could
    have waited too long (counting only its queue's opening hours: nobody is told, and no
    holding reply goes, about a night spent waiting for a closed queue to open)."""
    if settings.waiting_alert_seconds:
        effects.check_waiting_at(s, interaction.team_id, interaction.id,
                                 _alert_due(settings, interaction.queue, now))


def _alert_due(settings: Settings, queue_name: str, since: datetime) -> datetime:
    hours = settings.queue_named(queue_name).hours
    if hours is None:
        return since + timedelta(seconds=settings.waiting_alert_seconds)
    return hours.after_open_seconds(since, settings.waiting_alert_seconds)


def check(db: Database, settings: Settings, team_id: str, interaction_id: int) -> bool:
    """The timer: still nobody's? Tell the supervisors, text the holding reply. True when
    it did (False: taken meanwhile, or told already)."""
    queue_name = _queue_of(db, team_id, interaction_id)
    if queue_name is None:
        return False
    channel = settings.queue_named(queue_name).supervisor_channel
    # Read before the transaction below: it opens one of its own.
    recipients = [channel] if channel else sorted(
        supervision.supervisors(db, settings, team_id))
    with db.transaction() as s:
        interaction = s.get(Interaction, interaction_id, with_for_update=True,
                            populate_existing=True)
        if interaction is None or interaction.state not in STILL_WAITING \
                or _told_before(s, interaction_id):
            return False
        due = (_alert_due(settings, interaction.queue, _waiting_since(s, interaction))
               if settings.queue_named(interaction.queue).hours is not None else None)
        if due is not None and due > utcnow() + LEEWAY:
            # Its queue was closed for part of the wait (or it moved to a queue that was):
            # only the time it could have been answered counts.
            effects.check_waiting_at(s, team_id, interaction_id, due)
            return False
        timeline.record(s, team_id, interaction_id, timeline.WAITED_TOO_LONG,
                        detail=str(settings.waiting_alert_seconds))
        if settings.holding_reply:
            _send_holding_reply(s, settings.holding_reply, interaction)
        for to in recipients:
            effects.post_waiting_alert(s, team_id, interaction_id, to)
        if not recipients:
            log.warning("interaction %s has waited %s s, and queue %s has no supervisor "
                        "channel and no supervisors to tell", interaction_id,
                        settings.waiting_alert_seconds, queue_name)
        return True


def _waiting_since(s: Session, interaction: Interaction) -> datetime:
    """When this wait began: its arrival, or its latest return to a queue's line."""
    back = s.scalar(select(func.max(TimelineEvent.at)).where(
        TimelineEvent.interaction_id == interaction.id, TimelineEvent.kind.in_(BACK_IN_LINE)))
    if back is None:
        return interaction.created_at
    return back if back.tzinfo is not None else back.replace(tzinfo=UTC)


def _queue_of(db: Database, team_id: str, interaction_id: int) -> str | None:
    with db.transaction() as s:
        return s.scalar(select(Interaction.queue).where(Interaction.id == interaction_id,
                                                        Interaction.team_id == team_id))


def _told_before(s: Session, interaction_id: int) -> bool:
    """Told of this wait already: an alert since the interaction last went back to a queue
    (a transfer to a queue, or a transfer that came back while its owner was away)."""
    back_in_line = s.scalar(select(func.max(TimelineEvent.id)).where(
        TimelineEvent.interaction_id == interaction_id,
        TimelineEvent.kind.in_(BACK_IN_LINE)))
    query = select(TimelineEvent.id).where(
        TimelineEvent.interaction_id == interaction_id,
        TimelineEvent.kind == timeline.WAITED_TOO_LONG)
    if back_in_line is not None:
        query = query.where(TimelineEvent.id > back_in_line)
    return s.scalar(query.limit(1)) is not None


def _send_holding_reply(s: Session, text: str, interaction: Interaction) -> None:
    to = interaction.customer_number or s.get_one(Contact, interaction.contact_id).phone
    desk_texts.text_customer(s, interaction.team_id, interaction.id, text,
                             from_number=interaction.business_number, to_number=to,
                             recorded_as=timeline.HOLDING_REPLIED)


@dataclass(frozen=True)
class WaitingAlert:
    """What supervisors are told about a text that has waited too long."""

    interaction_id: int
    queue: str
    contact_name: str | None
    contact_phone: str
    since: datetime  # when the text arrived
    state: str
    offered_to: str | None
    holding_reply_sent: bool
    now: datetime


def alert(db: Database, team_id: str, interaction_id: int) -> WaitingAlert | None:
    """The alert as it stands now; None once someone has accepted it (nothing to say)."""
    with db.transaction() as s:
        interaction = s.get(Interaction, interaction_id)
        if interaction is None or interaction.team_id != team_id \
                or interaction.state not in STILL_WAITING:
            return None
        contact = s.get_one(Contact, interaction.contact_id)
        held = s.scalar(select(TimelineEvent.id).where(
            TimelineEvent.interaction_id == interaction_id,
            TimelineEvent.kind == timeline.HOLDING_REPLIED).limit(1)) is not None
        return WaitingAlert(interaction.id, interaction.queue, contact.name,
                            interaction.customer_number or contact.phone,
                            interaction.created_at, interaction.state, interaction.offered_to,
                            held, utcnow())
