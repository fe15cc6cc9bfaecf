"""Admins hear about it when Slack refuses a job for a reason only they can fix.

A revoked token or a channel the app was never invited to would otherwise show only as jobs
retrying in the outbox: the desk would go quiet with nobody told. Each problem is told at
most once an hour (remembered in memory: a restart may tell it once more).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from slack_sdk.errors import SlackApiError

from bot.desk import effects
from bot.services import Services
from bot.slack import problems
from storage.outbox import ClaimedJob

log = logging.getLogger(__name__)
ONCE_PER_SECONDS = 3600.0


def _channel(error: SlackApiError) -> str | None:
    args = error.response.req_args or {}
    for part in ("json", "data", "params"):
        values = args.get(part) or {}
        if isinstance(values, dict) and values.get("channel"):
            return str(values["channel"])
    return None


class AdminAlerts:
    def __init__(self, services: Services, clock: Callable[[], float] = time.monotonic):
        self._services = services
        self._clock = clock
        self._lock = threading.Lock()
        self._told: dict[tuple[str, str, str | None], float] = {}

    def _first_this_hour(self, key: tuple[str, str, str | None]) -> bool:
        now = self._clock()
        with self._lock:
            if now - self._told.get(key, -ONCE_PER_SECONDS) < ONCE_PER_SECONDS:
                return False
            self._told[key] = now
            return True

    def slack_refused(self, job: ClaimedJob, error: SlackApiError) -> None:
        code = error.response.get("error") if isinstance(error.response.data, dict) else None
        if code not in problems.ADMIN_PROBLEMS:
            return  # Slack having a bad minute: the outbox retries, nobody needs waking
        channel = _channel(error)
        if not self._first_this_hour((job.team_id, code, channel)):
            return
        method = error.response.api_url.rstrip("/").rsplit("/", 1)[-1]
        fix = problems.fix_for(code, channel)
        admins = self._services.settings_for(job.team_id).admins
        if code in problems.TOKEN_PROBLEMS or not admins:
            # With a broken token no DM can get out; with no admin nobody would read one.
            log.error("Slack refused %s for job %s (%s) with %s; the desk cannot work until "
                      "this is fixed: %s", method, job.id, job.kind, code, fix)
            if code in problems.TOKEN_PROBLEMS:
                return
        text = (f":warning: smsdesk could not {method}"
                f"{f' in {problems.where(channel)}' if channel else ''}: Slack answered "
                f"`{code}`. To fix it: {fix}. (The job is retried meanwhile; you hear about "
                "this at most once an hour.)")
        try:
            with self._services.db.transaction() as s:
                for admin in admins:
                    effects.notify_agent(s, job.team_id, admin, text)
        except Exception:  # noqa: BLE001 - telling admins must not stop the job's own retry
            log.exception("could not queue the admin alert about %s: %s", code, fix)
