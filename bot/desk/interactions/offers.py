"""Use cases on a preview: Accept, Reject, and the offer timing out."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy.orm import Session

from bot.config import Settings
from bot.desk import effects
from bot.desk.interactions import answering, missed_offers, routing, timeline, transfers
from bot.desk.interactions.lifecycle import (
    AUTO_ANSWER,
    OFFER_ACCEPTED,
    OFFER_PENDING,
    OFFER_REJECTED,
    OFFER_TIMED_OUT,
    OFFERED,
    QUEUED,
    TRANSFERRING,
    move_offer,
)
from bot.desk.notices import naming
from storage.clock import utcnow
from storage.db import Database
from storage.models import Interaction, Offer

log = logging.getLogger(__name__)


class OfferNotFound(Exception):
    pass


OFFER_NOT_FOUND = "not_found"  # an OfferAnswer's state when the click named no offer of ours


@dataclass(frozen=True)
class OfferAnswer:
    """`won` is False when the offer had already ended (another click, a timeout...)."""

    won: bool
    offer_state: str
    interaction_id: int | None  # None: no such offer in the workspace that clicked
    waited_seconds: float | None = None  # offer to acceptance, when this answer accepted


def _load_offer(s: Session, team_id: str, offer_id: int) -> Offer:
    offer = s.get(Offer, offer_id)
    if offer is None or offer.team_id != team_id:
        raise OfferNotFound(offer_id)
    return offer


def accept_offer(db: Database, settings: Settings, team_id: str, offer_id: int,
                 user_id: str, response_url: str | None = None) -> OfferAnswer:
    """`response_url`: the click's (Slack's, for answering it), to redraw the preview by."""
    try:
        with db.transaction() as s:
            offer = _load_offer(s, team_id, offer_id)
            if offer.agent_user_id != user_id:
                return _not_yours(offer, user_id)
            now = utcnow()
            answering.take(s, settings, offer, now, response_url)
            missed_offers.answered(s, settings, team_id, user_id)
            return OfferAnswer(True, OFFER_ACCEPTED, offer.interaction_id,
                               (now - offer.offered_at).total_seconds())
    except answering.LostRace:
        with db.transaction() as s:
            offer = _load_offer(s, team_id, offer_id)
            if offer.state != OFFER_ACCEPTED:  # a double click on Accept needs no answer
                holder = s.get_one(Interaction, offer.interaction_id).agent_user_id
                effects.notify_agent(s, team_id, user_id, naming(
                    "That interaction is no longer offered to you: {holder} took it first.",
                    holder=holder) if holder and holder != user_id else
                    "That interaction is no longer offered to you.")
            return OfferAnswer(False, offer.state, offer.interaction_id)
    except OfferNotFound:
        return _no_such_offer(team_id, offer_id, user_id)


def _no_such_offer(team_id: str, offer_id: int, user_id: str) -> OfferAnswer:
    # No offer of this workspace has that id: a click from another workspace (whose own
    # offer shares the id), or a forged payload. A refusal that changes nothing, not a failure.
    log.warning("ignored a click by %s in team %s on offer %s, which is not that team's",
                user_id, team_id, offer_id)
    return OfferAnswer(False, OFFER_NOT_FOUND, None)


def _decline(db: Database, settings: Settings, team_id: str, offer_id: int,
             outcome: str, user_id: str | None,
             response_url: str | None = None) -> OfferAnswer:
    with db.transaction() as s:
        offer = _load_offer(s, team_id, offer_id)
        if user_id is not None and offer.agent_user_id != user_id:
            return _not_yours(offer, user_id)
        now = utcnow()
        if outcome == OFFER_TIMED_OUT and now < offer.expires_at:
            return OfferAnswer(False, offer.state, offer.interaction_id)
        # Interaction row first, then the offer: the order Accept takes them in, so an
        # Accept racing a Reject or a timeout waits instead of deadlocking.
        interaction = s.get_one(Interaction, offer.interaction_id, with_for_update=True,
                                populate_existing=True)
        if not move_offer(s, offer.id, outcome, answered_at=now):
            s.refresh(offer)
            return OfferAnswer(False, offer.state, offer.interaction_id)
        kind = timeline.REJECTED if outcome == OFFER_REJECTED else timeline.OFFER_TIMED_OUT
        timeline.record(s, team_id, interaction.id, kind, actor=offer.agent_user_id)
        # Before routing: an agent just set Not Ready for missing offers is offered nothing.
        if outcome == OFFER_TIMED_OUT:
            missed_offers.missed(s, settings, team_id, offer.agent_user_id, now)
        else:
            missed_offers.answered(s, settings, team_id, offer.agent_user_id)
        # Aside (in no lane), like the redraw routing asks for below when the text moves on:
        # the two coalesce, and the one job draws the newest state through the click's
        # response_url when there is one.
        effects.update_preview(s, team_id, offer.id, interaction.id, response_url=response_url,
                               ended=True)
        if interaction.offered_to != offer.agent_user_id:
            pass  # the interaction has moved on (another offer, a queue...): nothing to redo
        elif interaction.state == TRANSFERRING:
            transfers.return_to_owner(s, settings, interaction, offer, outcome, now)
        elif interaction.state == OFFERED:
            routing.route(s, settings, interaction, now)
        return OfferAnswer(True, outcome, interaction.id)


def _not_yours(offer: Offer, user_id: str) -> OfferAnswer:
    # The preview is in its agent's DM: nobody else has the button, so this is a forged
    # payload. It changes nothing and gets no answer; a refusal, not a listener failure.
    log.warning("ignored a click by %s on offer %s, made to %s", user_id, offer.id,
                offer.agent_user_id)
    return OfferAnswer(False, offer.state, offer.interaction_id)


def reject_offer(db: Database, settings: Settings, team_id: str, offer_id: int,
                 user_id: str, response_url: str | None = None) -> OfferAnswer:
    try:
        return _reject(db, settings, team_id, offer_id, user_id, response_url)
    except OfferNotFound:
        return _no_such_offer(team_id, offer_id, user_id)


def _reject(db: Database, settings: Settings, team_id: str, offer_id: int,
            user_id: str, response_url: str | None) -> OfferAnswer:
    with db.transaction() as s:
        offer = _load_offer(s, team_id, offer_id)
        if offer.kind == AUTO_ANSWER:
            queue = settings.queue_named(s.get_one(Interaction, offer.interaction_id).queue)
            if not settings.auto_answer_for(offer.agent_user_id, queue).allow_reject:
                # The preview shows no Reject here; a forged click changes nothing.
                effects.notify_agent(s, team_id, user_id, "Interactions of this queue are "
                                     "answered automatically and cannot be rejected.")
                return OfferAnswer(False, offer.state, offer.interaction_id)
    return _decline(db, settings, team_id, offer_id, OFFER_REJECTED, user_id, response_url)


def expire_offer(db: Database, settings: Settings, team_id: str, offer_id: int) -> OfferAnswer:
    """The offer's time is up: redirected, or (auto-answer with a countdown) accepted."""
    with db.transaction() as s:
        offer = _load_offer(s, team_id, offer_id)
        kind, agent, state = offer.kind, offer.agent_user_id, offer.state
    if state != OFFER_PENDING:
        # Ended meanwhile (accepted, or withdrawn by a claim or a reassignment): an
        # auto-answer's timer must not tell its agent they lost a race they never ran.
        return OfferAnswer(False, state, offer.interaction_id)
    if kind == AUTO_ANSWER:
        return accept_offer(db, settings, team_id, offer_id, agent)
    return _decline(db, settings, team_id, offer_id, OFFER_TIMED_OUT, None)


def preview_shown(db: Database, settings: Settings, team_id: str, offer_id: int) -> int:
    """A preview reached its agent's DM: that DM has room for another
    (routing.PREVIEWS_AHEAD), so the texts waiting are dealt again. Returns how many were
    offered."""
    with db.transaction() as s:
        offer = _load_offer(s, team_id, offer_id)
        if offer.state not in (OFFER_PENDING, OFFER_ACCEPTED):
            # It ended untaken while being posted: its redraw (in no lane) may have run
            # before the preview was there to redraw.
            effects.update_preview(s, team_id, offer.id, offer.interaction_id, ended=True)
        return routing.dispatch_waiting(s, settings, team_id)


def reoffer(db: Database, settings: Settings, team_id: str, interaction_id: int) -> bool:
    """A back-off after a decline is over: offer the interaction again if it still waits
    (whoever declined it may be offered it now). True when it was offered."""
    with db.transaction() as s:
        # The interaction row, then the routing lock (route): the order _decline takes them in.
        interaction = s.get(Interaction, interaction_id, with_for_update=True,
                            populate_existing=True)
        if interaction is None or interaction.team_id != team_id \
                or interaction.state != QUEUED:
            return False  # taken, reassigned or closed meanwhile
        return routing.route(s, settings, interaction) is not None
