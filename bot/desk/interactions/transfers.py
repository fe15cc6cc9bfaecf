"""Instant transfer: the owner offers the interaction to a colleague (or the queue's next
Ready agent); it stays theirs until someone accepts, and comes back if nobody does."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.desk import effects
from bot.desk.interactions import routing, threads, timeline
from bot.desk.interactions.lifecycle import (
    ACCEPTED,
    OFFER_REJECTED,
    QUEUED,
    TRANSFER,
    TRANSFERRING,
    move_interaction,
    place_offer,
)
from bot.desk.notices import Notice, naming
from storage.clock import utcnow
from storage.db import Database
from storage.models import Agent, Interaction, Offer

QUEUE_TARGET = "queue"
MAX_REASON = 300


@dataclass(frozen=True)
class TransferResult:
    """`error` is what the modal shows beside the field when the transfer cannot start."""

    started: bool
    error: str | None = None
    target: str | None = None


def targets(db: Database, settings: Settings, team_id: str, from_user: str) -> list[str]:
    """Who the transfer modal lists: Ready colleagues with room for one more."""
    with db.transaction() as s:
        return [u for u in routing.ready_agents_with_room(s, settings, team_id)
                if u != from_user]


def start_transfer(db: Database, settings: Settings, team_id: str, interaction_id: int,
                   from_user: str, target: str, reason: str | None) -> TransferResult:
    """`target` is a user id, or QUEUE_TARGET for the next Ready agent of the queue."""
    reason = (reason or "").strip()[:MAX_REASON] or None
    now = utcnow()
    with db.transaction() as s:
        # Interaction row, then the routing lock: the order Reject, timeouts and reassigning
        # take them in, so racing one of those waits instead of deadlocking.
        interaction = s.get(Interaction, interaction_id, with_for_update=True,
                            populate_existing=True)
        routing.lock_team_routing(s, team_id)
        if interaction is None or interaction.team_id != team_id:
            return TransferResult(False, "This interaction no longer exists.")
        if interaction.agent_user_id != from_user or interaction.state != ACCEPTED:
            return TransferResult(False, "Only the agent holding an open interaction can "
                                         "transfer it.")
        if target == QUEUE_TARGET:
            agent = routing.pick_agent(s, settings, interaction, exclude=frozenset({from_user}))
            if agent is None:
                return TransferResult(False, "Nobody else in the queue is Ready with room for "
                                             "another interaction right now.")
            target = agent.user_id
        elif target == from_user:
            return TransferResult(False, "Pick a colleague, not yourself.")
        elif target not in routing.ready_agents_with_room(s, settings, team_id):
            return TransferResult(False, "They are not Ready for SMS (or have no room) any "
                                         "more. Pick someone else.")
        # A Done waiting for a disposition belongs to the old owner's handling, not the next.
        move_interaction(s, interaction.id, ACCEPTED, TRANSFERRING, offered_to=target,
                         done_requested_by=None)
        offer = place_offer(s, team_id, interaction.id, target, TRANSFER, now,
                            settings.offer_timeout_seconds, from_user_id=from_user,
                            reason=reason)
        timeline.record(s, team_id, interaction.id, timeline.TRANSFER_REQUESTED,
                        actor=from_user, detail=_detail(target, reason))
        effects.post_preview(s, team_id, offer.id, interaction.id)
        effects.expire_offer_at(s, team_id, offer.id, offer.expires_at)
        effects.update_card(s, team_id, interaction.id)
        effects.sync_transcript(s, team_id, interaction.id)
        return TransferResult(True, target=target)


def _detail(target: str, reason: str | None) -> str:
    # "U123|reason": the target is an id we render as a mention; the reason is agent text.
    return f"{target}|{reason or ''}"


def record_accepted(s: Session, settings: Settings, offer: Offer) -> None:
    """The colleague took it: their replies relay from now on, the old owner's do not."""
    timeline.record(s, offer.team_id, offer.interaction_id, timeline.TRANSFERRED,
                    actor=offer.agent_user_id, detail=offer.from_user_id)
    threads.follow_new_holder(s, settings, s.get_one(Interaction, offer.interaction_id),
                              offer.agent_user_id)
    effects.update_card(s, offer.team_id, offer.interaction_id)
    effects.sync_transcript(s, offer.team_id, offer.interaction_id)
    if offer.from_user_id:
        effects.notify_agent(s, offer.team_id, offer.from_user_id,
                             naming("{colleague} accepted your transfer. Their replies go to "
                                    "the customer now; yours no longer do.",
                                    colleague=offer.agent_user_id))
        effects.publish_home(s, offer.team_id, offer.from_user_id)


def return_to_owner(s: Session, settings: Settings, interaction: Interaction, offer: Offer,
                    outcome: str, now: datetime) -> None:
    """Rejected or unanswered: back to the agent who transferred it, or to the queue."""
    owner = interaction.agent_user_id
    ready = owner is not None and s.scalars(select(Agent.id).where(
        Agent.team_id == interaction.team_id, Agent.user_id == owner,
        Agent.ready.is_(True))).first() is not None
    what = "rejected" if outcome == OFFER_REJECTED else "did not answer"
    if ready:
        move_interaction(s, interaction.id, TRANSFERRING, ACCEPTED, offered_to=None)
        where = "It is back with you"
    else:
        move_interaction(s, interaction.id, TRANSFERRING, QUEUED, offered_to=None,
                         agent_user_id=None)
        where = "You are not Ready, so it went back to the queue"
    timeline.record(s, interaction.team_id, interaction.id, timeline.TRANSFER_RETURNED,
                    actor=offer.agent_user_id, detail=f"{what}|{where}")
    effects.update_card(s, interaction.team_id, interaction.id)
    effects.sync_transcript(s, interaction.team_id, interaction.id)
    if owner:
        effects.notify_agent(s, interaction.team_id, owner,
                             naming(f"{{colleague}} {what} your transfer. {where}.",
                                    colleague=offer.agent_user_id))
        effects.publish_home(s, interaction.team_id, owner)
    if not ready:
        s.refresh(interaction)
        routing.route(s, settings, interaction, now)


def may_transfer(db: Database, team_id: str, interaction_id: int,
                 user_id: str) -> Notice | None:
    """None when `user_id` may open the transfer (or consult) modal; else why not."""
    with db.transaction() as s:
        interaction = s.get(Interaction, interaction_id)
        if interaction is None or interaction.team_id != team_id:
            return Notice("This interaction no longer exists.")
        if interaction.agent_user_id != user_id or interaction.state != ACCEPTED:
            return (naming("Only {holder}, who holds this interaction, can transfer it or "
                           "consult about it.", holder=interaction.agent_user_id)
                    if interaction.agent_user_id else
                    Notice("Nobody holds this interaction right now."))
        return None


def refuse(db: Database, team_id: str, user_id: str, why: str | Notice,
           channel: str | None = None) -> None:
    """Tell someone privately why their click did nothing."""
    with db.transaction() as s:
        effects.notify_agent(s, team_id, user_id, why, channel=channel)


def transfer_to_consulted(db: Database, settings: Settings, team_id: str, interaction_id: int,
                          user_id: str, colleague: str, channel: str | None) -> TransferResult:
    """The one-click transfer from a consultation: only the owner's click counts."""
    result = start_transfer(db, settings, team_id, interaction_id, user_id, colleague,
                            "after a consultation")
    if not result.started:
        refuse(db, team_id, user_id, result.error or "The transfer could not start.", channel)
    return result
