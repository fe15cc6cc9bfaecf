"""The desk in a storm, under Slack's rate limits: does what a person waits for come first,
and is a backlog dealt over the Ready agents? (issue 18's Done-when)

Runs the real desk (tests/harness.py: web server, worker, our Slack pacer) against the fake
Slack enforcing Slack's limits (chat.postMessage one a second per channel, burst 3, and 300 a
minute per workspace; chat.update and reactions.* 50 a minute; views.publish 100 a minute;
a 429 with Retry-After past any of them), so a desk that overspends meets 429s as it would
in production.

STORM, once per thread home (--threads: a queue's threads in the shared desk "channel", or
in each agent's "dm"): --customers customers (20) each text --texts times (3), arriving
over --arrivals seconds; --agents Ready agents (5) accept each preview as it appears and
answer every customer text in the thread once they see it there (after --agent-think s);
a customer texts again --customer-think s after their answer reached the phone. Session
mode by default (every text of a customer joins one conversation; --mode page: each answer
closes it and the next text is a new one). Printed, per stage, p50 / p99 / max in ms:
  webhook->preview   a customer's first text answered 200 -> its preview posted in a DM
  accept->root       Accept clicked -> the thread's root (the card) posted
  text->thread       a customer's text, sent to a thread already open -> posted in it
  reply->sms         the agent's reply event -> the SMS handed to the provider
and: Slack calls per interaction by method (and in all); lost (a customer text never in its
thread, a reply never sent), doubled (a text or root or preview posted twice, an SMS sent
twice), 429s Slack answered; wall time from the first text until every customer had all
their answers.

FLOOD: --flood texts (200) from as many customers arrive while nobody is Ready; then the
--agents agents go Ready one after another. Printed: previews per agent (a fair share is
--flood / --agents each), Ready -> preview posted p50 / p99 (from that agent's Ready), and
the time from the first Ready until every text's preview was posted.

Targets (issue 18, default thread home "channel"): accept->root p99 <= 2 s, text->thread
p99 <= 3 s, webhook->preview p99 <= 2 s, 0 lost / doubled / 429; flood: a fair share each,
all offered within 60 s. Each result line ends with what missed a target ("ok": none).

Run from the repository root (5 to 10 minutes; --quick about 2):
    PYTHONPATH=$PWD .venv/bin/python bench/slack_storm.py [--quick]
        [--threads channel,dm] [--only storm|flood] [--customers 20] [--texts 3]
        [--agents 5] [--flood 200] [--mode session|page] [--database-url URL]
The last line printed is every number as JSON, for comparing runs.
"""

from __future__ import annotations

import argparse
import heapq
import json
import logging
import random
import re
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
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
from storage.models import Contact, Interaction, Offer  # noqa: E402
from tests.fakes.slack.faults import SLACK_METHOD_LIMITS  # noqa: E402
from tests.harness import (  # noqa: E402
    BUSINESS_NUMBER,
    DESK_CHANNEL,
    Desk,
    action_value,
    start_desk,
    typed_blocks,
)

TARGETS_MS = {"webhook->preview": 2000, "accept->root": 2000, "text->thread": 3000}
FLOOD_TARGET_S = 60.0
STAGE_TIMEOUT = 180.0  # a customer waits this long for an answer before it counts as lost
TEXT = re.compile(r"\bc(\d+)-(\d+)\b")  # a customer's text: "c<customer>-<k>"



def stats(values: list[float]) -> dict:
    if not values:
        return {"n": 0, "p50": float("nan"), "p99": float("nan"), "max": float("nan")}
    return {"n": len(values), "p50": round(percentile(values, 0.5)),
            "p99": round(percentile(values, 0.99)), "max": round(max(values))}


def agent_id(n: int) -> str:
    return f"UAG{n:04d}"


def phone(n: int) -> str:
    return f"+1415555{n:04d}"


def settings_for(threads: str, mode: str, capacity: int) -> Settings:
    return Settings(desk_channel=DESK_CHANNEL, offer_timeout_seconds=600,
                    agent_capacity=capacity, spelling_enabled=False,
                    waiting_alert_seconds=0,  # no supervisors here: the alert is noise
                    session_numbers=(BUSINESS_NUMBER,) if mode == "session" else (),
                    queues=(Queue(name="SMS", threads=threads),))


def open_desk(url: str | None, settings: Settings, agents: int) -> Desk:
    url = url or f"sqlite:///{tempfile.mkdtemp()}/storm.sqlite3"
    desk = start_desk(url, settings=settings,
                      agents=tuple(agent_id(n) for n in range(agents)),
                      worker_threads=4, pacer=SlackPacer())
    desk.slack.enforce_rate_limits(per_channel_post=(1.0, 3), methods=SLACK_METHOD_LIMITS)
    return desk


def _dump(value) -> str:
    return json.dumps(value, default=str, sort_keys=True)


def first_post(desk: Desk, channel: str, ts: str) -> float | None:
    """When the message at (channel, ts) was posted: the chat.postMessage that carried its
    metadata (every desk post is tagged; else the same first text)."""
    try:
        message = desk.slack.message(channel, ts)
    except Exception:  # noqa: BLE001 - gone (erased): not measured
        return None
    metadata = message.get("metadata")
    edits = message.get("edits") or []
    text = edits[0]["text"] if edits else message.get("text")
    for call in desk.slack.calls_to("chat.postMessage"):
        if call.failed or call.params.get("thread_ts"):
            continue
        if metadata is not None:
            if _dump(call.params.get("metadata")) == _dump(metadata):
                return call.at
        elif call.params.get("text") == text:
            return call.at
    return None


@dataclass
class Storm:
    desk: Desk
    threads: str
    args: argparse.Namespace
    lock: threading.Lock = field(default_factory=threading.Lock)
    sent: dict[str, float] = field(default_factory=dict)  # customer text -> webhook sent
    clicked: dict[str, float] = field(default_factory=dict)  # preview ts -> Accept clicked
    replied: dict[str, float] = field(default_factory=dict)  # reply -> its event sent
    answered: dict[str, float] = field(default_factory=dict)  # customer text -> SMS back
    done: threading.Event = field(default_factory=threading.Event)

    # --- the customers ------------------------------------------------------------------
    def customer(self, n: int, start: float) -> None:
        rng = random.Random(n)
        time.sleep(max(0.0, start + rng.uniform(0, self.args.arrivals) - time.monotonic()))
        for k in range(self.args.texts):
            marker = f"c{n}-{k}"
            at = time.monotonic()
            if self.desk.customer_texts(phone(n), f"{marker} where is my order").status_code \
                    != 200:
                return
            with self.lock:
                self.sent[marker] = at
            answer = f"r{n}-{k}"
            deadline = time.monotonic() + STAGE_TIMEOUT
            while time.monotonic() < deadline:
                got = next((sms for sms in self.desk.twilio.sent_to(phone(n))
                            if answer in sms.body), None)
                if got is not None:
                    with self.lock:
                        self.answered[marker] = got.at
                    break
                time.sleep(0.05)
            else:
                return  # never answered: counted as lost
            if k + 1 < self.args.texts:
                time.sleep(rng.uniform(*self.args.customer_think))

    # --- the agents ---------------------------------------------------------------------
    def agents(self) -> None:
        """Accept every preview as it appears; answer every customer text seen in a thread."""
        desk, pool = self.desk, ThreadPoolExecutor(8)
        rng = random.Random(7)
        seen: set[str] = set()
        due: list[tuple[float, str, str, str, str]] = []  # (when, reply, agent, ch, ts)
        while not self.done.is_set():
            for n in range(self.args.agents):
                user = agent_id(n)
                dm = desk.slack.dm_channel(user)
                for message in desk.previews_for(user):
                    if message["ts"] in self.clicked:
                        continue
                    try:
                        value = action_value(message, ids.ACCEPT_OFFER)
                    except AssertionError:
                        continue  # not a preview (a card, a note), or no longer open
                    self.clicked[message["ts"]] = time.monotonic()
                    pool.submit(desk.click, user, ids.ACCEPT_OFFER, value, channel=dm,
                                message_ts=message["ts"])
            with desk.db.transaction() as s:
                threads = s.execute(select(Interaction.agent_user_id, Interaction.desk_channel,
                                           Interaction.thread_ts)
                                    .where(Interaction.thread_ts.is_not(None))).all()
            for user, channel, ts in threads:
                # The root (the card may carry the first texts) and the lines under it.
                for message in [desk.slack.message(channel, ts), *desk.slack.thread(channel, ts)]:
                    if message.get("user") not in (None, desk.slack.bot_user_id) and \
                            not message.get("bot_id"):
                        continue  # the agent's own messages
                    for found in TEXT.finditer(_dump({k: message.get(k) for k in (
                            "text", "blocks", "attachments")})):
                        marker = found.group(0)
                        if marker in seen or marker not in self.sent:
                            continue
                        seen.add(marker)
                        reply = f"r{found.group(1)}-{found.group(2)}"
                        heapq.heappush(due, (time.monotonic()
                                             + rng.uniform(*self.args.agent_think),
                                             reply, user, channel, ts))
            while due and due[0][0] <= time.monotonic():
                _when, reply, user, channel, ts = heapq.heappop(due)
                self.replied[reply] = time.monotonic()
                pool.submit(self.reply, user, channel, ts, f"{reply} looking into it")
            time.sleep(0.05)
        pool.shutdown(wait=True)

    def reply(self, user: str, channel: str, ts: str, text: str) -> None:
        desk = self.desk
        if self.threads == "dm":
            blocks = typed_blocks(text)
            posted = desk.slack.user_posts(channel, user, text, thread_ts=ts, blocks=blocks)
            desk.event({"type": "message", "channel": channel, "user": user, "text": text,
                        "ts": posted, "thread_ts": ts, "channel_type": "im",
                        "event_ts": posted, "blocks": blocks})
        else:
            desk.agent_writes_in_thread(user, ts, text, channel=channel)

    # --- the numbers --------------------------------------------------------------------
    def measure(self, start: float, end: float) -> dict:
        desk = self.desk
        with desk.db.transaction() as s:
            interactions = s.execute(select(Interaction.id, Contact.phone,
                                            Interaction.desk_channel, Interaction.thread_ts)
                                     .join(Contact, Contact.id == Interaction.contact_id)).all()
            offers = s.execute(select(Offer.interaction_id, Offer.preview_channel,
                                      Offer.preview_ts).order_by(Offer.id)).all()
        posts = [c for c in desk.slack.calls_to("chat.postMessage") if not c.failed]
        # Where each customer text first showed in a thread (a line, or the root's card).
        in_thread: dict[str, list[float]] = {}
        for call in posts:
            for marker in set(TEXT.findall(_dump({k: call.params.get(k) for k in (
                    "text", "blocks", "attachments")}))):
                in_thread.setdefault(f"c{marker[0]}-{marker[1]}", []).append(call.at)
        roots: dict[int, float] = {}
        for interaction_id, _phone, channel, ts in interactions:
            if ts and (at := first_post(desk, channel, ts)) is not None:
                roots[interaction_id] = at
        first_text: dict[int, str] = {}
        with desk.db.transaction() as s:
            from storage.models import Message
            for interaction_id, body in s.execute(
                    select(Message.interaction_id, Message.body)
                    .where(Message.direction == "inbound").order_by(Message.id)):
                if (found := TEXT.search(body)) and interaction_id not in first_text:
                    first_text[interaction_id] = found.group(0)
        to_preview, to_root = [], []
        preview_at: dict[int, float] = {}
        for interaction_id, channel, ts in offers:
            if ts and interaction_id not in preview_at and (
                    at := first_post(desk, channel, ts)) is not None:
                preview_at[interaction_id] = at
                marker = first_text.get(interaction_id)
                if marker in self.sent:
                    to_preview.append((at - self.sent[marker]) * 1000)
                if interaction_id in roots and ts in self.clicked:
                    to_root.append((roots[interaction_id] - self.clicked[ts]) * 1000)
        # Texts into a thread already open, and whether each reached one.
        thread_lines = {}
        for call in posts:
            if call.params.get("thread_ts"):
                for n, k in set(TEXT.findall(_dump({key: call.params.get(key) for key in (
                        "text", "blocks", "attachments")}))):
                    thread_lines.setdefault(f"c{n}-{k}", []).append(call.at)
        root_times = sorted(roots.values())
        to_thread = []
        opened_at = {}
        for interaction_id, phone_number, _channel, _ts in interactions:
            if interaction_id in roots:
                opened_at.setdefault(phone_number, []).append(roots[interaction_id])
        for marker, at in self.sent.items():
            n = int(marker[1:].split("-")[0])
            if any(opened <= at for opened in opened_at.get(phone(n), [])) and \
                    marker in thread_lines:
                to_thread.append((thread_lines[marker][0] - at) * 1000)
        sms = desk.twilio.sent
        relayed = {}
        for message in sms:
            for reply in re.findall(r"\br\d+-\d+\b", message.body):
                relayed.setdefault(reply, []).append(message.at)
        reply_to_sms = [(relayed[r][0] - at) * 1000 for r, at in self.replied.items()
                        if r in relayed]
        lost_texts = [m for m in self.sent if m not in thread_lines and not any(
            m in _dump(desk.slack.message(ch, ts)) for _i, _p, ch, ts in interactions if ts)]
        lost_replies = [r for r in self.replied if r not in relayed]
        doubled = (sum(1 for m in thread_lines if len(thread_lines[m]) > 1)
                   + sum(1 for r in relayed if len(relayed[r]) > 1)
                   + _doubled_tagged(posts))
        calls = [c for c in desk.slack.calls if start <= c.at <= end]
        by_method = Counter(c.method for c in calls)
        count = max(len(interactions), 1)
        answered = len(self.answered)
        return {
            "threads": self.threads, "mode": self.args.mode,
            "customers": self.args.customers, "texts": len(self.sent),
            "interactions": len(interactions), "answered": answered,
            "webhook->preview": stats(to_preview), "accept->root": stats(to_root),
            "text->thread": stats(to_thread), "reply->sms": stats(reply_to_sms),
            "calls_per_interaction": {m: round(c / count, 2)
                                      for m, c in sorted(by_method.items())},
            "calls_per_interaction_all": round(len(calls) / count, 2),
            "lost": len(lost_texts) + len(lost_replies), "lost_texts": lost_texts[:10],
            "lost_replies": lost_replies[:10], "doubled": doubled,
            "http_429": sum(1 for c in calls if c.error == "ratelimited"),
            "http_429_by_method": dict(Counter(c.method for c in calls
                                               if c.error == "ratelimited")),
            "wall_s": round((max(self.answered.values()) - start)
                            if answered == len(self.sent) and answered else float("nan"), 1),
            "root_posts": len(root_times),
        }


def _doubled_tagged(posts) -> int:
    """Posts carrying the same metadata key (a preview, a root, a line) more than once."""
    keys = Counter(_dump(c.params.get("metadata")) for c in posts
                   if c.params.get("metadata"))
    return sum(1 for count in keys.values() if count > 1)


def storm(args: argparse.Namespace, threads: str) -> dict:
    desk = open_desk(args.database_url,
                     settings_for(threads, args.mode,
                                  capacity=-(-args.customers // args.agents) + 1),
                     args.agents)
    try:
        for n in range(args.agents):
            desk.slash(agent_id(n), ids.COMMAND_READY)
        desk.wait_idle(timeout=60)
        run = Storm(desk, threads, args)
        start = time.monotonic()
        customers = [threading.Thread(target=run.customer, args=(n, start))
                     for n in range(args.customers)]
        driver = threading.Thread(target=run.agents)
        driver.start()
        for thread in customers:
            thread.start()
        for thread in customers:
            thread.join()
        end = time.monotonic()
        run.done.set()
        driver.join()
        desk.wait_idle(timeout=120)
        return run.measure(start, end)
    finally:
        desk.close()


def flood(args: argparse.Namespace) -> dict:
    desk = open_desk(args.database_url, settings_for("channel", "page", capacity=args.flood),
                     args.agents)
    try:
        for n in range(args.flood):
            assert desk.customer_texts(phone(n), f"c{n}-0 hello").status_code == 200
        desk.wait_idle(timeout=60)
        agents = [agent_id(n) for n in range(args.agents)]
        dms = {desk.slack.dm_channel(user): user for user in agents}
        ready_at = {}
        for user in agents:
            ready_at[user] = time.monotonic()
            desk.slash(user, ids.COMMAND_READY)
        first_ready = min(ready_at.values())

        def previews() -> dict[str, list[float]]:
            found: dict[str, list[float]] = {user: [] for user in agents}
            for call in desk.slack.calls_to("chat.postMessage"):
                channel = str(call.params.get("channel"))
                user = channel if channel in found else dms.get(channel)
                if not call.failed and user and not call.params.get("thread_ts") \
                        and call.at >= first_ready:
                    found[user].append(call.at)
            return found

        deadline = time.monotonic() + args.flood * 2 + 60
        while time.monotonic() < deadline and sum(map(len, previews().values())) < args.flood:
            time.sleep(0.25)
        shown = previews()
        waits = [(at - ready_at[user]) * 1000 for user, times in shown.items() for at in times]
        everything = [at for times in shown.values() for at in times]
        calls = [c for c in desk.slack.calls if c.at >= first_ready]
        return {
            "flood": args.flood, "agents": args.agents,
            "per_agent": [len(shown[user]) for user in agents],
            "offered": len(everything),
            "ready->offered": stats(waits),
            "all_offered_s": round(max(everything) - first_ready, 1)
            if len(everything) >= args.flood else float("nan"),
            "http_429": sum(1 for c in calls if c.error == "ratelimited"),
            "http_429_by_method": dict(Counter(c.method for c in calls
                                               if c.error == "ratelimited")),
        }
    finally:
        desk.close()


def storm_misses(r: dict) -> list[str]:
    misses = [f"{stage} p99 {r[stage]['p99']} > {limit}" for stage, limit in TARGETS_MS.items()
              if not r[stage]["p99"] <= limit]
    misses += [f"{key} {r[key]}" for key in ("lost", "doubled", "http_429") if r[key]]
    if r["answered"] < r["texts"] or r["texts"] < r["customers"] * 1:
        misses.append(f"answered {r['answered']} of {r['texts']}")
    return misses


def flood_misses(r: dict, args: argparse.Namespace) -> list[str]:
    share = args.flood / args.agents
    misses = []
    if min(r["per_agent"]) < share * 0.8 or max(r["per_agent"]) > share * 1.2:
        misses.append(f"unfair {r['per_agent']}")
    if not r["all_offered_s"] <= FLOOD_TARGET_S:
        misses.append(f"all offered in {r['all_offered_s']} s > {FLOOD_TARGET_S}")
    if r["http_429"]:
        misses.append(f"http_429 {r['http_429']}")
    return misses


def _span(value: str) -> tuple[float, float]:
    low, _, high = value.partition(",")
    return float(low), float(high or low)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="a smaller storm and flood (8 customers x 2 texts, 60 texts)")
    parser.add_argument("--threads", default="channel,dm")
    parser.add_argument("--only", choices=("storm", "flood"))
    parser.add_argument("--customers", type=int, default=20)
    parser.add_argument("--texts", type=int, default=3)
    parser.add_argument("--agents", type=int, default=5)
    parser.add_argument("--arrivals", type=float, default=30.0,
                        help="seconds over which the customers' first texts arrive")
    parser.add_argument("--customer-think", type=_span, default=(15.0, 30.0),
                        help="seconds (low,high) a customer takes to text again")
    parser.add_argument("--agent-think", type=_span, default=(1.0, 3.0),
                        help="seconds (low,high) an agent takes to answer a text")
    parser.add_argument("--flood", type=int, default=200)
    parser.add_argument("--mode", choices=("session", "page"), default="session")
    parser.add_argument("--database-url", help="default: a fresh SQLite file per run")
    args = parser.parse_args()
    if args.quick:
        args.customers, args.texts, args.arrivals = 8, 2, 10.0
        args.customer_think, args.flood = (5.0, 10.0), 60
    logging.basicConfig(level=logging.ERROR)
    results: list[dict] = []
    if args.only != "flood":
        print("STORM threads   texts inter answ | p50/p99 ms: webhook->preview "
              "accept->root  text->thread  reply->sms | lost dbl 429 wall_s | calls/inter")
        for threads in args.threads.split(","):
            r = storm(args, threads)
            results.append(r)
            cells = "  ".join(f"{r[s]['p50']:>5}/{r[s]['p99']:<6}" for s in (
                "webhook->preview", "accept->root", "text->thread", "reply->sms"))
            print(f"      {threads:<8}{r['texts']:>5} {r['interactions']:>5} "
                  f"{r['answered']:>4} | {cells} | {r['lost']:>4} {r['doubled']:>3} "
                  f"{r['http_429']:>3} {r['wall_s']:>6} | {r['calls_per_interaction_all']} "
                  f"-> {', '.join(storm_misses(r)) or 'ok'}", flush=True)
            print(f"      calls per interaction: {r['calls_per_interaction']}"
                  + (f"; 429s: {r['http_429_by_method']}" if r["http_429"] else ""), flush=True)
    if args.only != "storm":
        r = flood(args)
        results.append(r)
        print(f"FLOOD {r['flood']} texts, {r['agents']} agents go Ready: previews per agent "
              f"{r['per_agent']}, ready->offered p50 {r['ready->offered']['p50']} ms p99 "
              f"{r['ready->offered']['p99']} ms, all offered in {r['all_offered_s']} s, "
              f"429 {r['http_429']} {r['http_429_by_method'] or ''} "
              f"-> {', '.join(flood_misses(r, args)) or 'ok'}", flush=True)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
