"""Routing: offer an interaction to the Ready agent who has waited longest, or queue it."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.desk import effects, timeline
from bot.desk.lifecycle import (
    HELD_STATES,
    OFFER_REJECTED,
    OFFER_TIMED_OUT,
    OFFERED,
    QUEUED,
    check_transition,
)
from storage.models import Agent, Interaction, Offer, utcnow


def _declined_by(s: Session, interaction_id: int) -> set[str]:
    return set(s.scalars(
        select(Offer.agent_user_id).where(
            Offer.interaction_id == interaction_id,
            Offer.state.in_((OFFER_REJECTED, OFFER_TIMED_OUT)),
        )
    ))


def _load(s: Session, team_id: str) -> dict[str, int]:
    """How many interactions each agent holds or is being offered."""
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


def pick_agent(s: Session, settings: Settings, interaction: Interaction,
               exclude: frozenset[str] = frozenset()) -> Agent | None:
    lock_team_routing(s, interaction.team_id)
    query = (
        select(Agent)
        .where(Agent.team_id == interaction.team_id, Agent.ready.is_(True))
        .order_by(Agent.last_offer_at.asc().nulls_first(), Agent.state_changed_at, Agent.id)
    )
    ready = list(s.scalars(query))
    declined = _declined_by(s, interaction.id) | exclude
    load = _load(s, interaction.team_id)
    for agent in ready:
        if agent.user_id not in declined and load.get(agent.user_id, 0) < settings.agent_capacity:
            return agent
    return None


def route(s: Session, settings: Settings, interaction: Interaction,
          now: datetime | None = None) -> Offer | None:
    """Offer to the next agent, or leave it waiting in the queue. Caller holds the row."""
    now = now or utcnow()
    agent = pick_agent(s, settings, interaction)
    if agent is None:
        if interaction.state != QUEUED:
            check_transition(interaction.state, QUEUED)
            interaction.state = QUEUED
            interaction.offered_to = None
            timeline.record(s, interaction.team_id, interaction.id, timeline.QUEUED)
        return None
    check_transition(interaction.state, OFFERED)
    interaction.state = OFFERED
    interaction.offered_to = agent.user_id
    agent.last_offer_at = now
    offer = Offer(
        team_id=interaction.team_id,
        interaction_id=interaction.id,
        agent_user_id=agent.user_id,
        offered_at=now,
        expires_at=now + timedelta(seconds=settings.offer_timeout_seconds),
    )
    s.add(offer)
    s.flush()
    timeline.record(s, interaction.team_id, interaction.id, timeline.OFFERED,
                    actor=agent.user_id)
    effects.post_preview(s, interaction.team_id, offer.id, interaction.id)
    effects.expire_offer_at(s, interaction.team_id, offer.id, offer.expires_at)
    return offer


def dispatch_waiting(s: Session, settings: Settings, team_id: str, limit: int = 100) -> int:
    """Offer waiting interactions, oldest first, to whoever is Ready now."""
    lock_team_routing(s, team_id)
    query = (
        select(Interaction)
        .where(Interaction.team_id == team_id, Interaction.state == QUEUED)
        .order_by(Interaction.created_at, Interaction.id)
        .limit(limit)
    )
    if s.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    offered = 0
    for interaction in s.scalars(query):
        if route(s, settings, interaction) is not None:
            offered += 1
    return offered


def ready_agents_with_room(s: Session, settings: Settings, team_id: str) -> list[str]:
    """Ready agents who could take one more interaction now, longest-waiting first."""
    load = _load(s, team_id)
    agents = s.scalars(
        select(Agent)
        .where(Agent.team_id == team_id, Agent.ready.is_(True))
        .order_by(Agent.last_offer_at.asc().nulls_first(), Agent.state_changed_at, Agent.id))
    return [a.user_id for a in agents if load.get(a.user_id, 0) < settings.agent_capacity]
