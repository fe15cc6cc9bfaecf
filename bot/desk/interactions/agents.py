"""Use cases of agent state: Ready / Not Ready for the SMS channel."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.desk import effects
from bot.desk.admin import permissions
from bot.desk.interactions import routing
from bot.desk.interactions.lifecycle import HELD_STATES, OFFERED, QUEUED, TRANSFERRING
from storage import home_views
from storage.clock import utcnow
from storage.db import Database
from storage.models import Agent, Interaction


def _agent(s: Session, team_id: str, user_id: str) -> Agent:
    agent = s.scalars(select(Agent).where(Agent.team_id == team_id,
                                          Agent.user_id == user_id)).first()
    if agent is None:
        agent = Agent(team_id=team_id, user_id=user_id, ready=False)
        s.add(agent)
        s.flush()
    return agent


NOT_AN_AGENT = ("You are not an SMS agent on this desk, so no texts can be offered to you. "
                "An admin adds you to `[roles] agents` or `agent_groups` in the settings.")


class NotAnAgent(Exception):
    """Going Ready is the agent role's: [roles] agents / agent_groups say who has it."""


def set_ready(db: Database, settings: Settings, team_id: str, user_id: str, ready: bool,
              reason: str | None = None, *, from_home: bool = False) -> int:
    """Returns how many waiting interactions were offered as a result. Raises NotAnAgent
    for someone the settings do not make an agent going Ready (Not Ready is always allowed).
    `from_home`: clicked on their Home tab, so they are looking at it."""
    for attempt in range(2):
        try:
            with db.transaction() as s:
                if ready and not permissions.may_take_interactions(s, settings, team_id,
                                                                   user_id):
                    raise NotAnAgent(user_id)
                routing.lock_team_routing(s, team_id)  # before the agent row: see there
                agent = _agent(s, team_id, user_id)
                if agent.ready != ready:
                    agent.state_changed_at = utcnow()
                    agent.missed_offers = 0  # "in a row" counts within one spell of Ready
                agent.ready = ready
                agent.not_ready_reason = None if ready else (reason or None)
                offered = routing.dispatch_waiting(s, settings, team_id) if ready else 0
                effects.publish_home(s, team_id, user_id, looking=from_home)
                return offered
        except IntegrityError:
            if attempt:
                raise  # a concurrent first toggle created the row; the retry finds it
    return 0


@dataclass(frozen=True)
class AgentDesk:
    """What the Home tab shows one agent."""

    ready: bool
    not_ready_reason: str | None
    in_progress: list[Interaction]
    waiting: int


def agent_desk(db: Database, team_id: str, user_id: str,
               settings: Settings | None = None) -> AgentDesk:
    """`settings` given: the waiting count covers only the queues the agent belongs to."""
    with db.transaction() as s:
        agent = s.scalars(select(Agent).where(Agent.team_id == team_id,
                                              Agent.user_id == user_id)).first()
        in_progress = list(s.scalars(
            select(Interaction).where(
                Interaction.team_id == team_id,
                ((Interaction.agent_user_id == user_id) & Interaction.state.in_(HELD_STATES))
                | ((Interaction.offered_to == user_id)
                   & Interaction.state.in_((OFFERED, TRANSFERRING))),
            ).order_by(Interaction.created_at)
        ))
        waiting_query = select(func.count()).select_from(Interaction).where(
            Interaction.team_id == team_id, Interaction.state == QUEUED)
        if settings is not None:
            mine = [q.name for q in settings.all_queues()
                    if (members := routing.queue_members(s, team_id, q)) is None
                    or user_id in members]
            waiting_query = waiting_query.where(Interaction.queue.in_(mine))
        waiting = s.scalar(waiting_query) or 0
        return AgentDesk(
            ready=bool(agent and agent.ready),
            not_ready_reason=agent.not_ready_reason if agent else None,
            in_progress=in_progress,
            waiting=waiting,
        )


def open_home(db: Database, team_id: str, user_id: str) -> None:
    """The person opened the app's Home tab: it is drawn now, and redrawn as their desk
    changes while they keep looking (home_in_view)."""
    with db.transaction() as s:
        effects.publish_home(s, team_id, user_id, looking=True)


def home_in_view(db: Database, settings: Settings, team_id: str, user_id: str) -> bool:
    """Whether the person looked at their Home tab within [slack] home_viewed_minutes.
    Redrawing one nobody looks at spends views.publish's budget (about 100 a minute for the
    workspace) for nothing: opened later, it is drawn then, with the newest state."""
    since = utcnow() - timedelta(minutes=settings.home_viewed_minutes)
    with db.transaction() as s:
        return home_views.opened_since(s, team_id, user_id, since)
