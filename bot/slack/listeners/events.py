"""Events: the Home tab opening."""

from __future__ import annotations

from slack_bolt import App, BoltContext

from bot.desk import agents
from bot.services import Services


def register(app: App, services: Services) -> None:
    db = services.db

    @app.event("app_home_opened")
    def home_opened(event: dict, context: BoltContext) -> None:
        if event.get("tab", "home") == "home":
            agents.refresh_home(db, context.team_id, event["user"])
