"""Routing: offer an interaction to the Ready agent who has waited longest, or queue it.

A backlog is dealt, not handed to whoever went Ready first: an agent is offered at most
PREVIEWS_AHEAD texts their DM has not shown yet, and each preview posted deals the queue
again (offers.preview_shown), so every Ready agent's DM spends its own posting budget side
by side and the texts go round the agents in turn."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.desk import effects
from bot.desk.interactions import answering, timeline
from bot.desk.interactions.lifecycle import (
    AUTO_ANSWER,
    HELD_STATES,
    OFFER_PENDING,
    OFFER_REJECTED,
    OFFER_TIMED_OUT,
    OFFERED,
    QUEUED,
    ROUTED,
    TRANSFER,
    TRANSFERRING,
    check_transition,
    place_offer,
)
from bot.desk.queues import Queue
from storage.clock import utcnow
from storage.models import Agent, GroupMember, Interaction, Offer

# The most recent declined previews of one text kept up to date (each redraw is a
# chat.update from Slack's budget of about 50 a minute).
DECLINED_PREVIEWS_REDRAWN = 5
# Seconds left at which an auto-answer preview is redrawn with its countdown.
COUNTDOWN_MARKS = (60, 30, 20, 10, 5)
# Offers an agent may have whose preview their DM has not shown yet. Slack posts about one
# message a second to a DM (three at once): more offered to one agent would only queue
# behind that DM's budget, and their offer clocks run, while another Ready agent's DM idles.
# Beyond this, a text waits in the queue for the first DM with room (capacity still rules
# how many an agent holds; this, how fast they are handed over).
PREVIEWS_AHEAD = 3

# Who declined an interaction (rejected it or let the offer run out), and when they last did.
Declines = dict[str, datetime]


def _declines(s: Session, interaction_ids: list[int]) -> dict[int, Declines]:
    rows = s.execute(
        select(Offer.interaction_id, Offer.agent_user_id,
               func.max(func.coalesce(Offer.answered_at, Offer.expires_at)))
        .where(Offer.interaction_id.in_(interaction_ids),
               Offer.state.in_((OFFER_REJECTED, OFFER_TIMED_OUT)))
        .group_by(Offer.interaction_id, Offer.agent_user_id))
    found: dict[int, Declines] = {}
    for interaction_id, user, at in rows:
        found.setdefault(interaction_id, {})[user] = _aware(at)
    return found


def _aware(at: datetime) -> datetime:
    # An aggregate over a UTC column is UTC even where the driver drops its tzinfo (SQLite).
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def _choose(pool: list[str], declines: Declines, settings: Settings, now: datetime,
            exclude: frozenset[str] = frozenset()) -> str | None:
    """The first of `pool` (longest-waiting first) who has not declined the interaction;
    only when there is none, one who declined it at least reoffer_after_seconds ago: WDE
    offers a declined interaction again, to the same agent too, but others first."""
    candidates = [u for u in pool if u not in exclude]
    fresh = next((u for u in candidates if u not in declines), None)
    if fresh is not None:
        return fresh
    back_off = timedelta(seconds=settings.reoffer_after_seconds)
    return next((u for u in candidates if declines[u] + back_off <= now), None)


def _reoffer_later(s: Session, settings: Settings, interaction: Interaction,
                   declines: Declines, now: datetime) -> None:
    """Nobody can take it now: when the first back-off still running ends, look again
    (anyone going Ready or freeing a slot meanwhile is offered it by dispatch_waiting)."""
    back_off = timedelta(seconds=settings.reoffer_after_seconds)
    ends = [at + back_off for at in declines.values() if at + back_off > now]
    if ends:
        effects.reoffer_at(s, interaction.team_id, interaction.id, min(ends))


def load(s: Session, team_id: str) -> dict[str, int]:
    """How many interactions each agent holds or is being offered (what capacity counts)."""
    holder = func.coalesce(Interaction.agent_user_id, Interaction.offered_to)
    rows = s.execute(
        select(holder, func.count())
        .where(Interaction.team_id == team_id,
               Interaction.state.in_((OFFERED, *HELD_STATES)))
        .group_by(holder)
    )
    return {user: count for user, count in rows}


def lock_team_routing(s: Session, team_id: str) -> None:
    """Serialise routing decisions of one workspace across threads and instances.

    Two transactions routing at once must not both fill one agent's last free slot. Row
    locks on the Ready agents deadlocked under load (each route moves last_offer_at, so
    they were taken in changing orders); one transaction-scoped advisory lock per team
    cannot. Take it before touching agent rows. SQLite's BEGIN IMMEDIATE already
    serialises every writer.
    """
    if s.get_bind().dialect.name == "postgresql":
        s.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"),
                  {"key": f"smsdesk-routing:{team_id}"})


def queue_members(s: Session, team_id: str, queue: Queue) -> set[str] | None:
    """The queue's agents, or None when everyone belongs to it."""
    if queue.everyone:
        return None
    members = set(queue.members)
    if queue.member_groups:
        members |= set(s.scalars(select(GroupMember.user_id).where(
            GroupMember.team_id == team_id, GroupMember.group_id.in_(queue.member_groups))))
    return members


def _unshown(s: Session, team_id: str) -> dict[str, int]:
    """How many offers each agent has whose preview is not in their DM yet."""
    rows = s.execute(
        select(Interaction.offered_to, func.count())
        .join(Offer, (Offer.interaction_id == Interaction.id)
              & (Offer.agent_user_id == Interaction.offered_to))
        .where(Interaction.team_id == team_id,
               Interaction.state.in_((OFFERED, TRANSFERRING)),
               Offer.state == OFFER_PENDING, Offer.preview_ts.is_(None))
        .group_by(Interaction.offered_to))
    return {user: count for user, count in rows if user is not None}


def _eligible(s: Session, settings: Settings, team_id: str, queue: Queue, *,
              dealing: bool = False) -> list[str]:
    """Ready members of the queue with room for one more, longest-waiting first (user ids:
    loading 500 agent rows as objects for every decision costs more than the decision).
    `dealing` (routing on its own, no person choosing): only those whose DM has room too."""
    members = queue_members(s, team_id, queue)
    held = load(s, team_id)
    unshown = _unshown(s, team_id) if dealing else {}
    ready = s.scalars(
        select(Agent.user_id)
        .where(Agent.team_id == team_id, Agent.ready.is_(True))
        .order_by(Agent.last_offer_at.asc().nulls_first(), Agent.state_changed_at, Agent.id))
    return [user for user in ready
            if (members is None or user in members)
            and held.get(user, 0) < settings.capacity_for(user, queue)
            and unshown.get(user, 0) < PREVIEWS_AHEAD]


def _shows_preview(settings: Settings, user: str, queue: Queue) -> bool:
    """Whether an offer to `user` waits for a preview in their DM (an auto-answer without
    one is theirs at once)."""
    auto = settings.auto_answer_for(user, queue)
    return not (auto.on and auto.preview_seconds == 0)


def _agent(s: Session, team_id: str, user_id: str) -> Agent:
    return s.scalars(select(Agent).where(Agent.team_id == team_id,
                                         Agent.user_id == user_id)).one()


def pick_agent(s: Session, settings: Settings, interaction: Interaction,
               exclude: frozenset[str] = frozenset(),
               now: datetime | None = None) -> Agent | None:
    lock_team_routing(s, interaction.team_id)
    declines = _declines(s, [interaction.id]).get(interaction.id, {})
    return _pick(s, settings, interaction, declines, now or utcnow(), exclude)


def _pick(s: Session, settings: Settings, interaction: Interaction, declines: Declines,
          now: datetime, exclude: frozenset[str] = frozenset(), *,
          dealing: bool = False) -> Agent | None:
    queue = settings.queue_named(interaction.queue)
    user = _choose(_eligible(s, settings, interaction.team_id, queue, dealing=dealing),
                   declines, settings, now, exclude)
    return _agent(s, interaction.team_id, user) if user else None


class _Batch:
    """Routing many waiting interactions at once: who is eligible is read once, then kept
    current in memory as offers are made (an agent just offered moves to the back, and
    drops out once full or once their DM has PREVIEWS_AHEAD previews to show)."""

    def __init__(self, s: Session, settings: Settings, team_id: str,
                 interaction_ids: list[int]):
        self.s, self.settings, self.team_id = s, settings, team_id
        self.load = load(s, team_id)
        self.unshown = _unshown(s, team_id)
        self.pools: dict[str, list[str]] = {}
        self.declines = _declines(s, interaction_ids)

    def pool(self, queue: Queue) -> list[str]:
        if queue.name not in self.pools:
            self.pools[queue.name] = _eligible(self.s, self.settings, self.team_id, queue,
                                               dealing=True)
        return self.pools[queue.name]

    def choose(self, interaction: Interaction, now: datetime) -> Agent | None:
        queue = self.settings.queue_named(interaction.queue)
        user = _choose(self.pool(queue), self.declines.get(interaction.id, {}),
                       self.settings, now)
        if user is None:
            return None
        self.load[user] = self.load.get(user, 0) + 1
        if _shows_preview(self.settings, user, queue):
            self.unshown[user] = self.unshown.get(user, 0) + 1
        for other in self.pools.values():  # one agent may sit in several queues
            if user in other:
                other.remove(user)
                if self.load[user] < self.settings.capacity_for(user, queue) \
                        and self.unshown.get(user, 0) < PREVIEWS_AHEAD:
                    other.append(user)
        return _agent(self.s, self.team_id, user)


def route(s: Session, settings: Settings, interaction: Interaction,
          now: datetime | None = None, batch: _Batch | None = None,
          exclude: frozenset[str] = frozenset()) -> Offer | None:
    """Offer to the next agent (not one of `exclude`), or leave it waiting in the queue.
    Caller holds the row."""
    now = now or utcnow()
    # Outside its queue's business hours a text is offered to nobody: it waits for opening
    # time, when the queue's timer deals what waited (dispatch_waiting).
    opens_at = opening_time(settings, interaction.queue, now)
    if opens_at is not None:
        agent = None
        if batch is None:
            lock_team_routing(s, interaction.team_id)
        declines = (batch.declines if batch is not None else _declines(s, [interaction.id])
                    ).get(interaction.id, {})
    elif batch is not None:
        agent = batch.choose(interaction, now)
        declines = batch.declines.get(interaction.id, {})
    else:
        lock_team_routing(s, interaction.team_id)
        declines = _declines(s, [interaction.id]).get(interaction.id, {})
        agent = _pick(s, settings, interaction, declines, now, exclude, dealing=True)
    if agent is None:
        if interaction.state != QUEUED:
            check_transition(interaction.state, QUEUED)
            interaction.state = QUEUED
            interaction.offered_to = None
            timeline.record(s, interaction.team_id, interaction.id, timeline.QUEUED)
        if opens_at is not None:
            effects.offer_when_open(s, interaction.team_id,
                                    settings.queue_named(interaction.queue).name, opens_at)
        else:
            _reoffer_later(s, settings, interaction, declines, now)
        if declines:
            _redraw_declined_previews(s, interaction)
        if opens_at is None:  # a closed queue's agents declining it is no news
            _tell_supervisors_if_everyone_declined(s, settings, interaction, set(declines),
                                                   now)
        effects.update_supervision(s, interaction.team_id, interaction.id,
                                   _supervised(settings, interaction))
        return None
    queue = settings.queue_named(interaction.queue)
    auto = settings.auto_answer_for(agent.user_id, queue)
    check_transition(interaction.state, OFFERED)
    interaction.state = OFFERED
    interaction.offered_to = agent.user_id
    window = auto.preview_seconds if auto.on else settings.offer_timeout_seconds
    offer = place_offer(s, interaction.team_id, interaction.id, agent.user_id,
                        AUTO_ANSWER if auto.on else ROUTED, now, window, agent=agent)
    timeline.record(s, interaction.team_id, interaction.id, timeline.OFFERED,
                    actor=agent.user_id)
    if declines:
        _redraw_declined_previews(s, interaction)
    effects.update_supervision(s, interaction.team_id, interaction.id,
                               _supervised(settings, interaction))
    if auto.on and auto.preview_seconds == 0:
        answering.take(s, settings, offer, now)  # no preview: it is the agent's at once
        s.refresh(interaction)
        return offer
    effects.post_preview(s, interaction.team_id, offer.id, interaction.id)
    effects.expire_offer_at(s, interaction.team_id, offer.id, offer.expires_at)
    if auto.on:
        # A countdown that moves, at intervals Slack's chat.update budget can afford.
        for seconds_left in COUNTDOWN_MARKS:
            if seconds_left < auto.preview_seconds:
                effects.update_preview(s, interaction.team_id, offer.id, interaction.id,
                                       due_at=offer.expires_at - timedelta(seconds=seconds_left))
    return offer


def opening_time(settings: Settings, queue_name: str | None, now: datetime) -> datetime | None:
    """When the queue opens next, if it is closed now (business hours); None when open."""
    queue = settings.queue_named(queue_name)
    if queue.hours is None or queue.hours.is_open(now):
        return None
    return queue.hours.next_opening(now)


def closed_queues(settings: Settings, now: datetime) -> list[str]:
    return [q.name for q in settings.all_queues() if not q.is_open(now)]


def _supervised(settings: Settings, interaction: Interaction) -> bool:
    return bool(settings.queue_named(interaction.queue).supervisor_channel)


def _redraw_declined_previews(s: Session, interaction: Interaction) -> None:
    """Each preview of an earlier decline says where the text is now (offered to someone,
    to that agent again, or back in the queue): redrawn whenever that changes."""
    declined = s.scalars(select(Offer.id).where(
        Offer.interaction_id == interaction.id, Offer.kind != TRANSFER,
        Offer.state.in_((OFFER_REJECTED, OFFER_TIMED_OUT))).order_by(Offer.id.desc())
        .limit(DECLINED_PREVIEWS_REDRAWN))
    for offer_id in declined:
        effects.update_preview(s, interaction.team_id, offer_id, interaction.id, ended=True)


def _tell_supervisors_if_everyone_declined(s: Session, settings: Settings,
                                           interaction: Interaction, declined: set[str],
                                           now: datetime) -> None:
    if interaction.everyone_declined_at is not None:
        return
    if not declined:
        return  # nobody was Ready yet: an ordinary wait, not news
    queue = settings.queue_named(interaction.queue)
    members = queue_members(s, interaction.team_id, queue)
    if members is not None and not declined & members:
        return  # declined in another queue only, before a transfer to this one
    ready = set(s.scalars(select(Agent.user_id).where(
        Agent.team_id == interaction.team_id, Agent.ready.is_(True))))
    if members is not None:
        ready &= members
    if ready - declined:
        return  # someone Ready has not been asked yet (they are busy): it will reach them
    interaction.everyone_declined_at = now
    effects.tell_supervisors(
        s, interaction.team_id, queue.name,
        f"Every Ready agent of queue {queue.name} declined an interaction "
        f"(#{interaction.id}); it is waiting in the queue, and is offered to them again "
        f"{settings.reoffer_after_seconds} s after they declined unless someone else can take "
        "it first. Reassign it from /sms-queue.")


def dispatch_waiting(s: Session, settings: Settings, team_id: str, limit: int = 100) -> int:
    """Offer waiting interactions, oldest first, to whoever is Ready now and has room."""
    lock_team_routing(s, team_id)
    query = (
        select(Interaction)
        .where(Interaction.team_id == team_id, Interaction.state == QUEUED)
        .order_by(Interaction.created_at, Interaction.id)
        .limit(limit)
    )
    # What waits in a closed queue is not offered, and must not fill the batch either: the
    # open queues' texts behind a night's backlog would never be reached.
    closed = closed_queues(settings, utcnow())
    if closed:
        query = query.where(Interaction.queue.not_in(closed))
    if s.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    waiting = list(s.scalars(query))
    if not waiting:
        return 0
    batch = _Batch(s, settings, team_id, [i.id for i in waiting])
    offered = 0
    for interaction in waiting:
        if not batch.pool(settings.queue_named(interaction.queue)):
            continue  # nobody of its queue has room: it waits on, as it was
        if route(s, settings, interaction, batch=batch) is not None:
            offered += 1
    return offered


def ready_agents_with_room(s: Session, settings: Settings, team_id: str,
                           queue_name: str | None = None) -> list[str]:
    """Ready agents (of the queue) who could take one more now, longest-waiting first."""
    return _eligible(s, settings, team_id, settings.queue_named(queue_name))
