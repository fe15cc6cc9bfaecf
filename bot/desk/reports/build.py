"""STAND-IN (reportviews branch): the measures branch owns this module and `build_report`
(SQL in storage/report_queries.py, every measure as the README defines it); this minimal one
computes a few measures in Python so /sms-report and the digest run and are tested before it
lands. The lead keeps the measures branch's version.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy import select

from bot.config import Settings
from bot.desk.interactions.lifecycle import OFFER_REJECTED, OFFER_TIMED_OUT
from bot.desk.reports import HourBucket, Measures, Period, Report
from storage.db import Database
from storage.models import Interaction, Message, Offer


def _avg(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def build_report(db: Database, settings: Settings, team_id: str, period: Period,
                 queue: str | None = None) -> Report:
    with db.transaction() as s:
        query = select(Interaction).where(Interaction.team_id == team_id)
        if queue is not None:
            query = query.where(Interaction.queue == queue)
        interactions = {i.id: i for i in s.scalars(query)}
        messages = list(s.scalars(select(Message).where(
            Message.team_id == team_id, Message.interaction_id.in_(interactions),
            Message.created_at >= period.start, Message.created_at < period.end)))
        offers = list(s.scalars(select(Offer).where(
            Offer.team_id == team_id, Offer.interaction_id.in_(interactions),
            Offer.answered_at >= period.start, Offer.answered_at < period.end)))
        first_in: dict[int, datetime] = {}
        first_out: dict[int, datetime] = {}
        for m in s.scalars(select(Message).where(Message.team_id == team_id,
                                                 Message.interaction_id.in_(interactions))
                           .order_by(Message.created_at)):
            seen = first_in if m.direction == "inbound" else first_out
            seen.setdefault(m.interaction_id, m.created_at)

    def measures(ids: set[int], agent: str | None = None) -> Measures:
        msgs = [m for m in messages if m.interaction_id in ids]
        accepted = [i for i in (interactions[x] for x in ids) if i.accepted_at
                    and period.start <= i.accepted_at < period.end
                    and (agent is None or i.agent_user_id == agent)]
        responses = [(first_out[i.id] - first_in[i.id]).total_seconds() for i in accepted
                     if i.id in first_in and i.id in first_out]
        handled = [(i.closed_at - i.accepted_at).total_seconds() for i in accepted
                   if i.closed_at and i.accepted_at]
        declined = [o for o in offers if o.interaction_id in ids
                    and (agent is None or o.agent_user_id == agent)]
        return Measures(
            texts_in=sum(m.direction == "inbound" for m in msgs),
            texts_out=sum(m.direction == "outbound" for m in msgs),
            accepted=len(accepted),
            wait_avg_seconds=_avg([(i.accepted_at - i.created_at).total_seconds()
                                   for i in accepted if i.accepted_at]),
            first_response_avg_seconds=_avg(responses),
            handle_avg_seconds=_avg(handled),
            rejects=sum(o.state == OFFER_REJECTED for o in declined),
            missed_offers=sum(o.state == OFFER_TIMED_OUT for o in declined))

    every = set(interactions)
    queues: dict[str, set[int]] = defaultdict(set)
    agents: dict[str, set[int]] = defaultdict(set)
    for i in interactions.values():
        queues[i.queue].add(i.id)
        if i.agent_user_id:
            agents[i.agent_user_id].add(i.id)
    for o in offers:
        agents[o.agent_user_id].add(o.interaction_id)
    hours = []
    start = period.start
    while start < period.end:
        end = start + timedelta(hours=1)
        in_hour = [m for m in messages if start <= m.created_at < end]
        answered = [(first_out[x] - first_in[x]).total_seconds() for x in first_in
                    if start <= first_in[x] < end and x in first_out]
        hours.append(HourBucket(start, sum(m.direction == "inbound" for m in in_hour),
                                sum(m.direction == "outbound" for m in in_hour),
                                _avg(answered)))
        start = end
    return Report(team_id, period, queue, measures(every),
                  {name: measures(ids) for name, ids in sorted(queues.items())
                   if any(m.interaction_id in ids for m in messages)},
                  {agent: measures(ids, agent) for agent, ids in sorted(agents.items())},
                  tuple(hours))
