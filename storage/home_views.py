"""When each person last looked at the app's Home tab, so the desk redraws only the Home
tabs someone is looking at.

views.publish has a budget of about 100 calls a minute per workspace, and every change of an
agent's state (Ready, an offer, an Accept, a close) would spend one on a tab its owner may
never open. Slack says when a Home tab is opened (the app_home_opened event); the row it
leaves here lets any instance's worker tell whether a redraw would be seen. A Home opened
later is drawn then, with the newest state, so skipping a redraw loses nothing.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.db import insert_of
from storage.models import HomeView


def opened(session: Session, team_id: str, user_id: str, at: datetime) -> None:
    """The person has their Home tab in front of them at `at`."""
    statement = insert_of(session, HomeView).values(team_id=team_id, user_id=user_id,
                                                    opened_at=at)
    session.execute(statement.on_conflict_do_update(
        index_elements=["team_id", "user_id"],
        set_={"opened_at": statement.excluded.opened_at}))


def opened_since(session: Session, team_id: str, user_id: str, since: datetime) -> bool:
    """Whether the person has looked at their Home tab at `since` or later."""
    return session.scalar(select(HomeView.opened_at).where(
        HomeView.team_id == team_id, HomeView.user_id == user_id,
        HomeView.opened_at >= since)) is not None
