"""A contact's history: every interaction with them, newest first, as the database keeps it.

A read model: what a contact view (and a supervisor) reads back, never what Slack shows.
Each entry carries the interaction's outline, its disposition, its internal notes and the
transcript of messages both ways.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from bot.desk.interactions import timeline
from storage.db import Database
from storage.models import Interaction, Media, Message, TimelineEvent


@dataclass(frozen=True)
class NoteEntry:
    text: str
    author_user_id: str | None
    at: datetime


@dataclass(frozen=True)
class TranscriptEntry:
    """One SMS: inbound from the customer, or outbound as the phone got it."""

    direction: str  # inbound | outbound
    text: str
    at: datetime
    author_user_id: str | None = None  # the agent, for outbound
    delivery_state: str | None = None  # outbound: pending ... delivered | failed
    pictures: int = 0  # files of an inbound MMS


@dataclass(frozen=True)
class HistoryEntry:
    interaction_id: int
    started_at: datetime
    closed_at: datetime | None
    mode: str  # page | session
    media: str  # SMS | MMS
    agent_user_id: str | None
    state: str
    disposition: str | None
    disposition_by: str | None
    notes: tuple[NoteEntry, ...]
    transcript: tuple[TranscriptEntry, ...]
    direction: str = "inbound"  # outbound: an agent's New SMS


def contact_history(db: Database, team_id: str, contact_id: int,
                    shown: Callable[[str], str] = str) -> list[HistoryEntry]:
    with db.transaction() as s:
        interactions = list(s.scalars(
            select(Interaction)
            .where(Interaction.team_id == team_id, Interaction.contact_id == contact_id)
            .order_by(Interaction.created_at.desc(), Interaction.id.desc())))
        ids = [i.id for i in interactions]
        if not ids:
            return []
        messages = list(s.scalars(
            select(Message)
            .where(Message.team_id == team_id, Message.interaction_id.in_(ids))
            .order_by(Message.created_at, Message.id)))
        pictures = Counter(s.scalars(select(Media.message_id).where(
            Media.team_id == team_id, Media.interaction_id.in_(ids))))
        notes = list(s.scalars(
            select(TimelineEvent)
            .where(TimelineEvent.team_id == team_id, TimelineEvent.interaction_id.in_(ids),
                   TimelineEvent.kind == timeline.NOTE)
            .order_by(TimelineEvent.at, TimelineEvent.id)))
        return [
            HistoryEntry(
                interaction_id=i.id, started_at=i.created_at, closed_at=i.closed_at,
                mode=i.mode, media=i.media, agent_user_id=i.agent_user_id, state=i.state,
                disposition=i.disposition, disposition_by=i.disposition_by,
                notes=tuple(NoteEntry(n.detail or "", n.actor_user_id, n.at)
                            for n in notes if n.interaction_id == i.id),
                transcript=tuple(_transcript_entry(m, pictures[m.id], shown)
                                 for m in messages if m.interaction_id == i.id),
                direction=i.direction,
            )
            for i in interactions
        ]


def as_written(message: Message) -> str:
    """An agent's reply as the conversation shows it: the text the phone got, and until a send
    is tried, what they wrote in Slack (the phone's text is stored from the start)."""
    unsent = message.slack_text is not None and not message.provider
    return (message.slack_text if unsent else message.body) or message.slack_text or ""


def _transcript_entry(message: Message, pictures: int,
                      shown: Callable[[str], str] = str) -> TranscriptEntry:
    if message.direction == "inbound":
        return TranscriptEntry("inbound", shown(message.body), message.created_at,
                               pictures=pictures)
    return TranscriptEntry("outbound", shown(as_written(message)),
                           message.created_at, author_user_id=message.author_user_id,
                           delivery_state=message.delivery_state)
