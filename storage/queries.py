"""Reads the Slack views need, and the bookkeeping of what was already posted where."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update

from storage import opt_out_match
from storage.db import Database
from storage.models import (
    Contact,
    Interaction,
    Media,
    Message,
    Offer,
    OptOut,
    TimelineEvent,
)


@dataclass(frozen=True)
class InteractionView:
    interaction: Interaction
    contact: Contact
    inbound_texts: list[str]
    pictures: int = 0
    opted_out: bool = False  # the customer's number opted out of the business number

    @property
    def customer_number(self) -> str:
        """The number this conversation is with (a contact may have several)."""
        return self.interaction.customer_number or self.contact.phone


def interaction_view(db: Database, interaction_id: int) -> InteractionView:
    with db.transaction() as s:
        interaction = s.get_one(Interaction, interaction_id)
        contact = s.get_one(Contact, interaction.contact_id)
        texts = list(s.scalars(
            select(Message.body)
            .where(Message.interaction_id == interaction_id, Message.direction == "inbound")
            .order_by(Message.id)
        ))
        pictures = s.scalar(select(func.count()).select_from(Media)
                            .where(Media.interaction_id == interaction_id)) or 0
        number = interaction.customer_number or contact.phone
        opted_out = s.scalar(select(OptOut.id).where(
            OptOut.team_id == interaction.team_id,
            opt_out_match.matches(s, interaction.team_id, number),
            OptOut.business_number == interaction.business_number).limit(1)) is not None
        return InteractionView(interaction, contact, texts, pictures, opted_out)


def offer(db: Database, offer_id: int) -> Offer:
    with db.transaction() as s:
        return s.get_one(Offer, offer_id)


def offered_next(db: Database, offer: Offer) -> str | None:
    """Whom the interaction was offered to after `offer` ended and who has it now (offered,
    or accepted), or None when nobody has it since: a later offer that was declined in turn
    no longer says where it is."""
    with db.transaction() as s:
        return s.scalar(select(Offer.agent_user_id).where(
            Offer.interaction_id == offer.interaction_id, Offer.id > offer.id,
            Offer.state.in_(("pending", "accepted")))
            .order_by(Offer.id.desc()).limit(1))


def message(db: Database, message_id: int) -> Message:
    with db.transaction() as s:
        return s.get_one(Message, message_id)


def remember_preview(db: Database, offer_id: int, channel: str, ts: str) -> None:
    with db.transaction() as s:
        s.execute(update(Offer).where(Offer.id == offer_id)
                  .values(preview_channel=channel, preview_ts=ts))


def remember_thread(db: Database, interaction_id: int, channel: str, ts: str,
                    on_card: list[int] | tuple[int, ...] = ()) -> None:
    """The thread's root, and the customer's texts it carries (`on_card`, message ids): in
    one transaction, so a text is never both on the card and waiting to be posted."""
    with db.transaction() as s:
        s.execute(update(Interaction).where(Interaction.id == interaction_id)
                  .values(desk_channel=channel, thread_ts=ts))
        if on_card:
            # Posted, with the card's ts; no channel, as several texts share that ts (the
            # channel is the interaction's).
            s.execute(update(Message).where(Message.id.in_(on_card),
                                            Message.interaction_id == interaction_id,
                                            Message.slack_ts.is_(None))
                      .values(slack_channel=None, slack_ts=ts))


def texts_for_a_new_card(db: Database, interaction_id: int,
                         shown_kinds: set[str]) -> list[Message]:
    """The customer's texts a thread's first card may carry: the inbound messages that open
    the transcript still to post, up to its first other line (a picture, a system line), so
    the thread keeps its order. None for a thread that moved (its texts were shown before)
    or that an agent's New SMS began."""
    with db.transaction() as s:
        interaction = s.get_one(Interaction, interaction_id)
        shown_before = s.scalar(select(Message.id).where(
            Message.interaction_id == interaction_id, Message.direction == "inbound",
            Message.slack_ts.is_not(None)).limit(1))
        if interaction.direction == "outbound" or shown_before is not None:
            return []
    texts = []
    for item in unposted_transcript(db, interaction_id, shown_kinds):
        if item.message is None:
            break
        texts.append(item.message)
    return texts


def texts_on_card(db: Database, interaction: Interaction) -> list[tuple[Message, int]]:
    """The customer's texts the interaction's card carries, with how many pictures each
    brought, oldest first."""
    if not interaction.thread_ts:
        return []
    with db.transaction() as s:
        messages = list(s.scalars(select(Message).where(
            Message.interaction_id == interaction.id, Message.direction == "inbound",
            Message.slack_channel.is_(None), Message.slack_ts == interaction.thread_ts)
            .order_by(Message.id)))
        pictures = {message_id: count for message_id, count in s.execute(
            select(Media.message_id, func.count()).where(
                Media.message_id.in_([m.id for m in messages] or [-1]))
            .group_by(Media.message_id))}
    return [(m, pictures.get(m.id, 0)) for m in messages]


def last_event_detail(db: Database, interaction_id: int, kind: str, *,
                      by_someone: bool = False) -> str | None:
    """The detail of the interaction's latest event of `kind` (`by_someone`: with an actor)."""
    with db.transaction() as s:
        return s.scalar(select(TimelineEvent.detail).where(
            TimelineEvent.interaction_id == interaction_id, TimelineEvent.kind == kind,
            *([TimelineEvent.actor_user_id.is_not(None)] if by_someone else []))
            .order_by(TimelineEvent.id.desc()).limit(1))


@dataclass(frozen=True)
class MediaItem:
    id: int
    message_id: int
    position: int
    state: str
    note: str | None
    content_type: str | None
    original_size: int | None
    width: int | None
    height: int | None


@dataclass(frozen=True)
class TranscriptItem:
    """One line still to post in the thread: an inbound SMS, one of its files, or an event."""

    at: datetime
    message: Message | None = None
    event: TimelineEvent | None = None
    media: MediaItem | None = None

    @property
    def order(self) -> tuple[datetime, int, int]:
        # Same instant: the text, then its files in the order sent, then system lines.
        if self.message is not None:
            return (self.at, 0, 0)
        if self.media is not None:
            return (self.at, 1, self.media.position)
        return (self.at, 2, 0)


def unposted_transcript(db: Database, interaction_id: int,
                        shown_kinds: set[str]) -> list[TranscriptItem]:
    with db.transaction() as s:
        messages = s.scalars(select(Message).where(
            Message.interaction_id == interaction_id, Message.direction == "inbound",
            Message.slack_ts.is_(None)).order_by(Message.id))
        events = s.scalars(select(TimelineEvent).where(
            TimelineEvent.interaction_id == interaction_id,
            TimelineEvent.kind.in_(shown_kinds),
            TimelineEvent.slack_ts.is_(None)).order_by(TimelineEvent.id))
        files = s.execute(
            select(Message.created_at, Media.id, Media.message_id, Media.position, Media.state,
                   Media.note, Media.content_type, Media.original_size, Media.width,
                   Media.height)
            .join(Message, Message.id == Media.message_id)
            .where(Media.interaction_id == interaction_id, Media.slack_ts.is_(None))
        ).all()
        items = [TranscriptItem(m.created_at, message=m) for m in messages]
        items += [TranscriptItem(e.at, event=e) for e in events]
        items += [TranscriptItem(row.created_at, media=MediaItem(
            row.id, row.message_id, row.position, row.state, row.note, row.content_type,
            row.original_size, row.width, row.height)) for row in files]
    return sorted(items, key=lambda item: item.order)


def media_thumbnail(db: Database, media_id: int) -> bytes | None:
    with db.transaction() as s:
        return s.scalar(select(Media.thumbnail).where(Media.id == media_id))


def remember_posted_media(db: Database, media_id: int, ts: str) -> None:
    with db.transaction() as s:
        s.execute(update(Media).where(Media.id == media_id).values(slack_ts=ts))


def remember_posted_message(db: Database, message_id: int, channel: str, ts: str) -> None:
    with db.transaction() as s:
        s.execute(update(Message).where(Message.id == message_id)
                  .values(slack_channel=channel, slack_ts=ts))


def remember_posted_event(db: Database, event_id: int, ts: str) -> None:
    with db.transaction() as s:
        s.execute(update(TimelineEvent).where(TimelineEvent.id == event_id)
                  .values(slack_ts=ts))


def remember_delivery_shown(db: Database, message_id: int, reaction: str | None) -> None:
    with db.transaction() as s:
        s.execute(update(Message).where(Message.id == message_id)
                  .values(delivery_shown=reaction))


def picture_count(db: Database, message_id: int) -> int:
    with db.transaction() as s:
        return s.scalar(select(func.count()).select_from(Media)
                        .where(Media.message_id == message_id)) or 0


def transcript(db: Database, interaction_id: int, last: int = 10) -> list[tuple[str, str]]:
    """The last lines of the SMS conversation, (direction, text), oldest first."""
    with db.transaction() as s:
        rows = s.execute(
            select(Message.direction, Message.body, Message.slack_text, Message.provider)
            .where(Message.interaction_id == interaction_id)
            .order_by(Message.id.desc()).limit(last)).all()
    return [(d, _as_written(body, slack_text, provider))
            for d, body, slack_text, provider in reversed(rows)]


def _as_written(body: str, slack_text: str | None, provider: str) -> str:
    # A reply's phone text is stored from the start; until a send is tried, it is shown as
    # the agent wrote it in Slack (bot/desk/directory/history.py's as_written says the same).
    unsent = slack_text is not None and not provider
    return (slack_text if unsent else body) or slack_text or ""


@dataclass(frozen=True)
class SupervisionView:
    """What the supervisor card shows. `first_accepted_at` is when an agent first took it
    (a transfer's acceptance moves `accepted_at` on; the waiting time should not)."""

    interaction: Interaction
    contact: Contact
    first_accepted_at: datetime | None


def supervision_view(db: Database, interaction_id: int, accepted_kind: str) -> SupervisionView:
    with db.transaction() as s:
        interaction = s.get_one(Interaction, interaction_id)
        contact = s.get_one(Contact, interaction.contact_id)
        first = s.scalar(select(func.min(TimelineEvent.at)).where(
            TimelineEvent.interaction_id == interaction_id,
            TimelineEvent.kind == accepted_kind))
        return SupervisionView(interaction, contact, first or interaction.accepted_at)


def remember_supervision_card(db: Database, interaction_id: int, channel: str | None,
                              ts: str | None) -> None:
    """Where its card is (None: it has none any more)."""
    with db.transaction() as s:
        s.execute(update(Interaction).where(Interaction.id == interaction_id)
                  .values(supervisor_channel=channel, supervisor_ts=ts))


def conversation_so_far(db: Database, interaction_id: int
                        ) -> list[tuple[str, str | None, str, datetime]]:
    """(direction, author, text, at) of what the customer and the agents said, oldest first:
    what a new holder needs before their first reply. An agent's reply is the text the
    phone got (or, not sent yet, as written in Slack)."""
    with db.transaction() as s:
        rows = s.execute(select(Message.direction, Message.author_user_id, Message.body,
                                Message.slack_text, Message.provider, Message.created_at)
                         .where(Message.interaction_id == interaction_id,
                                Message.delivery_state.not_in(("held", "cancelled")),
                                # Customer lines not shown anywhere yet follow in the thread.
                                (Message.direction == "outbound")
                                | Message.slack_ts.is_not(None))
                         .order_by(Message.id)).all()
    return [(d, author, _as_written(body, slack_text, provider), at)
            for d, author, body, slack_text, provider, at in rows]


def previous_holder(db: Database, interaction_id: int) -> str | None:
    """Who held the interaction before it last changed hands (from the timeline)."""
    with db.transaction() as s:
        event = s.scalars(select(TimelineEvent).where(
            TimelineEvent.interaction_id == interaction_id,
            TimelineEvent.kind.in_(("transferred", "reassigned")))
            .order_by(TimelineEvent.id.desc()).limit(1)).first()
    if event is None or not event.detail:
        return None
    return event.detail.partition("|")[0] if event.kind == "reassigned" else event.detail
