"""Slack delivery under Slack's rate limits: busy session-mode conversations, our scheduler
against straight posting with slack_sdk's retry handler (the baseline).

Runs the real desk (tests/harness.py) against a fake Slack that rate-limits like Slack
(chat.postMessage one a second per channel with a burst of 3 and 300 a minute per
workspace; chat.update, reactions.* 50 a minute; chat.postEphemeral, views.publish 100 a
minute; 429 with Retry-After past them). N agents each accept one conversation; then for
--seconds every customer texts every 4-8 s and every agent replies every 6-10 s; then the
desk drains. Reported per run:
  - customer texts in (webhooks answered 200) and customer lines out (distinct lines posted
    in Slack) and doubles (a line posted twice): in must equal out, doubles must be 0;
  - agent replies relayed to the phone;
  - delay of a customer's text into Slack: p50 / p99 / max, from the webhook to the post;
  - how close to Slack's ceiling the desk channel ran while it had a backlog (posts a second
    against the 1/s allowed), the 429s Slack answered, and the drain time after the traffic.

    .venv/bin/python bench/slack_delivery.py [--conversations 5,20,50] [--seconds 20]
        [--threads channel,dm] [--modes scheduler,baseline]
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # `tests` is not an installed package

from sqlalchemy import select  # noqa: E402

from bench.stats import percentile  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.desk.queues import Queue  # noqa: E402
from bot.slack import ids  # noqa: E402
from bot.worker.pacing import SlackPacer  # noqa: E402
from storage.models import Contact, Interaction  # noqa: E402
from tests.fakes.slack.faults import SLACK_METHOD_LIMITS  # noqa: E402
from tests.harness import BUSINESS_NUMBER, DESK_CHANNEL, Desk, action_value, start_desk  # noqa: E402


def agent_id(n: int) -> str:
    return f"UAG{n:04d}"


def customer(n: int) -> str:
    return f"+1415555{n:04d}"


def setup(desk: Desk, count: int, threads: str) -> dict[str, tuple[str, str, str]]:
    """Every agent Ready, every customer's first text accepted: customer -> (agent, channel
    of the thread, thread ts)."""
    for n in range(count):
        desk.slash(agent_id(n), ids.COMMAND_READY)
    for n in range(count):
        desk.customer_texts(customer(n), f"hello from {n}")
    accepted: set[str] = set()
    deadline = time.monotonic() + 60 + 4 * count
    while len(accepted) < count and time.monotonic() < deadline:
        for n in range(count):
            user = agent_id(n)
            if user in accepted:
                continue
            for preview in desk.previews_for(user):
                try:
                    value = action_value(preview, ids.ACCEPT_OFFER)
                except AssertionError:
                    continue
                desk.click(user, ids.ACCEPT_OFFER, value)
                accepted.add(user)
                break
        time.sleep(0.2)
    held: dict[str, tuple[str, str, str]] = {}
    while len(held) < count and time.monotonic() < deadline:
        with desk.db.transaction() as s:
            rows = s.execute(select(Contact.phone, Interaction.agent_user_id,
                                    Interaction.desk_channel, Interaction.thread_ts)
                             .join(Contact, Contact.id == Interaction.contact_id)
                             .where(Interaction.thread_ts.is_not(None))).all()
        held = {phone: (agent, channel, ts) for phone, agent, channel, ts in rows}
        time.sleep(0.5)
    if len(held) < count:
        raise SystemExit(f"setup: only {len(held)} of {count} conversations opened")
    return held


def run(count: int, threads: str, mode: str, seconds: float) -> dict:
    url = f"sqlite:///{tempfile.mkdtemp()}/delivery.sqlite3"
    agents = tuple(agent_id(n) for n in range(count))
    settings = Settings(desk_channel=DESK_CHANNEL, offer_timeout_seconds=600, agent_capacity=1,
                        session_numbers=(BUSINESS_NUMBER,), spelling_enabled=False,
                        queues=(Queue(name="SMS", threads=threads),))
    desk = start_desk(url, settings=settings, agents=agents, worker_threads=4,
                      pacer=SlackPacer() if mode == "scheduler" else None,
                      pacing=mode == "scheduler")
    desk.slack.enforce_rate_limits(per_channel_post=(1.0, 3), methods=SLACK_METHOD_LIMITS)
    try:
        held = setup(desk, count, threads)
        desk.wait_idle(timeout=300)
        traffic_start = time.monotonic()
        sent_at: dict[str, float] = {}
        lock = threading.Lock()
        replies = 0
        stop = traffic_start + seconds

        def customer_loop(n: int) -> None:
            k = 0
            rng = random.Random(n)
            time.sleep(rng.uniform(0, 4))
            while time.monotonic() < stop:
                marker = f"c{n}-{k}"
                at = time.monotonic()
                if desk.customer_texts(customer(n), f"{marker} where is my order").status_code \
                        == 200:
                    with lock:
                        sent_at[marker] = at
                k += 1
                time.sleep(rng.uniform(4, 8))

        def agent_loop(phone: str, n: int) -> None:
            nonlocal replies
            user, channel, ts = held[phone]
            rng = random.Random(1000 + n)
            time.sleep(rng.uniform(2, 6))
            while time.monotonic() < stop:
                text = f"r{n} looking into it"
                if threads == "dm":
                    dm = desk.slack.dm_channel(user)
                    posted = desk.slack.user_posts(dm, user, text, thread_ts=ts)
                    desk.event({"type": "message", "channel": dm, "user": user, "text": text,
                                "ts": posted, "thread_ts": ts, "channel_type": "im",
                                "event_ts": posted})
                else:
                    desk.agent_writes_in_thread(user, ts, text, channel=channel)
                with lock:
                    replies += 1
                time.sleep(rng.uniform(6, 10))

        workers = [threading.Thread(target=customer_loop, args=(n,)) for n in range(count)]
        workers += [threading.Thread(target=agent_loop, args=(phone, n))
                    for n, phone in enumerate(sorted(held))]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        traffic_end = time.monotonic()

        def posted() -> dict[str, list[float]]:
            lines: dict[str, list[float]] = {}
            for call in desk.slack.calls_to("chat.postMessage"):
                if call.failed:
                    continue
                text = str(call.params.get("text") or "")
                marker = next((w for w in text.replace(":", " ").split()
                               if w.startswith("c") and "-" in w and w[1].isdigit()), None)
                if marker and call.at >= traffic_start - 1:
                    lines.setdefault(marker, []).append(call.at)
            return lines

        deadline = traffic_end + 600
        while time.monotonic() < deadline and not set(sent_at) <= set(posted()):
            time.sleep(0.5)
        drained = time.monotonic()
        desk.twilio.wait_for(lambda t: len(t.sent) >= replies, 120, "replies not relayed")
        lines = posted()
        delays = [(lines[m][0] - sent_at[m]) * 1000 for m in sent_at if m in lines]
        window = [c for c in desk.slack.calls_to("chat.postMessage")
                  if not c.failed and traffic_start <= c.at <= drained]
        desk_posts = [c.at for c in window if c.params.get("channel") == DESK_CHANNEL]
        # Lines of the desk's own ("Reply from @A sent as 1 SMS"...) posted meanwhile: work
        # a desk that falls behind on them does not do.
        system_lines = sum(1 for c in window if str(c.params.get("text", "")).startswith(
            "System:"))
        backlog_seconds = max(drained - traffic_start, 1e-9)
        calls = [c for c in desk.slack.calls if traffic_start <= c.at <= drained]
        return {
            "conversations": count, "threads": threads, "mode": mode,
            "texts_in": len(sent_at), "lines_out": len(set(sent_at) & set(lines)),
            "doubles": sum(1 for m in lines if len(lines[m]) > 1),
            "replies": replies, "relayed": len(desk.twilio.sent),
            "delay_p50_ms": round(percentile(delays, 0.5)),
            "delay_p99_ms": round(percentile(delays, 0.99)),
            "delay_max_ms": round(max(delays) if delays else float("nan")),
            "desk_channel_posts_per_s": round(len(desk_posts) / backlog_seconds, 2),
            "posts_per_s": round(len(window) / backlog_seconds, 2),
            "system_lines": system_lines,
            "slack_calls": len(calls),
            "http_429": sum(1 for c in calls if c.error == "ratelimited"),
            "drain_s": round(drained - traffic_end, 1),
        }
    finally:
        desk.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", default="5,20,50")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--threads", default="channel,dm")
    parser.add_argument("--modes", default="scheduler,baseline")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    results = []
    print("conv threads  mode       in   out  dbl  replies relayed  p50ms  p99ms  maxms "
          " desk/s posts/s system  calls  429  drain_s")
    for count in (int(c) for c in args.conversations.split(",")):
        for threads in args.threads.split(","):
            for mode in args.modes.split(","):
                r = run(count, threads, mode, args.seconds)
                results.append(r)
                print(f"{r['conversations']:>4} {r['threads']:<7} {r['mode']:<9} "
                      f"{r['texts_in']:>4} {r['lines_out']:>5} {r['doubles']:>4} "
                      f"{r['replies']:>8} {r['relayed']:>7} {r['delay_p50_ms']:>6} "
                      f"{r['delay_p99_ms']:>6} {r['delay_max_ms']:>6} "
                      f"{r['desk_channel_posts_per_s']:>7} {r['posts_per_s']:>7} "
                      f"{r['system_lines']:>6} {r['slack_calls']:>6} "
                      f"{r['http_429']:>4} {r['drain_s']:>8}", flush=True)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
