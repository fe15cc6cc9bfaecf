"""A report from the stored facts: every measure of the README's "Reports", per queue, per
agent and per hour of a period, and the one row per interaction the CSV export writes.

What belongs to a period (the README says the same to supervisors):
- texts count in the hour they were received or sent (the provider took them);
- every other measure is of the interactions opened in the period (the customer's first
  text, or an agent's New SMS), whenever what it measures happened: "yesterday's closed"
  are those of yesterday's interactions that are closed now. So a report, its hourly
  chart and the CSV's rows add up to the same numbers.

Per queue, an interaction counts in the queue it is in last, except its wait (accepted,
within target): that counts in the queue it waited in, whose target it is held to.

Per agent, each measure counts for the agent it is about: texts sent for their author;
rejects and missed offers for the agent offered; a transfer for the agent who passed it on;
the wait, and whether it was within target, for the agent who accepted it first; the first
response for the agent who wrote it; everything else (opened, closed, expired, abandoned,
handle time, texts received, codes) for the agent who holds it last (who closed it).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.config import Settings
from bot.desk.interactions import timeline, transfers
from bot.desk.interactions.lifecycle import OFFER_REJECTED, OFFER_TIMED_OUT
from bot.desk.queues import Queue
from bot.desk.reports import HourBucket, Measures, Period, Report
from bot.desk.reports.periods import hour_starts
from storage import report_queries
from storage.db import Database
from storage.report_queries import InteractionFacts

KINDS = report_queries.EventKinds(
    accepted=timeline.ACCEPTED, sent=timeline.SENT, session_expired=timeline.SESSION_EXPIRED,
    transferred=timeline.TRANSFERRED, queue_transferred=timeline.QUEUE_TRANSFERRED,
    offer_rejected=OFFER_REJECTED, offer_timed_out=OFFER_TIMED_OUT)


@dataclass(frozen=True)
class InteractionRow:
    """One interaction with every measure: a row of `smsdesk report --csv`. Times are in
    the report's zone; durations in seconds (None: not measured, e.g. never accepted)."""

    interaction_id: int
    queue: str  # the queue it is in last
    waited_in: str  # the queue it waited in for its first Accept (whose target counts)
    direction: str  # inbound: the customer texted first; outbound: an agent's New SMS
    mode: str
    state: str
    agent: str | None  # who holds it last
    opened_at: datetime
    accepted_at: datetime | None  # the first Accept
    accepted_by: str | None
    first_reply_at: datetime | None
    first_reply_by: str | None
    closed_at: datetime | None
    expired_at: datetime | None
    texts_in: int
    texts_out: int
    wait_seconds: float | None
    # The wait's part while its queue was open, and the rest (overnight, a weekend, a
    # holiday): the same wait split by the queue's business hours.
    wait_in_hours_seconds: float | None
    wait_out_of_hours_seconds: float | None
    target_seconds: int
    answered_within_target: bool | None
    first_response_seconds: float | None
    handle_seconds: float | None
    abandoned: bool
    rejects: int
    missed_offers: int
    transfers: int
    disposition: str | None
    # Per agent, for the report's tallies (not CSV columns).
    rejects_by: dict[str, int] = field(default_factory=dict, repr=False)
    missed_by: dict[str, int] = field(default_factory=dict, repr=False)
    transferred_by: tuple[str | None, ...] = field(default=(), repr=False)


CSV_COLUMNS = ("interaction_id", "queue", "waited_in", "direction", "mode", "state", "agent",
               "opened_at", "accepted_at", "accepted_by", "first_reply_at", "first_reply_by",
               "closed_at", "expired_at", "texts_in", "texts_out", "wait_seconds",
               "wait_in_hours_seconds", "wait_out_of_hours_seconds", "target_seconds",
               "answered_within_target", "first_response_seconds",
               "handle_seconds", "abandoned", "rejects", "missed_offers", "transfers",
               "disposition")


def csv_values(row: InteractionRow) -> list[str]:
    """The row as CSV cells: ISO 8601 times, whole seconds, yes/no, empty for none."""
    cells = []
    for column in CSV_COLUMNS:
        value = getattr(row, column)
        if value is None:
            cells.append("")
        elif isinstance(value, bool):
            cells.append("yes" if value else "no")
        elif isinstance(value, datetime):
            cells.append(value.isoformat(timespec="seconds"))
        elif isinstance(value, float):
            cells.append(str(round(value)))
        else:
            cells.append(str(value))
    return cells


def _seconds(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return max(0.0, (end - start).total_seconds())


def _queue(settings: Settings, queue_name: str) -> Queue:
    """The queue as the settings name it; one no longer in them has the defaults (the
    default target, always open)."""
    for queue in settings.all_queues():
        if queue.name == queue_name:
            return queue
    return Queue(queue_name)


def _row(settings: Settings, fact: InteractionFacts, zone: ZoneInfo) -> InteractionRow:
    inbound = fact.direction == "inbound"
    # A New SMS is the agent's from the start: there is no wait and no Accept.
    accepted_at = fact.first_accept_at or (fact.accepted_at if inbound else None)
    accepted_by = fact.first_accept_by or (fact.agent_user_id if accepted_at else None)
    wait = _seconds(fact.created_at, accepted_at) if inbound else None
    # A transfer to another queue needs an Accept first: the first one names the queue the
    # customer waited in, whose target the wait is held to.
    moved = transfers.read_queue_transfer(fact.first_queue_transfer) \
        if fact.first_queue_transfer else None
    waited_in = moved.from_queue if moved else fact.queue
    waited_in_queue = _queue(settings, waited_in)
    target = waited_in_queue.answer_within_seconds
    in_hours = (None if wait is None or accepted_at is None else
                min(wait, waited_in_queue.open_seconds_between(fact.created_at, accepted_at)))
    first_response = (_seconds(fact.first_text_at or fact.created_at, fact.first_reply_at)
                      if inbound else None)
    closed = fact.closed_at is not None
    held_from = accepted_at or fact.accepted_at
    answered = fact.first_reply_at is not None and (
        fact.closed_at is None or fact.first_reply_at <= fact.closed_at)

    def local(at: datetime | None) -> datetime | None:
        return at.astimezone(zone) if at else None

    return InteractionRow(
        interaction_id=fact.id, queue=fact.queue, waited_in=waited_in,
        direction=fact.direction, mode=fact.mode,
        state=fact.state, agent=fact.agent_user_id, opened_at=fact.created_at.astimezone(zone),
        accepted_at=local(accepted_at), accepted_by=accepted_by,
        first_reply_at=local(fact.first_reply_at), first_reply_by=fact.first_reply_by,
        closed_at=local(fact.closed_at), expired_at=local(fact.expired_at),
        texts_in=fact.texts_in, texts_out=fact.texts_out,
        wait_seconds=wait, target_seconds=target, wait_in_hours_seconds=in_hours,
        wait_out_of_hours_seconds=None if wait is None or in_hours is None else wait - in_hours,
        answered_within_target=None if wait is None else wait <= target,
        first_response_seconds=first_response,
        handle_seconds=_seconds(held_from, fact.closed_at) if closed else None,
        abandoned=inbound and closed and not answered,
        rejects=sum(fact.rejects.values()), missed_offers=sum(fact.missed.values()),
        transfers=len(fact.transferred_by), disposition=fact.disposition,
        rejects_by=dict(fact.rejects), missed_by=dict(fact.missed),
        transferred_by=tuple(fact.transferred_by))


def interactions_in(db: Database, team_id: str, period: Period, queue: str | None = None) -> int:
    """How many rows `interaction_rows` yields for the same arguments."""
    return report_queries.count_opened(db, team_id, period.start, period.end, queue)


def interaction_rows(db: Database, settings: Settings, team_id: str, period: Period,
                     queue: str | None = None) -> Iterator[InteractionRow]:
    """One row per interaction opened in the period, oldest first, streamed a page at a
    time (a year's export never sits in memory)."""
    settings = settings.for_team(team_id)
    zone = ZoneInfo(period.time_zone)
    for page in report_queries.interactions_opened(db, team_id, period.start, period.end,
                                                   queue, KINDS):
        for fact in page:
            yield _row(settings, fact, zone)


class _Tally:
    """One Measures being added up."""

    def __init__(self) -> None:
        self.counts = dict.fromkeys(
            ("texts_in", "texts_out", "opened", "closed", "expired", "abandoned", "accepted",
             "answered_within_target", "rejects", "missed_offers", "transfers"), 0)
        self.waits: list[float] = []
        self.waits_in_hours: list[float] = []
        self.waits_out_of_hours: list[float] = []
        self.first_responses: list[float] = []
        self.handles: list[float] = []
        self.dispositions: dict[str, int] = {}

    def add(self, name: str, amount: int = 1) -> None:
        self.counts[name] += amount

    def measures(self) -> Measures:
        return Measures(
            **self.counts,
            wait_avg_seconds=_average(self.waits), wait_p90_seconds=_p90(self.waits),
            wait_in_hours_avg_seconds=_average(self.waits_in_hours),
            wait_out_of_hours_avg_seconds=_average(self.waits_out_of_hours),
            first_response_avg_seconds=_average(self.first_responses),
            first_response_p90_seconds=_p90(self.first_responses),
            handle_avg_seconds=_average(self.handles),
            dispositions=dict(sorted(self.dispositions.items())))


def _average(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _p90(values: list[float]) -> float | None:
    """Nearest rank: nine in ten took at most this long."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]


def _count_outcome(tally: _Tally, row: InteractionRow) -> None:
    """What counts for the interaction's queue, the desk, and the agent holding it last."""
    tally.add("opened")
    if row.closed_at is not None:
        tally.add("closed")
        if row.handle_seconds is not None:
            tally.handles.append(row.handle_seconds)
    if row.expired_at is not None:
        tally.add("expired")
    if row.abandoned:
        tally.add("abandoned")
    if row.disposition:
        tally.dispositions[row.disposition] = tally.dispositions.get(row.disposition, 0) + 1


def _count_accept(tally: _Tally, row: InteractionRow) -> None:
    if row.wait_seconds is not None:
        tally.add("accepted")
        tally.waits.append(row.wait_seconds)
        if row.wait_in_hours_seconds is not None and row.wait_out_of_hours_seconds is not None:
            tally.waits_in_hours.append(row.wait_in_hours_seconds)
            tally.waits_out_of_hours.append(row.wait_out_of_hours_seconds)
        if row.answered_within_target:
            tally.add("answered_within_target")


def _count_everything(tally: _Tally, row: InteractionRow, accept: bool = True) -> None:
    _count_outcome(tally, row)
    if accept:
        _count_accept(tally, row)
    if row.first_response_seconds is not None:
        tally.first_responses.append(row.first_response_seconds)
    tally.add("rejects", row.rejects)
    tally.add("missed_offers", row.missed_offers)
    tally.add("transfers", row.transfers)


def build_report(db: Database, settings: Settings, team_id: str, period: Period,
                 queue: str | None = None) -> Report:
    """Every measure for the period, for the desk (or one queue), each queue, each agent
    and each hour."""
    settings = settings.for_team(team_id)
    total = _Tally()
    queues: dict[str, _Tally] = {q.name: _Tally() for q in settings.all_queues()
                                 if queue is None or q.name == queue}
    agents: dict[str, _Tally] = {}
    hours = list(hour_starts(period))
    hour_texts = [[0, 0] for _ in hours]
    hour_responses: list[list[float]] = [[] for _ in hours]

    def agent(user_id: str | None) -> _Tally | None:
        return None if user_id is None else agents.setdefault(user_id, _Tally())

    def hour_of(at: datetime) -> int | None:
        index = int((at - period.start).total_seconds() // 3600)
        return index if 0 <= index < len(hours) else None

    for row in interaction_rows(db, settings, team_id, period, queue):
        _count_everything(total, row)
        _count_everything(queues.setdefault(row.queue, _Tally()), row, accept=False)
        if queue is None or row.waited_in == queue:
            _count_accept(queues.setdefault(row.waited_in, _Tally()), row)
        if (holder := agent(row.agent)) is not None:
            _count_outcome(holder, row)
        if (accepter := agent(row.accepted_by)) is not None:
            _count_accept(accepter, row)
        if row.first_response_seconds is not None:
            if (writer := agent(row.first_reply_by)) is not None:
                writer.first_responses.append(row.first_response_seconds)
            if (index := hour_of(row.opened_at)) is not None:
                hour_responses[index].append(row.first_response_seconds)
        for user_id, count in row.rejects_by.items():
            agents.setdefault(user_id, _Tally()).add("rejects", count)
        for user_id, count in row.missed_by.items():
            agents.setdefault(user_id, _Tally()).add("missed_offers", count)
        for passer in row.transferred_by:
            if (passed := agent(passer)) is not None:
                passed.add("transfers")

    counts, quarters = report_queries.texts_between(db, team_id, period.start, period.end,
                                                     queue)
    for texts in counts:
        if not texts.inbound and not texts.taken:
            continue  # never reached the provider: not a text out
        name = "texts_in" if texts.inbound else "texts_out"
        total.add(name, texts.count)
        queues.setdefault(texts.queue, _Tally()).add(name, texts.count)
        if (person := agent(texts.agent_user_id if texts.inbound
                            else texts.author_user_id)) is not None:
            person.add(name, texts.count)
    for quarter in quarters:
        # A period starts at a local midnight, on a quarter; one that does not (a test's)
        # has its first quarter's texts in its first hour.
        index = hour_of(max(quarter.start, period.start))
        if (quarter.inbound or quarter.taken) and index is not None:
            hour_texts[index][0 if quarter.inbound else 1] += quarter.count

    return Report(
        team_id=team_id, period=period, queue=queue, total=total.measures(),
        by_queue={name: tally.measures() for name, tally in queues.items()},
        by_agent={user_id: tally.measures() for user_id, tally in sorted(agents.items())},
        hours=tuple(HourBucket(start, texts[0], texts[1], _average(responses))
                    for start, texts, responses in zip(hours, hour_texts, hour_responses,
                                                       strict=True)))
