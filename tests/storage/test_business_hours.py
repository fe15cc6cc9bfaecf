"""Routing and business hours on a real database: a closed queue's night backlog offers
nobody and holds back no open queue's texts."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.config import Settings
from bot.desk.hours import OpeningHours, parse_day
from bot.desk.interactions import routing
from bot.desk.queues import Queue
from storage.clock import utcnow
from storage.models import Agent, Contact, Interaction, Job

pytestmark = pytest.mark.postgres

TEAM = "T0001"
_PHONES = itertools.count(100)


def _closed_today() -> OpeningHours:
    """Open all week but closed today, yesterday and tomorrow: closed now, whenever now is."""
    today = utcnow().date()
    return OpeningHours("UTC", (parse_day("00:00-24:00"),) * 7,
                        frozenset(today + timedelta(days=n) for n in (-1, 0, 1)))


SETTINGS = Settings(queues=(Queue("Night", hours=_closed_today()), Queue("Day")))


def _waiting(db, queue: str) -> int:
    with db.transaction() as s:
        contact = Contact(team_id=TEAM, phone=f"+1415555{next(_PHONES):04d}")
        s.add(contact)
        s.flush()
        interaction = Interaction(team_id=TEAM, contact_id=contact.id,
                                  business_number="+15005550006", queue=queue, state="queued")
        s.add(interaction)
        s.flush()
        return interaction.id


def test_a_closed_queues_backlog_does_not_hold_back_an_open_queues_text(db):
    night = [_waiting(db, "Night") for _ in range(3)]  # older: first in line
    day = _waiting(db, "Day")
    with db.transaction() as s:
        s.add(Agent(team_id=TEAM, user_id="UAGENT1", ready=True))
    with db.transaction() as s:
        assert routing.dispatch_waiting(s, SETTINGS, TEAM, limit=2) == 1
    with db.transaction() as s:
        states = dict(s.execute(select(Interaction.id, Interaction.state)).all())
        assert states[day] == "offered"
        assert [states[i] for i in night] == ["queued"] * 3


def test_routing_a_text_of_a_closed_queue_sets_the_opening_timer(db):
    interaction_id = _waiting(db, "Night")
    with db.transaction() as s:
        s.add(Agent(team_id=TEAM, user_id="UAGENT1", ready=True))
    with db.transaction() as s:
        interaction = s.get_one(Interaction, interaction_id)
        assert routing.route(s, SETTINGS, interaction) is None
    with db.transaction() as s:
        timers = s.execute(select(Job.kind, Job.payload, Job.due_at).where(
            Job.kind == "timer.queue_opens")).all()
    # Offered nobody, though someone is Ready: a timer waits for the day after tomorrow.
    assert [(kind, payload) for kind, payload, _due in timers] == [
        ("timer.queue_opens", {"queue": "Night"})]
    assert timers[0][2] == _closed_today().next_opening(utcnow())
    assert timers[0][2].date() == utcnow().date() + timedelta(days=2)
