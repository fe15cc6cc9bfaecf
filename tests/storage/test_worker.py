"""The worker's own rules, with a recording stand-in for the handlers (no Slack)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.desk import jobs
from bot.worker.runner import Worker
from storage import outbox
from storage.models import Job

pytestmark = pytest.mark.postgres


def _worker(db, ran: list[int]) -> Worker:
    services = type("Services", (), {"db": db})()
    return Worker(services, lambda _services, job: ran.append(job.id))


def _queue(db, job: jobs.OutboxJob) -> int:
    with db.transaction() as s:
        row = jobs.queue(s, "T1", job)
        s.flush()
        return row.id


def test_a_redraw_put_back_behind_a_newer_one_is_not_drawn_twice(db):
    """A Home tab paced while a change asked for it again: the newer job draws the newest
    state, and the one put back has nothing to add (before, only cards knew this)."""
    first = _queue(db, jobs.PublishHome("UAGENT1", team_id="T1"))
    [running] = outbox.claim(db)
    newer = _queue(db, jobs.PublishHome("UAGENT1", team_id="T1"))  # not coalesced: it runs
    outbox.retry_later(db, running.id, "paced: views.publish", timedelta(0),
                       count_attempt=False)
    ran: list[int] = []
    worker = _worker(db, ran)
    while worker.run_once(limit=5):
        pass
    assert (running.id, ran) == (first, [newer])
    with db.transaction() as s:
        assert set(s.scalars(select(Job.state))) == {"done"}


def test_a_job_that_does_not_coalesce_always_runs(db):
    first = _queue(db, jobs.SendSms(7, interaction_id=1))
    second = _queue(db, jobs.SendSms(7, interaction_id=1))
    ran: list[int] = []
    worker = _worker(db, ran)
    while worker.run_once(limit=5):
        pass
    assert ran == [first, second]


def test_a_transcript_sync_put_back_behind_a_newer_one_still_runs(db):
    """It is no redraw: it holds the Slack slot pacing booked for it, and the newer one
    would post the same lines, so both run (the newer one finds nothing left)."""
    first = _queue(db, jobs.SyncTranscript(1))
    [running] = outbox.claim(db)
    newer = _queue(db, jobs.SyncTranscript(1))
    outbox.retry_later(db, running.id, "paced: chat.postMessage", timedelta(0),
                       count_attempt=False)
    ran: list[int] = []
    worker = _worker(db, ran)
    while worker.run_once(limit=5):
        pass
    assert ran == [first, newer]
