"""`/sms-admin export CONTACT` and `/sms-admin erase CONTACT`, and the erase confirmation.

Both check who asks on every request (export: settings.export_roles; erase: admins only),
the confirmation's submission too: private_metadata only says which contact, never who may.
"""

from __future__ import annotations

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot.desk.data_protection import erasure, privacy
from bot.services import Services
from bot.slack.listeners.common import answer
from bot.slack.views import privacy as views
from bot.slack.views.common import notice_modal


def _find(respond: Respond, context: BoltContext, services: Services, rest: str,
          usage: str) -> int | None:
    """The one contact `rest` names; otherwise answer why not, and None."""
    if not rest:
        answer(respond, usage)
        return None
    settings = services.settings_for(context.team_id)
    resolved = privacy.resolve_contact(services.db, context.team_id, rest,
                                       settings.default_country)
    problem = views.resolution_problem(rest, resolved)
    if problem:
        answer(respond, problem)
        return None
    return resolved.contact.contact_id


def export(respond: Respond, command: dict, client: WebClient, context: BoltContext,
           services: Services, rest: str) -> None:
    """`/sms-admin export CONTACT` (admin.py hands the word over, acked)."""
    settings = services.settings_for(context.team_id)
    db = services.db
    if not privacy.may_export(db, settings, context.team_id, context.user_id):
        answer(respond, privacy.refusal_for_export(settings))
        return
    contact_id = _find(respond, context, services, rest, views.EXPORT_USAGE)
    if contact_id is None:
        return
    if privacy.request_export(db, context.team_id, contact_id, context.user_id):
        answer(respond, views.export_started(contact_id))
    else:
        answer(respond, "That contact no longer exists.")


def erase(respond: Respond, command: dict, client: WebClient, context: BoltContext,
          services: Services, rest: str) -> None:
    """`/sms-admin erase CONTACT` (handed over acked): asks first, in a modal."""
    settings = services.settings_for(context.team_id)
    if not privacy.may_erase(services.db, settings, context.team_id, context.user_id):
        answer(respond, privacy.ERASE_REFUSAL)
        return
    contact_id = _find(respond, context, services, rest, views.ERASE_USAGE)
    if contact_id is None:
        return
    plan = erasure.plan(services.db, settings, context.team_id, contact_id)
    if plan is None:
        answer(respond, "That contact no longer exists.")
        return
    client.views_open(trigger_id=command["trigger_id"],
                      view=views.build_erase_confirmation(plan))


def confirm_erase(ack: Ack, view: dict, context: BoltContext, services: Services) -> None:
    settings = services.settings_for(context.team_id)
    contact_id = views.contact_of(view)
    if not privacy.may_erase(services.db, settings, context.team_id, context.user_id):
        ack(response_action="update",
            view=notice_modal("Erase contact", privacy.ERASE_REFUSAL))
        return
    started = None if contact_id is None else erasure.erase(
        services.db, settings, context.team_id, contact_id, requested_by=context.user_id)
    if started is None:
        ack(response_action="update", view=notice_modal(
            "Erase contact", "That contact no longer exists: nothing was erased."))
        return
    ack(response_action="update",
        view=views.erasure_started_modal(contact_id, started.steps))


def register(app: App) -> None:
    app.view(views.ERASE_VIEW)(confirm_erase)
