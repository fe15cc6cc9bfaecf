"""Use case: a customer's SMS arrives. Stored first; everything else is an outbox job."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.desk import effects
from bot.desk.data_protection import redaction
from bot.desk.directory import opt_outs
from bot.desk.directory.contacts import find_or_create_locked
from bot.desk.interactions import after_hours, desk_texts, routing, sessions, timeline, waiting
from bot.desk.interactions.lifecycle import (
    DONE,
    OFFER_PENDING,
    OPEN_STATES,
    QUEUED,
    join_customer_text,
)
from bot.desk.messages import InboundMessage
from storage.clock import utcnow
from storage.db import Database
from storage.models import Interaction, Media, Message, Offer


@dataclass(frozen=True)
class InboundReceipt:
    message_id: int
    interaction_id: int
    duplicate: bool
    new_interaction: bool


def _existing(s: Session, inbound: InboundMessage) -> Message | None:
    return s.scalars(select(Message).where(
        Message.provider == inbound.provider, Message.provider_sid == inbound.provider_sid
    )).first()


def receive_inbound(db: Database, settings: Settings, team_id: str,
                    inbound: InboundMessage) -> InboundReceipt:
    try:
        return _receive(db, settings, team_id, inbound)
    except IntegrityError:
        # The same MessageSid raced in on another connection: that one stored it.
        with db.transaction() as s:
            message = _existing(s, inbound)
            if message is None:
                raise
            return InboundReceipt(message.id, message.interaction_id, True, False)


def _apply_keyword(s: Session, team_id: str, interaction_id: int, inbound: InboundMessage) -> None:
    """STOP and START change what may be sent to this number; the message itself still
    reaches the agent like any other, with a line saying what it did."""
    keyword = opt_outs.keyword_of(inbound.body)
    if keyword is opt_outs.Keyword.OPT_OUT:
        opt_outs.opt_out(s, team_id, inbound.from_number, inbound.to_number,
                         source=f"texted {inbound.body.strip().upper()[:20]}")
        timeline.record(s, team_id, interaction_id, timeline.OPTED_OUT,
                        detail=f"texted {inbound.body.strip().upper()[:20]}")
        effects.update_card(s, team_id, interaction_id)
    elif keyword is opt_outs.Keyword.OPT_IN and opt_outs.is_opted_out(
            s, team_id, inbound.from_number, inbound.to_number):
        opt_outs.opt_in(s, team_id, inbound.from_number, inbound.to_number)
        timeline.record(s, team_id, interaction_id, timeline.OPTED_IN)
        effects.update_card(s, team_id, interaction_id)


def _reply_to_help(s: Session, settings: Settings, team_id: str, interaction_id: int,
                   inbound: InboundMessage) -> None:
    """HELP (or INFO) is answered by the desk itself with the configured help text, as
    carriers require."""
    desk_texts.text_customer(s, team_id, interaction_id, settings.help_reply,
                             from_number=inbound.to_number, to_number=inbound.from_number,
                             recorded_as=timeline.HELP_REPLIED)


def _receive(db: Database, settings: Settings, team_id: str,
             inbound: InboundMessage) -> InboundReceipt:
    with db.transaction() as s:
        contact = find_or_create_locked(s, team_id, inbound.from_number)
        message = _existing(s, inbound)
        if message is not None:
            return InboundReceipt(message.id, message.interaction_id, True, False)

        # A contact's second SMS joins the interaction already open for them, so an agent
        # answers one conversation, not a pile of previews.
        interaction = s.scalars(
            select(Interaction)
            .where(Interaction.team_id == team_id, Interaction.contact_id == contact.id,
                   Interaction.state.in_(OPEN_STATES))
            .order_by(Interaction.id.desc())
            .limit(1)
        ).first()
        if interaction is not None and not join_customer_text(s, interaction.id):
            interaction = None  # it closed between the look and the join: start a new one
        new_interaction = interaction is None
        now = utcnow()
        # HELP with no conversation open: the desk answers it and no agent is offered it.
        help_only = (new_interaction and not inbound.media
                     and opt_outs.keyword_of(inbound.body) is opt_outs.Keyword.HELP)
        if help_only:
            interaction = Interaction(
                team_id=team_id, contact_id=contact.id, business_number=inbound.to_number,
                customer_number=inbound.from_number,
                queue=settings.queue_for(inbound.to_number).name, media="SMS", mode="page",
                state=DONE, closed_at=now, case_data=dict(inbound.case_data))
            s.add(interaction)
            s.flush()
        elif interaction is None:  # new_interaction
            interaction = Interaction(
                team_id=team_id,
                contact_id=contact.id,
                business_number=inbound.to_number,
                customer_number=inbound.from_number,
                queue=settings.queue_for(inbound.to_number).name,
                media="MMS" if inbound.media else "SMS",
                # MMS always arrive in page mode.
                mode="page" if inbound.media else settings.mode_for(inbound.to_number,
                                                                    inbound.body),
                state=QUEUED,
                case_data=dict(inbound.case_data),
                desk_channel=settings.desk_channel,
                awaiting_reply=True,
            )
            s.add(interaction)
            s.flush()
            if interaction.mode == "session":
                sessions.start(s, settings, interaction, now)
        else:
            sessions.keep_alive(s, settings, interaction.id, now)
        message = Message(
            team_id=team_id,
            interaction_id=interaction.id,
            direction="inbound",
            # The provider keeps its own copy of what was sent: only ours is masked.
            body=(redaction.shown(inbound.body, settings) if settings.redact_in_storage
                  else inbound.body),
            provider=inbound.provider,
            provider_sid=inbound.provider_sid,
            from_number=inbound.from_number,
            to_number=inbound.to_number,
            delivery_state="received",
        )
        s.add(message)
        s.flush()
        for position, ref in enumerate(inbound.media, start=1):
            media = Media(team_id=team_id, interaction_id=interaction.id, message_id=message.id,
                          position=position, provider_url=ref.url, content_type=ref.content_type,
                          original=ref.data, original_size=len(ref.data) if ref.data else None)
            s.add(media)
            s.flush()
            effects.process_media(s, team_id, media.id)
        timeline.record(s, team_id, interaction.id, timeline.RECEIVED)
        _apply_keyword(s, team_id, interaction.id, inbound)
        if opt_outs.keyword_of(inbound.body) is opt_outs.Keyword.HELP:
            _reply_to_help(s, settings, team_id, interaction.id, inbound)

        if new_interaction:
            if not help_only:  # a lone HELP is answered by the desk: nobody to offer it to
                after_hours.redirect(s, settings, interaction, now)
                routing.route(s, settings, interaction, now)
                waiting.arm(s, settings, interaction, now)
                after_hours.reply(s, settings, interaction, inbound.body, now)
        else:
            # Still waiting while its queue is closed: this closed period's reply, once.
            after_hours.reply(s, settings, interaction, inbound.body, now)
            if interaction.thread_ts:
                effects.sync_transcript(s, team_id, interaction.id)
            pending = s.scalars(select(Offer.id).where(
                Offer.interaction_id == interaction.id, Offer.state == OFFER_PENDING
            )).first()
            if pending is not None:  # whoever is being offered it sees the latest text
                effects.update_preview(s, team_id, pending, interaction.id,
                                       customer_wrote=True)
        return InboundReceipt(message.id, interaction.id, False, new_interaction)
