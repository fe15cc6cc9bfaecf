"""Contact directory search time on a large directory (default 100,000 contacts).

Seeds the contacts (every tenth with a second number) through the same bulk path as a CSV
import, then times `contacts_directory.search` the way /sms-contact calls it (limit 11) for
the queries agents type: a name, part of a name, an e-mail, a number in E.164 and as people
write it, the last digits of a number, a second number, and a query that finds nothing.

Run: .venv/bin/python bench/contacts.py [--contacts 100000] [--runs 30] [--postgres]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert, select  # noqa: E402

from bot.desk.directory import contacts_directory  # noqa: E402
from bot.desk.directory.contacts import insert_many, refresh_statistics  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.models import Contact, ContactNumber  # noqa: E402
from tests.harness import fresh_postgres  # noqa: E402

TEAM = "TBENCH"
QUERIES = {
    "full name": "Customer 042424",
    "part of a name": "customer 0999",
    "e-mail": "customer42424@example.com",
    "number E.164": "+12020042424",
    "number as written": "(202) 004-2424",
    "last 4 digits": "2424",
    "second number": "(415) 004-2420",
    "no match": "zzz nobody",
}


def seed(db: Database, contacts: int) -> float:
    started = time.perf_counter()
    batch = 10_000
    for first in range(0, contacts, batch):
        with db.transaction() as s:
            insert_many(s, TEAM, [
                {"phone": f"+1202{n:07d}", "name": f"Customer {n:06d}",
                 "email": f"customer{n}@example.com"}
                for n in range(first, min(first + batch, contacts))])
    with db.transaction() as s:
        ids = {phone: contact_id for phone, contact_id in s.execute(
            select(Contact.phone, Contact.id).where(Contact.team_id == TEAM))}
        s.execute(insert(ContactNumber), [
            {"team_id": TEAM, "contact_id": ids[f"+1202{n:07d}"], "phone": f"+1415{n:07d}"}
            for n in range(0, contacts, 10)])
    refresh_statistics(db)
    return time.perf_counter() - started


def timed(db: Database, query: str, runs: int) -> tuple[list[float], int]:
    samples, found = [], 0
    for _ in range(runs):
        started = time.perf_counter()
        found = len(contacts_directory.search(db, TEAM, query, limit=11,
                                                default_country="US"))
        samples.append((time.perf_counter() - started) * 1000)
    return samples, found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()
    if args.postgres:
        url = fresh_postgres(os.environ.get("SMSDESK_TEST_POSTGRES_URL")
                             or "postgresql://postgres@127.0.0.1:5432/test")
    else:
        url = f"sqlite:///{tempfile.mkdtemp()}/contacts.sqlite3"
    db = Database(url)
    db.upgrade()
    seeded = seed(db, args.contacts)
    database = "postgresql" if args.postgres else "sqlite"
    print(f"contact search over {args.contacts} contacts ({database}); seeded in {seeded:.1f} s")
    results = {}
    for label, query in QUERIES.items():
        samples, found = timed(db, query, args.runs)
        ordered = sorted(samples)
        results[label] = {"query": query, "found": found,
                          "median_ms": round(statistics.median(ordered), 2),
                          "p90_ms": round(ordered[int(len(ordered) * 0.9) - 1], 2)}
        print(f"  {label:<18} {query!r:<30} found {found:>2}   median "
              f"{results[label]['median_ms']:7.2f} ms   p90 {results[label]['p90_ms']:7.2f} ms")
    print(json.dumps({"contacts": args.contacts, "database": database, **results}))


if __name__ == "__main__":
    main()
