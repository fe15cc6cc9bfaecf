"""The purge timer job: a workspace's desk data goes once its uninstall grace period is over
(bot/desk/data_protection/purge.py), unless it was installed again meanwhile."""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError

from bot.desk import jobs
from bot.desk.admin import audit
from bot.desk.data_protection import purge
from bot.services import Services
from bot.slack.installations import NotInstalled
from storage.outbox import ClaimedJob

log = logging.getLogger(__name__)

# What Slack answers a token of a workspace that uninstalled the app.
TOKEN_GONE = {"invalid_auth", "account_inactive", "token_revoked", "not_authed",
              "team_not_found", "missing_scope"}


def installed_now(services: Services, team_id: str) -> bool:
    """Installed by OAuth: the installation store has its bot (a reinstall saved one). One
    bot token (SLACK_BOT_TOKEN): that token works for this team (an operator who reinstalled
    put the new token in and restarted)."""
    clients = services.slack_client
    store = getattr(clients, "store", None)
    if store is not None:
        return store.find_bot(enterprise_id=None, team_id=team_id) is not None
    try:
        return clients(team_id).auth_test().get("team_id") == team_id
    except NotInstalled:
        return False
    except SlackApiError as error:
        if error.response.get("error") in TOKEN_GONE:
            return False
        raise  # Slack unreachable or failing: decide later, not by guessing


def purge_workspace(services: Services, job: jobs.PurgeWorkspace, run: ClaimedJob) -> None:
    reason = job.reason
    if reason == purge.BY_UNINSTALL and installed_now(services, run.team_id):
        # The store's save cancels this job on a reinstall; this catches a job already
        # claimed then, and a single-token desk's reinstall (no store to tell us).
        with services.db.transaction() as s:
            audit.record(s, run.team_id, None, purge.PURGE_CANCELLED, "workspace data",
                         old=None, new=None, reason="installed again")
        log.info("purge of workspace %s called off: the app is installed there again",
                 run.team_id)
        return
    deleted = purge.purge(services.db, run.team_id, reason=reason)
    log.info("purged workspace %s (%s): %s rows deleted", run.team_id, reason,
             sum(deleted.values()))
