"""Retention: transcripts and media of interactions closed longer ago than the workspace's
`[privacy] retention_days` are purged by an hourly timer; the interaction rows stay."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.config import Settings
from bot.config.workspaces import Workspace
from bot.desk.data_protection import retention
from bot.desk.interactions import timeline
from bot.desk.jobs import PurgeExpired
from storage import clock
from storage.models import (
    AuditEntry,
    Contact,
    Interaction,
    Job,
    Media,
    Message,
    TimelineEvent,
    utcnow,
)
from tests.harness import BUSINESS_NUMBER, DESK_CHANNEL, start_another_instance, start_desk

pytestmark = pytest.mark.postgres

OTHER = "T0OTHER"  # a second workspace with a 30-day window


@pytest.fixture
def desk(database_url):
    settings = Settings(desk_channel=DESK_CHANNEL, offer_timeout_seconds=30, retention_days=365,
                        workspaces=(Workspace(OTHER, Settings(desk_channel="COTHER",
                                                              retention_days=30)),))
    running = start_desk(database_url, settings=settings)
    yield running
    running.close()
    clock.reset()


def _interaction(desk, team_id: str, phone: str, *, closed_days_ago: int | None) -> int:
    """An interaction with a customer text, an MMS picture and a note; closed (Done, with a
    disposition) that many days ago, or still held by an agent when None."""
    now = utcnow()
    with desk.db.transaction() as s:
        contact = Contact(team_id=team_id, phone=phone)
        s.add(contact)
        s.flush()
        interaction = Interaction(
            team_id=team_id, contact_id=contact.id, business_number=BUSINESS_NUMBER,
            state="accepted" if closed_days_ago is None else "done", agent_user_id="UAGENT1",
            created_at=now - timedelta(days=(closed_days_ago or 400) + 1),
            closed_at=None if closed_days_ago is None else now - timedelta(days=closed_days_ago),
            disposition=None if closed_days_ago is None else "Resolved", media="MMS")
        s.add(interaction)
        s.flush()
        message = Message(team_id=team_id, interaction_id=interaction.id, direction="inbound",
                          body=f"my secret from {phone}", provider="twilio",
                          from_number=phone, to_number=BUSINESS_NUMBER,
                          delivery_state="received", segments=1)
        s.add(message)
        s.flush()
        s.add(Media(team_id=team_id, interaction_id=interaction.id, message_id=message.id,
                    position=1, state="ready", original=b"\xff\xd8 jpeg bytes",
                    thumbnail=b"thumb", display=b"display"))
        s.add(TimelineEvent(team_id=team_id, interaction_id=interaction.id, kind=timeline.NOTE,
                            actor_user_id="UAGENT1", detail="customer said their PIN"))
        return interaction.id


def _state(desk, interaction_id: int) -> dict:
    with desk.db.transaction() as s:
        interaction = s.get(Interaction, interaction_id)
        return {
            "purged": interaction.purged_at is not None,
            "disposition": interaction.disposition,
            "bodies": list(s.scalars(select(Message.body).where(
                Message.interaction_id == interaction_id))),
            "media": s.scalar(select(func.count()).select_from(Media).where(
                Media.interaction_id == interaction_id)),
            "note": s.scalar(select(TimelineEvent.detail).where(
                TimelineEvent.interaction_id == interaction_id,
                TimelineEvent.kind == timeline.NOTE)),
        }


def _audit(desk) -> list[AuditEntry]:
    with desk.db.transaction() as s:
        return list(s.scalars(select(AuditEntry).where(
            AuditEntry.action == retention.AUDIT_ACTION).order_by(AuditEntry.id)))


def _an_hour_passes(desk) -> None:
    clock.travel(retention.PURGE_EVERY + timedelta(minutes=1))
    desk.runtime.worker.wake()
    desk.wait_idle()


def test_only_what_is_past_each_workspace_window_is_purged(desk):
    team = desk.team_id
    desk.wait_idle()  # the start-up run is over: what follows is judged by the next one
    old = _interaction(desk, team, "+14155550101", closed_days_ago=400)
    recent = _interaction(desk, team, "+14155550102", closed_days_ago=10)
    still_open = _interaction(desk, team, "+14155550103", closed_days_ago=None)
    other_old = _interaction(desk, OTHER, "+14155550104", closed_days_ago=40)
    other_recent = _interaction(desk, OTHER, "+14155550105", closed_days_ago=20)
    assert _audit(desk) == []  # the start-up run found nothing (the rows came after it)

    _an_hour_passes(desk)
    desk.slack.wait_for(lambda _s: len(_audit(desk)) == 2, 10, "no purge recorded")

    gone = _state(desk, old)
    assert gone == {"purged": True, "disposition": "Resolved", "bodies": [""], "media": 0,
                    "note": None}
    assert _state(desk, other_old)["purged"] and _state(desk, other_old)["media"] == 0
    for kept, phone in ((recent, "+14155550102"), (still_open, "+14155550103"),
                        (other_recent, "+14155550105")):
        assert _state(desk, kept)["bodies"] == [f"my secret from {phone}"]
        assert _state(desk, kept)["media"] == 1 and _state(desk, kept)["note"]
        assert not _state(desk, kept)["purged"]

    by_team = {entry.team_id: entry.detail for entry in _audit(desk)}
    assert by_team[team]["counts"] == {"interactions": 1, "messages": 1, "media": 1, "notes": 1}
    assert by_team[team]["retention_days"] == 365
    assert by_team[OTHER]["retention_days"] == 30

    # The next hour has nothing new to remove: no audit entry for an empty run.
    _an_hour_passes(desk)
    assert len(_audit(desk)) == 2


def test_a_retention_of_zero_keeps_everything(database_url):
    settings = Settings(desk_channel=DESK_CHANNEL, retention_days=0)
    running = start_desk(database_url, settings=settings)
    try:
        ancient = _interaction(running, running.team_id, "+14155550101", closed_days_ago=4000)
        _an_hour_passes(running)
        assert not _state(running, ancient)["purged"] and _audit(running) == []
    finally:
        running.close()
        clock.reset()


def test_one_timer_however_many_instances_start(desk):
    second = start_another_instance(desk)
    try:
        with desk.db.transaction() as s:
            timers = s.scalar(select(func.count()).select_from(Job).where(
                Job.kind == PurgeExpired.KIND, Job.state.in_(("pending", "running"))))
        assert timers == 1
    finally:
        second.close()


def _finished_job(desk, team_id: str, days_ago: int | None, state: str = "done") -> int:
    """A job finished that many days ago (None: still pending), whose payload holds what a
    finished notification holds: a customer's number and words."""
    with desk.db.transaction() as s:
        job = Job(team_id=team_id, kind="slack.notify_agent", state=state,
                  payload={"user_id": "UAGENT1",
                           "text": "Your SMS to +1 415-555-0100 is on its way."},
                  due_at=utcnow() + timedelta(days=1), created_at=utcnow() - timedelta(days=60),
                  finished_at=None if days_ago is None else utcnow() - timedelta(days=days_ago))
        s.add(job)
        s.flush()
        return job.id


def test_finished_jobs_are_pruned_after_each_workspaces_finished_jobs_days(database_url):
    settings = Settings(desk_channel=DESK_CHANNEL, finished_jobs_days=7,
                        workspaces=(Workspace(OTHER, Settings(desk_channel="COTHER",
                                                              finished_jobs_days=30)),))
    running = start_desk(database_url, settings=settings)
    try:
        running.wait_idle()
        team = running.team_id
        pruned = [_finished_job(running, team, 8), _finished_job(running, team, 9, "dead"),
                  _finished_job(running, OTHER, 31)]
        kept = [_finished_job(running, team, 6), _finished_job(running, OTHER, 20),
                _finished_job(running, team, None, "pending")]
        _an_hour_passes(running)
        with running.db.transaction() as s:
            left = set(s.scalars(select(Job.id).where(Job.id.in_(pruned + kept))))
            timers = s.scalar(select(func.count()).select_from(Job).where(
                Job.kind == PurgeExpired.KIND, Job.state == "pending"))
        assert left == set(kept)
        assert timers == 1  # the timer itself carries on
    finally:
        running.close()
        clock.reset()
