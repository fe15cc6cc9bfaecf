"""Home: a person opens the app's Home tab; it is redrawn from the desk's state. Its
buttons land with their features (readiness, contacts, outbound, admin)."""

from __future__ import annotations

from slack_bolt import App, BoltContext

from bot.desk.interactions import agents
from bot.services import Services


def open_home(event: dict, context: BoltContext, services: Services) -> None:
    # The Messages tab (tab "messages") is the app's DM: nothing to draw for it.
    if event.get("tab", "home") == "home":
        agents.open_home(services.db, context.team_id, event["user"])


def register(app: App) -> None:
    app.event("app_home_opened")(open_home)
