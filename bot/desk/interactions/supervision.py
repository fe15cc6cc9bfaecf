"""Supervision: the queues at a glance, and a supervisor reassigning a waiting or stuck
interaction. Only supervisors and admins (settings: user ids or user groups) reassign; the
check is made here, so a forged click is refused however it arrives."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.desk import effects
from bot.desk.admin import groups, permissions
from bot.desk.interactions import routing, sessions, threads, timeline
from bot.desk.interactions.lifecycle import (
    ACCEPTED,
    EXPIRED,
    HELD_STATES,
    OFFER_PENDING,
    OFFER_WITHDRAWN,
    OFFERED,
    QUEUED,
    REASSIGNABLE_HELD,
    ROUTED,
    change_owner,
    move_interaction,
    move_offer,
    place_offer,
)
from bot.desk.notices import naming
from bot.desk.phone import display
from bot.desk.queues import Queue
from storage.clock import utcnow
from storage.db import Database
from storage.models import Agent, Contact, Interaction, Offer

REASSIGNABLE = (QUEUED, OFFERED, *REASSIGNABLE_HELD)
NOT_ALLOWED = "Only supervisors and admins can reassign interactions."


@dataclass(frozen=True)
class AgentLoad:
    user_id: str
    ready: bool
    holds: int  # interactions they hold now, in any queue
    capacity: int
    not_ready_reason: str | None = None


@dataclass(frozen=True)
class WaitingItem:
    """An interaction a supervisor may want to move: waiting, offered, or stuck."""

    interaction_id: int
    state: str
    contact: str  # plain text, not escaped
    since: datetime  # when it arrived
    holder: str | None  # who it is offered to or held by
    stuck_because: str | None = None  # for held ones: why they are listed


@dataclass(frozen=True)
class QueueSummary:
    name: str
    waiting: int
    oldest_since: datetime | None
    agents: tuple[AgentLoad, ...] = ()
    items: tuple[WaitingItem, ...] = ()  # only for supervisors
    # Business hours: when a closed queue opens (None: open, or no hours), and the zone
    # its hours are written in.
    opens_at: datetime | None = None
    time_zone: str | None = None

    @property
    def closed(self) -> bool:
        return self.opens_at is not None

    @property
    def ready(self) -> int:
        return sum(1 for a in self.agents if a.ready)

    @property
    def not_ready(self) -> int:
        return sum(1 for a in self.agents if not a.ready)


@dataclass(frozen=True)
class QueueReport:
    queues: tuple[QueueSummary, ...]
    detailed: bool  # a supervisor's view: agents by name, the interactions to reassign
    now: datetime


@dataclass(frozen=True)
class ReassignForm:
    interaction_id: int
    queue: str
    state: str
    contact: str  # plain text
    holder: str | None
    candidates: tuple[str, ...]  # Ready agents of the queue with room, longest-waiting first


@dataclass(frozen=True)
class Refused:
    reason: str


@dataclass(frozen=True)
class ReassignResult:
    """`error` is what the modal shows beside the agent picker when nothing changed."""

    done: bool
    error: str | None = None
    target: str | None = None


def _holds(s: Session, team_id: str) -> dict[str, int]:
    rows = s.execute(select(Interaction.agent_user_id, func.count())
                     .where(Interaction.team_id == team_id,
                            Interaction.state.in_(HELD_STATES))
                     .group_by(Interaction.agent_user_id))
    return {user: count for user, count in rows if user}


def _agents(s: Session, settings: Settings, team_id: str, queue: Queue,
            holds: dict[str, int]) -> tuple[AgentLoad, ...]:
    members = routing.queue_members(s, team_id, queue)
    rows = {a.user_id: a for a in s.scalars(select(Agent).where(Agent.team_id == team_id))}
    users = sorted(rows) if members is None else sorted(members)
    return tuple(
        AgentLoad(user, bool(rows.get(user) and rows[user].ready), holds.get(user, 0),
                  settings.capacity_for(user, queue),
                  rows[user].not_ready_reason if user in rows else None)
        for user in users)


def _label(contact: Contact) -> str:
    return contact.name or display(contact.phone)


def _items(s: Session, team_id: str, queue: Queue,
           agents: tuple[AgentLoad, ...]) -> tuple[WaitingItem, ...]:
    not_ready = {a.user_id for a in agents if not a.ready}
    rows = s.execute(
        select(Interaction, Contact).join(Contact, Contact.id == Interaction.contact_id)
        .where(Interaction.team_id == team_id, Interaction.queue == queue.name,
               Interaction.state.in_(REASSIGNABLE))
        .order_by(Interaction.created_at, Interaction.id)).all()
    order = {QUEUED: 0, OFFERED: 1, EXPIRED: 2, ACCEPTED: 3}
    found = []
    for interaction, contact in rows:
        stuck = None
        if interaction.state == EXPIRED:
            stuck = "session expired, not marked Done"
        elif interaction.state == ACCEPTED:
            if interaction.agent_user_id not in not_ready and interaction.agent_user_id:
                continue  # in progress with someone at the desk: not stuck
            stuck = "its agent is Not Ready"
        holder = interaction.offered_to if interaction.state == OFFERED \
            else interaction.agent_user_id
        found.append(WaitingItem(interaction.id, interaction.state, _label(contact),
                                 interaction.created_at, holder, stuck))
    return tuple(sorted(found, key=lambda item: order[item.state]))


def _summaries(s: Session, settings: Settings, team_id: str,
               detailed: bool) -> tuple[QueueSummary, ...]:
    now = utcnow()
    holds = _holds(s, team_id)
    waiting = {name: (count, oldest) for name, count, oldest in s.execute(
        select(Interaction.queue, func.count(), func.min(Interaction.created_at))
        .where(Interaction.team_id == team_id, Interaction.state == QUEUED)
        .group_by(Interaction.queue))}
    summaries = []
    for queue in settings.all_queues():
        count, oldest = waiting.get(queue.name, (0, None))
        agents = _agents(s, settings, team_id, queue, holds)
        summaries.append(QueueSummary(
            queue.name, count, _aware(oldest), agents,
            _items(s, team_id, queue, agents) if detailed else (),
            routing.opening_time(settings, queue.name, now),
            queue.hours.time_zone if queue.hours else None))
    # Interactions stored under a queue the settings no longer name still wait somewhere.
    named = {q.name for q in settings.all_queues()}
    for name, (count, oldest) in sorted(waiting.items()):
        if name not in named:
            summaries.append(QueueSummary(name, count, _aware(oldest)))
    return tuple(summaries)


def _aware(at: datetime | None) -> datetime | None:
    # Belt and braces: an aggregate over a UTC column is UTC even if a driver drops tzinfo.
    if at is None or at.tzinfo is not None:
        return at
    return at.replace(tzinfo=UTC)


def queue_report(db: Database, settings: Settings, team_id: str, user_id: str) -> QueueReport:
    """/sms-queue: depth and oldest wait for everyone; agents and interactions in detail for
    supervisors and admins."""
    with db.transaction() as s:
        detailed = permissions.may_supervise(s, settings, team_id, user_id)
        return QueueReport(_summaries(s, settings, team_id, detailed), detailed, utcnow())


def home_overview(db: Database, settings: Settings, team_id: str,
                  user_id: str) -> tuple[QueueSummary, ...] | None:
    """The queues' depth for a supervisor's or admin's Home tab; None for everyone else."""
    with db.transaction() as s:
        if not permissions.may_supervise(s, settings, team_id, user_id):
            return None
        return _summaries(s, settings, team_id, detailed=False)


def supervisors(db: Database, settings: Settings, team_id: str) -> set[str]:
    """Everyone with the supervisor role: listed by id, or a member of a supervisor group."""
    return set(settings.supervisors) | groups.members_of_groups(db, team_id,
                                                                settings.supervisor_groups)


def tell_supervisors_directly(db: Database, settings: Settings, team_id: str,
                              text: str) -> int:
    """A queue without a supervisor channel: a DM to each supervisor, one job each."""
    people = sorted(supervisors(db, settings, team_id))
    with db.transaction() as s:
        for user_id in people:
            effects.notify_agent(s, team_id, user_id, text)
    return len(people)


def _refusal(interaction: Interaction | None, team_id: str) -> str | None:
    if interaction is None or interaction.team_id != team_id:
        return "This interaction no longer exists."
    if interaction.state not in REASSIGNABLE:
        what = {"transferring": "being transferred by its agent",
                "done": "done"}.get(interaction.state, interaction.state)
        return f"This interaction is {what} now, so there is nothing to reassign."
    return None


def _holder(interaction: Interaction) -> str | None:
    return interaction.offered_to if interaction.state == OFFERED else interaction.agent_user_id


def reassign_form(db: Database, settings: Settings, team_id: str, interaction_id: int,
                  user_id: str) -> ReassignForm | Refused:
    """What the Reassign modal lists, for a supervisor; a refusal for anyone else."""
    with db.transaction() as s:
        if not permissions.may_supervise(s, settings, team_id, user_id):
            return Refused(NOT_ALLOWED)
        interaction = s.get(Interaction, interaction_id)
        why_not = _refusal(interaction, team_id)
        if why_not:
            return Refused(why_not)
        assert interaction is not None  # _refusal refuses a missing one
        holder = _holder(interaction)
        candidates = [u for u in routing.ready_agents_with_room(s, settings, team_id,
                                                                interaction.queue)
                      if u != holder]
        contact = s.get_one(Contact, interaction.contact_id)
        return ReassignForm(interaction.id, interaction.queue, interaction.state,
                            _label(contact), holder, tuple(candidates))


def reassign(db: Database, settings: Settings, team_id: str, interaction_id: int,
             supervisor: str, target: str) -> ReassignResult:
    """Waiting or offered: offer it to `target` (any pending offer is withdrawn). Held
    (accepted, or a session that expired): `target` becomes its owner at once."""
    now = utcnow()
    with db.transaction() as s:
        if not permissions.may_supervise(s, settings, team_id, supervisor):
            return ReassignResult(False, NOT_ALLOWED)
        # The interaction row, then the routing lock: the order a Reject or an offer timeout
        # takes them in (offers._decline), so a reassignment racing one waits, not deadlocks.
        interaction = s.get(Interaction, interaction_id, with_for_update=True,
                            populate_existing=True)
        why_not = _refusal(interaction, team_id)
        if why_not:
            return ReassignResult(False, why_not)
        assert interaction is not None  # _refusal refuses a missing one
        routing.lock_team_routing(s, team_id)
        holder = _holder(interaction)
        if target == holder:
            return ReassignResult(False, "It is already with them. Pick someone else.")
        if target not in routing.ready_agents_with_room(s, settings, team_id,
                                                        interaction.queue):
            return ReassignResult(False, "They are not Ready for this queue (or have no room) "
                                         "any more. Pick someone else.")
        if interaction.state in (QUEUED, OFFERED):
            moved = _offer_to(s, settings, interaction, supervisor, target, now)
        else:
            moved = _hand_over(s, settings, interaction, supervisor, target, now)
        if not moved:
            return ReassignResult(False, "It changed meanwhile. Close this and look again.")
        return ReassignResult(True, target=target)


def _offer_to(s: Session, settings: Settings, interaction: Interaction, supervisor: str,
              target: str, now: datetime) -> bool:
    team_id, previous = interaction.team_id, interaction.offered_to
    if not move_interaction(s, interaction.id, interaction.state, OFFERED,
                            _where={"offered_to": previous}, offered_to=target,
                            everyone_declined_at=None):
        return False
    # The preview of whoever had it says it was taken by someone else.
    for offer_id in s.scalars(select(Offer.id).where(Offer.interaction_id == interaction.id,
                                                     Offer.state == OFFER_PENDING)):
        if move_offer(s, offer_id, OFFER_WITHDRAWN, answered_at=now):
            effects.update_preview(s, team_id, offer_id, interaction.id, ended=True)
    offer = place_offer(s, team_id, interaction.id, target, ROUTED, now,
                        settings.offer_timeout_seconds)
    timeline.record(s, team_id, interaction.id, timeline.REASSIGNED, actor=supervisor,
                    detail=f"{previous or ''}|{target}")
    timeline.record(s, team_id, interaction.id, timeline.OFFERED, actor=target)
    effects.post_preview(s, team_id, offer.id, interaction.id)
    effects.expire_offer_at(s, team_id, offer.id, offer.expires_at)
    effects.update_supervision(s, team_id, interaction.id)
    for user_id in filter(None, {previous, target}):
        effects.publish_home(s, team_id, user_id)
    return True


def _hand_over(s: Session, settings: Settings, interaction: Interaction, supervisor: str,
               target: str, now: datetime) -> bool:
    team_id, previous = interaction.team_id, interaction.agent_user_id
    if previous is None:  # held means owned: this is for the types
        return False
    # A Done waiting for a disposition was the old owner's; the new one decides afresh.
    if not change_owner(s, interaction.id, interaction.state, previous, target,
                        done_requested_by=None):
        return False
    if interaction.state == ACCEPTED:
        sessions.keep_alive(s, settings, interaction.id, now)  # a fresh interval for them
    timeline.record(s, team_id, interaction.id, timeline.REASSIGNED, actor=supervisor,
                    detail=f"{previous}|{target}")
    s.refresh(interaction)
    moved = threads.follow_new_holder(s, settings, interaction, target)
    where = "in your DM with the app" if moved else "in the desk channel"
    effects.update_card(s, team_id, interaction.id)  # the supervisor card with it
    effects.sync_transcript(s, team_id, interaction.id)
    # No customer text here (the domain writes no mrkdwn escapes): the thread says who.
    effects.notify_agent(s, team_id, target,
                         naming(f"Supervisor {{supervisor}} assigned you SMS interaction "
                                f"#{interaction.id} from {{previous}}. It is on your Home tab "
                                f"and {where}; your replies in its thread reach the customer "
                                "now.", supervisor=supervisor, previous=previous))
    effects.publish_home(s, team_id, target)
    effects.notify_agent(s, team_id, previous,
                         naming(f"Supervisor {{supervisor}} reassigned SMS interaction "
                                f"#{interaction.id} to {{target}}. Your replies in its thread "
                                "no longer reach the customer.",
                                supervisor=supervisor, target=target))
    effects.publish_home(s, team_id, previous)
    return True


def tell(db: Database, team_id: str, user_id: str, text: str,
         channel: str | None = None) -> None:
    """A private answer to a click that did nothing (in the channel clicked in, else a DM)."""
    with db.transaction() as s:
        effects.notify_agent(s, team_id, user_id, text, channel=channel)
