"""Workers' heartbeats: the running jobs of a worker that stopped beating are taken back in
seconds, those of a worker still beating never are."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from bot.worker.runner import SILENT_AFTER, Worker
from storage import heartbeats, outbox
from storage.clock import utcnow
from storage.models import Job, WorkerHeartbeat

pytestmark = pytest.mark.postgres


def _queue(db, count: int = 1) -> list[int]:
    with db.transaction() as s:
        rows = [outbox.enqueue(s, "T1", "k", {"n": n}) for n in range(count)]
        s.flush()
        return [row.id for row in rows]


def _silence(db, worker_id: str, seconds: float) -> None:
    """The worker's last beat was `seconds` ago (it died then)."""
    with db.transaction() as s:
        s.get_one(WorkerHeartbeat, worker_id).beat_at -= timedelta(seconds=seconds)


def test_the_jobs_of_a_silent_worker_are_taken_back_long_before_their_lease(db):
    [job_id] = _queue(db)
    heartbeats.beat(db, "dead")
    outbox.claim(db, worker_id="dead", lease=timedelta(seconds=60))
    heartbeats.beat(db, "alive")
    assert heartbeats.take_back_from_silent(db, "alive", SILENT_AFTER) == []  # it still beats

    _silence(db, "dead", SILENT_AFTER.total_seconds() + 1)
    taken = heartbeats.take_back_from_silent(db, "alive", SILENT_AFTER)
    assert taken == [heartbeats.TakenBack("dead", 1)]
    [again] = outbox.claim(db, worker_id="alive")
    # The dead run may have done its calls: the next one looks before doing them again.
    assert (again.id, again.attempts, again.outcome_unknown) == (job_id, 2, True)
    with db.transaction() as s:
        assert list(s.scalars(select(WorkerHeartbeat.worker_id))) == ["alive"]


def test_a_worker_never_takes_back_its_own_jobs(db):
    heartbeats.beat(db, "slow")
    _queue(db)
    outbox.claim(db, worker_id="slow")
    _silence(db, "slow", 60)
    assert heartbeats.take_back_from_silent(db, "slow", SILENT_AFTER) == []


def test_jobs_claimed_by_no_worker_wait_out_their_lease(db):
    """An older version's claims carry no worker: only the lease frees them."""
    heartbeats.beat(db, "new")
    _queue(db)
    outbox.claim(db)
    assert heartbeats.take_back_from_silent(db, "new", SILENT_AFTER) == []
    assert outbox.claim(db) == []


def test_a_starting_worker_runs_at_once_what_a_dead_one_held(db):
    [job_id] = _queue(db)
    heartbeats.beat(db, "killed")
    outbox.claim(db, worker_id="killed")
    _silence(db, "killed", 600)  # the machine was down for ten minutes

    ran = threading.Event()
    services = type("Services", (), {"db": db})()
    worker = Worker(services, lambda _services, job: ran.set()).start()
    try:
        assert ran.wait(3), "the dead worker's job waited for its lease"
    finally:
        assert worker.stop()
    with db.transaction() as s:
        assert s.scalar(select(Job.state).where(Job.id == job_id)) == "done"
        assert list(s.scalars(select(WorkerHeartbeat.worker_id))) == []  # both gone


def test_a_worker_takes_back_from_one_that_dies_while_it_runs(db):
    ran = threading.Event()
    services = type("Services", (), {"db": db})()
    worker = Worker(services, lambda _services, job: ran.set()).start()
    try:
        heartbeats.beat(db, "killed")
        # Written already claimed by the other worker (which then dies), in one transaction:
        # pending for a moment, the running worker could take it first.
        with db.transaction() as s:
            row = outbox.enqueue(s, "T1", "k", {"n": 0})
            s.flush()
            job_id = row.id
            s.execute(update(Job).where(Job.id == job_id).values(
                state="running", claimed_by="killed",
                locked_until=utcnow() + timedelta(seconds=60)))
        _silence(db, "killed", SILENT_AFTER.total_seconds() + 1)
        assert ran.wait(3), "the dead worker's job waited for its lease"
    finally:
        assert worker.stop()
    with db.transaction() as s:
        assert s.scalar(select(Job.state).where(Job.id == job_id)) == "done"


def test_a_worker_whose_job_was_taken_back_cannot_write_over_the_new_run(db):
    """Cut off from the database for longer than SILENT_AFTER, a worker is taken for dead and
    its job runs again elsewhere; when it comes back, its late outcome is not written over
    the run that took the job: the job stays the new worker's, running."""
    [job_id] = _queue(db)
    heartbeats.beat(db, "cut-off")
    outbox.claim(db, worker_id="cut-off")
    _silence(db, "cut-off", SILENT_AFTER.total_seconds() + 1)
    heartbeats.beat(db, "other")
    heartbeats.take_back_from_silent(db, "other", SILENT_AFTER)
    [again] = outbox.claim(db, worker_id="other")

    assert outbox.complete(db, job_id, worker_id="cut-off") is False
    assert outbox.give_up(db, job_id, "late", worker_id="cut-off") is False
    assert outbox.retry_later(db, job_id, "late", timedelta(seconds=1),
                              worker_id="cut-off") is False
    with db.transaction() as s:
        row = s.get_one(Job, job_id)
        assert (row.state, row.claimed_by, row.finished_at) == ("running", "other", None)

    assert outbox.complete(db, again.id, worker_id="other") is True
    with db.transaction() as s:
        assert s.get_one(Job, job_id).state == "done"
