"""Routing decision time with many Ready agents and a deep queue.

Seeds N Ready agents and M waiting interactions straight into the database, then times
what routing does on the hot paths:
  - one decision: pick the agent for the oldest waiting interaction (pick_agent);
  - one offer: route() it, which also writes the offer and its outbox jobs;
  - a dispatch: dispatch_waiting(limit=100), as when an agent goes Ready.
Each inside a transaction that is rolled back, so every run sees the same queue.

Run: .venv/bin/python bench/routing.py [--agents 500] [--waiting 5000] [--postgres]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert, select  # noqa: E402

from bot.config import Settings  # noqa: E402
from bot.desk.interactions import routing  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.models import Agent, Contact, Interaction, utcnow  # noqa: E402
from tests.harness import fresh_postgres  # noqa: E402

TEAM = "TBENCH"


def seed(db: Database, agents: int, waiting: int) -> None:
    now = utcnow()
    with db.transaction() as s:
        s.execute(insert(Agent), [
            {"team_id": TEAM, "user_id": f"U{n:06d}", "ready": True,
             "state_changed_at": now - timedelta(seconds=n),
             "last_offer_at": now - timedelta(seconds=agents - n)} for n in range(agents)])
        s.execute(insert(Contact), [
            {"team_id": TEAM, "phone": f"+1415{n:07d}", "created_at": now}
            for n in range(waiting)])
        contact_ids = list(s.scalars(select(Contact.id).order_by(Contact.id)))
        s.execute(insert(Interaction), [
            {"team_id": TEAM, "contact_id": cid, "business_number": "+15005550006",
             "queue": "SMS", "media": "SMS", "mode": "page", "state": "queued",
             "case_data": {}, "created_at": now - timedelta(seconds=waiting - i)}
            for i, cid in enumerate(contact_ids)])


def timed(db: Database, work, runs: int) -> list[float]:
    samples = []
    for _ in range(runs):
        with db.engine.connect() as connection:
            transaction = connection.begin()
            from sqlalchemy.orm import Session

            with Session(bind=connection) as s:
                started = time.perf_counter()
                work(s)
                samples.append((time.perf_counter() - started) * 1000)
            transaction.rollback()
    return samples


def summary(samples: list[float]) -> dict:
    ordered = sorted(samples)
    return {"median_ms": round(statistics.median(ordered), 2),
            "p90_ms": round(ordered[int(len(ordered) * 0.9) - 1], 2),
            "runs": len(ordered)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=500)
    parser.add_argument("--waiting", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()
    if args.postgres:
        url = fresh_postgres(os.environ.get("SMSDESK_TEST_POSTGRES_URL")
                             or "postgresql://postgres@127.0.0.1:5432/test")
    else:
        url = f"sqlite:///{tempfile.mkdtemp()}/routing.sqlite3"
    db = Database(url)
    db.upgrade()
    seed(db, args.agents, args.waiting)
    settings = Settings(desk_channel="CDESK", agent_capacity=3)

    def oldest(s):
        return s.scalars(select(Interaction).where(Interaction.state == "queued")
                         .order_by(Interaction.created_at, Interaction.id).limit(1)).one()

    results = {
        "pick_agent": summary(timed(db, lambda s: routing.pick_agent(s, settings, oldest(s)),
                                    args.runs)),
        "route_one": summary(timed(db, lambda s: routing.route(s, settings, oldest(s)),
                                   args.runs)),
        "dispatch_100": summary(timed(
            db, lambda s: routing.dispatch_waiting(s, settings, TEAM, limit=100),
            max(3, args.runs // 4))),
    }
    database = "postgresql" if args.postgres else "sqlite"
    print(f"routing with {args.agents} Ready agents, {args.waiting} waiting ({database})")
    for name, numbers in results.items():
        print(f"  {name:<13} median {numbers['median_ms']:8.2f} ms   p90 {numbers['p90_ms']:8.2f}"
              f" ms   ({numbers['runs']} runs)")
    print(json.dumps({"agents": args.agents, "waiting": args.waiting, "database": database,
                      **results}))


if __name__ == "__main__":
    main()
