"""A held reply's reminder without Slack: what it does in each state of its interaction."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from bot.config import Settings
from bot.desk.replies import held
from storage.models import Contact, Interaction, Job, Message

TEAM = "T0001"
AGENT = "UAGENT1"
SETTINGS = Settings()
pytestmark = pytest.mark.postgres


def _held_reply(db, state: str = "accepted", agent: str = AGENT) -> int:
    with db.transaction() as s:
        contact = Contact(team_id=TEAM, phone="+14155550100")
        s.add(contact)
        s.flush()
        interaction = Interaction(team_id=TEAM, contact_id=contact.id,
                                  business_number="+15005550006", state=state,
                                  agent_user_id=agent, desk_channel="CDESK", thread_ts="1.0")
        s.add(interaction)
        s.flush()
        message = Message(team_id=TEAM, interaction_id=interaction.id, direction="outbound",
                          body="You will recieve it", author_user_id=AGENT, provider="",
                          from_number="+15005550006", to_number="+14155550100",
                          delivery_state="pending", slack_channel="CDESK", slack_ts="2.0")
        s.add(message)
        s.flush()
        held.hold(s, SETTINGS, message, held.SPELLING)
        return message.id


def _state(db, message_id: int) -> str:
    with db.transaction() as s:
        return s.get_one(Message, message_id).delivery_state


def _queued(db) -> list[str]:
    with db.transaction() as s:
        return list(s.scalars(select(Job.kind).where(Job.state == "pending")))


def test_a_reply_still_theirs_is_asked_about_again(db):
    message_id = _held_reply(db)
    assert held.remind(db, SETTINGS, TEAM, message_id) is not None
    assert _state(db, message_id) == "held"
    assert "slack.spelling_prompt" in _queued(db)


def test_while_a_transfer_is_offered_the_reply_waits_unasked(db):
    message_id = _held_reply(db, state="transferring")
    prompts_before = _queued(db).count("slack.spelling_prompt")
    assert held.remind(db, SETTINGS, TEAM, message_id) is not None
    assert _state(db, message_id) == "held"
    assert _queued(db).count("slack.spelling_prompt") == prompts_before


@pytest.mark.parametrize("change", [{"state": "done"}, {"state": "expired"},
                                    {"agent_user_id": "UAGENT2"}])
def test_a_reply_no_longer_theirs_to_send_is_discarded_and_they_are_told(db, change):
    message_id = _held_reply(db)
    with db.transaction() as s:
        s.execute(update(Interaction).values(**change))
    assert held.remind(db, SETTINGS, TEAM, message_id) is None
    assert _state(db, message_id) == "cancelled"
    assert "slack.notify_agent" in _queued(db)
    assert held.remind(db, SETTINGS, TEAM, message_id) is None  # and nothing more
