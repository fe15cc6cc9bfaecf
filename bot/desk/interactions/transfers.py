"""Instant transfer: the owner offers the interaction to a colleague of its queue (or the
queue's next Ready agent); it stays theirs until someone accepts, and comes back if nobody
does. Or the owner transfers it to another queue: it joins that queue's line, routed to
that queue's agents like any text of its own, and the owner is freed at once."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.desk import effects
from bot.desk.interactions import routing, threads, timeline, waiting
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
from storage.models import Agent, Interaction, Offer, TimelineEvent

QUEUE_TARGET = "queue"  # the next Ready colleague of the interaction's own queue
OTHER_QUEUE_PREFIX = "queue:"  # "queue:<name>": that queue's line
MAX_REASON = 300


def other_queue_target(name: str) -> str:
    return OTHER_QUEUE_PREFIX + name


@dataclass(frozen=True)
class TransferResult:
    """`error` is what the modal shows beside the field when the transfer cannot start.
    `target`: the colleague offered it; `queue`: the queue whose line it joined."""

    started: bool
    error: str | None = None
    target: str | None = None
    queue: str | None = None


@dataclass(frozen=True)
class TransferTargets:
    """What the transfer modal offers: the interaction's queue and its Ready colleagues with
    room (longest-waiting first), and every other queue of the desk."""

    queue: str
    colleagues: tuple[str, ...]
    other_queues: tuple[str, ...]


@dataclass(frozen=True)
class QueueTransfer:
    """A transfer to another queue, as the timeline keeps it."""

    from_queue: str
    to_queue: str
    reason: str | None


def targets(db: Database, settings: Settings, team_id: str, interaction_id: int,
            from_user: str) -> TransferTargets:
    with db.transaction() as s:
        interaction = s.get(Interaction, interaction_id)
        queue = settings.queue_named(interaction.queue if interaction else None)
        colleagues = [u for u in routing.ready_agents_with_room(s, settings, team_id,
                                                                queue.name)
                      if u != from_user]
    return TransferTargets(queue.name, tuple(colleagues),
                           tuple(q.name for q in settings.all_queues() if q.name != queue.name))


def start_transfer(db: Database, settings: Settings, team_id: str, interaction_id: int,
                   from_user: str, target: str, reason: str | None) -> TransferResult:
    """`target` is a user id, QUEUE_TARGET for the next Ready agent of the interaction's
    queue, or other_queue_target(name) for another queue's line."""
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
        queue = settings.queue_named(interaction.queue)
        if target.startswith(OTHER_QUEUE_PREFIX):
            return _to_queue(s, settings, interaction, target[len(OTHER_QUEUE_PREFIX):],
                             reason, now)
        if target == QUEUE_TARGET:
            agent = routing.pick_agent(s, settings, interaction, exclude=frozenset({from_user}))
            if agent is None:
                return TransferResult(False, f"Nobody else in queue {queue.name} is Ready with "
                                             "room for another interaction right now.")
            target = agent.user_id
        elif target == from_user:
            return TransferResult(False, "Pick a colleague, not yourself.")
        elif target not in routing.ready_agents_with_room(s, settings, team_id, queue.name):
            members = routing.queue_members(s, team_id, queue)
            if members is not None and target not in members:
                return TransferResult(False, f"They are not an agent of queue {queue.name}. "
                                             "Transfer it to their queue instead.")
            return TransferResult(False, f"They are not Ready in queue {queue.name} (or have "
                                         "no room) any more. Pick someone else.")
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


def _to_queue(s: Session, settings: Settings, interaction: Interaction, name: str,
              reason: str | None, now: datetime) -> TransferResult:
    """Into another queue's line: its owner is freed now, and it is routed to that queue's
    agents as if it had arrived there (the oldest first, so it waits no longer than others)."""
    team_id, owner, previous = interaction.team_id, interaction.agent_user_id, interaction.queue
    if name == settings.queue_named(previous).name or \
            name not in {q.name for q in settings.all_queues()}:
        return TransferResult(False, f"There is no other queue called {name} any more. Pick "
                                     "again.")
    # A Done waiting for a disposition was the old owner's; a new one decides afresh.
    move_interaction(s, interaction.id, ACCEPTED, QUEUED, queue=name, agent_user_id=None,
                     offered_to=None, done_requested_by=None, everyone_declined_at=None)
    timeline.record(s, team_id, interaction.id, timeline.QUEUE_TRANSFERRED, actor=owner,
                    detail=queue_transfer_detail(QueueTransfer(previous, name, reason)))
    s.refresh(interaction)
    effects.update_card(s, team_id, interaction.id)  # the supervisor cards move with it
    effects.sync_transcript(s, team_id, interaction.id)
    if owner:
        effects.publish_home(s, team_id, owner)
    # Routed like any text of that queue, but not straight back to whoever sent it away.
    routing.route(s, settings, interaction, now, exclude=frozenset(filter(None, {owner})))
    waiting.arm(s, settings, interaction, now)
    return TransferResult(True, queue=name)


def queue_transfer_detail(transfer: QueueTransfer) -> str:
    # JSON: queue names and the agent's reason may hold any character.
    return json.dumps([transfer.from_queue, transfer.to_queue, transfer.reason])


def read_queue_transfer(detail: str | None) -> QueueTransfer | None:
    try:
        from_queue, to_queue, reason = json.loads(detail or "")
    except (ValueError, TypeError):
        return None
    return QueueTransfer(str(from_queue), str(to_queue), reason or None)


def last_queue_transfer(db: Database, interaction_id: int) -> tuple[str, QueueTransfer] | None:
    """(who, what) of the interaction's latest transfer to another queue, if it had one."""
    with db.transaction() as s:
        event = s.scalars(select(TimelineEvent).where(
            TimelineEvent.interaction_id == interaction_id,
            TimelineEvent.kind == timeline.QUEUE_TRANSFERRED)
            .order_by(TimelineEvent.id.desc()).limit(1)).first()
        transfer = read_queue_transfer(event.detail) if event else None
        if event is None or transfer is None or event.actor_user_id is None:
            return None
        return event.actor_user_id, transfer


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
        waiting.arm(s, settings, interaction, now)


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
