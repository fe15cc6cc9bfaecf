"""Clicks on a held reply's spelling prompt (or its Home tab listing): a choice per flagged
word, then send corrected, send anyway or cancel; and the agent's spelling preferences."""

from __future__ import annotations

from slack_bolt import Ack, App, BoltContext

from bot.desk.interactions import spelling
from bot.services import Services
from bot.slack import ids
from bot.slack.views.spelling import parse_word_value

CHOICES = {
    ids.SPELL_SEND_CORRECTED: spelling.Choice.SEND_CORRECTED,
    ids.SPELL_SEND_ANYWAY: spelling.Choice.SEND_ANYWAY,
    ids.SPELL_CANCEL: spelling.Choice.CANCEL,
    ids.SPELL_IGNORE_ALL: spelling.Choice.IGNORE_ALL,
    ids.SPELL_ADD_WORD: spelling.Choice.ADD_TO_DICTIONARY,
}


def decide_on_spelling(ack: Ack, body: dict, context: BoltContext,
                       services: Services) -> None:
    """A button on a held reply's spelling prompt: send corrected, send anyway, cancel…"""
    ack()
    action = body["actions"][0]
    message_id, _, word = action["value"].partition("|")
    settings = services.settings_for(context.team_id)
    spelling.decide(services.db, settings, context.team_id, int(message_id),
                    context.user_id, CHOICES[action["action_id"]], word or None)


def pick_word(ack: Ack, body: dict, context: BoltContext, services: Services) -> None:
    """A flagged word's select: one of its suggestions, Ignore, Ignore All, Add."""
    ack()
    option = body["actions"][0].get("selected_option") or {}
    parsed = parse_word_value(option.get("value") or "")
    if parsed is None or not parsed[0].isdigit():
        return  # not a value this app wrote
    message_id, start, pick, suggestion = parsed
    spelling.pick_word(services.db, services.settings_for(context.team_id), context.team_id,
                       int(message_id), context.user_id, start, pick, suggestion or None)


def toggle_spelling(ack: Ack, body: dict, context: BoltContext, services: Services) -> None:
    ack()
    spelling.set_preferences(services.db, context.team_id, context.user_id,
                             enabled=body["actions"][0]["value"] == "on")


def pick_language(ack: Ack, body: dict, context: BoltContext, services: Services) -> None:
    ack()
    spelling.set_preferences(services.db, context.team_id, context.user_id,
                             language=body["actions"][0]["selected_option"]["value"])


def register(app: App) -> None:
    for action_id in CHOICES:
        app.action(action_id)(decide_on_spelling)
    app.action(ids.SPELL_WORD)(pick_word)
    app.action(ids.SPELLING_TOGGLE)(toggle_spelling)
    app.action(ids.SPELLING_LANGUAGE)(pick_language)
