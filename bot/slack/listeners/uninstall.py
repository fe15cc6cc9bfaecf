"""The workspace leaves: Slack's `app_uninstalled` and `tokens_revoked` events, and an
admin's `/sms-admin purge`.

Either event (they come in either order, or one alone) deletes that workspace's tokens from
the installation store at once and schedules the purge of its desk data after the grace
period (bot/desk/data_protection/purge.py).
A `tokens_revoked` naming only user tokens deletes only those.
With one bot token from SLACK_BOT_TOKEN there is no store: the purge is still scheduled and
the operator is told to remove the variable's token. The installation store reaches the
listeners as the services do, through bolt's context (app.py): None without OAuth."""

from __future__ import annotations

import logging

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.oauth.installation_store import InstallationStore

from bot.desk.admin import admin_settings
from bot.desk.data_protection import purge
from bot.services import Services
from bot.slack import ids, installations
from bot.slack.listeners.common import answer
from bot.slack.views import purge as views
from bot.slack.views.common import notice_modal

log = logging.getLogger(__name__)
REFUSAL = "Only admins can delete the desk's data (roles.admins or roles.admin_groups)."


def _workspace_gone(context: BoltContext, services: Services,
                    installation_store: InstallationStore | None, event_type: str) -> None:
    team_id = context.team_id
    if not installations.forget_workspace(installation_store, services.slack_client,
                                          team_id, context.enterprise_id):
        log.warning("Slack says workspace %s is gone (%s): its token in SLACK_BOT_TOKEN "
                    "no longer works. The operator must remove it from the environment.",
                    team_id, event_type)
    grace = services.settings_for(team_id).uninstall_grace_days
    scheduled = purge.workspace_gone(services.db, team_id, event_type, grace)
    if scheduled.new:
        log.info("workspace %s: tokens deleted (%s), its desk data will be purged at %s",
                 team_id, event_type, scheduled.due_at.isoformat(timespec="seconds"))


def app_uninstalled(ack: Ack, context: BoltContext, services: Services,
                    installation_store: InstallationStore | None) -> None:
    ack()
    _workspace_gone(context, services, installation_store, "app_uninstalled")


def tokens_revoked(ack: Ack, event: dict, context: BoltContext, services: Services,
                   installation_store: InstallationStore | None) -> None:
    ack()
    tokens = event.get("tokens") or {}
    if tokens.get("bot"):
        # Without its bot token the desk cannot work here: as good as an uninstall.
        _workspace_gone(context, services, installation_store, "tokens_revoked")
        return
    users = [user for user in tokens.get("oauth") or [] if isinstance(user, str)]
    if not users:
        return
    installations.forget_users(installation_store, context.team_id, users,
                               context.enterprise_id)
    purge.user_tokens_revoked(services.db, context.team_id, users)


def _may_purge(context: BoltContext, services: Services) -> bool:
    return admin_settings.is_admin(services.db, services.settings_for(context.team_id),
                                   context.team_id, context.user_id)


def ask_to_purge(respond: Respond, command: dict, client: WebClient, context: BoltContext,
                 services: Services, rest: str) -> None:
    """`/sms-admin purge` (admin.py hands the word over, acked)."""
    if not _may_purge(context, services):
        answer(respond, REFUSAL)
        return
    found = purge.counts(services.db, context.team_id)
    client.views_open(trigger_id=command["trigger_id"], view=views.build_purge_confirmation(
        purge.describe(found), list(purge.KEPT_TABLES.values())
        + ["change-log lines of exports, erasures and this purge"]))


def confirm_purge(ack: Ack, context: BoltContext, services: Services) -> None:
    # Asked again: the modal says nothing about who may submit it.
    if not _may_purge(context, services):
        ack(response_action="update", view=notice_modal(views.TITLE, REFUSAL))
        return
    ack(response_action="update", view=views.build_purge_started())
    purge.purge_requested(services.db, context.team_id, context.user_id)
    log.info("workspace %s: purge asked for by admin %s", context.team_id, context.user_id)


def register(app: App) -> None:
    app.event("app_uninstalled")(app_uninstalled)
    app.event("tokens_revoked")(tokens_revoked)
    app.view(ids.ADMIN_PURGE_VIEW)(confirm_purge)
