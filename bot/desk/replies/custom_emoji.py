"""A reply with the workspace's own (custom) emoji: no phone can show them, so before it goes
the agent is told, and says whether it goes without them or not at all.

The hold is the spelling check's: a held outbound message, stored first, so what the agent
wrote is never lost. Its reason is "custom emoji" beside the spelling check's; a reply sent
without them is then checked for spelling as any other.
"""

from __future__ import annotations

import enum
from typing import Any

from sqlalchemy.orm import Session

from bot.config import Settings
from bot.desk import effects
from bot.desk.interactions import spelling
from bot.desk.replies import held
from storage.db import Database
from storage.models import Message

# Kept in the held message's spelling_flags (what the agent decides about), with the names the
# spelling check must not flag once the reply goes.
_EMOJI = "custom_emoji"
_NEVER_FLAGGED = "agent_name"


class Choice(enum.Enum):
    SEND_WITHOUT = "send_without"
    CANCEL = "cancel"


class Outcome(enum.Enum):
    SENT = "sent"
    HELD_FOR_SPELLING = "held_for_spelling"  # sent without them, then held by the check
    CANCELLED = "cancelled"
    NOT_YOURS = "not_yours"
    GONE = "gone"  # already decided, or the interaction moved on


def hold(s: Session, settings: Settings, message: Message, custom_emoji: tuple[str, ...],
         never_flagged: str | None) -> bool:
    """Hold a reply whose custom emoji were left out of its text, and ask the agent (a held
    reply, bot/desk/replies/held.py: marked, on the card and Home tab, reminded). One with
    nothing else in it is not sent at all (the agent is told so). True: held."""
    sendable = bool(message.body.strip())
    flags: dict[str, Any] = {_EMOJI: list(custom_emoji), _NEVER_FLAGGED: never_flagged}
    message.spelling_flags = flags
    if sendable:
        held.hold(s, settings, message, held.CUSTOM_EMOJI)
    else:
        message.delivery_state = held.DISCARDED
    effects.custom_emoji_prompt(s, message.team_id, message.id)
    return sendable


def left_out(message: Message) -> tuple[str, ...]:
    """The custom emoji left out of a reply that was held (or refused) for them."""
    return tuple((message.spelling_flags or {}).get(_EMOJI) or ())


def is_held_for_them(message: Message) -> bool:
    return held.is_held(message) and held.CUSTOM_EMOJI in (message.hold_reasons or ())


def decide(db: Database, settings: Settings, team_id: str, message_id: int, user_id: str,
           choice: Choice) -> Outcome:
    with db.transaction() as s:
        found = held.to_decide(s, team_id, message_id, user_id, held.CUSTOM_EMOJI)
        if isinstance(found, held.Undecidable):
            return Outcome(found.value)
        message, interaction = found
        if choice is Choice.CANCEL:
            held.cancel(s, message, interaction)
            return Outcome.CANCELLED
        never_flagged = (message.spelling_flags or {}).get(_NEVER_FLAGGED)
        message.spelling_flags = None
        held.release(s, message, held.SENDING)
        if spelling.review(s, settings, interaction, message, never_flagged):
            return Outcome.HELD_FOR_SPELLING
        effects.send_sms(s, team_id, message.id, interaction.id)
        return Outcome.SENT
