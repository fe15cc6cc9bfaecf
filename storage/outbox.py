"""The outbox/timer table: write jobs in the caller's transaction, claim them exactly once.

A job is claimable when it is pending and due (or running with an expired lease: the last
resort for work of a crashed process, which storage/heartbeats.py takes back sooner) and no
earlier job of its lane is still unfinished. Claiming is a conditional update, so two
workers (or two instances on one PostgreSQL database) never both win a job.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, exists, or_, select, text, update
from sqlalchemy.orm import Session, aliased

from storage.clock import utcnow
from storage.db import Database, rows_changed
from storage.models import Job

UNFINISHED = ("pending", "running")
FINISHED = ("done", "dead")


def enqueue(
    session: Session,
    team_id: str,
    kind: str,
    payload: dict[str, Any] | None = None,
    *,
    lane: str | None = None,
    due_at: datetime | None = None,
    priority: int = 1,
    coalesce_key: str | None = None,
) -> Job:
    """With `coalesce_key`: if a job with that key is still pending at the end of the same
    lane, it is the job (made due no later than `due_at`, and as urgent as `priority`),
    since it will draw the latest state anyway. Not when other work queued behind it: that
    would change the order.

    In a lane, the job cannot start before the unfinished ones ahead of it: whoever waits
    for it waits for them, so they are made as urgent as it is (claimed, and paced, by the
    higher priority: a line the customer waits for is not held up by a redraw ahead of it
    waiting out a cosmetic budget)."""
    due_at = due_at or utcnow()
    if coalesce_key is not None:
        query = (select(Job).where(Job.coalesce_key == coalesce_key, Job.state == "pending",
                                   Job.lane.is_(None) if lane is None else Job.lane == lane)
                 .order_by(Job.id.desc()).limit(1))
        if session.get_bind().dialect.name == "postgresql":
            # Held until this commits: a worker (SKIP LOCKED) cannot claim the job and read
            # the state before this change is visible, so the card it draws is never stale.
            query = query.with_for_update(of=Job)
        waiting = session.scalars(query).first()
        if waiting is not None and lane is not None and session.scalar(
                select(Job.id).where(Job.lane == lane, Job.id > waiting.id,
                                     Job.state.in_(UNFINISHED)).limit(1)) is not None:
            waiting = None
        if waiting is not None:
            if waiting.due_at > due_at:
                waiting.due_at = due_at
                session.info["jobs_added"] = True
            # Asked for again by someone waiting for it: it goes first, as this one would.
            waiting.priority = min(waiting.priority, priority)
            _lend_priority(session, lane, priority)
            return waiting
    _lend_priority(session, lane, priority)
    job = Job(
        team_id=team_id,
        kind=kind,
        payload=payload or {},
        lane=lane,
        due_at=due_at,
        state="pending",
        priority=priority,
        coalesce_key=coalesce_key,
    )
    session.add(job)
    session.info["jobs_added"] = True
    return job


def _lend_priority(session: Session, lane: str | None, priority: int) -> None:
    """The lane's unfinished jobs (all ahead of one being queued) made at least as urgent."""
    if lane is None:
        return
    session.execute(update(Job).where(Job.lane == lane, Job.state.in_(UNFINISHED),
                                      Job.priority > priority)
                    .values(priority=priority).execution_options(synchronize_session="fetch"))


def _one_at_a_time(session: Session, team_id: str, kind: str) -> None:
    """Until this transaction ends, no other one looks at the workspace's jobs of this kind
    through here: two instances starting together, or both of Slack's uninstall events
    arriving at two instances, must not each see none and write one. SQLite already writes
    one transaction at a time; PostgreSQL holds this lock until the transaction ends."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"),
                        {"key": f"{kind}:{team_id}"})


def unfinished(session: Session, team_id: str, kind: str) -> list[Job]:
    """The workspace's pending and running jobs of `kind`, oldest first (its lock taken)."""
    _one_at_a_time(session, team_id, kind)
    return list(session.scalars(select(Job).where(
        Job.team_id == team_id, Job.kind == kind, Job.state.in_(UNFINISHED)).order_by(Job.id)))


def ever_with_key(session: Session, team_id: str, kind: str, coalesce_key: str) -> bool:
    """Whether a job of `kind` under `coalesce_key` was ever written for the workspace,
    finished ones too (until pruned), with the kind's lock held to the transaction's end: a
    job meant to run once, once written, is not written again by another instance."""
    _one_at_a_time(session, team_id, kind)
    return session.scalar(select(Job.id).where(
        Job.team_id == team_id, Job.kind == kind, Job.coalesce_key == coalesce_key)
        .limit(1)) is not None


def ensure_one(
    session: Session,
    team_id: str,
    kind: str,
    payload: dict[str, Any] | None = None,
    *,
    due_at: datetime | None = None,
    priority: int = 1,
) -> tuple[Job, bool]:
    """The one unfinished job of `kind` for the workspace (a timer): a waiting one is made
    due no later than `due_at`, and then carries `payload` (the request that decides when
    it runs decides what it says); a running one is left to re-arm itself; with neither, a
    new one is written. Returns the job and whether it is new."""
    jobs = unfinished(session, team_id, kind)
    waiting = [job for job in jobs if job.state == "pending"]
    if waiting:
        job = waiting[0]
        if due_at is not None and job.due_at > due_at:
            job.due_at = due_at
            job.payload = payload or {}
            session.info["jobs_added"] = True
        return job, False
    if jobs:
        return jobs[0], False
    return enqueue(session, team_id, kind, payload, due_at=due_at, priority=priority), True


def waiting_with_key(session: Session, team_id: str, kind: str, coalesce_key: str
                     ) -> list[Job]:
    """The workspace's pending jobs of `kind` under `coalesce_key` (a timer to call off).
    A running one is left alone: it reads the state it acts on when it runs."""
    return list(session.scalars(select(Job).where(
        Job.team_id == team_id, Job.kind == kind, Job.coalesce_key == coalesce_key,
        Job.state == "pending")))


def cancel(session: Session, jobs: Iterable[Job], reason: str, *,
           payload: dict[str, Any] | None = None) -> int:
    """Call off unfinished jobs: they are finished (done, never to run), with `reason` as
    their last error, and `payload` (when given) in place of theirs. Returns how many."""
    called_off = 0
    for job in jobs:
        if job.state in UNFINISHED:
            job.state, job.finished_at, job.locked_until = "done", utcnow(), None
            job.last_error = reason
            if payload is not None:
                job.payload = dict(payload)
            called_off += 1
    return called_off


def every_job(session: Session, team_id: str) -> list[Job]:
    """All of the workspace's jobs, finished ones too (for an erasure to read)."""
    return list(session.scalars(select(Job).where(Job.team_id == team_id).order_by(Job.id)))


def scrub(session: Session, jobs: Iterable[Job], payload: dict[str, Any]) -> None:
    """Finished jobs keep their kind and times but lose their payload and error text."""
    for job in jobs:
        job.payload, job.last_error = dict(payload), None


@dataclass(frozen=True)
class ClaimedJob:
    id: int
    team_id: str
    kind: str
    payload: dict[str, Any]
    lane: str | None
    attempts: int
    priority: int = 1
    # An earlier run may have carried out its calls and not written their outcome down: it
    # was killed mid-run (its lease ran out), or its call died without an answer (timeout,
    # dropped connection). A job that posts then looks before posting again. It stays set
    # through later runs put back before they could look (paced, rate limited).
    outcome_unknown: bool = False
    coalesce_key: str | None = None


def _claimable(now: datetime) -> ColumnElement[bool]:
    earlier = aliased(Job)
    blocked_by_lane = exists().where(
        earlier.lane == Job.lane,
        earlier.id < Job.id,
        earlier.state.in_(UNFINISHED),
    )
    runnable = or_(
        and_(Job.state == "pending", Job.due_at <= now),
        and_(Job.state == "running", Job.locked_until < now),
    )
    return and_(runnable, or_(Job.lane.is_(None), ~blocked_by_lane))


def claim(
    db: Database, *, limit: int = 10, lease: timedelta = timedelta(seconds=60),
    worker_id: str | None = None,
) -> list[ClaimedJob]:
    """`worker_id`: the claiming worker's heartbeat (storage/heartbeats.py); its jobs are
    taken back as soon as it stops beating. Without one, only the lease frees them."""
    now = utcnow()
    claimed: list[ClaimedJob] = []
    with db.transaction() as session:
        # Customers first: among due jobs, the most urgent kind, then the oldest.
        query = (select(Job.id).where(_claimable(now))
                 .order_by(Job.priority, Job.due_at, Job.id).limit(limit))
        if not db.is_sqlite:
            query = query.with_for_update(skip_locked=True, of=Job)
        candidate_ids = list(session.scalars(query))
        for job_id in candidate_ids:
            before = session.execute(select(Job.state, Job.last_error, Job.outcome_unknown)
                                     .where(Job.id == job_id)).one()
            unknown = before.outcome_unknown or _outcome_unknown(before.state,
                                                                  before.last_error)
            result = session.execute(
                update(Job)
                .where(Job.id == job_id, _claimable(now))
                .values(state="running", locked_until=now + lease, attempts=Job.attempts + 1,
                        outcome_unknown=unknown, claimed_by=worker_id)
                .execution_options(synchronize_session=False)
            )
            if rows_changed(result) != 1:
                continue
            job = session.get_one(Job, job_id, populate_existing=True)
            claimed.append(
                ClaimedJob(job.id, job.team_id, job.kind, dict(job.payload), job.lane,
                           job.attempts, job.priority,
                           outcome_unknown=unknown, coalesce_key=job.coalesce_key)
            )
    return claimed


# Failures (as the runner records them: "ExceptionClass: text") where the request may have
# reached Slack and been carried out, but no answer came back. An answer of any kind (an
# API error, a 429, a 5xx) says what happened, and so does a job put back before its call.
_NO_ANSWER = ("TimeoutError", "timeout", "URLError", "RemoteDisconnected", "IncompleteRead",
              "ConnectionResetError", "ConnectionAbortedError", "BrokenPipeError")


def _outcome_unknown(state: str, last_error: str | None) -> bool:
    if state == "running":
        return True  # claimed before and never finished: that process died
    return last_error is not None and last_error.startswith(_NO_ANSWER)


def still_to_run(db: Database, kind: str, lane: str) -> bool:
    """Whether a job of `kind` in `lane` is still pending or running."""
    with db.transaction() as session:
        return session.scalar(select(Job.id).where(
            Job.lane == lane, Job.kind == kind, Job.state.in_(UNFINISHED)).limit(1)) is not None


def superseded(db: Database, job: ClaimedJob) -> bool:
    """A later job with this one's coalescing key waits in its lane, due now, with nothing
    else of the lane queued between them: it will draw the newest state at the same place in
    the lane's order, so this run has nothing to add. Never when an earlier run of this one
    may have done its calls without writing them down: only this one looks for those."""
    if job.coalesce_key is None or job.outcome_unknown:
        return False
    with db.transaction() as session:
        twin = session.scalar(
            select(Job.id).where(
                Job.team_id == job.team_id, Job.coalesce_key == job.coalesce_key,
                Job.id > job.id, Job.state == "pending", Job.due_at <= utcnow(),
                Job.lane.is_(None) if job.lane is None else Job.lane == job.lane)
            .order_by(Job.id).limit(1))
        if twin is None or job.lane is None:
            return twin is not None
        return session.scalar(select(Job.id).where(
            Job.lane == job.lane, Job.id > job.id, Job.id < twin, Job.state.in_(UNFINISHED),
            or_(Job.coalesce_key.is_(None), Job.coalesce_key != job.coalesce_key))
            .limit(1)) is None


def _still_ours(job_id: int, worker_id: str | None) -> list[Any]:
    """The run's outcome is written only while the job is still this worker's: once a
    worker has been taken for dead, the run that took its job over owns the row."""
    if worker_id is None:
        return [Job.id == job_id]
    return [Job.id == job_id, Job.state == "running", Job.claimed_by == worker_id]


def complete(db: Database, job_id: int, *, worker_id: str | None = None) -> bool:
    """False when the job was no longer this worker's (nothing written)."""
    with db.transaction() as session:
        return rows_changed(session.execute(
            update(Job).where(*_still_ours(job_id, worker_id))
            .values(state="done", finished_at=utcnow(), locked_until=None)
        )) == 1


def retry_later(db: Database, job_id: int, error: str, delay: timedelta, *,
                count_attempt: bool = True, worker_id: str | None = None) -> bool:
    return retry_at(db, job_id, error, utcnow() + delay, count_attempt=count_attempt,
                    worker_id=worker_id)


def retry_at(db: Database, job_id: int, error: str, due_at: datetime, *,
             count_attempt: bool = True, worker_id: str | None = None) -> bool:
    values: dict[str, Any] = {
        "state": "pending",
        "due_at": due_at,
        "last_error": error[:2000],
        "locked_until": None,
    }
    if not count_attempt:
        # A rate limit is Slack pacing us, not the job failing.
        values["attempts"] = Job.attempts - 1
    with db.transaction() as session:
        return rows_changed(session.execute(
            update(Job).where(*_still_ours(job_id, worker_id)).values(**values))) == 1


def give_up(db: Database, job_id: int, error: str, *, worker_id: str | None = None) -> bool:
    with db.transaction() as session:
        return rows_changed(session.execute(
            update(Job).where(*_still_ours(job_id, worker_id))
            .values(state="dead", last_error=error[:2000], finished_at=utcnow(),
                    locked_until=None)
        )) == 1


def teams_with_finished(db: Database) -> list[str]:
    with db.transaction() as session:
        return sorted(session.scalars(select(Job.team_id).distinct().where(
            Job.state.in_(FINISHED))))


def prune_finished(db: Database, team_id: str, before: datetime, limit: int) -> tuple[int, bool]:
    """Delete up to `limit` of the workspace's jobs that finished before `before`: their
    payloads (a number, a line of an SMS) outlive their use. Nothing waits on a finished
    job (a lane waits only on unfinished ones), so no order changes. Returns how many were
    deleted, and whether more are waiting."""
    with db.transaction() as session:
        ids = list(session.scalars(select(Job.id).where(
            Job.team_id == team_id, Job.state.in_(FINISHED), Job.finished_at < before)
            .order_by(Job.id).limit(limit + 1)))
        more, ids = len(ids) > limit, ids[:limit]
        if not ids:
            return 0, False
        deleted = rows_changed(session.execute(
            delete(Job).where(Job.id.in_(ids), Job.state.in_(FINISHED))
            .execution_options(synchronize_session=False)))
    return deleted, more
