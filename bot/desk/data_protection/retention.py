"""Retention: transcripts and media of interactions closed longer ago than the workspace keeps.

One desk-wide timer job (jobs.PurgeExpired, run by bot/worker/retention_jobs.py) runs every
PURGE_EVERY (AGAIN_SOON while a batch left more waiting) and, for each workspace with
`[privacy] retention_days` above 0, purges the interactions closed (Done) before the window:
every message text is emptied, notes and other free text of the timeline are cleared, and the
MMS files (the rows, whose columns hold the original, display and thumbnail bytes) are
deleted. The interaction row stays with its outline, counts and disposition, marked
`purged_at`, so reports still add up and the contact's history still lists it. Open and
expired-but-not-Done interactions are never touched. Each run that removed something writes
one audit entry per workspace with the counts.

The same timer deletes each workspace's finished outbox jobs older than `[privacy]
finished_jobs_days` (0: kept): a job's payload can hold a number or a line of text (the agent
told "Your SMS to +1 415-555-0100 is on its way"), which should not outlive its use. It
also deletes the delivery reports no send claimed in time (bot/desk/replies/delivery.py).

What Slack already shows (thread lines, uploaded thumbnails) is Slack's to keep or delete under
the workspace's own Slack retention settings; the provider keeps its own copy of each SMS.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, delete, func, select, update

from bot.config import Settings
from bot.desk import jobs
from bot.desk.admin import audit
from bot.desk.interactions import timeline
from bot.desk.interactions.lifecycle import DONE
from bot.desk.replies import delivery
from storage.clock import utcnow
from storage.db import Database, rows_changed
from storage.models import Interaction, Media, Message, TimelineEvent
from storage.outbox import prune_finished, teams_with_finished

log = logging.getLogger(__name__)

PURGE_EVERY = timedelta(hours=1)
# Interactions purged per workspace in one transaction; more waiting runs again soon, so a
# first run over years of history never holds a long transaction.
BATCH = 200
AGAIN_SOON = timedelta(seconds=30)
JOB_BATCH = 2000  # finished jobs deleted per workspace in one transaction
DESK_WIDE = ""  # the job's team_id: it serves every workspace in turn
AUDIT_ACTION = "retention.purge"
# Timeline kinds whose detail is free text someone wrote (the rest hold ids, codes, counts).
TEXT_EVENTS = (timeline.NOTE, timeline.SPELLING_CORRECTED, timeline.TRANSFER_REQUESTED,
               timeline.CASE_UPDATED)


@dataclass(frozen=True)
class Purged:
    interactions: int = 0
    messages: int = 0
    media: int = 0
    events: int = 0


def schedule(db: Database) -> None:
    """Start the timer unless one exists: every instance calls this at start, and one job
    results (the outbox orders the instances); a waiting one keeps its time."""
    with db.transaction() as s:
        jobs.ensure_one(s, DESK_WIDE, jobs.PurgeExpired())


def teams_with_closed(db: Database) -> list[str]:
    with db.transaction() as s:
        return sorted(s.scalars(select(Interaction.team_id).distinct().where(
            Interaction.state == DONE, Interaction.purged_at.is_(None))))


def purge_team(db: Database, team_id: str, retention_days: int,
               now: datetime | None = None) -> tuple[Purged, bool]:
    """Purge up to BATCH of the workspace's interactions closed before the window.
    Returns what was removed, and whether more are waiting."""
    if retention_days <= 0:
        return Purged(), False
    now = now or utcnow()
    cutoff = now - timedelta(days=retention_days)
    with db.transaction() as s:
        due = list(s.scalars(select(Interaction.id).where(*_due(team_id, cutoff))
                             .order_by(Interaction.id).limit(BATCH + 1)))
        more, due = len(due) > BATCH, due[:BATCH]
        # Each one is claimed by a conditional update: a second run at the same moment (a
        # duplicated timer) purges nothing twice and counts nothing twice.
        won = [interaction_id for interaction_id in due if rows_changed(s.execute(
            update(Interaction).where(Interaction.id == interaction_id,
                                      Interaction.team_id == team_id,
                                      Interaction.state == DONE,
                                      Interaction.purged_at.is_(None))
            .values(purged_at=now).execution_options(synchronize_session=False)))]
        if not won:
            return Purged(), more
        media = rows_changed(s.execute(delete(Media).where(
            Media.team_id == team_id, Media.interaction_id.in_(won))
            .execution_options(synchronize_session=False)))
        messages = rows_changed(s.execute(update(Message).where(
            Message.team_id == team_id, Message.interaction_id.in_(won))
            .values(body="", slack_text=None, spelling_flags=None)
            .execution_options(synchronize_session=False)))
        events = rows_changed(s.execute(update(TimelineEvent).where(
            TimelineEvent.team_id == team_id, TimelineEvent.interaction_id.in_(won),
            TimelineEvent.kind.in_(TEXT_EVENTS), TimelineEvent.detail.is_not(None))
            .values(detail=None).execution_options(synchronize_session=False)))
        purged = Purged(len(won), messages, media, events)
        audit.record(s, team_id, None, AUDIT_ACTION,
                     f"{purged.interactions} interactions closed before {cutoff:%Y-%m-%d}",
                     old=None, new=(f"removed: {purged.messages} message texts, "
                                    f"{purged.media} MMS files, {purged.events} notes"),
                     counts={"interactions": purged.interactions,
                             "messages": purged.messages, "media": purged.media,
                             "notes": purged.events},
                     retention_days=retention_days)
    log.info("retention purged %d interactions of workspace %s", purged.interactions, team_id)
    return purged, more


def _due(team_id: str, cutoff: datetime) -> tuple[ColumnElement[bool], ...]:
    """The workspace's interactions retention purges: Done, closed before `cutoff`."""
    return (Interaction.team_id == team_id, Interaction.state == DONE,
            Interaction.closed_at.is_not(None), Interaction.closed_at < cutoff,
            Interaction.purged_at.is_(None))


def prune_jobs(db: Database, team_id: str, days: int, now: datetime | None = None) -> bool:
    """Delete a batch of the workspace's jobs finished more than `days` ago (DESK_WIDE: the
    desk's own timers, by the top-level settings). True when more are waiting."""
    if days <= 0:
        return False
    pruned, more = prune_finished(db, team_id, (now or utcnow()) - timedelta(days=days),
                                  JOB_BATCH)
    if pruned:
        log.info("deleted %d finished jobs of workspace %r", pruned, team_id)
    return more


def purge_due(db: Database, settings_for: Callable[[str], Settings]) -> bool:
    """One round of the timer: every workspace by its own window (`settings_for(team_id)`),
    a batch each. True when more are waiting (the timer comes back soon, not in an hour)."""
    more = False
    for team_id in teams_with_closed(db):
        _purged, waiting = purge_team(db, team_id, settings_for(team_id).retention_days)
        more = more or waiting
    for team_id in teams_with_finished(db):
        more = prune_jobs(db, team_id, settings_for(team_id).finished_jobs_days) or more
    delivery.forget_unmatched_reports(db)
    return more


@dataclass(frozen=True)
class RunToTheEnd:
    """What a run started by hand removed: every workspace's transcripts and jobs past
    their windows, not one batch of each."""

    purged: Purged
    jobs: int


def run_to_the_end(db: Database, settings_for: Callable[[str], Settings],
                   on_progress: Callable[[int, int | None], None] | None = None,
                   now: datetime | None = None) -> RunToTheEnd:
    """What the hourly timer does, batch after batch until nothing is left (after lowering
    `retention_days`, say, rather than wait for the timer's rounds). Each batch is its own
    transaction, as the timer's are. `on_progress(done, total)` hears the interactions
    purged, of those due when the run began."""
    now = now or utcnow()
    windows = {team_id: settings_for(team_id).retention_days
               for team_id in teams_with_closed(db)}
    windows = {team_id: days for team_id, days in windows.items() if days > 0}
    with db.transaction() as s:
        total = sum(s.scalar(select(func.count()).select_from(Interaction).where(
            *_due(team_id, now - timedelta(days=days)))) or 0
            for team_id, days in windows.items())
    done = Purged()
    if on_progress is not None:
        on_progress(0, total)
    for team_id, days in windows.items():
        more = True
        while more:
            purged, more = purge_team(db, team_id, days, now)
            if not purged.interactions:
                break  # the hourly run claimed this batch meanwhile: it purges the rest
            done = Purged(done.interactions + purged.interactions,
                          done.messages + purged.messages, done.media + purged.media,
                          done.events + purged.events)
            if on_progress is not None:
                # A text closed meanwhile may join: the total grows rather than overflow.
                total = max(total, done.interactions)
                on_progress(done.interactions, total)
    jobs = 0
    for team_id in teams_with_finished(db):
        days = settings_for(team_id).finished_jobs_days
        more = days > 0
        while more:
            pruned, more = prune_finished(db, team_id, now - timedelta(days=days), JOB_BATCH)
            jobs += pruned
    delivery.forget_unmatched_reports(db)
    return RunToTheEnd(done, jobs)
