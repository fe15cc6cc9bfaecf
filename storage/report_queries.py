"""The SQL of reports (bot/desk/reports/build.py): a period's interactions with the facts
every measure is computed from, and its texts. SQLAlchemy Core, so the same statements run
on SQLite and PostgreSQL; no time-zone arithmetic in SQL (it is not portable): rows come back
with UTC times and the report buckets them in the workspace's zone.

Fast on a year of data: an interaction is found by (team_id, created_at) and a text by
(team_id, created_at) (migration 0023); everything else about a page of interactions by
its interaction_id, which messages, offers and the timeline are indexed by. Rows come a page
at a time, each page in a transaction of its own: a report over a year streams, and on
SQLite (where a transaction holds the write lock) the desk's writes go on between pages.
Every statement filters on team_id.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Integer, Select, and_, func, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from storage.db import Database
from storage.models import Interaction, Message, Offer, TimelineEvent

PAGE = 1000  # interactions a page
# A SELECT of any columns (Select is generic over its row's types).
Query = Select[*tuple[Any, ...]]


@dataclass(frozen=True)
class EventKinds:
    """The timeline's kinds a report reads (bot/desk/interactions/timeline.py) and the offer
    states that count against an agent (bot/desk/interactions/lifecycle.py): the domain's
    names, handed in, since storage imports nothing of the domain."""

    accepted: str
    sent: str
    session_expired: str
    transferred: str
    queue_transferred: str
    offer_rejected: str
    offer_timed_out: str


@dataclass
class InteractionFacts:
    """One interaction and what happened to it, as stored; times are UTC."""

    id: int
    queue: str
    direction: str
    mode: str
    state: str
    contact_id: int
    agent_user_id: str | None  # who holds it now, or held it when it closed
    created_at: datetime
    accepted_at: datetime | None  # the latest Accept (a transfer's counts)
    closed_at: datetime | None
    disposition: str | None
    texts_in: int = 0
    texts_out: int = 0  # the provider took them
    first_text_at: datetime | None = None  # the customer's first text
    first_accept_at: datetime | None = None
    first_accept_by: str | None = None
    first_reply_at: datetime | None = None  # an agent's first reply the provider took
    first_reply_by: str | None = None
    expired_at: datetime | None = None  # its session closed for messaging
    transferred_by: list[str | None] = field(default_factory=list)  # one per transfer
    # The first transfer to another queue, as the timeline words it (its detail): it names
    # the queue the interaction waited in before.
    first_queue_transfer: str | None = None
    rejects: dict[str, int] = field(default_factory=dict)  # agent -> offers rejected
    missed: dict[str, int] = field(default_factory=dict)  # agent -> offers let run out


def _pages(db: Database, team_id: str, start: datetime, end: datetime, queue: str | None,
           page: int) -> Iterator[tuple[Sequence[Any], Query]]:
    """The interactions opened in [start, end) in (created_at, id) order, a page per
    transaction, each with the statement narrowed to that page. A page starts after the last
    row of the one before (keyset): its time replaces `start`, since with two lower bounds
    on created_at SQLite may range over the index from the first and filter by the other,
    rereading every page before. The narrowed statement names its rows by their bounds, not
    by a list of ids, so every page sends the database the same SQL."""
    at, row_id = Interaction.created_at, Interaction.id
    last: tuple[datetime, int] | None = None
    while True:
        query = opened_statement(team_id, start if last is None else last[0], end, queue)
        if last is not None:
            query = query.where(or_(at > last[0], and_(at == last[0], row_id > last[1])))
        with db.transaction() as s:
            rows = s.connection().execute(query.order_by(at, row_id).limit(page)).all()
        if not rows:
            return
        final = (rows[-1].created_at, rows[-1].id)
        this_page = opened_statement(team_id, start if last is None else last[0], end, queue,
                                     through=final[0])
        if last is not None:
            this_page = this_page.where(or_(at > last[0],
                                            and_(at == last[0], row_id > last[1])))
        yield rows, this_page.where(or_(at < final[0], and_(at == final[0],
                                                            row_id <= final[1])))
        if len(rows) < page:
            return
        last = final


def count_opened(db: Database, team_id: str, start: datetime, end: datetime,
                 queue: str | None) -> int:
    """How many interactions `opened_statement` names: the total a long export counts to."""
    with db.transaction() as session:
        return session.scalar(select(func.count()).select_from(
            opened_statement(team_id, start, end, queue).subquery())) or 0


def opened_statement(team_id: str, start: datetime, end: datetime, queue: str | None, *,
                     through: datetime | None = None) -> Query:
    """Interactions opened in [start, end) (or [start, through]), in `queue` if given. Left
    out: a HELP the desk answered by itself with no conversation open, which is closed at
    once and never offered (the one way an interaction closes unaccepted)."""
    statement = select(
        Interaction.id, Interaction.queue, Interaction.direction, Interaction.mode,
        Interaction.state, Interaction.contact_id, Interaction.agent_user_id,
        Interaction.created_at, Interaction.accepted_at, Interaction.closed_at,
        Interaction.disposition,
    ).where(
        Interaction.team_id == team_id, Interaction.created_at >= start,
        Interaction.created_at < end if through is None else Interaction.created_at <= through,
        or_(Interaction.accepted_at.is_not(None), Interaction.closed_at.is_(None)),
    )
    return statement if queue is None else statement.where(Interaction.queue == queue)


def texts_of_statement(team_id: str, ids: Query) -> Query:
    """Per interaction and direction: how many texts, how many the provider took, the first.
    `ids`: a SELECT of the page's interaction ids (of `team_id`)."""
    return (select(Message.interaction_id, Message.direction, func.count(),
                   func.count(Message.provider_sid), func.min(Message.created_at))
            # The team is the interactions' (`ids` is of the team): without statistics (the
            # desk never runs ANALYZE) SQLite reckons messages.team_id = ? narrower than a
            # page of ids, and would read the team's every text by ix_messages_team_created.
            .where(Message.interaction_id.in_(ids))
            .group_by(Message.interaction_id, Message.direction))


def events_of_statement(team_id: str, ids: Query, kinds: EventKinds) -> Query:
    """The timeline events a report reads, in the order they happened."""
    wanted = (kinds.accepted, kinds.sent, kinds.session_expired, kinds.transferred,
              kinds.queue_transferred)
    return (select(TimelineEvent.interaction_id, TimelineEvent.kind,
                   TimelineEvent.actor_user_id, TimelineEvent.detail, TimelineEvent.at)
            .where(TimelineEvent.team_id == team_id, TimelineEvent.interaction_id.in_(ids),
                   TimelineEvent.kind.in_(wanted),
                   # The desk's own texts (the help and holding replies) have no author.
                   or_(TimelineEvent.kind != kinds.sent,
                       TimelineEvent.actor_user_id.is_not(None)))
            .order_by(TimelineEvent.interaction_id, TimelineEvent.id))


def declines_of_statement(team_id: str, ids: Query, kinds: EventKinds) -> Query:
    """Per interaction, agent and outcome: the offers rejected or let run out."""
    return (select(Offer.interaction_id, Offer.agent_user_id, Offer.state, func.count())
            .where(Offer.team_id == team_id, Offer.interaction_id.in_(ids),
                   Offer.state.in_((kinds.offer_rejected, kinds.offer_timed_out)))
            .group_by(Offer.interaction_id, Offer.agent_user_id, Offer.state))


def interactions_opened(db: Database, team_id: str, start: datetime, end: datetime,
                        queue: str | None, kinds: EventKinds,
                        page: int = PAGE) -> Iterator[list[InteractionFacts]]:
    """Interactions opened in [start, end) (in `queue`, if given), oldest first, a page at a
    time, with their texts, accepts, replies, expiry, transfers and declined offers."""
    for rows, this_page in _pages(db, team_id, start, end, queue, page):
        facts = {row.id: InteractionFacts(**row._asdict()) for row in rows}
        ids = this_page.with_only_columns(Interaction.id)
        with db.transaction() as s:
            core = s.connection()  # plain rows: no ORM bookkeeping for a year of them
            for interaction_id, direction, count, taken, first in core.execute(
                    texts_of_statement(team_id, ids)):
                fact = facts[interaction_id]
                if direction == "inbound":
                    fact.texts_in, fact.first_text_at = count, first
                else:
                    fact.texts_out = taken
            for interaction_id, kind, actor, detail, at in core.execute(
                    events_of_statement(team_id, ids, kinds)):
                _add_event(facts[interaction_id], kinds, kind, actor, detail, at)
            for interaction_id, agent, state, count in core.execute(
                    declines_of_statement(team_id, ids, kinds)):
                fact = facts[interaction_id]
                tally = fact.rejects if state == kinds.offer_rejected else fact.missed
                tally[agent] = tally.get(agent, 0) + count
        yield list(facts.values())


def _add_event(fact: InteractionFacts, kinds: EventKinds, kind: str, actor: str | None,
               detail: str | None, at: datetime) -> None:
    if kind == kinds.accepted and fact.first_accept_at is None:
        fact.first_accept_at, fact.first_accept_by = at, actor
    elif kind == kinds.sent and fact.first_reply_at is None:
        fact.first_reply_at, fact.first_reply_by = at, actor
    elif kind == kinds.session_expired and fact.expired_at is None:
        fact.expired_at = at
    elif kind == kinds.transferred:
        fact.transferred_by.append(detail or None)  # detail: who passed it on
    elif kind == kinds.queue_transferred:
        fact.transferred_by.append(actor)
        if fact.first_queue_transfer is None:
            fact.first_queue_transfer = detail


class quarter_hour(FunctionElement[int]):
    """The quarter of an hour (UTC) a time falls in, counted from 1970: the one piece of time
    arithmetic done in SQL, written once per database. Every zone's offset is a whole number
    of quarter hours, so a quarter lies within one local hour and the report puts it there."""

    type = Integer()
    inherit_cache = True


@compiles(quarter_hour, "sqlite")
def _quarter_hour_sqlite(element: quarter_hour, compiler: Any, **kw: Any) -> str:
    return f"CAST(strftime('%s', {compiler.process(element.clauses, **kw)}) AS INTEGER) / 900"


@compiles(quarter_hour, "postgresql")
def _quarter_hour_postgresql(element: quarter_hour, compiler: Any, **kw: Any) -> str:
    return (f"CAST(floor(extract(epoch FROM {compiler.process(element.clauses, **kw)}) / 900)"
            " AS BIGINT)")


QUARTER_HOUR = timedelta(minutes=15)


def _texts_between(statement: Query, team_id: str, start: datetime, end: datetime,
                   queue: str | None) -> Query:
    statement = (statement.join(Interaction, Interaction.id == Message.interaction_id)
                 .where(Message.team_id == team_id, Interaction.team_id == team_id,
                        Message.created_at >= start, Message.created_at < end))
    return statement if queue is None else statement.where(Interaction.queue == queue)


def texts_statement(team_id: str, start: datetime, end: datetime,
                    queue: str | None) -> Query:
    """The texts received or sent in [start, end), counted by which way, whether the provider
    took them, who wrote them, and their interaction's queue and holder."""
    taken = Message.provider_sid.is_not(None).label("taken")
    columns = (Message.direction, taken, Message.author_user_id, Interaction.queue,
               Interaction.agent_user_id)
    return _texts_between(select(*columns, func.count()), team_id, start, end,
                          queue).group_by(*columns)


def texts_by_quarter_statement(team_id: str, start: datetime, end: datetime,
                               queue: str | None) -> Query:
    """The same texts counted per quarter of an hour, which way and whether taken."""
    quarter = quarter_hour(Message.created_at).label("quarter")
    taken = Message.provider_sid.is_not(None).label("taken")
    return _texts_between(select(quarter, Message.direction, taken, func.count()),
                          team_id, start, end, queue).group_by(quarter, Message.direction, taken)


@dataclass(frozen=True)
class Texts:
    """How many texts: received or sent, taken by the provider or not, their author, and
    their interaction's queue and holder."""

    inbound: bool
    taken: bool
    author_user_id: str | None
    queue: str
    agent_user_id: str | None
    count: int


@dataclass(frozen=True)
class QuarterTexts:
    start: datetime  # UTC
    inbound: bool
    taken: bool
    count: int


def texts_between(db: Database, team_id: str, start: datetime, end: datetime,
                  queue: str | None) -> tuple[list[Texts], list[QuarterTexts]]:
    """The texts of [start, end) (of `queue`'s interactions, if given), counted by the
    database: by who and where, and by quarter hour."""
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    with db.transaction() as s:
        core = s.connection()
        counts = [Texts(row.direction == "inbound", bool(row.taken), row.author_user_id,
                        row.queue, row.agent_user_id, row[-1])
                  for row in core.execute(texts_statement(team_id, start, end, queue))]
        quarters = [QuarterTexts(epoch + row.quarter * QUARTER_HOUR,
                                 row.direction == "inbound", bool(row.taken), row[-1])
                    for row in core.execute(texts_by_quarter_statement(team_id, start, end,
                                                                       queue))]
    return counts, quarters
