"""Races that must resolve to exactly one winner, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from bot.config import Settings
from bot.desk.interactions import agents, inbound, offers
from bot.desk.messages import InboundMessage
from storage.models import Interaction, Job, Message, Offer
from tests.harness import in_parallel

pytestmark = pytest.mark.postgres
SETTINGS = Settings(desk_channel="CDESK", offer_timeout_seconds=30)


def _sms(sid: str, body: str = "hi", phone: str = "+14155550100") -> InboundMessage:
    return InboundMessage("twilio", sid, phone, "+15005550006", body)


def test_concurrent_accepts_have_exactly_one_winner(db):
    agents.set_ready(db, SETTINGS, "T1", "UAGENT1", True)
    inbound.receive_inbound(db, SETTINGS, "T1", _sms("SM1"))
    with db.transaction() as s:
        offer_id = s.scalar(select(Offer.id))

    answers = in_parallel(8, lambda _: offers.accept_offer(db, SETTINGS, "T1", offer_id,
                                                           "UAGENT1"))
    assert sum(answer.won for answer in answers) == 1
    with db.transaction() as s:
        assert s.scalar(select(Interaction.state)) == "accepted"
        assert s.scalar(select(func.count()).select_from(Job)
                        .where(Job.kind == "slack.open_thread")) == 1


def test_accept_racing_the_timeout_has_one_outcome(db):
    agents.set_ready(db, SETTINGS, "T1", "UAGENT1", True)
    agents.set_ready(db, SETTINGS, "T1", "UAGENT2", True)
    inbound.receive_inbound(db, SETTINGS, "T1", _sms("SM1"))
    with db.transaction() as s:
        offer = s.scalars(select(Offer)).one()
        s.execute(update(Offer).values(expires_at=offer.offered_at - timedelta(seconds=1)))
    agent = offer.agent_user_id

    def act(index: int):
        if index % 2:
            return offers.expire_offer(db, SETTINGS, "T1", offer.id)
        return offers.accept_offer(db, SETTINGS, "T1", offer.id, agent)

    answers = in_parallel(6, act)
    assert sum(answer.won for answer in answers) == 1
    with db.transaction() as s:
        interaction = s.scalars(select(Interaction)).one()
        final = s.get(Offer, offer.id).state
        if final == "accepted":
            assert interaction.state == "accepted" and interaction.agent_user_id == agent
        else:
            assert final == "timed_out"
            assert interaction.state == "offered" and interaction.offered_to != agent


def test_concurrent_first_texts_from_one_number_open_one_interaction(db):
    agents.set_ready(db, SETTINGS, "T1", "UAGENT1", True)
    in_parallel(6, lambda i: inbound.receive_inbound(db, SETTINGS, "T1",
                                                     _sms(f"SM{i}", f"part {i}")))
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Interaction)) == 1
        assert s.scalar(select(func.count()).select_from(Message)) == 6
        assert s.scalar(select(func.count()).select_from(Offer)) == 1


def test_the_same_webhook_delivered_concurrently_is_stored_once(db):
    receipts = in_parallel(6, lambda _: inbound.receive_inbound(db, SETTINGS, "T1",
                                                                _sms("SMSAME")))
    assert sum(not r.duplicate for r in receipts) == 1
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Message)) == 1


def test_a_reply_that_beats_the_thread_bookkeeping_is_still_relayed(db):
    from bot.desk import replies
    from bot.worker.handlers import run_job as recheck_reply
    from storage import outbox, queries

    agents.set_ready(db, SETTINGS, "T1", "UAGENT1", True)
    inbound.receive_inbound(db, SETTINGS, "T1", _sms("SM1"))
    with db.transaction() as s:
        offer_id, interaction_id = s.execute(select(Offer.id, Offer.interaction_id)).one()
    offers.accept_offer(db, SETTINGS, "T1", offer_id, "UAGENT1")
    blocks = [{"type": "rich_text", "block_id": "Xy1", "elements": [
        {"type": "rich_text_section", "elements": [
            {"type": "text", "text": "On it "},
            {"type": "emoji", "name": "+1", "unicode": "1f44d"}]}]}]
    reply = replies.ThreadReply("T1", "CDESK", "1700000000.000100", "1700000000.000200",
                                "UAGENT1", "On it :+1:", "Ev1", blocks=blocks)
    # The card is in Slack, but the job has not yet written down its ts.
    outcome = replies.record_agent_reply(db, SETTINGS, reply)
    assert outcome == replies.ReplyOutcome.DEFERRED
    queries.remember_thread(db, interaction_id, "CDESK", "1700000000.000100")

    with db.transaction() as s:
        s.execute(update(Job).where(Job.kind == "timer.recheck_reply")
                  .values(due_at=Job.created_at))
    [job] = [j for j in outbox.claim(db, limit=50) if j.kind == "timer.recheck_reply"]
    services = type("S", (), {"db": db, "settings_for": lambda self, team_id: SETTINGS})()
    recheck_reply(services, job)
    with db.transaction() as s:
        relayed = s.scalars(select(Message).where(Message.direction == "outbound")).one()
        # Looked at again, it is read from its blocks as the listener reads them.
        assert (relayed.slack_text, relayed.body) == ("On it :+1:", "On it \U0001F44D")
        assert s.scalar(select(func.count()).select_from(Job)
                        .where(Job.kind == "sms.send")) == 1


def test_a_thread_that_is_no_interaction_is_let_go_after_a_few_looks(db):
    from bot.desk import replies

    reply = replies.ThreadReply("T1", "CDESK", "1.1", "1.2", "UAGENT1", "lunch?", None)
    outcomes = [replies.record_agent_reply(db, SETTINGS, reply, recheck=n)
                for n in range(replies.RECHECKS + 1)]
    assert outcomes[-1] == replies.ReplyOutcome.NOT_A_DESK_THREAD
    assert set(outcomes[:-1]) == {replies.ReplyOutcome.DEFERRED}
    elsewhere = dataclasses.replace(SETTINGS, desk_channel="COTHER")
    assert replies.record_agent_reply(db, elsewhere, reply) == \
        replies.ReplyOutcome.NOT_A_DESK_THREAD
