"""New SMS (outbound): /sms, the global shortcut, the contact view's button; the modal's
standard-response picker, live count and Send. The rules live in bot.desk.interactions.outbound."""

from __future__ import annotations

from dataclasses import replace

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot.desk.admin import responses
from bot.desk.directory import contacts_directory
from bot.desk.interactions import outbound, spelling
from bot.desk.replies import COMPOSED_LIMIT
from bot.services import Services
from bot.slack import ids
from bot.slack.listeners.common import answer
from bot.slack.listeners.tools.compose import (
    agent_name,
    picked_response,
    update_view_quietly,
    with_response,
)
from bot.slack.views import new_sms as view_of
from bot.slack.views.new_sms import NewSmsData, build_new_sms, build_not_allowed
from bot.slack.views.spelling import parse_word_value

HELP = (
    "*smsdesk: SMS with customers from Slack*\n"
    "• `/sms +1 415 555 0100 Your order is ready` or `/sms Jane Doe …`: a New SMS, checked "
    "in a form before it goes\n"
    "• `/sms-contact Jane`: find a contact, see their history\n"
    "• `/sms-ready`, `/sms-notready [reason]`: take new interactions, or stop\n"
    "• `/sms-queue`: who waits, for how long, who is Ready\n"
    "• `/sms-report [today|yesterday|week|month] [queue]`: supervisors' numbers and chart\n"
    "• `/sms-admin`, `/sms-admin log`: admins change the desk's settings, see who changed "
    "what\n"
    "Customers' texts reach you as a preview in this DM: Accept opens a thread in the desk "
    "channel, and what you write there goes to their phone."
)


def _for_contact(services: Services, team_id: str, contact_id: int) -> NewSmsData | None:
    settings = services.settings_for(team_id)
    contact = contacts_directory.get(services.db, team_id, contact_id)
    if contact is None:
        return None
    return NewSmsData(settings.sending_numbers(), contact_id=contact.contact_id,
                      contact_name=contact.name,
                      contact_numbers=(contact.phone, *contact.other_phones))


def sms_command(ack: Ack, respond: Respond, command: dict, client: WebClient,
                context: BoltContext, services: Services) -> None:
    """/sms [number or name] [text], and /sms help."""
    ack()
    settings = services.settings_for(context.team_id)
    text = (command.get("text") or "").strip()
    if text.lower() in ("help", "?"):
        answer(respond, HELP)
        return
    if not outbound.may_send(services.db, settings, context.team_id, context.user_id):
        answer(respond, outbound.refusal_for_role(settings))
        return
    to, message = outbound.split_command(services.db, context.team_id, text,
                                         settings.default_country)
    client.views_open(trigger_id=command["trigger_id"], view=build_new_sms(NewSmsData(
        settings.sending_numbers(), to=to, text=message,
        unfilled=responses.placeholders(message))))


def open_new_sms(ack: Ack, body: dict, client: WebClient, context: BoltContext,
                 services: Services) -> None:
    """The global shortcut, and the Home tab's New SMS."""
    settings = services.settings_for(context.team_id)
    ack()
    allowed = outbound.may_send(services.db, settings, context.team_id, context.user_id)
    client.views_open(trigger_id=body["trigger_id"], view=(
        build_new_sms(NewSmsData(settings.sending_numbers())) if allowed
        else build_not_allowed(outbound.refusal_for_role(settings))))


def new_sms_to_contact(ack: Ack, body: dict, client: WebClient, context: BoltContext,
                       services: Services) -> None:
    """New SMS on the contact modal."""
    settings = services.settings_for(context.team_id)
    ack()
    data = _for_contact(services, context.team_id, int(body["actions"][0]["value"]))
    if data is None:
        return
    allowed = outbound.may_send(services.db, settings, context.team_id, context.user_id)
    client.views_push(trigger_id=body["trigger_id"], view=(
        build_new_sms(data) if allowed
        else build_not_allowed(outbound.refusal_for_role(settings))))


def insert_response(ack: Ack, body: dict, client: WebClient, context: BoltContext,
                    services: Services) -> None:
    settings = services.settings_for(context.team_id)
    ack()
    db = services.db
    view = body["view"]
    entry = picked_response(db, context.team_id, body)
    if entry is None:
        return
    state = view_of.read_state(view, settings.sending_numbers())
    contact = (contacts_directory.get(db, context.team_id, state.data.contact_id)
               if state.data.contact_id is not None else None)
    filled = responses.render(entry.text, contact,
                              agent_name(client, context.team_id, context.user_id))
    text = with_response(state.data.text, filled.text)
    update_view_quietly(client, view, build_new_sms(replace(
        state.data, text=text, revision=state.data.revision + 1,
        unfilled=responses.placeholders(text),
        flags=_flags(services, context, client, state.data, text, state.data.ignored))),
        guard=False)


def _flags(services: Services, context: BoltContext, client: WebClient, data: NewSmsData,
           text: str, ignored: tuple[spelling.Occurrence, ...], *,
           wait_for_dictionary: bool = True) -> tuple[spelling.WordFlag, ...]:
    """The draft's flagged words, checked as a reply is (the chosen contact's name known)."""
    return spelling.as_word_flags(spelling.flags_for_new_sms(
        services.db, services.settings_for(context.team_id), context.team_id,
        context.user_id, text, agent_name(client, context.team_id, context.user_id),
        contact_name=data.contact_name, ignored_words=data.ignored_words,
        ignored=frozenset(ignored), wait_for_dictionary=wait_for_dictionary))


def count_as_typed(ack: Ack, body: dict, client: WebClient, context: BoltContext,
                   services: Services) -> None:
    ack()
    view = body["view"]
    state = view_of.read_state(view, services.settings_for(context.team_id).sending_numbers())
    text = body["actions"][0].get("value") or ""
    # Same revision: Slack keeps what is being typed; only the lines below it change.
    update_view_quietly(client, view, build_new_sms(replace(
        state.data, text=text, unfilled=responses.placeholders(text),
        flags=_flags(services, context, client, state.data, text, state.data.ignored))),
        guard=True)


def fix_word(ack: Ack, body: dict, client: WebClient, context: BoltContext,
             services: Services) -> None:
    """A flagged word's choice, acted on at once, as in the Reply… modal. Ignore All is
    kept with the draft and given to the interaction it starts."""
    ack()
    view = body["view"]
    chosen = parse_word_value(
        (body["actions"][0].get("selected_option") or {}).get("value") or "")
    if chosen is None:
        return  # not a value this app wrote
    state = view_of.read_state(view, services.settings_for(context.team_id).sending_numbers())
    data = state.data
    _, start, pick, suggestion = chosen
    outcome = spelling.choose_in_draft(
        spelling.Draft(data.text, data.ignored, data.ignored_words),
        _flags(services, context, client, data, data.text, ()), start, pick, suggestion,
        add_word=lambda word: spelling.add_to_my_dictionary(services.db, context.team_id,
                                                            context.user_id, word))
    data = replace(data, text=outcome.text, ignored=outcome.ignored,
                   ignored_words=outcome.ignored_words,
                   revision=data.revision + (outcome.text != data.text),
                   unfilled=responses.placeholders(outcome.text),
                   confirmed_text=outcome.text if state.confirmed else None)
    update_view_quietly(client, view, build_new_sms(replace(
        data, flags=_flags(services, context, client, data, data.text, data.ignored))),
        guard=False)


def send_new_sms(ack: Ack, view: dict, client: WebClient, context: BoltContext,
                 services: Services) -> None:
    settings = services.settings_for(context.team_id)
    state = view_of.read_state(view, settings.sending_numbers())
    data = state.data
    text = data.text.strip()
    if text and len(text) <= COMPOSED_LIMIT and settings.spelling_confirm_on_send \
            and not state.confirmed and outbound.may_send(services.db, settings,
                                                          context.team_id, context.user_id):
        flags = _flags(services, context, client, data, data.text, data.ignored,
                       wait_for_dictionary=False)
        if flags:
            # Checked like a reply: the words shown once; Send again sends it as it is.
            ack(response_action="update", view=build_new_sms(replace(
                data, revision=data.revision + 1, unfilled=responses.placeholders(data.text),
                flags=flags, confirmed_text=data.text)))
            return
    result = outbound.send_new_sms(services.db, settings, outbound.NewSms(
        team_id=context.team_id, user_id=context.user_id, text=data.text,
        from_number=data.from_number or "", to=state.to, contact_id=data.contact_id,
        ignored_words=data.ignored_words))
    if result.refusal is None:
        ack(response_action="clear")
        return
    block = {"to": view_of.TO_BLOCK, "from": view_of.FROM_BLOCK}.get(
        result.field, state.text_block)
    present = set((view.get("state") or {}).get("values") or {})
    if block not in present:
        # A fixed recipient or a single sender number has no input to attach it to.
        block = state.text_block
    ack(response_action="errors", errors={block: result.reason})


def register(app: App) -> None:
    app.command(ids.COMMAND_SMS)(sms_command)
    app.shortcut(ids.SHORTCUT_NEW_SMS)(open_new_sms)
    app.action(ids.HOME_NEW_SMS)(open_new_sms)
    app.action(ids.CONTACT_NEW_SMS)(new_sms_to_contact)
    app.action(ids.NEW_SMS_RESPONSE)(insert_response)
    app.action(ids.NEW_SMS_TEXT)(count_as_typed)
    app.action(ids.NEW_SMS_SPELL_WORD)(fix_word)
    app.view(ids.NEW_SMS_VIEW)(send_new_sms)
