"""A text outside its queue's business hours ([[queues]] hours): it goes to the queue's
after_hours_queue when that one is open; otherwise it waits, offered to nobody (routing), until
opening time, when the queue's timer offers what waited. The customer may get the queue's
after_hours_reply: at most once per closed period, never to an opted-out number."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.desk import effects
from bot.desk.directory import opt_outs
from bot.desk.interactions import desk_texts, routing, timeline
from bot.desk.interactions.lifecycle import QUEUED
from storage.clock import utcnow
from storage.db import Database
from storage.models import Interaction, TimelineEvent


def redirect(s: Session, settings: Settings, interaction: Interaction, now: datetime) -> None:
    """A new text to a closed queue goes to its after_hours_queue while that one is open."""
    queue = settings.queue_named(interaction.queue)
    if queue.after_hours_queue is None or queue.is_open(now):
        return
    other = settings.queue_named(queue.after_hours_queue)
    if other.name != queue.after_hours_queue or not other.is_open(now):
        return  # no such queue any more (settings changed), or closed too: it waits here
    interaction.queue = other.name
    timeline.record(s, interaction.team_id, interaction.id, timeline.AFTER_HOURS_MOVED,
                    detail=f"{queue.name}|{other.name}")


def reply(s: Session, settings: Settings, interaction: Interaction, body: str,
          now: datetime) -> bool:
    """Text the closed queue's after_hours_reply to a customer whose text waits for opening
    time, unless they had it already in this closed period or opted out. True when sent."""
    queue = settings.queue_named(interaction.queue)
    if (queue.after_hours_reply is None or queue.hours is None
            or interaction.state != QUEUED or queue.hours.is_open(now)):
        return False
    if opt_outs.keyword_of(body) is not None:
        return False  # STOP, START or HELP: the desk answers those its own way, or not at all
    if opt_outs.is_opted_out(s, interaction.team_id, interaction.customer_number or "",
                             interaction.business_number):
        return False
    since = queue.hours.closed_since(now)
    already = s.scalar(
        select(TimelineEvent.id)
        .join(Interaction, Interaction.id == TimelineEvent.interaction_id)
        .where(Interaction.team_id == interaction.team_id,
               Interaction.contact_id == interaction.contact_id,
               TimelineEvent.kind == timeline.AFTER_HOURS_REPLIED,
               TimelineEvent.detail == queue.name,
               TimelineEvent.at >= since)
        .limit(1))
    if already is not None:
        return False
    desk_texts.text_customer(s, interaction.team_id, interaction.id, queue.after_hours_reply,
                             from_number=interaction.business_number,
                             to_number=interaction.customer_number or "",
                             recorded_as=timeline.AFTER_HOURS_REPLIED, detail=queue.name)
    return True


def queue_opens(db: Database, settings: Settings, team_id: str, queue_name: str) -> int:
    """The queue's timer: it is opening time, so what waited is offered (to whoever is
    Ready; the rest as agents go Ready, as always). Returns how many were offered."""
    with db.transaction() as s:
        now = utcnow()
        opens_at = routing.opening_time(settings, queue_name, now)
        if opens_at is not None:
            # Early (the hours changed since it was set): look again at the real opening.
            effects.offer_when_open(s, team_id, settings.queue_named(queue_name).name,
                                    opens_at)
            return 0
        return routing.dispatch_waiting(s, settings, team_id)
