"""How long a report takes on a year of data: 1,000,000 texts, the interactions, offers and
timeline they imply, then a month's report and a day's report (build_report) and a month's
CSV rows (interaction_rows), each timed.

The year is written straight into the database in bulk (no webhooks, no Slack): a busy desk
of 40 agents in three queues, every interaction texted and answered, some declined, missed,
transferred, expired or still open, about a tenth of it in a second workspace the report
must skip. Times are spread over 2026 and the reports count in Europe/Paris.

Run: .venv/bin/python bench/reports.py [--messages 1000000] [--postgres] [--keep FILE]
PostgreSQL runs use their own database (smsdesk_bench, created if missing, its public schema
dropped first; or SMSDESK_BENCH_POSTGRES_URL), never the test suite's.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # `tests` is not an installed package

from sqlalchemy import create_engine, insert, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bot.config import Settings  # noqa: E402
from bot.desk.queues import Queue  # noqa: E402
from bot.desk.reports.build import build_report, interaction_rows  # noqa: E402
from bot.desk.reports.periods import between  # noqa: E402
from storage.db import Database, normalise_url  # noqa: E402
from storage.models import Contact, Interaction, Message, Offer, TimelineEvent  # noqa: E402

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/smsdesk_bench"
TEAM, OTHER_TEAM = "TBENCH", "TOTHER"
QUEUES = ("Billing", "Sales", "Support")
AGENTS = tuple(f"UAGENT{i:02d}" for i in range(40))
ZONE = "Europe/Paris"
YEAR_START = datetime(2026, 1, 1, tzinfo=UTC)
BATCH = 20_000


def fresh_bench_postgres(url: str) -> str:
    """The bench's own PostgreSQL database, created if missing, with an empty public schema."""
    from tests.harness import fresh_postgres

    target = make_url(normalise_url(url))
    if not target.database:
        raise SystemExit(f"{url}: name a database for the bench (e.g. .../smsdesk_bench)")
    engine = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            if not connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                     {"name": target.database}):
                quoted = connection.dialect.identifier_preparer.quote(target.database)
                connection.execute(text(f"CREATE DATABASE {quoted}"))
    finally:
        engine.dispose()
    return fresh_postgres(target.render_as_string(hide_password=False))


class Year:
    """The rows of a year, generated interaction by interaction until the texts add up."""

    def __init__(self, messages: int, seed: int = 20) -> None:
        self.random = random.Random(seed)
        self.target = messages
        self.rows: dict[type, list[dict]] = {Interaction: [], Message: [], Offer: [],
                                             TimelineEvent: []}
        self.counts = dict.fromkeys(("interactions", "messages", "offers", "timeline"), 0)
        self.next_id = {Interaction: 1, Message: 1, Offer: 1, TimelineEvent: 1}

    def _id(self, model: type) -> int:
        value = self.next_id[model]
        self.next_id[model] += 1
        return value

    def batches(self, contacts: int) -> Iterator[dict[type, list[dict]]]:
        """Rows in creation order, a batch at a time (interactions before what they hold)."""
        # 3.6 texts an interaction on average (1.8 turns, a text each way): the year's
        # interactions are spread evenly over it, and the last ones may be left out.
        step = 365 * 24 * 3600 / (self.target / 3.6)
        at = YEAR_START
        while self.counts["messages"] < self.target:
            at += timedelta(seconds=self.random.uniform(0, 2 * step))
            self._interaction(at, self.random.randrange(1, contacts + 1))
            if sum(len(rows) for rows in self.rows.values()) >= BATCH:
                yield self.rows
                self.rows = {model: [] for model in self.rows}
        yield self.rows

    def _interaction(self, created: datetime, contact_id: int) -> None:
        r = self.random
        team = OTHER_TEAM if r.random() < 0.1 else TEAM
        interaction_id = self._id(Interaction)
        self.counts["interactions"] += 1
        agent = r.choice(AGENTS)
        mode = "session" if r.random() < 0.2 else "page"
        row = {"id": interaction_id, "team_id": team, "contact_id": contact_id,
               "business_number": "+15005550006", "queue": r.choice(QUEUES), "media": "SMS",
               "mode": mode, "direction": "inbound", "customer_number": "+14155550100",
               "state": "done", "agent_user_id": agent, "created_at": created,
               "accepted_at": None, "closed_at": None, "closed_by": None, "disposition": None,
               "case_data": {}, "spelling_ignored": {}, "awaiting_reply": False}
        self.rows[Interaction].append(row)
        self._message(team, interaction_id, "inbound", created, None)
        # Declined offers first, then the one accepted.
        offered = created
        for _ in range(r.choice((0, 0, 0, 0, 1, 2))):
            state = r.choice(("rejected", "timed_out"))
            answered = offered + timedelta(seconds=r.uniform(3, 60))
            self._offer(team, interaction_id, r.choice(AGENTS), state, offered, answered)
            self._event(team, interaction_id,
                        "rejected" if state == "rejected" else "offer_timed_out", None, answered)
            offered = answered
        accepted = offered + timedelta(seconds=r.expovariate(1 / 90))
        if created > datetime(2026, 12, 30, tzinfo=UTC) and r.random() < 0.5:
            row.update(state="queued", agent_user_id=None)  # still waiting at the year's end
            self._offer(team, interaction_id, agent, "pending", offered, None)
            return
        self._offer(team, interaction_id, agent, "accepted", offered, accepted)
        self._event(team, interaction_id, "accepted", agent, accepted)
        row["accepted_at"] = accepted
        at = accepted
        for turn in range(r.choice((1, 1, 2, 2, 3))):
            if turn:
                at += timedelta(seconds=r.expovariate(1 / 120))
                self._message(team, interaction_id, "inbound", at, None)
            at += timedelta(seconds=r.expovariate(1 / 60))
            self._message(team, interaction_id, "outbound", at, agent)
            self._event(team, interaction_id, "sent", agent, at + timedelta(seconds=1))
        if r.random() < 0.03:
            colleague = r.choice(AGENTS)
            at += timedelta(seconds=30)
            self._event(team, interaction_id, "transferred", colleague, at, detail=agent)
            row["agent_user_id"] = colleague
        if mode == "session" and r.random() < 0.3:
            at += timedelta(minutes=30)
            self._event(team, interaction_id, "session_expired", None, at, detail="30")
        closed = at + timedelta(seconds=r.uniform(5, 120))
        row.update(closed_at=closed, closed_by=row["agent_user_id"],
                   disposition=r.choice(("Resolved", "Resolved", "Follow-up needed", None)))
        self._event(team, interaction_id, "closed", row["agent_user_id"], closed)

    def _message(self, team: str, interaction_id: int, direction: str, at: datetime,
                 author: str | None) -> None:
        message_id = self._id(Message)
        self.counts["messages"] += 1
        self.rows[Message].append({
            "id": message_id, "team_id": team, "interaction_id": interaction_id,
            "direction": direction, "body": "Where is my parcel?" if author is None else
            "It left today.", "author_user_id": author, "provider": "twilio",
            "provider_sid": f"SM{message_id:032d}", "from_number": "+14155550100",
            "to_number": "+15005550006",
            "delivery_state": "received" if direction == "inbound" else "delivered",
            "segments": 1, "created_at": at})

    def _offer(self, team: str, interaction_id: int, agent: str, state: str,
               offered: datetime, answered: datetime | None) -> None:
        self.counts["offers"] += 1
        self.rows[Offer].append({
            "id": self._id(Offer), "team_id": team, "interaction_id": interaction_id,
            "agent_user_id": agent, "state": state, "kind": "route", "offered_at": offered,
            "expires_at": offered + timedelta(seconds=60), "answered_at": answered})

    def _event(self, team: str, interaction_id: int, kind: str, actor: str | None,
               at: datetime, detail: str | None = None) -> None:
        self.counts["timeline"] += 1
        self.rows[TimelineEvent].append({
            "id": self._id(TimelineEvent), "team_id": team, "interaction_id": interaction_id,
            "kind": kind, "actor_user_id": actor, "detail": detail, "at": at})


def fill(db: Database, messages: int, contacts: int = 20_000) -> dict:
    started = time.perf_counter()
    with db.engine.begin() as connection:
        connection.execute(insert(Contact), [
            {"id": i, "team_id": TEAM, "phone": f"+1415555{i:07d}", "attributes": {},
             "created_at": YEAR_START} for i in range(1, contacts + 1)])
    year = Year(messages)
    for batch in year.batches(contacts):
        with db.engine.begin() as connection:
            for model, rows in batch.items():
                if rows:
                    connection.execute(insert(model), rows)
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("ANALYZE"))
    else:
        with db.engine.begin() as connection:
            connection.execute(text("ANALYZE"))
    return {**year.counts, "fill_seconds": round(time.perf_counter() - started, 1)}


def timed(work) -> tuple[float, object]:
    started = time.perf_counter()
    result = work()
    return time.perf_counter() - started, result


def measure(db: Database, settings: Settings) -> dict:
    month = between(date(2026, 11, 1), date(2026, 11, 30), ZONE)
    day = between(date(2026, 11, 18), date(2026, 11, 18), ZONE)
    results = {}
    for name, period, queue in (("month", month, None), ("day", day, None),
                                ("month, one queue", month, "Billing")):
        best = None
        for _ in range(3):
            seconds, report = timed(lambda p=period, q=queue: build_report(
                db, settings, TEAM, p, q))
            best = seconds if best is None else min(best, seconds)
        results[f"{name} report seconds"] = round(best, 3)
        results[f"{name} interactions"] = report.total.opened
        results[f"{name} texts in"] = report.total.texts_in
    seconds, count = timed(lambda: sum(1 for _ in interaction_rows(db, settings, TEAM, month)))
    results["month CSV rows seconds"] = round(seconds, 3)
    results["month CSV rows"] = count
    # A year's rows stream: the memory they take at most is a page's, not the year's.
    year = between(date(2026, 1, 1), date(2026, 12, 31), ZONE)
    seconds, count = timed(lambda: sum(1 for _ in interaction_rows(db, settings, TEAM, year)))
    results["year CSV rows seconds"] = round(seconds, 3)
    results["year CSV rows"] = count
    tracemalloc.start()
    sum(1 for _ in interaction_rows(db, settings, TEAM, year))
    results["year CSV rows peak MB"] = round(tracemalloc.get_traced_memory()[1] / 1e6, 1)
    tracemalloc.stop()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--postgres-url", default=os.environ.get("SMSDESK_BENCH_POSTGRES_URL")
                        or DEFAULT_POSTGRES_URL)
    parser.add_argument("--keep", help="SQLite file to fill (and keep); default: a temporary one")
    args = parser.parse_args()
    settings = Settings(report_time_zone=ZONE, queues=tuple(Queue(name) for name in QUEUES))
    with tempfile.TemporaryDirectory() as folder:
        url = (fresh_bench_postgres(args.postgres_url) if args.postgres else
               f"sqlite:///{args.keep or Path(folder) / 'reports.sqlite3'}")
        db = Database(url)
        db.upgrade()
        try:
            filled = fill(db, args.messages)
            print(json.dumps({"database": db.engine.dialect.name, **filled}), flush=True)
            print(json.dumps(measure(db, settings)), flush=True)
        finally:
            db.dispose()


if __name__ == "__main__":
    main()
