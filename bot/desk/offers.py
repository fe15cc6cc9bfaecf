"""Use cases on a preview: Accept, Reject, and the offer timing out."""

from __future__ import annotations

from dataclasses import dataclass

from bot.config import Settings
from bot.desk import effects, routing, sessions, timeline, transfers
from bot.desk.lifecycle import (
    ACCEPTED,
    OFFER_ACCEPTED,
    OFFER_REJECTED,
    OFFER_TIMED_OUT,
    OFFERED,
    TRANSFERRING,
    move_interaction,
    move_offer,
)
from storage.db import Database
from storage.models import Interaction, Offer, utcnow


class OfferNotFound(Exception):
    pass


class NotYourOffer(Exception):
    pass


@dataclass(frozen=True)
class OfferAnswer:
    """`won` is False when the offer had already ended (another click, a timeout...)."""

    won: bool
    offer_state: str
    interaction_id: int


def _load_offer(s, team_id: str, offer_id: int) -> Offer:
    offer = s.get(Offer, offer_id)
    if offer is None or offer.team_id != team_id:
        raise OfferNotFound(offer_id)
    return offer


class _LostRace(Exception):
    pass


def accept_offer(db: Database, settings: Settings, team_id: str, offer_id: int,
                 user_id: str) -> OfferAnswer:
    try:
        with db.transaction() as s:
            offer = _load_offer(s, team_id, offer_id)
            if offer.agent_user_id != user_id:
                raise NotYourOffer(offer_id)
            now = utcnow()
            is_transfer = offer.kind == transfers.TRANSFER
            moved = move_interaction(
                s, offer.interaction_id, TRANSFERRING if is_transfer else OFFERED, ACCEPTED,
                _where={"offered_to": user_id},
                agent_user_id=user_id, offered_to=None, accepted_at=now,
                # A transferred interaction keeps its thread where it is.
                **({} if is_transfer else {"desk_channel": settings.desk_channel}),
            )
            if not moved:
                raise _LostRace
            if not move_offer(s, offer.id, OFFER_ACCEPTED, answered_at=now):
                raise _LostRace  # rolls the interaction back too
            if is_transfer:
                transfers.record_accepted(s, offer)
            else:
                timeline.record(s, team_id, offer.interaction_id, timeline.ACCEPTED,
                                actor=user_id)
            sessions.keep_alive(s, settings, offer.interaction_id, now)
            # Thread first, so the updated preview can link to it.
            effects.open_thread(s, team_id, offer.interaction_id)
            effects.update_preview(s, team_id, offer.id, offer.interaction_id)
            effects.publish_home(s, team_id, user_id)
            return OfferAnswer(True, OFFER_ACCEPTED, offer.interaction_id)
    except _LostRace:
        with db.transaction() as s:
            offer = _load_offer(s, team_id, offer_id)
            if offer.state != OFFER_ACCEPTED:  # a double click on Accept needs no answer
                effects.notify_agent(s, team_id, user_id,
                                     "That interaction is no longer offered to you.")
            return OfferAnswer(False, offer.state, offer.interaction_id)


def _decline(db: Database, settings: Settings, team_id: str, offer_id: int,
             outcome: str, user_id: str | None) -> OfferAnswer:
    with db.transaction() as s:
        offer = _load_offer(s, team_id, offer_id)
        if user_id is not None and offer.agent_user_id != user_id:
            raise NotYourOffer(offer_id)
        now = utcnow()
        if outcome == OFFER_TIMED_OUT and now < offer.expires_at:
            return OfferAnswer(False, offer.state, offer.interaction_id)
        # Interaction row first, then the offer: the order Accept takes them in, so an
        # Accept racing a Reject or a timeout waits instead of deadlocking.
        interaction = s.get(Interaction, offer.interaction_id, with_for_update=True,
                            populate_existing=True)
        if not move_offer(s, offer.id, outcome, answered_at=now):
            s.refresh(offer)
            return OfferAnswer(False, offer.state, offer.interaction_id)
        kind = timeline.REJECTED if outcome == OFFER_REJECTED else timeline.OFFER_TIMED_OUT
        timeline.record(s, team_id, interaction.id, kind, actor=offer.agent_user_id)
        effects.update_preview(s, team_id, offer.id, interaction.id)
        if interaction.offered_to != offer.agent_user_id:
            pass  # the interaction has moved on (another offer, a queue...): nothing to redo
        elif interaction.state == TRANSFERRING:
            transfers.return_to_owner(s, settings, interaction, offer, outcome, now)
        elif interaction.state == OFFERED:
            routing.route(s, settings, interaction, now)
        return OfferAnswer(True, outcome, interaction.id)


def reject_offer(db: Database, settings: Settings, team_id: str, offer_id: int,
                 user_id: str) -> OfferAnswer:
    return _decline(db, settings, team_id, offer_id, OFFER_REJECTED, user_id)


def expire_offer(db: Database, settings: Settings, team_id: str, offer_id: int) -> OfferAnswer:
    return _decline(db, settings, team_id, offer_id, OFFER_TIMED_OUT, None)
