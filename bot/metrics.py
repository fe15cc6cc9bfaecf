"""Prometheus metrics of one desk, served at /metrics.

Each desk has its own CollectorRegistry (tests run many desks in one process, and a global
registry would add them up). Counters and the histogram count what this process did; the
gauges are read from the database when scraped, so every instance reports the same truth.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import func, select

from bot.desk import timings
from bot.desk.interactions.lifecycle import OFFERED, QUEUED
from storage.clock import utcnow
from storage.db import Database
from storage.models import Interaction, Job

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# Offers last a minute by default (desk.offer_timeout_seconds); auto-answer countdowns less.
ACCEPT_BUCKETS = (1, 2, 5, 10, 15, 20, 30, 45, 60, 90, 120, 300)
WAITING_STATES = (QUEUED, OFFERED)
# A customer's wait runs from seconds to a night (a text after hours); 300 s is the default
# answer target ([[queues]] answer_within_seconds), so "answered within target" is a bucket.
WAIT_BUCKETS = (10, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 43200, 86400)
# A conversation is handled in minutes to hours (an interaction left open over a shift).
HANDLE_BUCKETS = (60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 28800, 86400)
# A queue the settings no longer name (renamed, removed): one label, not one per old name.
OTHER_QUEUE = "other"


class DeskMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.inbound_sms = Counter("smsdesk_inbound_sms", "Customer texts stored (duplicate "
                                   "webhooks not counted)", ["provider"], registry=r)
        self.replies_relayed = Counter("smsdesk_replies_relayed", "Agent replies the SMS "
                                       "provider accepted", ["provider"], registry=r)
        self.send_failures = Counter("smsdesk_sms_send_failures", "SMS sends the provider "
                                     "refused or could not take; final=true when given up",
                                     ["provider", "final"], registry=r)
        self.jobs_failed = Counter("smsdesk_jobs_failed", "Outbox job attempts that failed "
                                   "(each is retried with backoff until it gives up)",
                                   ["kind"], registry=r)
        self.offer_accept_seconds = Histogram("smsdesk_offer_accept_seconds", "From an "
                                              "offer to its acceptance", buckets=ACCEPT_BUCKETS,
                                              registry=r)
        # The supervisor's measures (README, Reports), as bot/desk/timings.py notes them.
        self.timings = {
            timings.WAIT_BEFORE_ACCEPT: Histogram(
                "smsdesk_wait_before_accept_seconds", "From the customer's first text to the "
                "interaction's first Accept, per queue", ["queue"], buckets=WAIT_BUCKETS,
                registry=r),
            timings.FIRST_RESPONSE: Histogram(
                "smsdesk_first_response_seconds", "From the customer's first text to the first "
                "agent reply the SMS provider took, per queue", ["queue"],
                buckets=WAIT_BUCKETS, registry=r),
            timings.HANDLE: Histogram(
                "smsdesk_handle_seconds", "From the first Accept to Done, per queue",
                ["queue"], buckets=HANDLE_BUCKETS, registry=r),
        }
        self._queue_names: Callable[[], Iterable[str]] = tuple

    def watch(self, db: Database, queue_names: Callable[[], Iterable[str]]) -> None:
        """Add the gauges read from `db` at scrape time, and observe the timings its
        transactions note as they commit (once per desk)."""
        self._queue_names = queue_names
        self.registry.register(_DatabaseGauges(db, queue_names))
        db.on_noted_committed(self.observe_noted)

    def observe_noted(self, noted: list[object]) -> None:
        known = None
        for timing in noted:
            if not isinstance(timing, timings.Timing):
                continue
            if known is None:
                known = set(self._queue_names())
            queue = timing.queue if timing.queue in known else OTHER_QUEUE
            self.timings[timing.measure].labels(queue).observe(timing.seconds)

    def count_inbound(self, duplicate: bool, provider: str) -> None:
        if not duplicate:  # a webhook Twilio retried is one text, already counted
            self.inbound_sms.labels(provider).inc()

    def observe_accept(self, waited_seconds: float | None) -> None:
        if waited_seconds is not None:
            self.offer_accept_seconds.observe(max(waited_seconds, 0.0))

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


class _DatabaseGauges:
    """Queue depth and job lag, computed from the database on each scrape."""

    def __init__(self, db: Database, queue_names: Callable[[], Iterable[str]]):
        self._db = db
        self._queue_names = queue_names

    def describe(self):
        return []  # computed on scrape: do not query the database at registration

    def collect(self):
        now = utcnow()
        with self._db.engine.connect() as connection:
            waiting = dict(connection.execute(
                select(Interaction.queue, func.count())
                .where(Interaction.state.in_(WAITING_STATES)).group_by(Interaction.queue)
            ).all())
            oldest_due = connection.scalar(select(func.min(Job.due_at)).where(
                Job.state == "pending", Job.due_at <= now))
        depth = GaugeMetricFamily("smsdesk_queue_waiting", "Interactions waiting for an agent "
                                  "(queued or offered), per queue", labels=["queue"])
        # Configured queues report 0 when empty instead of vanishing from the graph.
        for name in sorted({*self._queue_names(), *waiting}):
            depth.add_metric([name], waiting.get(name, 0))
        yield depth
        lag = 0.0
        if oldest_due is not None:
            lag = max((now - oldest_due).total_seconds(), 0.0)
        yield GaugeMetricFamily("smsdesk_job_lag_seconds", "Age of the oldest due pending "
                                "outbox job (0 when none waits)", value=lag)
