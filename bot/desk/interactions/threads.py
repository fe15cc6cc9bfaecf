"""Where an interaction's thread lives, and moving it when the interaction changes hands.

In a queue with threads = "dm" the thread is in the holding agent's DM with the app, which
nobody else can see. So when a transfer or a supervisor gives the interaction to someone
else, the thread moves: the old card says where it went, and a new thread opens in the new
holder's DM with the conversation so far, then carries on as before. Transferred to a queue
whose threads are in the desk channel, a thread in a DM moves there the same way.
"""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.desk import effects
from storage.models import Interaction


def follow_new_holder(s: Session, settings: Settings, interaction: Interaction,
                      new_holder: str) -> bool:
    """Called once the interaction is `new_holder`'s; True if its thread moved."""
    old_channel, old_ts = interaction.desk_channel, interaction.thread_ts
    if not old_ts or old_channel is None:
        return False  # (a thread is always in a channel: the last check is for the types)
    if settings.threads_in_dm(interaction.queue):
        home = new_holder
    elif old_channel != settings.desk_channel and settings.desk_channel:
        # Transferred from a queue whose threads are in DMs to one whose are in the channel.
        home = settings.desk_channel
    else:
        return False
    s.execute(update(Interaction).where(Interaction.id == interaction.id)
              .values(desk_channel=home, thread_ts=None)
              .execution_options(synchronize_session=False))
    effects.retire_card(s, interaction.team_id, interaction.id, old_channel, old_ts,
                        new_holder)
    effects.open_thread(s, interaction.team_id, interaction.id, with_history=True)
    return True
