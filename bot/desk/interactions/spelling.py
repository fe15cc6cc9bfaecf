"""Spelling check before send: hold a flagged reply, then send it as the agent decides.

The reply is stored first (a held outbound message), so whatever the agent chooses, and
even if they choose nothing, what they wrote is never lost. What is checked, and corrected,
is the text the phone gets (its `body`), not Slack's markup of it.
"""

from __future__ import annotations

import enum
import threading
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.desk import effects
from bot.desk.interactions import timeline
from bot.desk.interactions.lifecycle import ACCEPTED
from bot.spelling import checker
from storage.db import Database
from storage.models import Agent, Contact, DictionaryWord, Interaction, Message

CORPORATE = "corporate"
HELD = "held"


class Choice(enum.Enum):
    SEND_CORRECTED = "send_corrected"
    SEND_ANYWAY = "send_anyway"
    CANCEL = "cancel"
    IGNORE_ALL = "ignore_all"
    ADD_TO_DICTIONARY = "add_word"


@dataclass(frozen=True)
class Preferences:
    enabled: bool
    language: str


def preferences(s: Session, settings: Settings, team_id: str, user_id: str) -> Preferences:
    agent = s.scalars(select(Agent).where(Agent.team_id == team_id,
                                          Agent.user_id == user_id)).first()
    enabled = settings.spelling_enabled if agent is None or agent.spelling_enabled is None \
        else agent.spelling_enabled
    language = (agent.spelling_language if agent and agent.spelling_language
                else settings.spelling_language)
    return Preferences(enabled, language)


def current_preferences(db: Database, settings: Settings, team_id: str,
                        user_id: str) -> Preferences:
    with db.transaction() as s:
        return preferences(s, settings, team_id, user_id)


def known_words(s: Session, settings: Settings, interaction: Interaction, user_id: str,
                agent_name: str | None) -> frozenset[str]:
    """Everything that is never flagged for this agent in this interaction."""
    words = set(s.scalars(select(DictionaryWord.word).where(
        DictionaryWord.team_id == interaction.team_id,
        DictionaryWord.owner.in_((user_id, CORPORATE)))))
    words |= {w.lower() for w in settings.corporate_words}
    words |= set((interaction.spelling_ignored or {}).get("words", []))
    contact = s.get(Contact, interaction.contact_id)
    for name in (contact.name if contact else None, agent_name):
        words |= {part.lower() for part in (name or "").replace("-", " ").split()}
    return frozenset(words)


def _flags(s: Session, settings: Settings, interaction: Interaction, user_id: str,
           text: str, agent_name: str | None) -> list[checker.Flag]:
    prefs = preferences(s, settings, interaction.team_id, user_id)
    if not prefs.enabled:
        return []
    return checker.check(text, language=prefs.language,
                         known=known_words(s, settings, interaction, user_id, agent_name))


def review(s: Session, settings: Settings, interaction: Interaction, message: Message,
           agent_name: str | None) -> bool:
    """Check a reply about to be sent. True: it is held for the agent's decision."""
    if message.author_user_id is None:  # a reply always has its agent: this is for the types
        return False
    flags = _flags(s, settings, interaction, message.author_user_id, message.body, agent_name)
    if not flags:
        return False
    message.spelling_flags = {"flags": [_as_dict(f) for f in flags],
                              "original": message.body, "agent_name": agent_name}
    held = settings.spelling_confirm_on_send
    if held:
        message.delivery_state = HELD
    effects.spelling_prompt(s, message.team_id, message.id, held=held)
    return held


def _as_dict(flag: checker.Flag) -> dict[str, Any]:
    return {"word": flag.word, "start": flag.start, "end": flag.end,
            "suggestions": list(flag.suggestions)}


def _as_flags(raw: dict[str, Any] | None) -> list[checker.Flag]:
    return [checker.Flag(f["word"], f["start"], f["end"], tuple(f["suggestions"]))
            for f in (raw or {}).get("flags", [])]


class Outcome(enum.Enum):
    SENT = "sent"
    CANCELLED = "cancelled"
    STILL_HELD = "still_held"  # after Ignore All / Add: flags remain, asked again
    NOT_YOURS = "not_yours"
    GONE = "gone"  # already decided, or the interaction moved on


def decide(db: Database, settings: Settings, team_id: str, message_id: int, user_id: str,
           choice: Choice, word: str | None = None) -> Outcome:
    try:
        return _decide(db, settings, team_id, message_id, user_id, choice, word)
    except IntegrityError:  # the word was added a moment ago by another click
        return Outcome.STILL_HELD


def _decide(db: Database, settings: Settings, team_id: str, message_id: int, user_id: str,
            choice: Choice, word: str | None) -> Outcome:
    with db.transaction() as s:
        message = s.get(Message, message_id)
        if message is None or message.team_id != team_id:
            return Outcome.GONE
        if message.author_user_id != user_id:
            return Outcome.NOT_YOURS
        interaction = s.get_one(Interaction, message.interaction_id)
        if word and choice in (Choice.IGNORE_ALL, Choice.ADD_TO_DICTIONARY):
            _remember(s, interaction, user_id, word, choice)
        if message.delivery_state != HELD:
            return Outcome.GONE
        if interaction.state != ACCEPTED or interaction.agent_user_id != user_id:
            message.delivery_state = "cancelled"
            effects.notify_agent(s, team_id, user_id, "This reply was not sent: the "
                                 "interaction is no longer yours to answer.",
                                 channel=message.slack_channel, thread_ts=interaction.thread_ts)
            return Outcome.GONE
        if choice == Choice.CANCEL:
            message.delivery_state = "cancelled"
            effects.notify_agent(s, team_id, user_id, "Not sent. Write the reply again when "
                                 "you are ready.", channel=message.slack_channel,
                                 thread_ts=interaction.thread_ts)
            return Outcome.CANCELLED
        if choice in (Choice.IGNORE_ALL, Choice.ADD_TO_DICTIONARY):
            agent_name = (message.spelling_flags or {}).get("agent_name")
            remaining = _flags(s, settings, interaction, user_id, message.body, agent_name)
            message.spelling_flags = {**(message.spelling_flags or {}),
                                      "flags": [_as_dict(f) for f in remaining]}
            effects.spelling_prompt(s, team_id, message.id, held=True)
            return Outcome.STILL_HELD
        if choice == Choice.SEND_CORRECTED:
            corrected = checker.apply_suggestions(message.body,
                                                  _as_flags(message.spelling_flags))
            if corrected != message.body:
                message.body = corrected
                timeline.record(s, team_id, interaction.id, timeline.SPELLING_CORRECTED,
                                actor=user_id, detail=corrected)
                effects.sync_transcript(s, team_id, interaction.id)
        message.delivery_state = "pending"
        effects.send_sms(s, team_id, message.id, interaction.id)
        effects.show_delivery(s, team_id, message.id, interaction.id)
        return Outcome.SENT


def _remember(s: Session, interaction: Interaction, user_id: str, word: str,
              choice: Choice) -> None:
    word = word.strip().lower()[:100]
    if choice == Choice.IGNORE_ALL:
        ignored = dict(interaction.spelling_ignored or {})
        ignored["words"] = sorted(set(ignored.get("words", [])) | {word})
        interaction.spelling_ignored = ignored
        return
    exists = s.scalars(select(DictionaryWord.id).where(
        DictionaryWord.team_id == interaction.team_id, DictionaryWord.owner == user_id,
        DictionaryWord.word == word)).first()
    if exists is None:
        s.add(DictionaryWord(team_id=interaction.team_id, owner=user_id, word=word,
                             added_by=user_id))


def set_preferences(db: Database, team_id: str, user_id: str, *, enabled: bool | None = None,
                    language: str | None = None) -> None:
    if language is not None and language not in {code for code, _ in checker.languages()}:
        raise ValueError(f"no spelling dictionary for {language!r}")
    with db.transaction() as s:
        agent = s.scalars(select(Agent).where(Agent.team_id == team_id,
                                              Agent.user_id == user_id)).first()
        if agent is None:
            agent = Agent(team_id=team_id, user_id=user_id, ready=False)
            s.add(agent)
        if enabled is not None:
            agent.spelling_enabled = enabled
        if language is not None:
            agent.spelling_language = language
        effects.publish_home(s, team_id, user_id)


def flags_for_draft(db: Database, settings: Settings, team_id: str, interaction_id: int,
                    user_id: str, text: str, agent_name: str | None, *,
                    wait_for_dictionary: bool = True) -> list[checker.Flag]:
    """The flagged words of a reply being written in the compose modal.

    wait_for_dictionary=False (before a 3-second ack): a dictionary still loading counts as
    no flags rather than keep Slack waiting; the load goes on in the background.
    """
    with db.transaction() as s:
        interaction = s.get(Interaction, interaction_id)
        if interaction is None or interaction.team_id != team_id:
            return []
        language = preferences(s, settings, team_id, user_id).language
        if not wait_for_dictionary and not checker.is_ready(language):
            threading.Thread(target=checker.preload, args=([language],), daemon=True).start()
            return []
        return _flags(s, settings, interaction, user_id, text, agent_name)
