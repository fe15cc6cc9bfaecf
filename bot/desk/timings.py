"""How long customers and agents waited, measured where it happens: the wait before Accept,
the first response, the handle time. Each is noted on its use case's transaction and handed
to whoever watches once that commits (bot/metrics.py turns them into Prometheus
histograms), so a use case that lost its race or rolled back measured nothing, and the
domain knows no metrics library.

- wait before Accept: from the customer's first text (the interaction opening) to its first
  Accept (a transfer or a second Accept after a return to the queue is not counted again);
- first response: from the customer's first text to the first agent reply the SMS provider
  took (an interaction an agent started, a New SMS, has none);
- handle time: from the first Accept (a New SMS: its sending agent's start) to Done.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.desk.interactions import timeline
from storage.db import note
from storage.models import Interaction, Message, TimelineEvent

WAIT_BEFORE_ACCEPT = "wait_before_accept"
FIRST_RESPONSE = "first_response"
HANDLE = "handle"
MEASURES = (WAIT_BEFORE_ACCEPT, FIRST_RESPONSE, HANDLE)


@dataclass(frozen=True)
class Timing:
    measure: str  # one of MEASURES
    queue: str  # the interaction's queue when it happened
    seconds: float


def _note(s: Session, measure: str, queue: str, start: datetime | None,
          end: datetime) -> None:
    if start is not None:
        note(s, Timing(measure, queue, max((end - start).total_seconds(), 0.0)))


def first_accept(s: Session, queue: str, opened_at: datetime, now: datetime) -> None:
    """The interaction's first Accept (the caller knows: the row's accepted_at was empty)."""
    _note(s, WAIT_BEFORE_ACCEPT, queue, opened_at, now)


def reply_reached_provider(s: Session, interaction: Interaction, message: Message,
                           now: datetime) -> None:
    """An agent's reply the provider took: the first response if no earlier one was."""
    if interaction.direction != "inbound" or message.author_user_id is None:
        return  # a New SMS answers nobody; the desk's own HELP reply is no agent's
    earlier = s.scalar(select(Message.id).where(
        Message.team_id == interaction.team_id, Message.interaction_id == interaction.id,
        Message.id != message.id, Message.direction == "outbound",
        Message.author_user_id.is_not(None), Message.provider_sid.is_not(None)).limit(1))
    if earlier is None:
        _note(s, FIRST_RESPONSE, interaction.queue, interaction.created_at, now)


def closed(s: Session, interaction: Interaction, now: datetime) -> None:
    """Done: handled since the first Accept (a later Accept, after a transfer, is the same
    conversation still being handled)."""
    first_accept = s.scalar(select(func.min(TimelineEvent.at)).where(
        TimelineEvent.team_id == interaction.team_id,
        TimelineEvent.interaction_id == interaction.id,
        TimelineEvent.kind == timeline.ACCEPTED))
    _note(s, HANDLE, interaction.queue, first_accept or interaction.accepted_at, now)
