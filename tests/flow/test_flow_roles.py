"""Who is an agent: every member but guests by default, and only the people (or user groups)
`[roles] agents` / `agent_groups` name once either is set. Driven over HTTP as Slack does,
with guests marked as Slack's users.info marks them (is_restricted, is_ultra_restricted)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.config import Settings
from bot.desk.directory.contacts import create_contact
from bot.slack import ids
from storage.models import Agent
from tests.harness import DESK_CHANNEL, start_desk

pytestmark = pytest.mark.postgres

CUSTOMER = "+14155550100"
MEMBER, GUEST, SINGLE_CHANNEL_GUEST = "UAGENT1", "UGUEST1", "UGUEST2"


def _ready_agents(desk) -> set[str]:
    with desk.db.transaction() as s:
        return set(s.scalars(select(Agent.user_id).where(Agent.ready.is_(True))))


def _agent_rows(desk, user_id: str) -> int:
    with desk.db.transaction() as s:
        return s.scalar(select(func.count()).select_from(Agent).where(Agent.user_id == user_id))


@pytest.fixture
def desk_with_guests(database_url):
    desk = start_desk(database_url, settings=Settings(desk_channel=DESK_CHANNEL),
                      agents=(MEMBER,))
    desk.slack.add_user(GUEST, "gus", "Gus Guest", guest="multi")
    desk.slack.add_user(SINGLE_CHANNEL_GUEST, "sam", "Sam Single", guest="single")
    with desk.db.transaction() as s:
        create_contact(s, desk.team_id, CUSTOMER, name="Jane Doe")
    yield desk
    desk.close()


@pytest.mark.parametrize("guest", [GUEST, SINGLE_CHANNEL_GUEST])
def test_a_guest_is_no_agent_whatever_they_try(desk_with_guests, guest):
    desk = desk_with_guests
    for command, words in ((ids.COMMAND_READY, ""), (ids.COMMAND_CONTACT, "jane"),
                           (ids.COMMAND_SMS, f"{CUSTOMER} hello from a guest")):
        answer = desk.slash(guest, command, words)
        assert answer.status_code == 200
        assert "guest accounts cannot use it" in answer.json()["text"], command
        assert "Jane" not in answer.text
    desk.shortcut(guest, ids.SHORTCUT_NEW_SMS)
    desk.click(guest, ids.SET_READY, "ready")
    desk.wait_idle()
    assert desk.slack.calls_to("views.open") == []
    assert _agent_rows(desk, guest) == 0

    # A customer's text goes to the member, never to the guest.
    desk.slash(MEMBER, ids.COMMAND_READY)
    desk.customer_texts(CUSTOMER, "where is my order?")
    desk.wait_for_preview(MEMBER)
    assert desk.previews_for(guest) == []
    assert desk.twilio.sent == []


def test_members_are_still_agents_by_default(desk_with_guests):
    desk = desk_with_guests
    assert "You are *Ready*" in desk.slash(MEMBER, ids.COMMAND_READY).text
    assert "Jane Doe" in desk.slash(MEMBER, ids.COMMAND_CONTACT, "jane").text


def test_roles_agents_narrows_who_may_go_ready_search_and_text(database_url):
    settings = Settings(desk_channel=DESK_CHANNEL, agent_users=("UAGENT1",))
    desk = start_desk(database_url, settings=settings, agents=("UAGENT1", "UAGENT2"))
    try:
        with desk.db.transaction() as s:
            create_contact(s, desk.team_id, CUSTOMER, name="Jane Doe")
        refused = desk.slash("UAGENT2", ids.COMMAND_READY)
        assert "not an SMS agent on this desk" in refused.text
        desk.click("UAGENT2", ids.SET_READY, "ready")  # the Home tab's button: no way round
        assert "You are *Ready*" in desk.slash("UAGENT1", ids.COMMAND_READY).text
        desk.wait_idle()
        assert _ready_agents(desk) == {"UAGENT1"}

        assert "Jane" not in desk.slash("UAGENT2", ids.COMMAND_CONTACT, "jane").text
        assert "cannot send new SMS" in desk.slash("UAGENT2", ids.COMMAND_SMS,
                                                   f"{CUSTOMER} hi").text

        desk.customer_texts(CUSTOMER, "hello")
        desk.wait_for_preview("UAGENT1")
        assert desk.previews_for("UAGENT2") == []
    finally:
        desk.close()


def test_roles_agent_groups_make_a_user_groups_members_agents(database_url):
    settings = Settings(desk_channel=DESK_CHANNEL, agent_groups=("S0AGENTS",))
    desk = start_desk(database_url, settings=settings, agents=("UAGENT1", "UAGENT2"),
                      user_groups={"S0AGENTS": ("UAGENT2",)})
    try:
        desk.wait_idle()  # the group is read at start
        assert "You are *Ready*" in desk.slash("UAGENT2", ids.COMMAND_READY).text
        assert "not an SMS agent" in desk.slash("UAGENT1", ids.COMMAND_READY).text
        desk.wait_idle()
        assert _ready_agents(desk) == {"UAGENT2"}
    finally:
        desk.close()
