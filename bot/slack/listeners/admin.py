"""Admin settings: /sms-admin (and the Home tab's Admin button) opens the overview; its Edit
buttons push one form per setting; `/sms-admin log` (or Change log) shows the audit log;
`/sms-admin export|erase|purge` go to the modules that own them (SUBCOMMANDS).

Every open and every submission asks bot/desk/admin/admin_settings.py whether this person is an
admin now: private_metadata only says which form it was, never who may save it."""

from __future__ import annotations

from collections.abc import Callable

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot.desk.admin import admin_settings, audit, corporate_dictionary, responses
from bot.desk.admin.admin_settings import REFUSAL, Outcome
from bot.services import Services
from bot.slack import ids
from bot.slack.listeners import privacy, uninstall
from bot.slack.listeners.common import answer
from bot.slack.views import admin as views
from bot.slack.views.common import notice_modal

# Every word, whichever module handles it: the one place in Slack that lists them all.
USAGE = ("`/sms-admin` opens the desk's settings (disposition codes, standard responses, "
         "the corporate dictionary, queue members, timeouts). Also:\n"
         "• `/sms-admin log`: who changed what, when\n"
         "• `/sms-admin export NUMBER_OR_ID`: one contact's data, as a file in your DM\n"
         "• `/sms-admin erase NUMBER_OR_ID`: erase one contact (asks first)\n"
         "• `/sms-admin purge`: delete all of this workspace's desk data (asks first)")
LIBRARY_LIMIT = 1000  # responses read for the library modal (it shows the first 40)

# `/sms-admin WORD rest…` for words other listener modules own (export, erase, purge):
# handler(respond, command, client, context, services, rest), after the command's ack. Each
# handler checks who may use it (export may be open to supervisors by settings) and answers.
AdminSubcommand = Callable[[Respond, dict, WebClient, BoltContext, Services, str], None]
SUBCOMMANDS: dict[str, AdminSubcommand] = {
    "export": privacy.export,
    "erase": privacy.erase,
    "purge": uninstall.ask_to_purge,
}


def _is_admin(context: BoltContext, services: Services) -> bool:
    settings = services.settings_for(context.team_id)
    return admin_settings.is_admin(services.db, settings, context.team_id, context.user_id)


def _overview(services: Services, team_id: str) -> dict:
    count = len(responses.search(services.db, team_id, "", limit=LIBRARY_LIMIT))
    return views.build_admin_modal(services.settings_for(team_id), count,
                                   len(corporate_dictionary.words(services.db, team_id)))


def _library(services: Services, team_id: str) -> dict:
    return views.build_responses_modal(responses.search(services.db, team_id, "",
                                                        limit=LIBRARY_LIMIT))


def _answer(ack: Ack, outcome: Outcome, first_block: str) -> bool:
    """Ack the submission; True when it was saved (the modal closes)."""
    if outcome.refused:
        ack(response_action="errors", errors={first_block: outcome.refused})
    elif outcome.errors:
        ack(response_action="errors",
            errors=views.field_errors(outcome.errors, first_block))
    else:
        ack()
    return outcome.saved


def _refresh(client: WebClient, view_id: str, view: dict) -> None:
    if view_id:
        client.views_update(view_id=view_id, view=view)


def open_admin(ack: Ack, respond: Respond, command: dict, client: WebClient,
               context: BoltContext, services: Services) -> None:
    """/sms-admin [log | help | export … | erase … | purge]."""
    ack()
    raw = (command.get("text") or "").strip()
    text = raw.lower()
    word, _, rest = raw.partition(" ")
    if word.lower() in SUBCOMMANDS:
        SUBCOMMANDS[word.lower()](respond, command, client, context, services, rest.strip())
        return
    if text == "help":  # for anyone: export may be open to supervisors too
        answer(respond, USAGE)
        return
    if not _is_admin(context, services):
        answer(respond, REFUSAL)
        return
    if text not in ("", "log"):
        answer(respond, USAGE)
        return
    view = (views.build_log_modal(audit.page(services.db, context.team_id)) if text == "log"
            else _overview(services, context.team_id))
    client.views_open(trigger_id=command["trigger_id"], view=view)


def open_from_home(ack: Ack, body: dict, client: WebClient, context: BoltContext,
                   services: Services) -> None:
    """The Home tab's Admin button."""
    ack()
    client.views_open(trigger_id=body["trigger_id"], view=(
        _overview(services, context.team_id) if _is_admin(context, services)
        else notice_modal("SMS desk settings", REFUSAL)))


def open_form(ack: Ack, body: dict, client: WebClient, context: BoltContext,
              services: Services) -> None:
    """An Edit button on the overview: the form for that setting, pushed on top."""
    ack()
    if not _is_admin(context, services):
        return
    form, _, queue_name = body["actions"][0]["value"].partition(":")
    current = services.settings_for(context.team_id)
    parent = (body.get("view") or {}).get("id", "")
    if form == ids.ADMIN_FORM_DISPOSITIONS:
        view = views.build_dispositions_form(admin_settings.current_codes(current),
                                             current.disposition_mandatory)
    elif form == ids.ADMIN_FORM_TIMEOUTS:
        view = views.build_timeouts_form(current.offer_timeout_seconds,
                                         current.session_expiry_minutes)
    elif form == ids.ADMIN_FORM_QUEUE:
        queue = admin_settings.queue_of(current, queue_name)
        if queue is None:
            return
        view = views.build_queue_form(queue)
    elif form == ids.ADMIN_FORM_RESPONSES:
        view = _library(services, context.team_id)
    elif form == ids.ADMIN_FORM_DICTIONARY:
        view = views.build_dictionary_form(
            corporate_dictionary.words(services.db, context.team_id), current.corporate_words)
    else:
        view = views.build_log_modal(audit.page(services.db, context.team_id))
    # The form finds the overview underneath again, to show what was saved.
    view["private_metadata"] = f"{parent}:{view['private_metadata']}"
    client.views_push(trigger_id=body["trigger_id"], view=view)


def save_dispositions(ack: Ack, view: dict, client: WebClient, context: BoltContext,
                      services: Services) -> None:
    settings = services.settings_for(context.team_id)
    outcome = admin_settings.save_dispositions(services.db, services.settings_overlay,
                                               settings, context.team_id, context.user_id,
                                               views.submitted_codes(view))
    if _answer(ack, outcome, views.CODES_BLOCK):
        _refresh(client, view["private_metadata"].partition(":")[0],
                 _overview(services, context.team_id))


def save_timeouts(ack: Ack, view: dict, client: WebClient, context: BoltContext,
                  services: Services) -> None:
    settings = services.settings_for(context.team_id)
    offer, expiry = views.submitted_timeouts(view)
    outcome = admin_settings.save_timeouts(services.db, services.settings_overlay, settings,
                                           context.team_id, context.user_id,
                                           offer_timeout=offer, session_expiry=expiry)
    if _answer(ack, outcome, views.OFFER_BLOCK):
        _refresh(client, view["private_metadata"].partition(":")[0],
                 _overview(services, context.team_id))


def save_queue(ack: Ack, view: dict, client: WebClient, context: BoltContext,
               services: Services) -> None:
    settings = services.settings_for(context.team_id)
    parent, _, queue_name = view["private_metadata"].partition(":")
    outcome = admin_settings.save_queue_members(services.db, services.settings_overlay,
                                                settings, context.team_id, context.user_id,
                                                queue_name, views.submitted_members(view))
    if _answer(ack, outcome, views.MEMBERS_BLOCK):
        _refresh(client, parent, _overview(services, context.team_id))


def save_dictionary(ack: Ack, view: dict, client: WebClient, context: BoltContext,
                    services: Services) -> None:
    settings = services.settings_for(context.team_id)
    add, remove = views.submitted_dictionary(view)
    outcome = corporate_dictionary.change(services.db, settings, context.team_id,
                                          context.user_id, add=add, remove=remove)
    if _answer(ack, outcome, views.DICTIONARY_ADD_BLOCK):
        _refresh(client, view["private_metadata"].partition(":")[0],
                 _overview(services, context.team_id))


# --- the Standard Response Library -----------------------------------------------------

def open_response(ack: Ack, body: dict, client: WebClient, context: BoltContext,
                  services: Services) -> None:
    ack()
    if not _is_admin(context, services):
        return
    value = body["actions"][0].get("value") or ""
    entry = (responses.get(services.db, context.team_id, int(value)) if value.isdigit()
             else None)
    if value.isdigit() and entry is None:
        return  # deleted meanwhile
    client.views_push(trigger_id=body["trigger_id"], view=views.build_response_form(
        entry, (body.get("view") or {}).get("id", "")))


def save_response(ack: Ack, view: dict, client: WebClient, context: BoltContext,
                  services: Services) -> None:
    settings = services.settings_for(context.team_id)
    response_id, _, library_view = view["private_metadata"].partition(":")
    typed = views.submitted_response(view)
    outcome = admin_settings.save_response(
        services.db, settings, context.team_id, context.user_id,
        int(response_id) if response_id.isdigit() else None, **typed)
    if _answer(ack, outcome, views.NAME_BLOCK):
        _refresh(client, library_view, _library(services, context.team_id))


def delete_response(ack: Ack, body: dict, client: WebClient, context: BoltContext,
                    services: Services) -> None:
    settings = services.settings_for(context.team_id)
    ack()
    form = body.get("view") or {}
    outcome = admin_settings.delete_response(services.db, settings, context.team_id,
                                             context.user_id,
                                             int(body["actions"][0]["value"]))
    if not outcome.saved:
        return
    _refresh(client, form.get("id", ""), notice_modal("Standard responses",
                                                      "The response was deleted."))
    _refresh(client, form.get("private_metadata", "").partition(":")[2],
             _library(services, context.team_id))


# --- the change log --------------------------------------------------------------------

def turn_log_page(ack: Ack, body: dict, client: WebClient, context: BoltContext,
                  services: Services) -> None:
    ack()
    if not _is_admin(context, services):
        return
    page = audit.page(services.db, context.team_id, int(body["actions"][0]["value"]))
    view = body["view"]
    modal = views.build_log_modal(page)
    modal["private_metadata"] = view.get("private_metadata", "")
    client.views_update(view_id=view["id"], view=modal)


def register(app: App) -> None:
    app.command(ids.COMMAND_ADMIN)(open_admin)
    app.action(ids.HOME_ADMIN)(open_from_home)
    app.action(ids.ADMIN_EDIT)(open_form)
    app.view(ids.ADMIN_DISPOSITIONS_VIEW)(save_dispositions)
    app.view(ids.ADMIN_TIMEOUTS_VIEW)(save_timeouts)
    app.view(ids.ADMIN_QUEUE_VIEW)(save_queue)
    app.view(ids.ADMIN_DICTIONARY_VIEW)(save_dictionary)
    app.action(ids.ADMIN_RESPONSE_EDIT)(open_response)
    app.view(ids.ADMIN_RESPONSE_VIEW)(save_response)
    app.action(ids.ADMIN_RESPONSE_DELETE)(delete_response)
    app.action(ids.ADMIN_LOG_NEWER)(turn_log_page)
    app.action(ids.ADMIN_LOG_OLDER)(turn_log_page)
