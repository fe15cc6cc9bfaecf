"""A contact's history read back from the database: newest first, team-scoped, with each
interaction's disposition, internal notes and transcript both ways."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.config import Settings
from bot.desk.directory.history import contact_history
from bot.desk.interactions import dispositions, notes
from storage.models import Contact, Interaction, Media, Message

pytestmark = pytest.mark.postgres

TEAM, OTHER_TEAM = "T0001", "T0002"
PHONE, BUSINESS = "+14155550100", "+15005550006"
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _contact(db, team_id: str = TEAM, phone: str = PHONE) -> int:
    with db.transaction() as s:
        contact = Contact(team_id=team_id, phone=phone)
        s.add(contact)
        s.flush()
        return contact.id


def _interaction(db, contact_id: int, *, team_id: str = TEAM, started: datetime = START,
                 state: str = "done", agent: str | None = "UAGENT1", mode: str = "page",
                 media: str = "SMS") -> int:
    with db.transaction() as s:
        interaction = Interaction(team_id=team_id, contact_id=contact_id,
                                  business_number=BUSINESS, state=state, agent_user_id=agent,
                                  mode=mode, media=media, created_at=started,
                                  closed_at=started + timedelta(minutes=9)
                                  if state == "done" else None)
        s.add(interaction)
        s.flush()
        return interaction.id


def _message(db, interaction_id: int, direction: str, body: str, at: datetime, *,
             team_id: str = TEAM, author: str | None = None, slack_text: str | None = None,
             delivery: str | None = None, pictures: int = 0) -> int:
    inbound = direction == "inbound"
    with db.transaction() as s:
        message = Message(team_id=team_id, interaction_id=interaction_id, direction=direction,
                          body=body, slack_text=slack_text, author_user_id=author,
                          provider="twilio", from_number=PHONE if inbound else BUSINESS,
                          to_number=BUSINESS if inbound else PHONE,
                          delivery_state=delivery or ("received" if inbound else "delivered"),
                          created_at=at)
        s.add(message)
        s.flush()
        for position in range(1, pictures + 1):
            s.add(Media(team_id=team_id, interaction_id=interaction_id, message_id=message.id,
                        position=position, state="ready"))
        return message.id


def test_history_lists_interactions_newest_first_with_notes_disposition_and_transcript(db):
    contact = _contact(db)
    older = _interaction(db, contact, started=START)
    newer = _interaction(db, contact, started=START + timedelta(days=3), state="accepted",
                         agent="UAGENT2", mode="session", media="MMS")
    _message(db, older, "inbound", "Where is my order?", START)
    _message(db, older, "outbound", "It ships today", START + timedelta(minutes=2),
             author="UAGENT1")
    _message(db, newer, "inbound", "Here is the damage", START + timedelta(days=3), pictures=2)
    # A reply whose plain text is not worked out yet shows what the agent wrote.
    _message(db, newer, "outbound", "", START + timedelta(days=3, minutes=1), author="UAGENT2",
             slack_text="Thanks, looking now", delivery="pending")
    assert notes.add_note(db, TEAM, older, "UAGENT1", "  Called back, all good  ")
    assert notes.add_note(db, TEAM, newer, "UAGENT3", "Escalate if it happens again")
    assert dispositions.set_disposition(db, Settings(), TEAM, older, "UAGENT1", "Resolved") \
        is dispositions.DispositionOutcome.SET

    history = contact_history(db, TEAM, contact)

    assert [entry.interaction_id for entry in history] == [newer, older]
    latest, first = history
    assert (latest.state, latest.mode, latest.media, latest.agent_user_id) == (
        "accepted", "session", "MMS", "UAGENT2")
    assert latest.started_at == START + timedelta(days=3) and latest.closed_at is None
    assert latest.disposition is None
    assert [(n.text, n.author_user_id) for n in latest.notes] == [
        ("Escalate if it happens again", "UAGENT3")]
    assert [(t.direction, t.text, t.author_user_id, t.delivery_state, t.pictures)
            for t in latest.transcript] == [
        ("inbound", "Here is the damage", None, None, 2),
        ("outbound", "Thanks, looking now", "UAGENT2", "pending", 0)]

    assert (first.disposition, first.disposition_by) == ("Resolved", "UAGENT1")
    assert [n.text for n in first.notes] == ["Called back, all good"]
    assert [(t.direction, t.text) for t in first.transcript] == [
        ("inbound", "Where is my order?"), ("outbound", "It ships today")]
    assert first.transcript[0].at < first.transcript[1].at


def test_history_is_scoped_to_the_team_and_the_contact(db):
    ours = _contact(db)
    theirs = _contact(db, team_id=OTHER_TEAM)  # the same phone number in another workspace
    neighbour = _contact(db, phone="+14155550199")
    mine = _interaction(db, ours)
    _interaction(db, theirs, team_id=OTHER_TEAM)
    _interaction(db, neighbour)
    _message(db, mine, "inbound", "hello", START)

    assert [entry.interaction_id for entry in contact_history(db, TEAM, ours)] == [mine]
    # Another team cannot read our contact's history by its id.
    assert contact_history(db, OTHER_TEAM, ours) == []
    # A note for another team's interaction is not recorded.
    assert not notes.add_note(db, OTHER_TEAM, mine, "UEVIL", "peek")
    assert contact_history(db, TEAM, ours)[0].notes == ()


def test_a_contact_with_no_interactions_has_an_empty_history(db):
    assert contact_history(db, TEAM, _contact(db)) == []
