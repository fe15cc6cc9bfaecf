"""Benchmark: many customers text at once; how fast are webhooks answered and previews shown?

Runs the real desk (tests/harness.py: waitress on loopback, fake Slack and Twilio), makes a
pool of agents Ready with room for every interaction, then posts N signed Twilio inbound
webhooks, each from a different customer, from a thread pool. It measures the webhook
(store-first) latency and, per customer, the time from sending the webhook to the fake Slack
receiving that customer's preview (chat.postMessage to an agent). Both clocks are
time.monotonic() in this one process.

With `--instances 2` a second app instance (tests/harness.py start_another_instance: its own
web server, worker and database connections) runs beside the first on the same database and
the same fakes, as two replicas behind a load balancer; the webhooks go round-robin to the
instances' URLs and both workers claim from the one job table. `--matrix` runs SQLite and
PostgreSQL with one and two instances, each on a fresh database, and prints one table. Both
instances run in this one process, beside the fakes and the senders: two instances here show
that sharing the database loses and doubles nothing, not what a second machine adds.

    .venv/bin/python bench/inbound_throughput.py [--n 500] [--concurrency 8] [--instances 1|2]
        [--database-url URL | --postgres | --matrix] [--postgres-url URL]

PostgreSQL runs use their own database (default smsdesk_bench, created if missing; its public
schema is dropped first), never the test suite's. Sustained SMS/s is the SMS fully handled
(stored and previewed) over the time from the first webhook sent to the last preview shown.

Exits 1 if any webhook did not answer 200 (status 0 in the counts: no answer within the
harness client's 10 s timeout), if an SMS that was answered 200 never got its preview, or if
what was stored is not what was sent.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import re
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # `tests` is not an installed package

from sqlalchemy import create_engine, func, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bot.config import Settings  # noqa: E402
from bot.desk.phone import display, to_e164  # noqa: E402
from bot.slack import ids  # noqa: E402
from storage import outbox  # noqa: E402
from storage.db import normalise_url  # noqa: E402
from storage.models import Job, Message  # noqa: E402
from tests.harness import (  # noqa: E402
    DESK_CHANNEL,
    Desk,
    fresh_postgres,
    start_another_instance,
    start_desk,
)

# A database of the bench's own: the suites' `test` database may be in use by a test run.
DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/smsdesk_bench"
# 555-0100..0199 is reserved for fiction in every North American area code.
AREA_CODES = ("415", "212", "646", "312", "617", "206", "303", "512", "202", "305",
              "404", "503", "602", "702", "713", "718", "720", "773", "818", "917")
# How the preview's fallback text shows a number: "+1 415-555-0100".
SHOWN_NUMBER = re.compile(r"\+\d[\d -]*\d")
# (database, instances) the desk does not support, with the reason: printed, not run.
NOT_SUPPORTED: dict[tuple[str, int], str] = {}
# (database, instances) that run here but need saying how to read them: under the table.
NOTES: dict[tuple[str, int], str] = {
    ("sqlite", 2): "correct (BEGIN IMMEDIATE serialises the writers, claims are conditional "
                   "updates) but only on one host: WAL's shared memory does not work across "
                   "machines or on a network filesystem. Writers of different instances queue "
                   "on SQLite's sleep-and-retry busy handler, not in order (the webhook p99). "
                   "The desk's stance: SQLite for one instance, PostgreSQL for several.",
}


class LogTally(logging.Handler):
    """Counts the app's warnings and errors instead of printing a traceback per webhook."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.counts: Counter[str] = Counter()

    def emit(self, record: logging.LogRecord) -> None:
        cause = ""
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            error = getattr(error, "orig", None) or error  # the driver's error, not SQLAlchemy's
            cause = f" ({type(error).__module__}.{type(error).__name__})"
        message = record.getMessage()
        if record.name == "bot.web.twilio_routes":
            message = message.rsplit(" ", 1)[0]  # drop the MessageSid so they group
        self.counts[f"{record.levelname} {record.name}: {message}{cause}"] += 1


def capture_logs() -> LogTally:
    tally = LogTally()
    root = logging.getLogger()
    root.addHandler(tally)
    root.setLevel(logging.WARNING)
    return tally


@dataclass
class Sent:
    number: str
    sent_at: float
    answered_at: float
    status: int


def customer_number(i: int) -> str:
    if i < 100 * len(AREA_CODES):
        return f"+1{AREA_CODES[i // 100]}5550{100 + i % 100}"
    return f"+1415{2_000_000 + i}"  # +1 415-2xx-xxxx: possible, and not a 555 number


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile; nan for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def fresh_bench_postgres(url: str) -> str:
    """The bench's own PostgreSQL database, created if missing, with an empty public schema."""
    target = make_url(normalise_url(url))
    if not target.database:
        raise SystemExit(f"{url}: name a database for the bench (e.g. .../smsdesk_bench)")
    engine = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            exists = connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                       {"name": target.database})
            if not exists:
                quoted = connection.dialect.identifier_preparer.quote(target.database)
                connection.execute(text(f"CREATE DATABASE {quoted}"))
    finally:
        engine.dispose()
    return fresh_postgres(target.render_as_string(hide_password=False))


@contextmanager
def jobs_claimed_per_database() -> Iterator[Counter[int]]:
    """id(Database) -> outbox jobs its worker claimed: shows each instance did its share.
    The workers call `outbox.claim` through the module, so wrapping it there sees them all."""
    claimed: Counter[int] = Counter()
    claim = outbox.claim

    def counting_claim(db, *args, **kwargs):
        jobs = claim(db, *args, **kwargs)
        claimed[id(db)] += len(jobs)
        return jobs

    outbox.claim = counting_claim
    try:
        yield claimed
    finally:
        outbox.claim = claim


def start_instances(url: str, settings: Settings, agents: tuple[str, ...],
                    count: int) -> list[Desk]:
    """`count` app instances on one database and one pair of fakes; the first owns the fakes."""
    desks = [start_desk(url, settings=settings, agents=agents)]
    try:
        for _ in range(count - 1):
            desks.append(start_another_instance(desks[0], settings=settings))
    except BaseException:
        close_instances(desks)
        raise
    return desks


def close_instances(desks: list[Desk]) -> None:
    for desk in reversed(desks):  # the first owns the fakes: it goes last
        desk.close()


def wait_idle(desks: list[Desk], timeout: float) -> None:
    for _ in range(2):  # one instance's work can make work for another
        for desk in desks:
            desk.wait_idle(timeout=timeout)


def make_agents_ready(desks: list[Desk], agents: tuple[str, ...]) -> None:
    for i, agent in enumerate(agents):
        response = desks[i % len(desks)].slash(agent, ids.COMMAND_READY)
        if response.status_code != 200:
            raise SystemExit(f"/sms-ready for {agent} answered {response.status_code}")
    wait_idle(desks, timeout=30)  # Home tab publishes done before the clock starts


def send_all(desks: list[Desk], numbers: list[str], concurrency: int) -> list[Sent]:
    """Webhook i goes to instance i mod len(desks), as a round-robin load balancer sends it."""
    batch = os.getpid()  # MessageSids unique per run, so a reused database never dedupes them
    run = time.monotonic_ns() & 0xFFFFFFFF  # and unique per run of a --matrix

    def send(i: int) -> Sent:
        number = numbers[i]
        sent_at = time.monotonic()
        try:
            status = desks[i % len(desks)].customer_texts(
                number, f"Hello, customer {i} here",
                sid=f"SM{batch:08x}{run:08x}{i:016x}").status_code
        except Exception:  # noqa: BLE001 - a transport failure counts as a failed webhook
            status = 0
        return Sent(number, sent_at, time.monotonic(), status)

    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        return list(pool.map(send, range(len(numbers))))


def wait_for_previews(desk: Desk, wanted: set[str], timeout: float) -> tuple[dict, int]:
    """Shown number -> Call.at of its first preview; and how many previews were duplicates."""
    shown: dict[str, float] = {}
    duplicates = seen = 0
    deadline = time.monotonic() + timeout
    while True:
        calls = desk.slack.calls_to("chat.postMessage")
        for call in calls[seen:]:
            channel = str(call.params.get("channel", ""))
            if call.failed or channel[:1] not in ("U", "W", "D"):
                continue  # desk-channel cards and threads, or refused posts
            for number in SHOWN_NUMBER.findall(str(call.params.get("text", ""))):
                if number not in wanted:
                    continue
                if number in shown:
                    duplicates += 1
                else:
                    shown[number] = call.at
        seen = len(calls)
        if len(shown) == len(wanted) or time.monotonic() >= deadline:
            return shown, duplicates
        time.sleep(0.05)  # Call.at is the measurement; polling slower only saves CPU


def stored_inbound(desk: Desk) -> tuple[int, int]:
    with desk.runtime.services.db.transaction() as s:
        messages = s.scalar(select(func.count()).select_from(Message)
                            .where(Message.direction == "inbound")) or 0
        dead = s.scalar(select(func.count()).select_from(Job).where(Job.state == "dead")) or 0
    return messages, dead


def database_kind(url: str) -> str:
    return url.split(":", 1)[0].split("+", 1)[0]


def measure(url: str, instances: int, args: argparse.Namespace, tally: LogTally) -> dict:
    """One run on a fresh database: the numbers, the integrity counts and the top log lines."""
    tally.counts.clear()
    numbers = [customer_number(i) for i in range(args.n)]
    if any(to_e164(n, "US") != n for n in numbers) or len(set(numbers)) != args.n:
        raise SystemExit("customer numbers must be distinct, possible E.164 numbers")
    agents = tuple(f"UAGENT{i:03d}" for i in range(1, args.agents + 1))
    capacity = math.ceil(args.n / args.agents) + 1  # room for all: nothing waits in the queue
    settings = Settings(desk_channel=DESK_CHANNEL, offer_timeout_seconds=600,
                        agent_capacity=capacity)
    desks = start_instances(url, settings, agents, instances)
    try:
        make_agents_ready(desks, agents)
        with jobs_claimed_per_database() as claimed:
            sent = send_all(desks, numbers, args.concurrency)
            shown_number = {display(s.number): s for s in sent}
            # Only a stored SMS (answered 200) can be previewed; Twilio retries the others.
            expected = {shown for shown, s in shown_number.items() if s.status == 200}
            previews, duplicates = wait_for_previews(desks[0], expected, args.timeout)
        jobs_per_instance = [claimed[id(desk.db)] for desk in desks]
        stored, dead_jobs = stored_inbound(desks[0])
    finally:
        close_instances(desks)

    failed = [s for s in sent if s.status != 200]
    lost = sorted(expected - set(previews))  # answered 200, yet never shown to an agent
    first_sent = min(s.sent_at for s in sent)
    send_phase = max(s.answered_at for s in sent) - first_sent
    webhook_ms = [(s.answered_at - s.sent_at) * 1000 for s in sent]
    e2e_ms = [(at - shown_number[n].sent_at) * 1000 for n, at in previews.items()]
    last_preview = max(previews.values(), default=first_sent)
    return {
        "n": args.n,
        "concurrency": args.concurrency,
        "agents": args.agents,
        "agent_capacity": capacity,
        "database": database_kind(url),
        "instances": instances,
        "webhook_rps": round(args.n / send_phase, 1),
        "webhook_p50_ms": round(percentile(webhook_ms, 50), 1),
        "webhook_p99_ms": round(percentile(webhook_ms, 99), 1),
        "e2e_p50_ms": round(percentile(e2e_ms, 50), 1),
        "e2e_p99_ms": round(percentile(e2e_ms, 99), 1),
        "e2e_max_ms": round(max(e2e_ms, default=math.nan), 1),
        "previews_per_s": round(len(previews) / max(last_preview - first_sent, 1e-9), 1),
        "send_phase_s": round(send_phase, 2),
        "all_previews_s": round(last_preview - first_sent, 2),
        "webhooks_failed": len(failed),
        "webhook_statuses": {str(k): v for k, v in sorted(Counter(s.status for s in sent).items())},
        "sms_in": len(expected),
        "inbound_stored": stored,
        "previews_shown": len(previews),
        "previews_lost": len(lost),
        "previews_duplicated": duplicates,
        "dead_jobs": dead_jobs,
        "jobs_per_instance": jobs_per_instance,
        "ok": not failed and not lost and stored == args.n,
        "_failed": [f"webhook from {s.number} answered {s.status}" for s in failed[:3]],
        "_lost": [f"no preview for {number}" for number in lost[:5]],
        "_logs": tally.counts.most_common(5),
    }


def print_run(r: dict) -> None:
    print(f"inbound throughput: n={r['n']} concurrency={r['concurrency']} "
          f"database={r['database']} instances={r['instances']} "
          f"agents={r['agents']}x{r['agent_capacity']}")
    print(f"  webhooks   {r['webhook_rps']:8.1f} req/s over {r['send_phase_s']:.2f} s   "
          f"p50 {r['webhook_p50_ms']:.1f} ms  p99 {r['webhook_p99_ms']:.1f} ms  "
          f"answers {r['webhook_statuses']}")
    print(f"  previews   {r['previews_per_s']:8.1f} /s    all shown after "
          f"{r['all_previews_s']:.2f} s   sent->preview p50 {r['e2e_p50_ms']:.1f} ms  "
          f"p99 {r['e2e_p99_ms']:.1f} ms  max {r['e2e_max_ms']:.1f} ms")
    print(f"  integrity  in {r['sms_in']}  stored {r['inbound_stored']}/{r['n']}  previews "
          f"shown {r['previews_shown']}  lost {r['previews_lost']}  duplicated "
          f"{r['previews_duplicated']}  dead jobs {r['dead_jobs']}  jobs run per instance "
          f"{r['jobs_per_instance']}")
    for line, count in r["_logs"]:
        print(f"  log {count:5d} x {line[:160]}")
    for problem in r["_failed"] + r["_lost"]:
        print(f"  ! {problem}", file=sys.stderr)
    print(json.dumps({k: v for k, v in r.items() if not k.startswith("_")}))


def print_matrix(rows: list[dict]) -> None:
    print("| database | instances | n | webhook p50 / p99 ms | webhooks/s | sustained SMS/s "
          "| preview p50 / p99 ms | in | out | lost | doubled | jobs per instance |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        if "not_supported" in r:
            print(f"| {r['database']} | {r['instances']} | – | not supported: "
                  f"{r['not_supported']} | | | | | | | | |")
            continue
        print(f"| {r['database']} | {r['instances']} | {r['n']} "
              f"| {r['webhook_p50_ms']:.1f} / {r['webhook_p99_ms']:.1f} "
              f"| {r['webhook_rps']:.1f} | {r['previews_per_s']:.1f} "
              f"| {r['e2e_p50_ms']:.0f} / {r['e2e_p99_ms']:.0f} "
              f"| {r['sms_in']} | {r['previews_shown']} | {r['previews_lost']} "
              f"| {r['previews_duplicated']} "
              f"| {' + '.join(str(j) for j in r['jobs_per_instance'])} |")
    for r in rows:
        note = NOTES.get((r["database"], r["instances"]))
        if note:
            print(f"\n{r['database']}, {r['instances']} instances: {note}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=500, help="inbound SMS, one per customer")
    parser.add_argument("--concurrency", type=int, default=8, help="webhook sender threads")
    parser.add_argument("--agents", type=int, default=20, help="Ready agents")
    parser.add_argument("--instances", type=int, default=1, choices=(1, 2),
                        help="app instances sharing the database; webhooks go round-robin")
    parser.add_argument("--timeout", type=float, default=60.0,
                        help="seconds to wait for the last preview after the last webhook")
    parser.add_argument("--postgres-url",
                        default=os.environ.get("SMSDESK_BENCH_POSTGRES_URL")
                        or DEFAULT_POSTGRES_URL,
                        help="PostgreSQL for --postgres and --matrix: created if missing, its "
                             "public schema dropped first (SMSDESK_BENCH_POSTGRES_URL; default "
                             + DEFAULT_POSTGRES_URL + ")")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--database-url", help="default: a temporary SQLite file")
    where.add_argument("--postgres", action="store_true", help="the --postgres-url database")
    where.add_argument("--matrix", action="store_true",
                       help="SQLite and PostgreSQL, one and two instances, one table")
    args = parser.parse_args(argv)
    if args.n < 1 or args.concurrency < 1 or args.agents < 1:
        parser.error("--n, --concurrency and --agents must be at least 1")

    tally = capture_logs()
    with tempfile.TemporaryDirectory(prefix="smsdesk-bench-") as tmp:
        def database(kind: str, tag: str) -> str:
            if kind == "postgresql":
                return fresh_bench_postgres(args.postgres_url)
            return f"sqlite:///{Path(tmp) / f'bench-{tag}.sqlite3'}"

        if not args.matrix:
            if args.postgres:
                url = database("postgresql", "run")
            else:
                url = args.database_url or database("sqlite", "run")
            reason = NOT_SUPPORTED.get((database_kind(normalise_url(url)), args.instances))
            if reason:
                print(f"not supported: {reason}", file=sys.stderr)
                return 2
            result = measure(url, args.instances, args, tally)
            print_run(result)
            return 0 if result["ok"] else 1

        rows = []
        for kind in ("sqlite", "postgresql"):
            for instances in (1, 2):
                reason = NOT_SUPPORTED.get((kind, instances))
                if reason:
                    rows.append({"database": kind, "instances": instances,
                                 "not_supported": reason})
                    continue
                result = measure(database(kind, f"{instances}"), instances, args, tally)
                print_run(result)
                rows.append(result)
        print()
        print_matrix(rows)
        return 0 if all(r.get("ok", True) for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
