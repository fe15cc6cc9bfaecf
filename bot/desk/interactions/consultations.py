"""Consultation: the owner talks an interaction over with a colleague, away from the customer."""

from __future__ import annotations

from bot.desk import effects
from bot.desk.interactions import timeline
from bot.desk.interactions.lifecycle import ACCEPTED
from storage.db import Database
from storage.models import Interaction


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
