"""Supervision use cases on a real database: user-group roles, the group cache and its timer,
and the rules of reassignment."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import select

from bot.config import Settings
from bot.desk.admin import groups, permissions
from bot.desk.interactions import supervision
from bot.desk.jobs import RefreshGroups
from bot.desk.queues import Queue
from storage.models import Agent, Contact, GroupMember, Interaction, Job, utcnow

pytestmark = pytest.mark.postgres

TEAM = "T0001"
SETTINGS = Settings(queues=(Queue("Support", member_groups=("SAGENTS",)),),
                    supervisors=("USUP",), supervisor_groups=("SSUPERS",),
                    admin_groups=("SADMINS",))


_PHONES = itertools.count(100)


def _members(db, group_id: str) -> list[str]:
    with db.transaction() as s:
        return sorted(s.scalars(select(GroupMember.user_id).where(
            GroupMember.team_id == TEAM, GroupMember.group_id == group_id)))


def _interaction(db, state: str, **values) -> int:
    with db.transaction() as s:
        contact = Contact(team_id=TEAM, phone=f"+1415555{next(_PHONES):04d}")
        s.add(contact)
        s.flush()
        interaction = Interaction(team_id=TEAM, contact_id=contact.id,
                                  business_number="+15005550006", queue="Support",
                                  state=state, **values)
        s.add(interaction)
        s.flush()
        return interaction.id


def _ready(db, *users: str) -> None:
    with db.transaction() as s:
        for user in users:
            s.add(Agent(team_id=TEAM, user_id=user, ready=True))


def test_every_group_the_settings_name_is_read_once():
    assert groups.named_groups(SETTINGS) == ("SAGENTS", "SSUPERS", "SADMINS")
    assert groups.named_groups(Settings()) == ()


def test_a_refresh_replaces_members_keeps_unreadable_groups_and_forgets_unnamed_ones(db):
    groups.replace_members(db, TEAM, "SSUPERS", ["UOLD"])
    groups.replace_members(db, TEAM, "SADMINS", ["UADMIN"])
    groups.replace_members(db, TEAM, "SGONE", ["UX"])
    listed = {"SAGENTS": ["U1", "U2", "U1"], "SSUPERS": ["UNEW"], "SADMINS": None}

    assert groups.refresh_groups(db, SETTINGS, TEAM, listed.get) == 2
    assert _members(db, "SAGENTS") == ["U1", "U2"]
    assert _members(db, "SSUPERS") == ["UNEW"]
    assert _members(db, "SADMINS") == ["UADMIN"]  # could not be read: kept
    assert _members(db, "SGONE") == []


def test_starting_again_brings_the_refresh_forward_instead_of_adding_one(db):
    assert groups.schedule_refresh(db, Settings(), TEAM) is False  # no groups: no timer
    assert groups.schedule_refresh(db, SETTINGS, TEAM)
    with db.transaction() as s:
        job = s.scalars(select(Job).where(Job.kind == RefreshGroups.KIND)).one()
        job.due_at = utcnow() + groups.REFRESH_EVERY
    assert groups.schedule_refresh(db, SETTINGS, TEAM)
    with db.transaction() as s:
        jobs = list(s.scalars(select(Job).where(Job.kind == RefreshGroups.KIND)))
    assert len(jobs) == 1 and jobs[0].due_at <= utcnow()


def test_roles_come_from_user_ids_and_from_user_groups(db):
    groups.replace_members(db, TEAM, "SSUPERS", ["UGROUPSUP"])
    groups.replace_members(db, TEAM, "SADMINS", ["UGROUPADMIN"])
    groups.replace_members(db, TEAM, "SAGENTS", ["UAGENT"])
    with db.transaction() as s:
        assert permissions.SUPERVISOR in permissions.roles_for(s, SETTINGS, TEAM, "USUP")
        assert permissions.SUPERVISOR in permissions.roles_for(s, SETTINGS, TEAM, "UGROUPSUP")
        assert permissions.ADMIN in permissions.roles_for(s, SETTINGS, TEAM, "UGROUPADMIN")
        assert permissions.roles_for(s, SETTINGS, TEAM, "UAGENT") == {permissions.AGENT}
        # Membership of the same group in another workspace counts for nothing here.
        assert not permissions.may_supervise(s, SETTINGS, "T0002", "UGROUPSUP")
    assert supervision.supervisors(db, SETTINGS, TEAM) == {"USUP", "UGROUPSUP"}


def test_only_supervisors_and_admins_may_reassign(db):
    interaction_id = _interaction(db, "queued")
    groups.replace_members(db, TEAM, "SAGENTS", ["U1"])
    _ready(db, "U1")
    refused = supervision.reassign(db, SETTINGS, TEAM, interaction_id, "U1", "U1")
    assert not refused.done and refused.error == supervision.NOT_ALLOWED
    assert isinstance(supervision.reassign_form(db, SETTINGS, TEAM, interaction_id, "U1"),
                      supervision.Refused)
    with db.transaction() as s:
        assert s.get(Interaction, interaction_id).state == "queued"


def test_a_closed_interaction_or_an_agent_no_longer_ready_cannot_be_reassigned_to(db):
    groups.replace_members(db, TEAM, "SAGENTS", ["U1", "U2"])
    _ready(db, "U1")
    done = _interaction(db, "done", agent_user_id="U1")
    result = supervision.reassign(db, SETTINGS, TEAM, done, "USUP", "U1")
    assert not result.done and "nothing to reassign" in result.error

    waiting = _interaction(db, "queued")
    result = supervision.reassign(db, SETTINGS, TEAM, waiting, "USUP", "U2")  # not Ready
    assert not result.done and "not Ready" in result.error
    result = supervision.reassign(db, SETTINGS, TEAM, waiting, "USUP", "UOUTSIDER")
    assert not result.done  # not a member of the queue
    form = supervision.reassign_form(db, SETTINGS, TEAM, waiting, "USUP")
    assert form.candidates == ("U1",)


def test_a_held_interaction_changes_owner_only_if_still_held_by_the_same_agent(db):
    from bot.desk.interactions.lifecycle import IllegalTransition, change_owner

    interaction_id = _interaction(db, "accepted", agent_user_id="U1")
    with db.transaction() as s:
        assert not change_owner(s, interaction_id, "accepted", "USOMEONE", "U2")
        assert change_owner(s, interaction_id, "accepted", "U1", "U2")
        with pytest.raises(IllegalTransition):
            change_owner(s, interaction_id, "done", "U2", "U1")
    with db.transaction() as s:
        assert s.get(Interaction, interaction_id).agent_user_id == "U2"


def test_the_queue_report_counts_only_waiting_interactions_and_lists_the_stuck(db):
    groups.replace_members(db, TEAM, "SAGENTS", ["U1", "U2"])
    _ready(db, "U1")
    _interaction(db, "queued")
    _interaction(db, "accepted", agent_user_id="U1")  # in progress: not stuck
    stuck = _interaction(db, "expired", agent_user_id="U1")

    agent_view = supervision.queue_report(db, SETTINGS, TEAM, "U1")
    (support,) = agent_view.queues
    assert (support.waiting, support.ready, support.not_ready) == (1, 1, 1)
    assert support.items == () and not agent_view.detailed
    assert support.oldest_since is not None and support.oldest_since.tzinfo is not None

    (detailed,) = supervision.queue_report(db, SETTINGS, TEAM, "USUP").queues
    assert [(i.state, i.interaction_id == stuck) for i in detailed.items] == [
        ("queued", False), ("expired", True)]
    assert {a.user_id: a.holds for a in detailed.agents} == {"U1": 2, "U2": 0}


def test_a_supervisor_by_user_group_may_set_someone_elses_disposition(db):
    from bot.desk.interactions import dispositions

    interaction_id = _interaction(db, "accepted", agent_user_id="U1")
    assert dispositions.open_form(db, SETTINGS, TEAM, interaction_id, "UGROUPSUP") is None
    groups.replace_members(db, TEAM, "SSUPERS", ["UGROUPSUP"])
    assert dispositions.open_form(db, SETTINGS, TEAM, interaction_id, "UGROUPSUP") is not None
