"""A reply held before it goes to the phone, until its agent decides: kept where they see it.

A reply is held for reasons (flagged words today: SPELLING; anything else that asks the agent
first joins the same path with its own reason). The prompt that asks is ephemeral, gone after
a reload or on another device, so a held reply also shows where it lives: a mark on the
agent's message (its delivery mark, bot/slack/views/transcript.py), a line on the card, a
section of the agent's Home tab with the same choices. After `[spelling]
remind_after_seconds` the agent is prompted again, and supervisors see it on the
interaction's supervisor card. Sending or discarding it (`release`) takes all of that away.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.desk import effects
from bot.desk.interactions.lifecycle import ACCEPTED, TRANSFERRING
from storage.clock import utcnow
from storage.db import Database
from storage.models import Contact, Interaction, Message

HELD = "held"  # the message's delivery_state while it waits
SENDING = "pending"  # released to be sent
DISCARDED = "cancelled"  # released unsent
SPELLING = "spelling"  # the reasons a reply is held
CUSTOM_EMOJI = "custom emoji"  # custom emoji left out: no phone can show them


@dataclass(frozen=True)
class HeldReply:
    """One held reply as its agent (or a supervisor) sees it listed."""

    message_id: int
    interaction_id: int
    agent_user_id: str
    text: str  # as the agent wrote it
    reasons: tuple[str, ...]
    since: datetime
    contact_name: str | None
    contact_phone: str
    channel: str | None  # where the interaction's thread is
    thread_ts: str | None


@dataclass(frozen=True)
class Waiting:
    """The held replies of one interaction: how many, why, since when (the oldest)."""

    count: int
    reasons: tuple[str, ...]
    since: datetime | None


NOTHING_WAITS = Waiting(0, (), None)


def remind_after(settings: Settings) -> timedelta:
    return timedelta(seconds=settings.spelling_remind_after_seconds)


def hold(s: Session, settings: Settings, message: Message, reason: str) -> None:
    """Hold the reply for `reason` (it may already be held for another): not sent until its
    agent decides, and shown where they will find it. The caller asks the question."""
    first = message.delivery_state != HELD
    message.delivery_state = HELD
    # A reply released and held again (sent without its custom emoji, then flagged for
    # spelling) waits for the new reason only.
    earlier = () if first else (message.hold_reasons or ())
    message.hold_reasons = sorted({*earlier, reason})
    if not first:
        return
    s.flush()
    _shown_everywhere(s, message)
    effects.remind_held_reply(s, message.team_id, message.id,
                              utcnow() + remind_after(settings))


def release(s: Session, message: Message, state: str) -> None:
    """The agent decided (SENDING) or the reply can no longer go (DISCARDED): its mark, the
    card's and Home tab's lines and the reminder go. The caller queues any send."""
    if message.delivery_state != HELD:
        return
    message.delivery_state = state
    effects.call_off_held_reply_reminder(s, message.team_id, message.id)
    _shown_everywhere(s, message)


def _shown_everywhere(s: Session, message: Message) -> None:
    """What shows a reply held (or no longer held): its mark, the card, the Home tab."""
    effects.show_delivery(s, message.team_id, message.id, message.interaction_id)
    effects.update_card(s, message.team_id, message.interaction_id)  # supervisors' too
    if message.author_user_id:
        effects.publish_home(s, message.team_id, message.author_user_id)


def is_held(message: Message) -> bool:
    return message.delivery_state == HELD


class Undecidable(enum.Enum):
    """Why a choice about a held reply does nothing."""

    NOT_YOURS = "not_yours"
    GONE = "gone"  # already decided, or the interaction moved on


def to_decide(s: Session, team_id: str, message_id: int, user_id: str,
              reason: str | None = None) -> tuple[Message, Interaction] | Undecidable:
    """The reply and its interaction, when it is this agent's and still held (for `reason`,
    if given); else why not (a reply no longer theirs to answer is discarded on the way, and
    they are told)."""
    message = s.get(Message, message_id)
    if message is None or message.team_id != team_id:
        return Undecidable.GONE
    if message.author_user_id != user_id:
        return Undecidable.NOT_YOURS
    if not is_held(message) or (reason is not None
                                and reason not in (message.hold_reasons or ())):
        return Undecidable.GONE  # a second click, or already on to another question
    interaction = s.get_one(Interaction, message.interaction_id)
    if interaction.state != ACCEPTED or interaction.agent_user_id != user_id:
        discard_unanswerable(s, message, interaction)
        return Undecidable.GONE
    return message, interaction


def cancel(s: Session, message: Message, interaction: Interaction) -> None:
    """The agent's Cancel: never sent, and the thread's note says what to do instead."""
    release(s, message, DISCARDED)
    if message.author_user_id:
        effects.notify_agent(s, message.team_id, message.author_user_id,
                             "Not sent. Write the reply again when you are ready.",
                             channel=message.slack_channel, thread_ts=interaction.thread_ts)


def remind(db: Database, settings: Settings, team_id: str, message_id: int) -> datetime | None:
    """The reminder of a held reply is due. Still held and still the agent's to answer: the
    prompt is posted again and supervisors see it on their card; returns when to remind
    next (also while a transfer of it is offered: it may come back). No longer theirs
    (Done, expired, transferred, reassigned): it is discarded and they are told. Not held
    any more: None."""
    with db.transaction() as s:
        message = s.get(Message, message_id)
        if message is None or message.team_id != team_id or not is_held(message):
            return None
        interaction = s.get_one(Interaction, message.interaction_id)
        if interaction.agent_user_id != message.author_user_id \
                or interaction.state not in (ACCEPTED, TRANSFERRING):
            discard_unanswerable(s, message, interaction)
            return None
        if interaction.state == TRANSFERRING:
            # Offered to a colleague: nothing can be sent now, and if they decline it comes
            # back to this agent. Look again later.
            return utcnow() + remind_after(settings)
        if CUSTOM_EMOJI in (message.hold_reasons or ()):
            effects.custom_emoji_prompt(s, team_id, message.id)
        else:
            effects.spelling_prompt(s, team_id, message.id, held=True)
        effects.update_supervision(s, team_id, interaction.id)
        return utcnow() + remind_after(settings)


NO_LONGER_YOURS = ("This reply was not sent: the interaction is no longer yours to answer.")


CLOSED_MEANWHILE = "This reply was not sent: the interaction was closed."


def discard_unanswerable(s: Session, message: Message, interaction: Interaction,
                         why: str = NO_LONGER_YOURS) -> None:
    """A held reply of an interaction its agent no longer answers: never sent, and said so."""
    release(s, message, DISCARDED)
    if message.author_user_id:
        effects.notify_agent(s, message.team_id, message.author_user_id, why,
                             channel=message.slack_channel or interaction.desk_channel,
                             thread_ts=interaction.thread_ts)


def discard_all(s: Session, interaction: Interaction, why: str) -> None:
    """Every reply still held in the interaction: let go at once (its mark, lines and
    reminder with it), its agent told why."""
    for message in s.scalars(select(Message).where(
            Message.interaction_id == interaction.id, Message.delivery_state == HELD)):
        discard_unanswerable(s, message, interaction, why)


def waiting(db: Database, interaction_id: int, author: str | None, *,
            older_than: timedelta | None = None) -> Waiting:
    """The interaction's replies held for `author` (its agent: an earlier holder's are
    discarded at their next reminder), only those held longer than `older_than` if given."""
    if author is None:
        return NOTHING_WAITS
    with db.transaction() as s:
        query = select(Message.created_at, Message.hold_reasons).where(
            Message.interaction_id == interaction_id, Message.author_user_id == author,
            Message.delivery_state == HELD)
        if older_than is not None:
            query = query.where(Message.created_at <= utcnow() - older_than)
        rows = s.execute(query.order_by(Message.created_at)).all()
    if not rows:
        return NOTHING_WAITS
    reasons = sorted({reason for _, listed in rows for reason in listed or (SPELLING,)})
    return Waiting(len(rows), tuple(reasons), rows[0][0])


def replies_of(db: Database, team_id: str, user_id: str) -> list[HeldReply]:
    """The agent's held replies on interactions still theirs to answer, oldest first."""
    with db.transaction() as s:
        rows = s.execute(
            select(Message, Interaction, Contact)
            .join(Interaction, Interaction.id == Message.interaction_id)
            .join(Contact, Contact.id == Interaction.contact_id)
            .where(Message.team_id == team_id, Message.author_user_id == user_id,
                   Message.delivery_state == HELD, Interaction.state == ACCEPTED,
                   Interaction.agent_user_id == user_id)
            .order_by(Message.created_at, Message.id)).all()
        return [HeldReply(
            message_id=message.id, interaction_id=interaction.id, agent_user_id=user_id,
            text=message.slack_text or message.body,
            reasons=tuple(message.hold_reasons or (SPELLING,)), since=message.created_at,
            contact_name=contact.name,
            contact_phone=interaction.customer_number or contact.phone,
            channel=interaction.desk_channel, thread_ts=interaction.thread_ts)
            for message, interaction, contact in rows]
