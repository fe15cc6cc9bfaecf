"""Offers an agent lets run out, in a row: after `desk.missed_offers_not_ready` of them the
agent is set Not Ready, since a text offered to someone who is not at the desk only waits
longer. Any answer (Accept, Reject) shows they are there and starts the count again."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.desk import effects
from bot.desk.interactions import routing
from storage.models import Agent


def reason(count: int) -> str:
    """The Not Ready reason their Home tab shows (plain words, stored with the agent)."""
    return f"missed {count} offers in a row"


def answered(s: Session, settings: Settings, team_id: str, user_id: str) -> None:
    """They answered an offer: the count starts again."""
    if not settings.missed_offers_not_ready:
        return
    # Conditional, so the row is written (and locked) only when there is a count to clear.
    s.execute(update(Agent)
              .where(Agent.team_id == team_id, Agent.user_id == user_id,
                     Agent.missed_offers > 0)
              .values(missed_offers=0)
              .execution_options(synchronize_session=False))


def missed(s: Session, settings: Settings, team_id: str, user_id: str,
           now: datetime) -> bool:
    """An offer to them ran out unanswered. True when that set them Not Ready."""
    limit = settings.missed_offers_not_ready
    if not limit:
        return False
    routing.lock_team_routing(s, team_id)  # before the agent row: see there
    agent = s.scalars(select(Agent).where(Agent.team_id == team_id,
                                          Agent.user_id == user_id)
                      .execution_options(populate_existing=True)).first()
    if agent is None:
        return False
    agent.missed_offers += 1
    if agent.missed_offers < limit or not agent.ready:
        return False
    agent.ready, agent.state_changed_at = False, now
    agent.not_ready_reason = reason(agent.missed_offers)
    agent.missed_offers = 0
    effects.publish_home(s, team_id, user_id)
    effects.notify_agent(
        s, team_id, user_id,
        f"You missed {limit} SMS offers in a row, so you are now Not Ready and no more texts "
        "are offered to you (the one you missed goes to someone else, or waits in the "
        "queue). Go Ready (on your Home tab, or /sms-ready) when you are back at the desk.")
    return True
