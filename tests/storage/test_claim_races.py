"""Claims racing Accepts, routing and each other: one winner, one thread, on SQLite and
PostgreSQL alike."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.config import Settings
from bot.desk.interactions import agents, claiming, inbound, offers
from bot.desk.messages import InboundMessage
from storage.models import Interaction, Job, Offer
from tests.harness import in_parallel

pytestmark = pytest.mark.postgres
SETTINGS = Settings(desk_channel="CDESK", offer_timeout_seconds=30, agent_capacity=10)


def _sms(sid: str, phone: str = "+14155550100") -> InboundMessage:
    return InboundMessage("twilio", sid, phone, "+15005550006", "Is my order late?")


def _threads_opened(db) -> int:
    with db.transaction() as s:
        return s.scalar(select(func.count()).select_from(Job)
                        .where(Job.kind == "slack.open_thread")) or 0


def test_claims_racing_the_offered_agents_accept_have_exactly_one_winner(db):
    agents.set_ready(db, SETTINGS, "T1", "UOFFERED", True)
    inbound.receive_inbound(db, SETTINGS, "T1", _sms("SM1"))
    with db.transaction() as s:
        offer_id, interaction_id = s.execute(select(Offer.id, Offer.interaction_id)).one()

    def act(index: int):
        if index % 2:
            return offers.accept_offer(db, SETTINGS, "T1", offer_id, "UOFFERED").won
        return claiming.claim(db, SETTINGS, "T1", interaction_id, f"UCLAIM{index}").won

    assert sum(in_parallel(8, act)) == 1
    assert _threads_opened(db) == 1
    with db.transaction() as s:
        interaction = s.get_one(Interaction, interaction_id)
        assert interaction.state == "accepted"
        states = dict(s.execute(select(Offer.agent_user_id, Offer.state)).all())
        assert list(states.values()).count("accepted") == 1
        assert states[interaction.agent_user_id] == "accepted"
        if interaction.agent_user_id != "UOFFERED":
            assert states["UOFFERED"] == "withdrawn"  # its preview says who took it


def test_a_claim_racing_routing_of_the_same_text_leaves_it_with_one_agent(db):
    for round_ in range(4):
        inbound.receive_inbound(db, SETTINGS, "T1", _sms(f"SM{round_}", f"+1415555010{round_}"))
        with db.transaction() as s:
            interaction_id = s.scalar(select(Interaction.id).where(
                Interaction.state == "queued"))

        def act(index: int, interaction_id=interaction_id):
            if index == 0:  # going Ready deals the queue: routing offers the text
                return agents.set_ready(db, SETTINGS, "T1", "UROUTED", True)
            return claiming.claim(db, SETTINGS, "T1", interaction_id, "UCLAIMER").won

        in_parallel(2, act)
        agents.set_ready(db, SETTINGS, "T1", "UROUTED", False)
        with db.transaction() as s:
            interaction = s.get_one(Interaction, interaction_id)
            # The claim wins whether routing offered it first (that offer is withdrawn) or not.
            assert (interaction.state, interaction.agent_user_id) == ("accepted", "UCLAIMER")
            pending = s.scalar(select(func.count()).select_from(Offer).where(
                Offer.interaction_id == interaction_id, Offer.state == "pending"))
            assert pending == 0
    assert _threads_opened(db) == 4


def test_two_claims_for_an_agents_last_free_slot_take_only_one(db):
    settings = Settings(desk_channel="CDESK", agent_capacity=1)
    for n in range(2):
        inbound.receive_inbound(db, settings, "T1", _sms(f"SM{n}", f"+1415555010{n}"))
    with db.transaction() as s:
        ids = list(s.scalars(select(Interaction.id).order_by(Interaction.id)))

    results = in_parallel(2, lambda index: claiming.claim(db, settings, "T1", ids[index],
                                                          "UAGENT1"))
    assert sum(result.won for result in results) == 1
    [refused] = [result for result in results if not result.won]
    assert "your limit" in refused.answer.text
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Interaction)
                        .where(Interaction.agent_user_id == "UAGENT1")) == 1
