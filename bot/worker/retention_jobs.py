"""The retention timer job: transcripts and finished jobs past each workspace's window go
(what goes is the domain's rule, bot/desk/data_protection/retention.py),
then the timer re-arms itself."""

from __future__ import annotations

from bot.desk import jobs
from bot.desk.data_protection import retention
from bot.services import Services
from bot.worker.runner import RetryLater
from storage import outbox
from storage.clock import utcnow
from storage.outbox import ClaimedJob


def purge_expired(services: Services, job: jobs.PurgeExpired, run: ClaimedJob) -> None:
    """Every workspace by its own window; then again in PURGE_EVERY (sooner while more wait)."""
    with services.db.transaction() as s:
        # Two instances that started at the same moment on SQLite may each have armed one:
        # the one running now is the timer, the others are called off here.
        others = [timer for timer in outbox.unfinished(s, run.team_id, job.KIND)
                  if timer.id != run.id and timer.state == "pending"]
        outbox.cancel(s, others, "cancelled: another retention timer runs")
    more = retention.purge_due(services.db, services.settings_for)
    again = retention.AGAIN_SOON if more else retention.PURGE_EVERY
    raise RetryLater("retention checked", utcnow() + again)
