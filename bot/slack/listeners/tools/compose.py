"""Card tool: Reply… — the compose modal, its standard-response picker, live SMS count, send.

Slack clicks land here: the "Reply…" button (opens the modal), the picker's search
(block_suggestion) and choice, each character typed (the segment count), and Send.
"""

from __future__ import annotations

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.desk import replies
from bot.desk.admin import responses
from bot.desk.interactions import spelling
from bot.services import Services
from bot.slack import directory, ids
from bot.slack.limits import MAX_SELECT_OPTIONS
from bot.slack.views import compose as compose_view
from bot.slack.views.compose import ComposeData, build_compose
from bot.slack.views.spelling import parse_word_value

REFUSALS = {
    replies.ComposedOutcome.EMPTY: "Write the message first, or pick a standard response.",
    replies.ComposedOutcome.TOO_LONG: (f"An SMS reply can be at most {replies.COMPOSED_LIMIT} "
                                       "characters."),
    replies.ComposedOutcome.NOT_HELD: ("This interaction is no longer yours (it was "
                                       "transferred or closed), so the message was not sent."),
    replies.ComposedOutcome.TRANSFERRING: ("This interaction is being transferred: the "
                                           "message was not sent. Send it once it is yours "
                                           "again, or leave it to your colleague."),
    replies.ComposedOutcome.CLOSED: ("This interaction is closed for messaging, so the "
                                     "message was not sent."),
}
# A submission whose private_metadata names no interaction (forged or damaged).
NO_INTERACTION = ("This reply form does not belong to any interaction, so nothing was sent. "
                  "Close it and press Reply… on the interaction's card again.")


def picked_response(db, team_id: str, body: dict) -> responses.ResponseEntry | None:
    """The standard response chosen in a modal's picker (Reply… or New SMS), if any."""
    selected = body["actions"][0].get("selected_option") or {}
    if not str(selected.get("value", "")).isdigit():
        return None
    return responses.get(db, team_id, int(selected["value"]))


def with_response(typed: str, filled: str) -> str:
    """A response inserted on a new line below what was already typed."""
    return f"{typed.rstrip()}\n{filled}" if typed.strip() else filled


def agent_name(client: WebClient, team_id: str, user_id: str) -> str | None:
    name = directory.display_name(client, team_id, user_id)
    return None if name == user_id else name  # unknown: the response says "your agent"


def update_view_quietly(client: WebClient, view: dict, new_view: dict, *,
                        guard: bool) -> None:
    """views.update for a modal being typed in. With `guard`, only if nobody changed the
    view meanwhile (a later keystroke wins); a modal closed meanwhile is no error."""
    try:
        client.views_update(view_id=view["id"], view=new_view,
                            **({"hash": view["hash"]} if guard and view.get("hash") else {}))
    except SlackApiError as error:
        if error.response.get("error") not in ("hash_conflict", "not_found"):
            raise


def open_modal(services: Services, client: WebClient, body: dict, context: BoltContext,
               interaction_id: int) -> None:
    target = responses.open_compose(services.db, context.team_id, interaction_id,
                                    context.user_id)
    if target is None:
        return  # told why, in the thread
    client.views_open(trigger_id=body["trigger_id"], view=build_compose(ComposeData(
        interaction_id, target.contact_name, target.contact_phone)))


def open_compose(ack: Ack, body: dict, client: WebClient, context: BoltContext,
                 services: Services) -> None:
    """The card's Reply… button."""
    ack()
    open_modal(services, client, body, context, int(body["actions"][0]["value"]))


def suggest_responses(ack: Ack, body: dict, context: BoltContext, services: Services) -> None:
    """What the picker offers as the agent types in it (Reply… and New SMS alike)."""
    found = responses.search(services.db, context.team_id, body.get("value") or "",
                             limit=MAX_SELECT_OPTIONS)
    ack(**compose_view.response_options(found))


def insert_response(ack: Ack, body: dict, client: WebClient, context: BoltContext,
                    services: Services) -> None:
    """A standard response picked: filled in below what was typed."""
    ack()
    db = services.db
    view = body["view"]
    entry = picked_response(db, context.team_id, body)
    interaction_id = compose_view.interaction_of(view)
    if entry is None or interaction_id is None:
        return
    target = responses.compose_context(db, context.team_id, interaction_id)
    if target is None:
        return
    filled = responses.render(entry.text, target,
                              agent_name(client, context.team_id, context.user_id))
    block_id, typed = compose_view.current_text(view)
    text = with_response(typed, filled.text)
    ignored = compose_view.ignored_of(view)
    # A new revision: Slack shows the new text instead of keeping what was typed.
    update_view_quietly(client, view, build_compose(ComposeData(
        target.interaction_id, target.contact_name, target.contact_phone, text,
        revision=compose_view.revision_of(block_id) + 1,
        unfilled=responses.placeholders(text),
        flags=draft_flags(services, context, client, target.interaction_id, text, ignored),
        ignored=ignored)), guard=False)


def draft_flags(services: Services, context: BoltContext, client: WebClient,
                interaction_id: int, text: str, ignored: tuple[spelling.Occurrence, ...], *,
                wait_for_dictionary: bool = True) -> tuple[spelling.WordFlag, ...]:
    """The draft's flagged words, but those the agent chose to Ignore."""
    flags = spelling.flags_for_draft(
        services.db, services.settings_for(context.team_id), context.team_id,
        interaction_id, context.user_id, text,
        agent_name(client, context.team_id, context.user_id),
        wait_for_dictionary=wait_for_dictionary, ignored=frozenset(ignored))
    return spelling.as_word_flags(flags)


def count_as_typed(ack: Ack, body: dict, client: WebClient, context: BoltContext,
                   services: Services) -> None:
    """Each character typed: the segment count, placeholders and spelling below the text."""
    ack()
    db = services.db
    view, action = body["view"], body["actions"][0]
    interaction_id = compose_view.interaction_of(view)
    if interaction_id is None:
        return  # a forged or damaged modal: nothing to count for
    target = responses.compose_context(db, context.team_id, interaction_id)
    if target is None:
        return
    text = action.get("value") or ""
    ignored = compose_view.ignored_of(view)
    # Same revision: Slack keeps what is being typed; only the lines below it change.
    update_view_quietly(client, view, build_compose(ComposeData(
        target.interaction_id, target.contact_name, target.contact_phone, text,
        revision=compose_view.revision_of(action.get("block_id")),
        unfilled=responses.placeholders(text),
        flags=draft_flags(services, context, client, target.interaction_id, text, ignored),
        ignored=ignored)), guard=True)


def fix_word(ack: Ack, body: dict, client: WebClient, context: BoltContext,
             services: Services) -> None:
    """A flagged word's choice in the modal, acted on at once: a suggestion replaces it in
    the text; Ignore, Ignore All and Add to My Dictionary take it off the list."""
    ack()
    db = services.db
    view = body["view"]
    interaction_id = compose_view.interaction_of(view)
    chosen = parse_word_value(
        (body["actions"][0].get("selected_option") or {}).get("value") or "")
    if interaction_id is None or chosen is None:
        return  # not a value this app wrote
    target = responses.compose_context(db, context.team_id, interaction_id)
    if target is None:
        return
    block_id, text = compose_view.current_text(view)
    revision = compose_view.revision_of(block_id)
    _, start, pick, suggestion = chosen
    outcome = spelling.choose_in_draft(
        spelling.Draft(text, compose_view.ignored_of(view)),
        draft_flags(services, context, client, interaction_id, text, ()), start, pick,
        suggestion,
        add_word=lambda word: spelling.add_to_my_dictionary(db, context.team_id,
                                                            context.user_id, word),
        ignore_all=lambda word: spelling.ignore_in_interaction(
            db, context.team_id, interaction_id, context.user_id, word))
    if outcome.text != text:
        revision += 1  # a new revision: Slack shows the corrected text
    update_view_quietly(client, view, build_compose(ComposeData(
        target.interaction_id, target.contact_name, target.contact_phone, outcome.text,
        revision=revision, unfilled=responses.placeholders(outcome.text),
        flags=draft_flags(services, context, client, interaction_id, outcome.text,
                          outcome.ignored),
        ignored=outcome.ignored,
        confirmed_text=outcome.text if compose_view.confirmed(view, outcome.text) else None,
    )), guard=False)


def send_reply(ack: Ack, view: dict, client: WebClient, context: BoltContext,
               services: Services) -> None:
    """Send in the Reply… modal."""
    settings = services.settings_for(context.team_id)
    db = services.db
    block_id, text = compose_view.current_text(view)
    block_id = block_id or compose_view.text_block_id(0)
    interaction_id = compose_view.interaction_of(view)
    if interaction_id is None:
        ack(response_action="errors", errors={block_id: NO_INTERACTION})
        return
    if (text.strip() and len(text.strip()) <= replies.COMPOSED_LIMIT
            and settings.spelling_confirm_on_send
            and not compose_view.confirmed(view, text)):
        ignored = compose_view.ignored_of(view)
        flags = draft_flags(services, context, client, interaction_id, text, ignored,
                            wait_for_dictionary=False)
        target = responses.compose_context(db, context.team_id, interaction_id)
        if flags and target is not None:
            # Confirm on send: show the words once; Send again sends the text as it is.
            ack(response_action="update", view=build_compose(ComposeData(
                interaction_id, target.contact_name, target.contact_phone, text,
                revision=compose_view.revision_of(block_id) + 1,
                unfilled=responses.placeholders(text), flags=flags, ignored=ignored,
                confirmed_text=text)))
            return
    outcome = replies.ComposedOutcome.EMPTY
    if text.strip() and len(text.strip()) <= replies.COMPOSED_LIMIT:
        outcome = replies.send_composed(db, settings, context.team_id, interaction_id,
                                        context.user_id, text)
    elif text.strip():
        outcome = replies.ComposedOutcome.TOO_LONG
    if outcome is replies.ComposedOutcome.SENT:
        ack()
        return
    message = REFUSALS[outcome]
    if outcome is replies.ComposedOutcome.TOO_LONG:
        message += f" This one has {len(text.strip())}."
    ack(response_action="errors", errors={block_id: message})


def register(app: App) -> None:
    app.action(ids.OPEN_COMPOSE)(open_compose)
    app.options(ids.RESPONSE_SEARCH)(suggest_responses)
    app.options(ids.NEW_SMS_RESPONSE)(suggest_responses)  # the New SMS modal's picker
    app.action(ids.RESPONSE_SEARCH)(insert_response)
    app.action(ids.COMPOSE_TEXT)(count_as_typed)
    app.action(ids.COMPOSE_SPELL_WORD)(fix_word)
    app.view(ids.COMPOSE_VIEW)(send_reply)
