"""Notes: what an agent writes down about an interaction for colleagues, never for the customer.

A note is a timeline event: it shows in the thread (marked internal) and in the contact's
history, and nothing about it ever reaches the phone. Anyone who can see the card may add one.
"""

from __future__ import annotations

from bot.desk import effects
from bot.desk.interactions import timeline
from storage.db import Database
from storage.models import Interaction

MAX_NOTE = 3000  # characters; the modal refuses more


def add_note(db: Database, team_id: str, interaction_id: int, user_id: str,
             text: str) -> bool:
    """False when there is nothing to record (an empty note, or no such interaction)."""
    text = text.strip()[:MAX_NOTE]
    if not text:
        return False
    with db.transaction() as s:
        interaction = s.get(Interaction, interaction_id)
        if interaction is None or interaction.team_id != team_id:
            return False
        timeline.record(s, team_id, interaction_id, timeline.NOTE, actor=user_id, detail=text)
        effects.sync_transcript(s, team_id, interaction_id)
        return True
