"""Spelling check before send: hold a flagged reply, then send it as the agent decides.

The reply is stored first (a held outbound message, bot/desk/replies/held.py), so whatever
the agent chooses, and even if they choose nothing, what they wrote is never lost. What is
checked, and corrected, is the text the phone gets (its `body`), not Slack's markup of it.
Per flagged word the agent picks (`WordPick`) any of its suggestions, Ignore (this
occurrence), Ignore All (this interaction) or Add to My Dictionary (kept); then sends it
corrected as chosen, as written, or not at all. A draft in the Reply… or New SMS modal is
checked with the same words known, and the same per-word choices.
"""

from __future__ import annotations

import enum
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.desk import effects
from bot.desk.interactions import timeline
from bot.desk.replies import held
from bot.spelling import checker
from storage.db import Database
from storage.models import Agent, Contact, DictionaryWord, Interaction, Message

CORPORATE = "corporate"  # the owner of a corporate dictionary word (else: a user id)
HELD = held.HELD
WORD_LIMIT = 100  # characters of a dictionary word (its column)


class Choice(enum.Enum):
    SEND_CORRECTED = "send_corrected"
    SEND_ANYWAY = "send_anyway"
    CANCEL = "cancel"
    IGNORE_ALL = "ignore_all"
    ADD_TO_DICTIONARY = "add_word"


class WordPick(enum.Enum):
    """What the agent makes of one flagged word."""

    USE = "use"  # one of its suggestions
    IGNORE = "ignore"  # this occurrence, as written
    IGNORE_ALL = "ignore_all"  # this word, for the rest of the interaction
    ADD_TO_DICTIONARY = "add_word"  # this word, in the agent's own dictionary, for good


@dataclass(frozen=True)
class WordFlag:
    """A flagged word of a reply and what the agent chose for it (None: not chosen yet)."""

    word: str
    start: int
    suggestions: tuple[str, ...]
    choice: str | None = None  # a suggestion, or the word itself (Ignore)

    @property
    def replacement(self) -> str:
        """What the word becomes when the reply is sent corrected."""
        if self.choice is not None:
            return self.choice
        return self.suggestions[0] if self.suggestions else self.word


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


def _known(s: Session, settings: Settings, team_id: str, user_id: str,
           names: tuple[str | None, ...], ignored: list[str]) -> frozenset[str]:
    words = set(s.scalars(select(DictionaryWord.word).where(
        DictionaryWord.team_id == team_id,
        DictionaryWord.owner.in_((user_id, CORPORATE)))))
    words |= {w.lower() for w in settings.corporate_words}
    words |= set(ignored)
    for name in names:
        words |= {part.lower() for part in (name or "").replace("-", " ").split()}
    return frozenset(words)


def known_words(s: Session, settings: Settings, interaction: Interaction, user_id: str,
                agent_name: str | None) -> frozenset[str]:
    """Everything that is never flagged for this agent in this interaction."""
    contact = s.get(Contact, interaction.contact_id)
    return _known(s, settings, interaction.team_id, user_id,
                  (contact.name if contact else None, agent_name),
                  (interaction.spelling_ignored or {}).get("words", []))


def _check(s: Session, settings: Settings, team_id: str, user_id: str, text: str,
           known: Callable[[], frozenset[str]]) -> list[checker.Flag]:
    prefs = preferences(s, settings, team_id, user_id)
    if not prefs.enabled:
        return []
    return checker.check(text, language=prefs.language, known=known())


def _flags(s: Session, settings: Settings, interaction: Interaction, user_id: str,
           text: str, agent_name: str | None) -> list[checker.Flag]:
    return _check(s, settings, interaction.team_id, user_id, text,
                  lambda: known_words(s, settings, interaction, user_id, agent_name))


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
    hold = settings.spelling_confirm_on_send
    if hold:
        held.hold(s, settings, message, held.SPELLING)
    effects.spelling_prompt(s, message.team_id, message.id, held=hold)
    return hold


def _as_dict(flag: checker.Flag, choice: str | None = None) -> dict[str, Any]:
    found: dict[str, Any] = {"word": flag.word, "start": flag.start, "end": flag.end,
                             "suggestions": list(flag.suggestions)}
    if choice is not None:
        found["choice"] = choice
    return found


def _as_flags(raw: dict[str, Any] | None) -> list[checker.Flag]:
    return [checker.Flag(f["word"], f["start"], f["end"], tuple(f["suggestions"]))
            for f in (raw or {}).get("flags", [])]


def word_flags(raw: dict[str, Any] | None) -> tuple[WordFlag, ...]:
    """A reply's stored flags, with the agent's choices so far."""
    return tuple(WordFlag(f["word"], f["start"], tuple(f["suggestions"]), f.get("choice"))
                 for f in (raw or {}).get("flags", []))


def flags_of(db: Database, team_id: str, message_ids: list[int]) -> dict[int, tuple[WordFlag, ...]]:
    """The flagged words (with choices) of these replies, by message id."""
    if not message_ids:
        return {}
    with db.transaction() as s:
        rows = s.execute(select(Message.id, Message.spelling_flags).where(
            Message.team_id == team_id, Message.id.in_(message_ids))).all()
    return {message_id: word_flags(raw) for message_id, raw in rows}


def corrected(text: str, raw: dict[str, Any] | None) -> str:
    """The text with each flagged word replaced as chosen (else by its first suggestion)."""
    stored = (raw or {}).get("flags", [])
    choices = {index: f["choice"] for index, f in enumerate(stored) if "choice" in f}
    return checker.apply_suggestions(text, _as_flags(raw), choices)


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


def _held_reply(s: Session, team_id: str, message_id: int, user_id: str
                ) -> tuple[Message, Interaction] | Outcome:
    found = held.to_decide(s, team_id, message_id, user_id)
    return Outcome(found.value) if isinstance(found, held.Undecidable) else found


def _decide(db: Database, settings: Settings, team_id: str, message_id: int, user_id: str,
            choice: Choice, word: str | None) -> Outcome:
    if word and choice in (Choice.IGNORE_ALL, Choice.ADD_TO_DICTIONARY):
        # The buttons of a prompt posted before per-word choices: the same as picking it.
        pick = (WordPick.IGNORE_ALL if choice == Choice.IGNORE_ALL
                else WordPick.ADD_TO_DICTIONARY)
        return _pick_word(db, settings, team_id, message_id, user_id, None, pick, None, word)
    with db.transaction() as s:
        found = _held_reply(s, team_id, message_id, user_id)
        if isinstance(found, Outcome):
            return found
        message, interaction = found
        if choice == Choice.CANCEL:
            held.cancel(s, message, interaction)
            return Outcome.CANCELLED
        if choice in (Choice.IGNORE_ALL, Choice.ADD_TO_DICTIONARY):
            return Outcome.STILL_HELD  # without a word there is nothing to remember
        if choice == Choice.SEND_CORRECTED:
            fixed = corrected(message.body, message.spelling_flags)
            if fixed != message.body:
                message.body = fixed
                timeline.record(s, team_id, interaction.id, timeline.SPELLING_CORRECTED,
                                actor=user_id, detail=fixed)
                effects.sync_transcript(s, team_id, interaction.id)
        held.release(s, message, held.SENDING)
        effects.send_sms(s, team_id, message.id, interaction.id)
        return Outcome.SENT


def pick_word(db: Database, settings: Settings, team_id: str, message_id: int, user_id: str,
              start: int, pick: WordPick, suggestion: str | None = None) -> Outcome:
    """The agent's choice for the flagged word at `start` of a held reply. USE and IGNORE
    are remembered for when it is sent corrected; IGNORE_ALL and ADD_TO_DICTIONARY take the
    word out of the flags (and out of every later check) and ask again."""
    try:
        return _pick_word(db, settings, team_id, message_id, user_id, start, pick,
                          suggestion, None)
    except IntegrityError:  # the word was added a moment ago by another click
        return Outcome.STILL_HELD


def _pick_word(db: Database, settings: Settings, team_id: str, message_id: int, user_id: str,
               start: int | None, pick: WordPick, suggestion: str | None,
               word: str | None) -> Outcome:
    with db.transaction() as s:
        message = s.get(Message, message_id)
        flags = list((message.spelling_flags or {}).get("flags", [])) if message else []
        index = next((i for i, f in enumerate(flags)
                      if f["start"] == start or (start is None and f["word"] == word)), None)
        if index is not None:
            word = flags[index]["word"]
        if word and message is not None and message.team_id == team_id \
                and message.author_user_id == user_id \
                and pick in (WordPick.IGNORE_ALL, WordPick.ADD_TO_DICTIONARY):
            # Remembered even when the reply has gone meanwhile: the agent meant the word.
            _remember(s, s.get_one(Interaction, message.interaction_id), user_id, word, pick)
        found = _held_reply(s, team_id, message_id, user_id)
        if isinstance(found, Outcome):
            return found
        message, interaction = found
        if index is None:
            return Outcome.STILL_HELD  # a prompt older than the flags: nothing to change
        if pick in (WordPick.USE, WordPick.IGNORE):
            choice = flags[index]["word"] if pick == WordPick.IGNORE else suggestion
            if choice is None or (pick == WordPick.USE
                                  and choice not in flags[index]["suggestions"]):
                return Outcome.STILL_HELD  # not one of its suggestions: a forged value
            flags[index] = {**flags[index], "choice": choice}
            message.spelling_flags = {**(message.spelling_flags or {}), "flags": flags}
        else:
            chosen = {f["start"]: f["choice"] for f in flags if "choice" in f}
            agent_name = (message.spelling_flags or {}).get("agent_name")
            remaining = _flags(s, settings, interaction, user_id, message.body,
                               agent_name)
            message.spelling_flags = {**(message.spelling_flags or {}), "flags": [
                _as_dict(f, chosen.get(f.start)) for f in remaining]}
            effects.spelling_prompt(s, team_id, message.id, held=True)
        effects.publish_home(s, team_id, user_id)  # the Home tab shows the choice
        return Outcome.STILL_HELD


def _remember(s: Session, interaction: Interaction, user_id: str, word: str,
              pick: WordPick) -> None:
    word = word.strip().lower()[:WORD_LIMIT]
    if pick == WordPick.IGNORE_ALL:
        ignored = dict(interaction.spelling_ignored or {})
        ignored["words"] = sorted(set(ignored.get("words", [])) | {word})
        interaction.spelling_ignored = ignored
        return
    _add_word(s, interaction.team_id, user_id, word, user_id)


def _add_word(s: Session, team_id: str, owner: str, word: str, added_by: str) -> bool:
    """True when it is new to that dictionary."""
    exists = s.scalars(select(DictionaryWord.id).where(
        DictionaryWord.team_id == team_id, DictionaryWord.owner == owner,
        DictionaryWord.word == word)).first()
    if exists is not None:
        return False
    s.add(DictionaryWord(team_id=team_id, owner=owner, word=word, added_by=added_by))
    return True


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
        # Chosen on the Home tab (its toggle and language select): they are looking at it.
        effects.publish_home(s, team_id, user_id, looking=True)


# --- drafts: the Reply… and New SMS modals ----------------------------------------------

# An occurrence the agent chose to Ignore in a draft: the word (lower case) and which of its
# flagged occurrences it is (0: the first). Offsets move as the agent types; this does not.
Occurrence = tuple[str, int]


def occurrences(words: list[str]) -> list[Occurrence]:
    """Each flagged word's occurrence: the word, and how many of it were flagged before."""
    seen: dict[str, int] = {}
    found = []
    for written in words:
        word = written.lower()
        found.append((word, seen.get(word, 0)))
        seen[word] = seen.get(word, 0) + 1
    return found


def without_ignored(flags: list[checker.Flag],
                    ignored: frozenset[Occurrence]) -> list[checker.Flag]:
    return [flag for flag, occurrence in zip(flags, occurrences([f.word for f in flags]),
                                             strict=True)
            if occurrence not in ignored]


def as_word_flags(flags: list[checker.Flag]) -> tuple[WordFlag, ...]:
    return tuple(WordFlag(f.word, f.start, f.suggestions) for f in flags)


@dataclass(frozen=True)
class Draft:
    """A reply or New SMS being written in a modal, and the agent's spelling choices so far."""

    text: str
    ignored: tuple[Occurrence, ...] = ()
    # Ignore All of a draft with no interaction yet (New SMS): it goes with it when sent.
    ignored_words: tuple[str, ...] = ()


def choose_in_draft(draft: Draft, flags: tuple[WordFlag, ...], start: int, pick: WordPick,
                    suggestion: str = "", *, add_word: Callable[[str], object],
                    ignore_all: Callable[[str], object] | None = None) -> Draft:
    """The draft after the agent's choice for the word flagged at `start` (`flags`: all of
    the text's, Ignored ones too). USE puts the suggestion in the text; IGNORE remembers
    the occurrence; IGNORE_ALL calls `ignore_all` (the interaction's), or without one keeps
    the word with the draft; ADD_TO_DICTIONARY calls `add_word`."""
    flag = next((f for f in flags if f.start == start), None)
    if flag is None:
        return draft  # the text changed since the choice was shown: nothing to apply
    occurrence = occurrences([f.word for f in flags])[flags.index(flag)]
    if pick == WordPick.USE:
        if suggestion not in flag.suggestions:
            return draft  # not one of its suggestions: a forged value
        end = flag.start + len(flag.word)
        word, n = occurrence
        # The later occurrences of the word move up one: keep Ignore on the same ones.
        ignored = tuple((w, m - 1 if w == word and m > n else m)
                        for w, m in draft.ignored if (w, m) != occurrence)
        return Draft(draft.text[:flag.start] + suggestion + draft.text[end:], ignored,
                     draft.ignored_words)
    if pick == WordPick.IGNORE:
        return Draft(draft.text, (*draft.ignored, occurrence), draft.ignored_words)
    if pick == WordPick.IGNORE_ALL:
        if ignore_all is not None:
            ignore_all(flag.word)
            return draft
        return Draft(draft.text, draft.ignored,
                     tuple(sorted({*draft.ignored_words, flag.word.lower()[:WORD_LIMIT]})))
    add_word(flag.word)
    return draft


def _ready(s: Session, settings: Settings, team_id: str, user_id: str,
           wait_for_dictionary: bool) -> bool:
    """wait_for_dictionary=False (before a 3-second ack): a dictionary still loading counts
    as no flags rather than keep Slack waiting; the load goes on in the background."""
    language = preferences(s, settings, team_id, user_id).language
    if not wait_for_dictionary and not checker.is_ready(language):
        threading.Thread(target=checker.preload, args=([language],), daemon=True).start()
        return False
    return True


def flags_for_draft(db: Database, settings: Settings, team_id: str, interaction_id: int,
                    user_id: str, text: str, agent_name: str | None, *,
                    wait_for_dictionary: bool = True,
                    ignored: frozenset[Occurrence] = frozenset()) -> list[checker.Flag]:
    """The flagged words of a reply being written in the compose modal, but the
    occurrences the agent chose to Ignore."""
    with db.transaction() as s:
        interaction = s.get(Interaction, interaction_id)
        if interaction is None or interaction.team_id != team_id \
                or not _ready(s, settings, team_id, user_id, wait_for_dictionary):
            return []
        return without_ignored(_flags(s, settings, interaction, user_id, text, agent_name),
                               ignored)


def flags_for_new_sms(db: Database, settings: Settings, team_id: str, user_id: str,
                      text: str, agent_name: str | None, *, contact_name: str | None = None,
                      ignored_words: tuple[str, ...] = (),
                      ignored: frozenset[Occurrence] = frozenset(),
                      wait_for_dictionary: bool = True) -> list[checker.Flag]:
    """The flagged words of a New SMS being written. There is no interaction yet: its
    Ignore All words are the draft's own (`ignored_words`), and go with it when sent."""
    with db.transaction() as s:
        if not _ready(s, settings, team_id, user_id, wait_for_dictionary):
            return []
        return without_ignored(_check(s, settings, team_id, user_id, text, lambda: _known(
            s, settings, team_id, user_id, (contact_name, agent_name),
            [w.lower() for w in ignored_words])), ignored)


def ignore_in_interaction(db: Database, team_id: str, interaction_id: int, user_id: str,
                          word: str) -> bool:
    """Ignore All from the Reply… modal: the word is not flagged again in this interaction.
    Only its agent's; False (nothing remembered) for anyone else."""
    with db.transaction() as s:
        interaction = s.get(Interaction, interaction_id)
        if interaction is None or interaction.team_id != team_id \
                or interaction.agent_user_id != user_id:
            return False
        _remember(s, interaction, user_id, word, WordPick.IGNORE_ALL)
        return True


def add_to_my_dictionary(db: Database, team_id: str, user_id: str, word: str) -> None:
    """Add to My Dictionary from a modal: never flagged for this agent again."""
    try:
        with db.transaction() as s:
            _add_word(s, team_id, user_id, word.strip().lower()[:WORD_LIMIT], user_id)
    except IntegrityError:
        pass  # added a moment ago by another click: what the agent wanted
