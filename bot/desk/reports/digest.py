"""The daily digest: at `[reports] digest_at` (a time of day in `[reports] time_zone`), each
queue with a supervisor channel gets yesterday's numbers against the same weekday a week
before, with the chart.

One timer job per workspace (jobs.DigestTimer) waits for the next digest time; every start
of every instance asks for it (`schedule`) and the outbox keeps one. When it runs it queues
one jobs.PostDigest per queue and day, unless one was ever written (`storage.outbox.
ever_with_key`, under the kind's lock), so a queue hears about a day once whatever runs
twice (two instances, a restart mid-run, a digest_at moved later the same day); then it
re-arms for the next digest time. A timer that runs late (the desk was down at digest time)
reports the day its latest digest time was about, and days missed before are not sent.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.config import Settings
from bot.desk import jobs
from bot.desk.reports import Period
from storage import outbox
from storage.clock import utcnow
from storage.db import Database

log = logging.getLogger(__name__)
UTC = ZoneInfo("UTC")


def _digest_times(settings: Settings, now: datetime, days: range) -> list[datetime]:
    """The digest time of each local day `now` + days, in UTC (DST kept: 07:30 stays 07:30)."""
    assert settings.digest_at
    zone = ZoneInfo(settings.report_time_zone)
    hour, minute = (int(part) for part in settings.digest_at.split(":"))
    today = now.astimezone(zone).date()
    return [datetime.combine(today + timedelta(days=offset), time(hour, minute), tzinfo=zone)
            .astimezone(UTC) for offset in days]


def next_digest_at(settings: Settings, now: datetime) -> datetime | None:
    """The first digest time strictly after `now` (UTC), or None when there is no digest."""
    if not settings.digest_at:
        return None
    return next(t for t in _digest_times(settings, now, range(0, 3)) if t > now)


def last_digest_at(settings: Settings, now: datetime) -> datetime:
    """The latest digest time at or before `now`: the one a timer running now serves (late,
    if the desk was down; or early by a day's worth when digest_at was moved later)."""
    return next(t for t in _digest_times(settings, now, range(0, -3, -1)) if t <= now)


def schedule(db: Database, settings: Settings, team_id: str) -> datetime | None:
    """Arm the workspace's timer for the next digest time (a waiting one due later is brought
    forward; one due sooner keeps its time and re-arms itself when it runs)."""
    due = next_digest_at(settings, utcnow())
    if due is None:
        return None
    with db.transaction() as s:
        jobs.ensure_one(s, team_id, jobs.DigestTimer(), due_at=due)
    return due


def report_day(settings: Settings, now: datetime) -> date:
    """The day a digest sent now is about: the day before the latest digest time, in the
    report time zone. A timer that fires early (digest_at moved later since it was armed)
    so serves a day already sent, and sends nothing."""
    zone = ZoneInfo(settings.report_time_zone)
    return last_digest_at(settings, now).astimezone(zone).date() - timedelta(days=1)


def day_period(day: date, time_zone: str) -> Period:
    """One local day, [midnight, next midnight) in UTC, labelled as a supervisor reads it."""
    zone = ZoneInfo(time_zone)
    start = datetime.combine(day, time(0), tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    return Period(start.astimezone(UTC), end.astimezone(UTC), f"{day:%a %d %b}", time_zone)


def compared_periods(day: date, time_zone: str) -> tuple[Period, Period]:
    """The day, and the same weekday a week before."""
    return day_period(day, time_zone), day_period(day - timedelta(days=7), time_zone)


def supervised_queues(settings: Settings) -> list[str]:
    return [queue.name for queue in settings.all_queues() if queue.supervisor_channel]


def queue_digests(db: Database, settings: Settings, team_id: str,
                  now: datetime | None = None) -> list[str]:
    """The timer's work: one PostDigest per supervised queue for yesterday, each only once.
    Returns the queues queued now."""
    now = now or utcnow()
    day = report_day(settings, now).isoformat()
    queued = []
    with db.transaction() as s:
        for name in supervised_queues(settings):
            job = jobs.PostDigest(queue=name, day=day)
            if outbox.ever_with_key(s, team_id, job.KIND, job.coalesce_key):
                continue
            jobs.queue(s, team_id, job)
            queued.append(name)
    if queued:
        log.info("digest for %s queued for %s", day, ", ".join(queued))
    return queued
