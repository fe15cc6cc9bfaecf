"""/sms-report's use case: what was asked (a period, a queue), who may ask, and the job that
works the report out for the modal the command opened."""

from __future__ import annotations

from dataclasses import dataclass

from bot.config import Settings
from bot.desk import jobs
from bot.desk.admin.permissions import may_supervise
from bot.desk.reports.periods import PERIOD_NAMES as NAMES
from storage.db import Database

DEFAULT_PERIOD = "today"


@dataclass(frozen=True)
class ReportRequest:
    period: str  # one of periods.NAMES
    queue: str | None  # a queue's name as the settings spell it; None: every queue


@dataclass(frozen=True)
class NotUnderstood:
    """The words after the period named no queue; `queues`: the ones there are."""

    words: str
    queues: tuple[str, ...]


def parse(text: str, settings: Settings) -> ReportRequest | NotUnderstood:
    """`[today|yesterday|week|month] [queue]`, in any case; a queue name may hold spaces."""
    words = text.split()
    period = DEFAULT_PERIOD
    if words and words[0].lower() in NAMES:
        period = words.pop(0).lower()
    if not words:
        return ReportRequest(period, None)
    asked = " ".join(words)
    queues = tuple(queue.name for queue in settings.all_queues())
    for name in queues:
        if name.casefold() == asked.casefold():
            return ReportRequest(period, name)
    return NotUnderstood(asked, queues)


def may_see_reports(db: Database, settings: Settings, team_id: str, user_id: str) -> bool:
    """Supervisors and admins (bot/desk/admin/permissions.py)."""
    with db.transaction() as s:
        return may_supervise(s, settings, team_id, user_id)


def show_report(db: Database, team_id: str, user_id: str, view_id: str,
                asked: ReportRequest) -> None:
    """Queue the work of filling the modal `view_id` with the report: a person waits."""
    with db.transaction() as s:
        jobs.queue(s, team_id, jobs.ShowReport(view_id=view_id, user_id=user_id,
                                               period=asked.period, queue=asked.queue),
                   waited_on=True)
