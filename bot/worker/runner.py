"""The outbox worker: claims due jobs, runs them, retries with backoff.

It wakes at once when a job is committed in this process (so the happy path never waits
for a poll) and polls once a second for jobs other instances wrote and for timers. It beats
every BEAT_EVERY (storage/heartbeats.py), and takes back, at start and at every beat, the
running jobs of any worker silent for SILENT_AFTER: a process killed mid-job holds its jobs
for seconds, not for their whole lease. A job
that redraws (bot/desk/jobs.py: a card, a preview, a Home tab) is skipped when a later one
with its coalescing key waits right behind it: that one draws the newer state
(storage.outbox.superseded).
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TypeVar

from slack_sdk.errors import SlackApiError
from sqlalchemy.exc import DBAPIError

from bot.desk.jobs import CATALOGUE, UnreadableJob
from bot.logs import log_context
from bot.services import Services
from bot.slack.installations import NotInstalled
from bot.worker.alerts import AdminAlerts
from bot.worker.pacing import running_job
from bot.worker.pulse import Pulse
from storage import heartbeats, outbox
from storage.clock import utcnow
from storage.outbox import ClaimedJob

log = logging.getLogger(__name__)

RunJob = Callable[[Services, ClaimedJob], None]  # bot.worker.handlers.run_job
MAX_ATTEMPTS = 12
POLL_SECONDS = 1.0
# Under the 60 s lease of outbox.claim. (A worker that cannot reach the database cannot
# beat either: once it has been silent for SILENT_AFTER, others may take the job back and
# run it again, knowing its outcome unknown; the one that looks first adopts what was done.)
WRITE_DOWN_PATIENCE = 45.0
BEAT_EVERY = 1.0  # seconds between a worker's heartbeats
# A worker silent this long (five beats missed) is taken for dead, and its running jobs back.
SILENT_AFTER = timedelta(seconds=5)
T = TypeVar("T")


def write_down(write: Callable[..., T], *args, stopping: threading.Event | None = None,
               patience: float = WRITE_DOWN_PATIENCE, **kwargs) -> T:
    """`write(*args, **kwargs)`, tried again while the database is away (for up to `patience`
    seconds, less than a job's lease). For what only this run of a job knows: its outcome, or
    the `ts` Slack gave for a message just posted; forgotten, the job would run again and post
    it twice."""
    deadline = time.monotonic() + patience
    delay = 0.1
    while True:
        try:
            return write(*args, **kwargs)
        except DBAPIError as error:
            if time.monotonic() + delay > deadline or (stopping and stopping.is_set()):
                raise
            log.warning("worker: the database is away, writing down again shortly: %s",
                        error.orig or error)
        if stopping is not None:
            stopping.wait(delay)
        else:
            time.sleep(delay)
        delay = min(delay * 2, 2.0)


class RetryLater(Exception):
    """A handler asks to be run again at `at` without it counting as a failure."""

    def __init__(self, reason: str, at: datetime):
        super().__init__(reason)
        self.at = at


def backoff(attempts: int) -> timedelta:
    base = min(2 ** max(attempts - 1, 0), 300)
    return timedelta(seconds=base * random.uniform(0.8, 1.2))


class Worker:
    def __init__(self, services: Services, run_job: RunJob, threads: int = 4,
                 retry_backoff: Callable[[int], timedelta] | None = None):
        """`run_job(services, job)` runs one claimed job (its handler raises to retry).
        `retry_backoff(attempts)`: how long a failed job waits before its next attempt
        (default `backoff`; tests pass a short one so a retry is not a wait of seconds)."""
        self.services = services
        self.run_job = run_job
        self.threads = threads
        self.retry_backoff = retry_backoff
        self._wake = threading.Condition()
        self._pending_wakeups = 0
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        # The earliest time a job put back by this process (paced, or waiting) is due: the
        # idle threads look again then rather than at the next poll.
        self._next_due: datetime | None = None
        services.db.on_jobs_committed(self.wake)
        self.alerts = AdminAlerts(services)
        # Unique per process and start: the jobs it claims carry it (Job.claimed_by).
        self.worker_id = f"{socket.gethostname()[:32]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._pulse = Pulse(SILENT_AFTER)
        self._beating: threading.Thread | None = None

    def wake(self) -> None:
        """One thread looks for work; a thread that finds some wakes the next (_loop)."""
        with self._wake:
            self._pending_wakeups = min(self._pending_wakeups + 1, self.threads)
            self._wake.notify()

    def start(self) -> Worker:
        # Its first beat before its first claim: nobody takes back what a live worker holds.
        # Then what a process killed before this start held is taken back, at once.
        self._beat_and_take_back()
        self._beating = threading.Thread(target=self._keep_beating, name="smsdesk-heartbeat",
                                         daemon=True)
        self._beating.start()
        for number in range(self.threads):
            thread = threading.Thread(target=self._loop, name=f"smsdesk-worker-{number}",
                                      daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self, timeout: float = 5.0) -> bool:
        """Take no new job; wait up to `timeout` in all for the running ones to finish.
        True when every worker thread has ended."""
        self._stopping.set()
        with self._wake:
            self._wake.notify_all()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(deadline - time.monotonic(), 0.0))
        if self._beating is not None:
            self._beating.join(max(deadline - time.monotonic(), 0.0))
        stopped = not any(thread.is_alive() for thread in self._threads)
        if stopped and self._beating is not None:
            try:
                heartbeats.stop_beating(self.services.db, self.worker_id)
            except DBAPIError:
                pass  # its beat goes stale instead, and holds nothing up
        return stopped

    def _keep_beating(self) -> None:
        while not self._stopping.wait(BEAT_EVERY):
            try:
                self._beat_and_take_back()
            except Exception:  # noqa: BLE001 - a heart that stopped would give this
                log.exception("worker: the heartbeat failed")  # worker's jobs away

    def _beat_and_take_back(self) -> None:
        db = self.services.db
        try:
            self._pulse.beat(heartbeats.beat(db, self.worker_id))
            if not self._pulse.may_take_back():
                return
            taken = heartbeats.take_back_from_silent(db, self.worker_id, SILENT_AFTER)
        except DBAPIError as error:  # the database is away: beat again next time
            log.warning("worker: no heartbeat written: %s", error.orig or error)
            return
        for silent in taken:
            log.warning("worker %s has been silent for over %d s: its %d running job(s) "
                        "are to run again", silent.worker_id, SILENT_AFTER.total_seconds(),
                        silent.jobs)
        for _ in range(min(sum(silent.jobs for silent in taken), self.threads)):
            self.wake()

    def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                ran = self.run_once()
            except Exception:  # the database may be briefly away; keep the worker alive
                log.exception("worker: claiming jobs failed")
                ran = 0
            if ran:
                # There may be more due work than one thread can take: pass the baton on.
                self.wake()
                continue
            with self._wake:
                if self._pending_wakeups == 0:
                    self._wake.wait(self._idle_seconds())
                self._pending_wakeups = max(0, self._pending_wakeups - 1)

    def _idle_seconds(self) -> float:
        if self._next_due is None:
            return POLL_SECONDS
        wait = (self._next_due - utcnow()).total_seconds()
        if wait <= 0:
            self._next_due = None
            return 0.0
        return min(wait, POLL_SECONDS)

    def _due_again(self, at: datetime) -> None:
        with self._wake:
            if self._next_due is None or at < self._next_due:
                self._next_due = at

    def run_once(self, limit: int = 1) -> int:
        jobs = outbox.claim(self.services.db, limit=limit, worker_id=self.worker_id)
        for job in jobs:
            with log_context(job_id=job.id, interaction_id=job.payload.get("interaction_id")):
                self._run(job)
        return len(jobs)

    def _run(self, job: ClaimedJob) -> None:
        db = self.services.db
        try:
            with running_job(job.team_id, job.priority, job.id):
                if self._redraws(job) and outbox.superseded(db, job):
                    log.debug("job %s (%s) skipped: a later one draws the newer state",
                              job.id, job.kind)
                else:
                    self.run_job(self.services, job)
        except UnreadableJob as error:
            # A row no version of this code can run (written by a newer one, or by hand):
            # retrying cannot help, and the reason stays on the row.
            log.error("job %s (%s) cannot run: %s", job.id, job.kind, error)
            self._write_down(outbox.give_up, db, job.id, str(error))
            return
        except RetryLater as wait:
            self._write_down(outbox.retry_at, db, job.id, str(wait), wait.at,
                             count_attempt=False)
            self._due_again(wait.at)
            return
        except NotInstalled as error:
            # Uninstalled (its purge waits out the grace period): no retry can reach Slack
            # for it, so twelve tries of every queued card would only fill the log.
            log.info("job %s (%s) dropped: %s", job.id, job.kind, error)
            self._write_down(outbox.give_up, db, job.id, str(error))
            return
        except SlackApiError as error:
            status = error.response.status_code
            if status == 429:
                retry_after = float(error.response.headers.get("Retry-After", 1) or 1)
                self._write_down(outbox.retry_later, db, job.id, "rate limited by Slack",
                                 timedelta(seconds=retry_after), count_attempt=False)
                self._due_again(utcnow() + timedelta(seconds=retry_after))
                return
            self.alerts.slack_refused(job, error)  # a token or channel only an admin can fix
            self._failed(job, f"Slack {error.response.get('error') or status}")
            return
        except Exception as error:  # noqa: BLE001 - every failure is retried, then recorded
            self._failed(job, f"{error.__class__.__name__}: {error}")
            return
        self._write_down(outbox.complete, db, job.id)

    @staticmethod
    def _redraws(job: ClaimedJob) -> bool:
        kind = CATALOGUE.get(job.kind)
        return kind is not None and kind.REDRAWS

    def _write_down(self, outcome: Callable[..., bool], db, job_id: int, *args,
                    **kwargs) -> None:
        """Record how a job went, waiting out a brief database outage: the job is still
        claimed by us, and left so it would wait out its whole lease once the database is back
        (long enough for the offer it was showing to time out unseen)."""
        if not write_down(outcome, db, job_id, *args, stopping=self._stopping,
                          worker_id=self.worker_id, **kwargs):
            log.warning("job %s: taken back while this worker was silent; its new run's "
                        "outcome stands, not this one's", job_id)

    def _failed(self, job: ClaimedJob, reason: str) -> None:
        self.services.metrics.jobs_failed.labels(job.kind).inc()
        if job.attempts >= MAX_ATTEMPTS:
            log.error("job %s (%s) gave up after %s attempts: %s", job.id, job.kind,
                      job.attempts, reason)
            self._write_down(outbox.give_up, self.services.db, job.id, reason)
        else:
            log.warning("job %s (%s) attempt %s failed: %s", job.id, job.kind, job.attempts,
                        reason)
            delay = (self.retry_backoff or backoff)(job.attempts)
            self._write_down(outbox.retry_later, self.services.db, job.id, reason, delay)
            self._due_again(utcnow() + delay)
