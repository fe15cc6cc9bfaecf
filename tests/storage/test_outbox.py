"""The outbox on a real database: each job claimed once, lanes in order, crashes recovered."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from storage import outbox
from storage.models import Job, utcnow

pytestmark = pytest.mark.postgres


def _enqueue(db, count: int, lane=None, kind="k") -> list[int]:
    with db.transaction() as s:
        jobs = [outbox.enqueue(s, "T1", kind, {"n": n}, lane=lane) for n in range(count)]
        s.flush()
        return [job.id for job in jobs]


def test_concurrent_workers_never_claim_the_same_job(db):
    _enqueue(db, 60)
    claimed: list[int] = []
    lock = threading.Lock()
    barrier = threading.Barrier(4)

    def worker():
        barrier.wait()
        while jobs := outbox.claim(db, limit=3):
            with lock:
                claimed.extend(job.id for job in jobs)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(claimed) == sorted(set(claimed)) and len(claimed) == 60


def test_a_lane_runs_one_job_at_a_time_in_order(db):
    ids = _enqueue(db, 3, lane="interaction:1")
    first = outbox.claim(db, limit=10)
    assert [job.id for job in first] == ids[:1]
    assert outbox.claim(db, limit=10) == []  # the next waits for the first to finish
    outbox.complete(db, ids[0])
    assert [job.id for job in outbox.claim(db, limit=10)] == [ids[1]]


def test_a_job_retried_later_still_holds_its_lane(db):
    ids = _enqueue(db, 2, lane="interaction:1")
    outbox.claim(db)
    outbox.retry_later(db, ids[0], "Slack 503", timedelta(seconds=30))
    assert outbox.claim(db, limit=10) == []  # order beats speed: the second must not jump


def test_a_job_of_a_crashed_worker_is_claimed_again_after_its_lease(db):
    [job_id] = _enqueue(db, 1)
    assert outbox.claim(db, lease=timedelta(seconds=60))
    assert outbox.claim(db) == []
    with db.transaction() as s:
        s.execute(update(Job).values(locked_until=utcnow() - timedelta(seconds=1)))
    again = outbox.claim(db)
    assert [job.id for job in again] == [job_id] and again[0].attempts == 2


def test_timers_wait_for_their_due_time(db):
    with db.transaction() as s:
        outbox.enqueue(s, "T1", "timer", due_at=utcnow() + timedelta(seconds=60))
    assert outbox.claim(db) == []
    with db.transaction() as s:
        s.execute(update(Job).values(due_at=utcnow() - timedelta(seconds=1)))
    assert len(outbox.claim(db)) == 1


def test_a_rate_limited_retry_does_not_count_as_an_attempt(db):
    [job_id] = _enqueue(db, 1)
    outbox.claim(db)
    outbox.retry_later(db, job_id, "429", timedelta(seconds=0), count_attempt=False)
    with db.transaction() as s:
        assert s.scalar(select(Job.attempts).where(Job.id == job_id)) == 0


def test_a_job_knows_when_its_earlier_run_may_have_done_its_call_unrecorded(db):
    killed, refused, timed_out = _enqueue(db, 3)
    first = {job.id: job for job in outbox.claim(db, limit=10)}
    assert not any(job.outcome_unknown for job in first.values())  # a first run looks for nothing
    outbox.retry_later(db, refused, "Slack channel_not_found", timedelta(0))
    outbox.retry_later(db, timed_out, "TimeoutError: The read operation timed out", timedelta(0))
    with db.transaction() as s:  # the process running `killed` died: its lease runs out
        s.execute(update(Job).where(Job.id == killed)
                  .values(locked_until=utcnow() - timedelta(seconds=1)))
    again = {job.id: job.outcome_unknown for job in outbox.claim(db, limit=10)}
    # Slack answered the refused call: nothing was posted. The others may have been.
    assert again == {killed: True, refused: False, timed_out: True}


def test_a_job_that_may_have_posted_keeps_looking_after_being_put_back_unrun(db):
    [job_id] = _enqueue(db, 1)
    outbox.claim(db)
    with db.transaction() as s:  # killed mid-run
        s.execute(update(Job).values(locked_until=utcnow() - timedelta(seconds=1)))
    assert outbox.claim(db)[0].outcome_unknown
    # Paced before it could read Slack back: the next run must still look.
    outbox.retry_later(db, job_id, "paced: channel budget", timedelta(0), count_attempt=False)
    assert outbox.claim(db)[0].outcome_unknown


def test_a_coalesced_job_is_not_claimed_before_the_change_it_stands_for_commits(db):
    """Otherwise a worker could draw a card from the state before that change, and the
    change, coalesced into the job already drawn, would never be shown."""
    with db.transaction() as s:
        first = outbox.enqueue(s, "T1", "card", {}, lane="card:1", coalesce_key="card:1")
        s.flush()
        first_id = first.id
    claimed_at: list[float] = []

    def worker():
        while not claimed_at:
            if [job.id for job in outbox.claim(db)] == [first_id]:
                claimed_at.append(time.monotonic())
            time.sleep(0.02)

    with db.transaction() as s:
        again = outbox.enqueue(s, "T1", "card", {}, lane="card:1", coalesce_key="card:1")
        assert again.id == first_id  # coalesced into the pending job
        thread = threading.Thread(target=worker)
        thread.start()
        time.sleep(0.5)  # the worker tries meanwhile
        committed_at = time.monotonic()
    thread.join(10)
    assert claimed_at and claimed_at[0] >= committed_at


def test_a_waiting_redraw_asked_for_by_someone_waiting_for_it_goes_first(db):
    """A Home tab's redraw waits behind cosmetic work; the person then opens it, asking for
    it again: the one waiting job is the answer, so it must go as urgently as they ask."""
    with db.transaction() as s:
        outbox.enqueue(s, "T1", "cosmetic", {}, priority=2, due_at=utcnow() - timedelta(1))
        home = outbox.enqueue(s, "T1", "home", {}, lane="home:U1", priority=2,
                              coalesce_key="home:U1")
        s.flush()
        home_id = home.id
    with db.transaction() as s:
        again = outbox.enqueue(s, "T1", "home", {}, lane="home:U1", priority=1,
                               coalesce_key="home:U1")
        assert again.id == home_id
    assert [job.id for job in outbox.claim(db, limit=1)] == [home_id]


def _claim_all(db) -> dict[int, outbox.ClaimedJob]:
    return {job.id: job for job in outbox.claim(db, limit=50)}


def test_ensure_one_writes_one_timer_and_brings_a_waiting_one_forward(db):
    later = utcnow() + timedelta(hours=1)
    with db.transaction() as s:
        first, new = outbox.ensure_one(s, "T1", "timer", {"why": "start"}, due_at=later)
        s.flush()
        first_id = first.id
    assert new
    with db.transaction() as s:
        again, new = outbox.ensure_one(s, "T1", "timer", {"why": "later still"},
                                       due_at=later + timedelta(hours=1))
        assert (again.id, new, again.payload) == (first_id, False, {"why": "start"})
        sooner, new = outbox.ensure_one(s, "T1", "timer", {"why": "now"}, due_at=utcnow())
        assert (sooner.id, new, sooner.payload) == (first_id, False, {"why": "now"})
        other, new = outbox.ensure_one(s, "T2", "timer")
        assert new  # another workspace's timer is its own
    assert set(_claim_all(db)) == {first_id, other.id}


def test_ensure_one_leaves_a_running_timer_to_re_arm_itself(db):
    with db.transaction() as s:
        outbox.ensure_one(s, "T1", "timer")
    [running] = outbox.claim(db)
    with db.transaction() as s:
        job, new = outbox.ensure_one(s, "T1", "timer", due_at=utcnow())
        assert (job.id, new) == (running.id, False)
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Job)) == 1


def test_a_cancelled_job_never_runs_and_says_why(db):
    [kept, called_off] = _enqueue(db, 2)
    with db.transaction() as s:
        assert outbox.cancel(s, [s.get(Job, called_off)], "cancelled: reinstalled",
                             payload={"scrubbed": "yes"}) == 1
    assert list(_claim_all(db)) == [kept]
    with db.transaction() as s:
        job = s.get(Job, called_off)
        assert (job.state, job.last_error, job.payload) == (
            "done", "cancelled: reinstalled", {"scrubbed": "yes"})


def _redraws(db, *lanes_and_keys) -> list[int]:
    with db.transaction() as s:
        jobs = [outbox.enqueue(s, "T1", kind, {}, lane=lane, coalesce_key=key)
                for kind, lane, key in lanes_and_keys]
        s.flush()
        return [job.id for job in jobs]


def test_a_redraw_with_a_later_one_waiting_right_behind_it_is_superseded(db):
    [first] = _redraws(db, ("card", "card:1", "card:1"))
    [running] = outbox.claim(db)
    assert not outbox.superseded(db, running)  # nothing behind it yet
    [_second] = _redraws(db, ("card", "card:1", "card:1"))  # asked again while it runs
    assert outbox.superseded(db, running)


def test_a_redraw_is_not_skipped_past_other_work_of_its_lane(db):
    """The transcript's lines go in order: skipping the first sync would post the agent's
    line (queued between) before the customer's line the first sync stands for."""
    _redraws(db, ("sync", "interaction:1", "transcript:1"))
    [running] = outbox.claim(db)
    _redraws(db, ("composed", "interaction:1", None),
             ("sync", "interaction:1", "transcript:1"))
    assert not outbox.superseded(db, running)


def test_a_redraw_whose_earlier_run_may_have_posted_is_not_skipped(db):
    _redraws(db, ("sync", "interaction:1", "transcript:1"))
    outbox.claim(db)
    with db.transaction() as s:  # killed mid-run
        s.execute(update(Job).values(locked_until=utcnow() - timedelta(seconds=1)))
    [again] = outbox.claim(db)
    _redraws(db, ("sync", "interaction:1", "transcript:1"))
    assert again.outcome_unknown and not outbox.superseded(db, again)


def test_a_redraw_is_not_skipped_for_one_due_later(db):
    [tick] = _redraws(db, ("preview", None, "preview:1"))
    [running] = outbox.claim(db)
    with db.transaction() as s:
        outbox.enqueue(s, "T1", "preview", {}, coalesce_key="preview:1",
                       due_at=utcnow() + timedelta(seconds=30))
    assert running.id == tick and not outbox.superseded(db, running)


def _queued(db, kind: str, lane: str | None, priority: int, key: str | None = None) -> int:
    with db.transaction() as s:
        job = outbox.enqueue(s, "T1", kind, {}, lane=lane, priority=priority,
                             coalesce_key=key)
        s.flush()
        return job.id


def test_a_job_lends_its_urgency_to_the_ones_ahead_of_it_in_its_lane(db):
    """A customer's line queued behind a preview's redraw cannot go before it: the redraw
    is claimed as urgently as the line, before another interaction's less urgent work."""
    redraw = _queued(db, "redraw", "interaction:1", priority=2)
    other = _queued(db, "card", "interaction:2", priority=1)
    line = _queued(db, "line", "interaction:1", priority=0)
    assert [job.id for job in outbox.claim(db, limit=1)] == [redraw]
    assert [job.id for job in outbox.claim(db, limit=1)] == [other]  # the line waits its turn
    with db.transaction() as s:
        priorities = dict(s.execute(select(Job.id, Job.priority)).all())
    assert priorities == {redraw: 0, other: 1, line: 0}

