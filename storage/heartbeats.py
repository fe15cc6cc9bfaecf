"""Workers' heartbeats, and the jobs of a worker that stopped beating taken back.

Each worker process writes its beat every second or so (bot/worker/runner.py). A running job
whose worker has been silent longer than a few seconds is made pending again at once, marked
outcome unknown (the dead run may have done its calls), so a process killed mid-job delays
its jobs by seconds rather than by their whole lease. The lease stays, for jobs claimed by no
worker (an older version) and as the last resort.

Beats are written and compared on the database's clock: instances whose clocks differ (or a
test that moves the desk's clock) cannot make a live worker look dead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.orm import Session

from storage.db import Database, insert_of
from storage.models import Job, WorkerHeartbeat


@dataclass(frozen=True)
class TakenBack:
    worker_id: str
    jobs: int


def database_now(session: Session) -> datetime:
    """The database's own clock (UTC), to the millisecond at least."""
    if session.get_bind().dialect.name == "postgresql":
        now = session.scalar(select(func.clock_timestamp()))
        if not isinstance(now, datetime):
            raise TypeError(f"clock_timestamp() gave {now!r}")
        return now.astimezone(UTC)
    # SQLite's CURRENT_TIMESTAMP has whole seconds only.
    now_text = session.scalar(text("SELECT strftime('%Y-%m-%d %H:%M:%f', 'now')"))
    return datetime.fromisoformat(str(now_text)).replace(tzinfo=UTC)


def beat(db: Database, worker_id: str) -> datetime:
    """The worker is alive: its beat, now. Returns the time of the beat."""
    with db.transaction() as session:
        now = database_now(session)
        statement = insert_of(session, WorkerHeartbeat).values(
            worker_id=worker_id, started_at=now, beat_at=now)
        session.execute(statement.on_conflict_do_update(
            index_elements=["worker_id"], set_={"beat_at": statement.excluded.beat_at}))
        return now


def take_back_from_silent(db: Database, worker_id: str,
                          silent_after: timedelta) -> list[TakenBack]:
    """Make pending again the running jobs of every other worker silent longer than
    `silent_after` (or whose beat is gone), and forget those workers' beats."""
    with db.transaction() as session:
        cutoff = database_now(session) - silent_after
        alive = select(WorkerHeartbeat.worker_id).where(WorkerHeartbeat.beat_at >= cutoff)
        held_by_silent = (Job.state == "running", Job.claimed_by.is_not(None),
                          Job.claimed_by != worker_id, Job.claimed_by.not_in(alive))
        counts = session.execute(select(Job.claimed_by, func.count()).where(*held_by_silent)
                                 .group_by(Job.claimed_by)).all()
        if counts:
            session.execute(update(Job).where(*held_by_silent).values(
                state="pending", locked_until=None, outcome_unknown=True)
                .execution_options(synchronize_session=False))
        session.execute(delete(WorkerHeartbeat).where(
            WorkerHeartbeat.beat_at < cutoff, WorkerHeartbeat.worker_id != worker_id)
            .execution_options(synchronize_session=False))
    return [TakenBack(str(silent), count) for silent, count in counts]


def stop_beating(db: Database, worker_id: str) -> None:
    """The worker stopped with none of its jobs running: nothing of it to wait for."""
    with db.transaction() as session:
        session.execute(delete(WorkerHeartbeat).where(WorkerHeartbeat.worker_id == worker_id))
