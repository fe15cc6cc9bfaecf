"""Taking an offer: the one place an interaction becomes some agent's, by click or auto-answer."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from bot.config import Settings
from bot.desk import effects, timings
from bot.desk.interactions import sessions, threads, timeline
from bot.desk.interactions.lifecycle import (
    ACCEPTED,
    AUTO_ANSWER,
    CLAIMED,
    OFFER_ACCEPTED,
    OFFERED,
    TRANSFER,
    TRANSFERRING,
    move_interaction,
    move_offer,
)
from storage.models import Interaction, Offer

# The ACCEPTED timeline event's detail: how it was taken, when not by Accept on a preview.
ACCEPTED_HOW = {AUTO_ANSWER: "auto-answer", CLAIMED: "claimed"}


class LostRace(Exception):
    """Someone (or something) else ended the offer first; the transaction must roll back."""


def take(s: Session, settings: Settings, offer: Offer, now: datetime,
         response_url: str | None = None) -> None:
    """Conditional updates of the interaction, then the offer; raises LostRace if beaten.
    `response_url`: the Accept click's, through which its preview is redrawn."""
    user_id = offer.agent_user_id
    is_transfer = offer.kind == TRANSFER
    interaction = s.get_one(Interaction, offer.interaction_id)
    queue = interaction.queue
    # Read before the update below: only the first Accept ends the customer's wait.
    first_accept = interaction.accepted_at is None
    opened_at = interaction.created_at
    # Back in a line after someone held it (transferred to a queue, or returned while its
    # owner was away): its thread is open already.
    resumed = not is_transfer and interaction.thread_ts is not None
    moved = move_interaction(
        s, offer.interaction_id, TRANSFERRING if is_transfer else OFFERED, ACCEPTED,
        _where={"offered_to": user_id},
        agent_user_id=user_id, offered_to=None, accepted_at=now,
        # An interaction with a thread keeps it (or, in a DM, it follows: threads).
        **({} if is_transfer or resumed else
           {"desk_channel": settings.thread_home(queue, user_id)}),
    )
    if not moved or not move_offer(s, offer.id, OFFER_ACCEPTED, answered_at=now):
        raise LostRace
    if first_accept:
        timings.first_accept(s, queue, opened_at, now)
    if is_transfer:
        from bot.desk.interactions import (
            transfers,  # transfers routes, routing answers: import late
        )

        transfers.record_accepted(s, settings, offer)
    else:
        timeline.record(s, offer.team_id, offer.interaction_id, timeline.ACCEPTED,
                        actor=user_id, detail=ACCEPTED_HOW.get(offer.kind))
    if resumed:
        s.refresh(interaction)
        if not threads.follow_new_holder(s, settings, interaction, user_id):
            effects.update_card(s, offer.team_id, offer.interaction_id)  # now theirs
    sessions.keep_alive(s, settings, offer.interaction_id, now)
    if response_url and interaction.thread_ts is None:
        # The click answered now ("You accepted"), beside the thread, not behind it: the
        # click's response_url costs no chat.update, so the redraw with the link is free.
        effects.update_preview(s, offer.team_id, offer.id, offer.interaction_id,
                               response_url=response_url, at_once=True)
    # Thread first, so the preview (if any) can link to it.
    effects.open_thread(s, offer.team_id, offer.interaction_id)
    effects.update_supervision(s, offer.team_id, offer.interaction_id,
                               bool(settings.queue_named(queue).supervisor_channel))
    if offer.kind == CLAIMED:
        pass  # no preview: the claim answers the person who clicked Claim
    elif offer.preview_ts or offer.kind != AUTO_ANSWER:
        effects.update_preview(s, offer.team_id, offer.id, offer.interaction_id,
                               response_url=response_url)
    else:
        effects.notify_agent(s, offer.team_id, user_id,
                             "A new SMS interaction was answered for you automatically: it "
                             "is in the desk channel.")
    effects.publish_home(s, offer.team_id, user_id)
