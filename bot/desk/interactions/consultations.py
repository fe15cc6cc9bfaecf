"""Consultation: the owner talks an interaction over with a colleague, away from the customer."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from bot.config import Settings
from bot.desk import effects
from bot.desk.interactions import routing, timeline
from bot.desk.interactions.lifecycle import ACCEPTED
from storage.db import Database
from storage.models import Agent, Interaction


@dataclass(frozen=True)
class Colleague:
    user_id: str
    ready: bool


@dataclass(frozen=True)
class Colleagues:
    """Whom the consult modal lists: the agents of the interaction's queue, then the desk's
    other agents (of other queues, or known to the desk by having gone Ready or Not Ready);
    Ready ones first in each."""

    queue: str
    in_queue: tuple[Colleague, ...]
    others: tuple[Colleague, ...]


def colleagues(db: Database, settings: Settings, team_id: str, interaction_id: int,
               from_user: str) -> Colleagues:
    with db.transaction() as s:
        interaction = s.get(Interaction, interaction_id)
        queue = settings.queue_named(interaction.queue if interaction else None)
        ready = {user: is_ready for user, is_ready in s.execute(
            select(Agent.user_id, Agent.ready).where(Agent.team_id == team_id))}
        everyone = set(ready)
        for other in settings.all_queues():
            everyone |= routing.queue_members(s, team_id, other) or set()
        own = routing.queue_members(s, team_id, queue)
        own = everyone if own is None else own

    def listed(users: set[str]) -> tuple[Colleague, ...]:
        people = [Colleague(u, bool(ready.get(u))) for u in users if u != from_user]
        return tuple(sorted(people, key=lambda c: (not c.ready, c.user_id)))

    return Colleagues(queue.name, listed(own), listed(everyone - own))


def start_consultation(db: Database, team_id: str, interaction_id: int, from_user: str,
                       colleague: str) -> str | None:
    """None when started; otherwise what the modal should say beside the field."""
    if colleague == from_user:
        return "Pick a colleague, not yourself."
    with db.transaction() as s:
        interaction = s.get(Interaction, interaction_id)
        if interaction is None or interaction.team_id != team_id:
            return "This interaction no longer exists."
        if interaction.agent_user_id != from_user or interaction.state != ACCEPTED:
            return "Only the agent holding an open interaction can start a consultation."
        timeline.record(s, team_id, interaction_id, timeline.CONSULTED, actor=from_user,
                        detail=colleague)
        effects.open_consultation(s, team_id, interaction_id, from_user, colleague)
        effects.sync_transcript(s, team_id, interaction_id)
        return None
