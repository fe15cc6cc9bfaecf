"""Benchmark: many customers text at once; how fast are webhooks answered and previews shown?

Runs the real desk (tests/harness.py: waitress on loopback, fake Slack and Twilio), makes a
pool of agents Ready with room for every interaction, then posts N signed Twilio inbound
webhooks, each from a different customer, from a thread pool. It measures the webhook
(store-first) latency and, per customer, the time from sending the webhook to the fake Slack
receiving that customer's preview (chat.postMessage to an agent). Both clocks are
time.monotonic() in this one process.

    .venv/bin/python bench/inbound_throughput.py [--n 500] [--concurrency 8]
        [--database-url URL | --postgres]

Exits 1 if any webhook did not answer 200 (status 0 in the counts: no answer within the
harness client's 10 s timeout) or if an SMS that was answered 200 never got its preview.
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
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # `tests` is not an installed package

from sqlalchemy import func, select  # noqa: E402

from bot.config import Settings  # noqa: E402
from bot.slack import ids  # noqa: E402
from bot.sms.phone import display, to_e164  # noqa: E402
from storage.models import Job, Message  # noqa: E402
from tests.harness import DESK_CHANNEL, Desk, fresh_postgres, start_desk  # noqa: E402

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
# 555-0100..0199 is reserved for fiction in every North American area code.
AREA_CODES = ("415", "212", "646", "312", "617", "206", "303", "512", "202", "305",
              "404", "503", "602", "702", "713", "718", "720", "773", "818", "917")
# How the preview's fallback text shows a number: "+1 415-555-0100".
SHOWN_NUMBER = re.compile(r"\+\d[\d -]*\d")


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


def make_agents_ready(desk: Desk, agents: tuple[str, ...]) -> None:
    for agent in agents:
        response = desk.slash(agent, ids.COMMAND_READY)
        if response.status_code != 200:
            raise SystemExit(f"/sms-ready for {agent} answered {response.status_code}")
    desk.wait_idle(timeout=30)  # Home tab publishes done before the clock starts


def send_all(desk: Desk, numbers: list[str], concurrency: int) -> list[Sent]:
    batch = os.getpid()  # MessageSids unique per run, so a reused database never dedupes them

    def send(i: int) -> Sent:
        number = numbers[i]
        sent_at = time.monotonic()
        try:
            status = desk.customer_texts(number, f"Hello, customer {i} here",
                                         sid=f"SM{batch:08x}{i:024x}").status_code
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=500, help="inbound SMS, one per customer")
    parser.add_argument("--concurrency", type=int, default=8, help="webhook sender threads")
    parser.add_argument("--agents", type=int, default=20, help="Ready agents")
    parser.add_argument("--timeout", type=float, default=60.0,
                        help="seconds to wait for the last preview after the last webhook")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--database-url", help="default: a temporary SQLite file")
    where.add_argument("--postgres", action="store_true",
                       help="SMSDESK_TEST_POSTGRES_URL or " + DEFAULT_POSTGRES_URL
                            + " (its public schema is dropped first)")
    args = parser.parse_args(argv)
    if args.n < 1 or args.concurrency < 1 or args.agents < 1:
        parser.error("--n, --concurrency and --agents must be at least 1")

    tally = capture_logs()
    with tempfile.TemporaryDirectory(prefix="smsdesk-bench-") as tmp:
        if args.postgres:
            url = fresh_postgres(os.environ.get("SMSDESK_TEST_POSTGRES_URL")
                                 or DEFAULT_POSTGRES_URL)
        else:
            url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        return run(url, args, tally)


def run(url: str, args: argparse.Namespace, tally: LogTally) -> int:
    numbers = [customer_number(i) for i in range(args.n)]
    if any(to_e164(n) != n for n in numbers) or len(set(numbers)) != args.n:
        raise SystemExit("customer numbers must be distinct, possible E.164 numbers")
    agents = tuple(f"UAGENT{i:03d}" for i in range(1, args.agents + 1))
    capacity = math.ceil(args.n / args.agents) + 1  # room for all: nothing waits in the queue
    settings = Settings(desk_channel=DESK_CHANNEL, offer_timeout_seconds=600,
                        agent_capacity=capacity)
    desk = start_desk(url, settings=settings, agents=agents)
    try:
        make_agents_ready(desk, agents)
        sent = send_all(desk, numbers, args.concurrency)
        shown_number = {display(s.number): s for s in sent}
        # Only a stored SMS (answered 200) can be previewed; Twilio retries the others.
        expected = {shown for shown, s in shown_number.items() if s.status == 200}
        previews, duplicates = wait_for_previews(desk, expected, args.timeout)
        stored, dead_jobs = stored_inbound(desk)
    finally:
        desk.close()
        desk.slack.stop()
        desk.twilio.stop()

    failed = [s for s in sent if s.status != 200]
    lost = sorted(expected - set(previews))  # answered 200, yet never shown to an agent
    first_sent = min(s.sent_at for s in sent)
    send_phase = max(s.answered_at for s in sent) - first_sent
    webhook_ms = [(s.answered_at - s.sent_at) * 1000 for s in sent]
    e2e_ms = [(at - shown_number[n].sent_at) * 1000 for n, at in previews.items()]
    last_preview = max(previews.values(), default=first_sent)
    database = url.split(":", 1)[0].split("+", 1)[0]
    result = {
        "n": args.n,
        "concurrency": args.concurrency,
        "agents": args.agents,
        "agent_capacity": capacity,
        "database": database,
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
        "inbound_stored": stored,
        "previews_shown": len(previews),
        "previews_lost": len(lost),
        "previews_duplicated": duplicates,
        "dead_jobs": dead_jobs,
    }
    r = result
    print(f"inbound throughput: n={r['n']} concurrency={r['concurrency']} "
          f"database={r['database']} agents={r['agents']}x{r['agent_capacity']}")
    print(f"  webhooks   {r['webhook_rps']:8.1f} req/s over {r['send_phase_s']:.2f} s   "
          f"p50 {r['webhook_p50_ms']:.1f} ms  p99 {r['webhook_p99_ms']:.1f} ms  "
          f"answers {r['webhook_statuses']}")
    print(f"  previews   {r['previews_per_s']:8.1f} /s    all shown after "
          f"{r['all_previews_s']:.2f} s   sent->preview p50 {r['e2e_p50_ms']:.1f} ms  "
          f"p99 {r['e2e_p99_ms']:.1f} ms  max {r['e2e_max_ms']:.1f} ms")
    print(f"  integrity  stored {r['inbound_stored']}/{r['n']}  previews shown "
          f"{r['previews_shown']}  lost {r['previews_lost']}  duplicated "
          f"{r['previews_duplicated']}  dead jobs {r['dead_jobs']}")
    for line, count in tally.counts.most_common(5):
        print(f"  log {count:5d} x {line[:160]}")
    for s in failed[:3]:
        print(f"  ! webhook from {s.number} answered {s.status}", file=sys.stderr)
    for number in lost[:5]:
        print(f"  ! no preview for {number}", file=sys.stderr)
    print(json.dumps(result))
    ok = not failed and not lost and stored == args.n
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
