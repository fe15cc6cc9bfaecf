"""Presenters: from the domain's state to the data classes the views draw (an offer's
preview, the thread's card). They read; they call no Slack (a link comes in as a function)."""

from __future__ import annotations

from collections.abc import Callable

from bot.config import Settings
from bot.desk.data_protection import redaction
from bot.desk.directory import contacts_directory
from bot.desk.interactions import spelling, timeline, transfers
from bot.desk.interactions.lifecycle import (
    AUTO_ANSWER,
    DONE,
    OFFER_REJECTED,
    OFFER_TIMED_OUT,
    OFFER_WITHDRAWN,
    QUEUED,
    TRANSFER,
)
from bot.desk.replies import held
from bot.slack.views.card import CardData, OpeningText, openings_that_fit
from bot.slack.views.held import HeldReplyData
from bot.slack.views.preview import PreviewData
from storage import queries
from storage.db import Database
from storage.models import Interaction, Message, Offer, utcnow


def preview_data(db: Database, settings: Settings, offer: Offer,
                 permalink: Callable[[str, str], str | None]) -> PreviewData:
    """An offer's preview. permalink(channel, ts): the accepted thread's link, or None."""
    view = queries.interaction_view(db, offer.interaction_id)
    interaction = view.interaction
    link = None
    if interaction.thread_ts and interaction.agent_user_id == offer.agent_user_id:
        link = permalink(interaction.desk_channel, interaction.thread_ts)
    # From another queue's agent: who sent it here, why, and what was said so far.
    moved = None if offer.kind == TRANSFER else transfers.last_queue_transfer(db,
                                                                              interaction.id)
    return PreviewData(
        offer_id=offer.id,
        offer_state=offer.state,
        expires_at=offer.expires_at,
        contact_name=view.contact.name,
        contact_phone=view.customer_number,
        business_number=interaction.business_number,
        media=interaction.media,
        mode=interaction.mode,
        messages=[redaction.shown(text, settings) for text in view.inbound_texts
                  if text],
        case_data=interaction.case_data or {},
        thread_link=link,
        pictures=view.pictures,
        transfer_from=offer.from_user_id if offer.kind == TRANSFER else None,
        transfer_reason=moved[1].reason if moved else offer.reason,
        queue_transfer_by=moved[0] if moved else None,
        queue_transfer_from=moved[1].from_queue if moved else None,
        transcript=tuple((d, redaction.shown(text, settings)) for d, text
                         in queries.transcript(db, interaction.id))
        if offer.kind == TRANSFER or moved else (),
        **auto_answer(settings, offer, interaction.queue),
        case_links=settings.case_links,
        activity=activity(db, settings, interaction),
        **afterwards(db, offer, interaction),
    )


def afterwards(db: Database, offer: Offer, interaction: Interaction) -> dict:
    """Where a routed offer's interaction went after it ended rejected or unanswered, or who
    took it from under the offer (a claim)."""
    if offer.kind != TRANSFER and offer.state == OFFER_WITHDRAWN \
            and interaction.agent_user_id not in (None, offer.agent_user_id):
        return {"taken_by": interaction.agent_user_id}
    if offer.kind == TRANSFER or offer.state not in (OFFER_REJECTED, OFFER_TIMED_OUT):
        return {}
    return {"agent_user_id": offer.agent_user_id,
            "next_offer_to": queries.offered_next(db, offer),
            "in_queue": interaction.state == QUEUED}


def activity(db: Database, settings: Settings,
             interaction: Interaction) -> contacts_directory.ContactActivity:
    return contacts_directory.activity(db, interaction.team_id, interaction.contact_id,
                                       interaction.id, settings.contacts_recent_days)


def auto_answer(settings: Settings, offer: Offer, queue: str) -> dict:
    if offer.kind != AUTO_ANSWER:
        return {}
    rule = settings.auto_answer_for(offer.agent_user_id, settings.queue_named(queue))
    seconds = max(0, round((offer.expires_at - utcnow()).total_seconds()))
    return {"auto_answer_in": seconds, "allow_reject": rule.allow_reject}


def opening_text(settings: Settings, message: Message, pictures: int) -> OpeningText:
    shown = redaction.redact(message.body, redaction.rules_for(settings))
    return OpeningText(shown.text, message.created_at, pictures, shown.note)


def texts_for_a_new_card(db: Database, settings: Settings, interaction_id: int
                         ) -> tuple[list[int], tuple[OpeningText, ...]]:
    """The customer's first texts a thread's card carries when it is posted, as many as fit
    (the rest are thread lines): their message ids, and what the card shows of them."""
    messages = queries.texts_for_a_new_card(db, interaction_id, timeline.SHOWN_IN_THREAD)
    texts = tuple(opening_text(settings, m, queries.picture_count(db, m.id))
                  for m in messages)
    fit = openings_that_fit(texts)
    return [m.id for m in messages[:fit]], texts[:fit]


def card_data(db: Database, settings: Settings, interaction_id: int,
              opening: tuple[OpeningText, ...] | None = None) -> CardData:
    """The thread's card of an interaction. `opening`: the customer's texts it carries (by
    default those written down as on it)."""
    view = queries.interaction_view(db, interaction_id)
    i = view.interaction
    waiting = held.waiting(db, i.id, i.agent_user_id)
    if opening is None:
        # Retention emptied the texts of a purged one: a redraw shows none, not empty ones.
        opening = () if i.purged_at else tuple(
            opening_text(settings, m, pictures) for m, pictures in queries.texts_on_card(db, i))
    return CardData(
        interaction_id=i.id, state=i.state, contact_name=view.contact.name,
        contact_phone=view.customer_number, business_number=i.business_number, media=i.media,
        mode=i.mode, agent_user_id=i.agent_user_id, started_at=i.created_at,
        closed_at=i.closed_at, closed_by=i.closed_by, case_data=i.case_data or {},
        session_expiry_minutes=settings.session_expiry_minutes,
        offered_to=i.offered_to,
        disposition=i.disposition,
        # Done was asked for (mandatory dispositions) and waits for the code.
        disposition_needed=bool(i.done_requested_by and not i.disposition
                                and i.closed_at is None),
        case_links=settings.case_links,
        contact_email=view.contact.email,
        activity=activity(db, settings, i) if i.state != DONE else None,
        direction=i.direction,
        opted_out=view.opted_out,
        contact_known=view.contact.name is not None,
        queue=i.queue if len(settings.all_queues()) > 1 else None,
        held_replies=waiting.count,
        held_reasons=waiting.reasons,
        opening=opening,
        last_reply_cost=queries.last_event_detail(db, i.id, timeline.SENT, by_someone=True),
        closed_reason=(queries.last_event_detail(db, i.id, timeline.CLOSED)
                       if i.state == DONE else None),
    )


def held_replies(db: Database, team_id: str, user_id: str,
                 links: dict[int, str]) -> tuple[HeldReplyData, ...]:
    """The agent's held replies for their Home tab; `links`: thread links by interaction."""
    replies = held.replies_of(db, team_id, user_id)
    flags = spelling.flags_of(db, team_id, [r.message_id for r in replies])
    return tuple(HeldReplyData(r, flags.get(r.message_id, ()), links.get(r.interaction_id))
                 for r in replies)
