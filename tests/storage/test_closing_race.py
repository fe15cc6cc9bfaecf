"""Page mode's close against a customer's follow-up, on a real database: the close is a
conditional update, so a text stored after the agent's reply is never closed away, however
the two interleave (SQLite, and PostgreSQL's row locks when configured)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.config import Settings
from bot.desk import replies
from bot.desk.interactions import agents, inbound, offers, timeline
from bot.desk.messages import InboundMessage, SendResult
from storage.models import Interaction, Message, Offer, TimelineEvent
from tests.harness import in_parallel

pytestmark = pytest.mark.postgres
TEAM, AGENT = "T1", "UAGENT1"
SETTINGS = Settings(desk_channel="CDESK", offer_timeout_seconds=30, agent_capacity=50)


def _text(db, phone: str, sid: str, body: str) -> inbound.InboundReceipt:
    return inbound.receive_inbound(db, SETTINGS, TEAM,
                                   InboundMessage("twilio", sid, phone, "+15005550006", body))


def _answered_interaction(db, phone: str) -> tuple[int, int]:
    """An accepted interaction with the agent's reply taken in, not yet sent:
    (interaction id, reply message id)."""
    _text(db, phone, f"SM{phone}-1", "Where is my order?")
    with db.transaction() as s:
        offer_id, interaction_id = s.execute(
            select(Offer.id, Offer.interaction_id).join(
                Interaction, Interaction.id == Offer.interaction_id)
            .where(Interaction.customer_number == phone)).one()
    assert offers.accept_offer(db, SETTINGS, TEAM, offer_id, AGENT).won
    assert replies.send_composed(db, SETTINGS, TEAM, interaction_id, AGENT,
                                 "It ships today") is replies.ComposedOutcome.SENT
    with db.transaction() as s:
        reply_id = s.scalar(select(Message.id).where(
            Message.interaction_id == interaction_id, Message.direction == "outbound"))
    return interaction_id, reply_id


def _sent(db, reply_id: int) -> None:
    replies.record_send_result(db, SETTINGS, reply_id, SendResult(f"SMout{reply_id}", "queued"))


def test_a_follow_up_stored_before_the_send_is_recorded_keeps_the_interaction_open(db):
    agents.set_ready(db, SETTINGS, TEAM, AGENT, True)
    interaction_id, reply_id = _answered_interaction(db, "+14155550100")
    follow_up = _text(db, "+14155550100", "SM-follow-up", "Can it come to my office?")
    assert follow_up.interaction_id == interaction_id and not follow_up.new_interaction

    _sent(db, reply_id)

    with db.transaction() as s:
        assert s.get(Interaction, interaction_id).state == "accepted"
        kinds = s.scalars(select(TimelineEvent.kind).where(
            TimelineEvent.interaction_id == interaction_id)).all()
    assert timeline.KEPT_OPEN in kinds and timeline.CLOSED not in kinds


def test_a_close_and_a_follow_up_racing_never_close_the_follow_up_away(db):
    agents.set_ready(db, SETTINGS, TEAM, AGENT, True)
    customers = [f"+1415555{n:04d}" for n in range(110, 118)]
    answered = [_answered_interaction(db, phone) for phone in customers]

    for phone, (interaction_id, reply_id) in zip(customers, answered, strict=True):
        outcomes = in_parallel(2, lambda i, phone=phone, reply_id=reply_id: (
            _sent(db, reply_id) if i == 0 else _text(db, phone, f"SM{phone}-2", "One more thing")))
        receipt = outcomes[1]
        with db.transaction() as s:
            joined = s.get(Interaction, receipt.interaction_id)
            # Either it joined the open interaction, which stays open for the agent, or the
            # close came first and it starts a new interaction, offered as usual.
            if receipt.interaction_id == interaction_id:
                assert joined.state == "accepted", phone
            else:
                assert s.get(Interaction, interaction_id).state == "done", phone
                assert receipt.new_interaction and joined.state in ("queued", "offered"), phone
