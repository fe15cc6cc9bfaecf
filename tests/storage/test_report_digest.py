"""The digest's timer and posts on a real database: one timer per workspace however often
the desk starts, and one post per queue and day however often the timer runs."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot.config import Settings
from bot.desk import jobs
from bot.desk.queues import Queue
from bot.desk.reports import digest
from storage import outbox
from storage.models import Job

pytestmark = pytest.mark.postgres

TEAM = "T0TEST"
SETTINGS = Settings(digest_at="07:30", report_time_zone="Europe/Paris", queues=(
    Queue(name="Billing", supervisor_channel="CBILL"), Queue(name="Sales"),
    Queue(name="Support", supervisor_channel="CSUPP")))
MORNING = datetime(2026, 12, 6, 6, 31, tzinfo=UTC)  # 07:31 in Paris


def _jobs(db, kind: str) -> list[Job]:
    with db.transaction() as s:
        return list(s.scalars(select(Job).where(Job.kind == kind).order_by(Job.id)))


def test_every_start_keeps_one_timer_per_workspace(db):
    for _ in range(3):
        digest.schedule(db, SETTINGS, TEAM)
    digest.schedule(db, SETTINGS, "T0OTHER")
    assert sorted(job.team_id for job in _jobs(db, jobs.DigestTimer.KIND)) == ["T0OTHER", TEAM]
    assert digest.schedule(db, Settings(), "T0NODIGEST") is None


def test_each_supervised_queue_gets_one_digest_a_day_whatever_runs_twice(db):
    assert digest.queue_digests(db, SETTINGS, TEAM, MORNING) == ["Billing", "Support"]
    assert digest.queue_digests(db, SETTINGS, TEAM, MORNING) == []
    posts = _jobs(db, jobs.PostDigest.KIND)
    assert [(job.payload["queue"], job.payload["day"]) for job in posts] == [
        ("Billing", "2026-12-05"), ("Support", "2026-12-05")]
    with db.transaction() as s:  # posted: finished jobs still count
        outbox.cancel(s, s.scalars(select(Job).where(Job.kind == jobs.PostDigest.KIND)), "done")
    assert digest.queue_digests(db, SETTINGS, TEAM, MORNING) == []
    tomorrow = MORNING.replace(day=7)
    assert digest.queue_digests(db, SETTINGS, TEAM, tomorrow) == ["Billing", "Support"]


def test_two_timers_racing_queue_each_digest_once(db):
    from tests.harness import in_parallel

    queued = in_parallel(4, lambda _i: digest.queue_digests(db, SETTINGS, TEAM, MORNING))
    assert sorted(name for names in queued for name in names) == ["Billing", "Support"]
    assert len(_jobs(db, jobs.PostDigest.KIND)) == 2
