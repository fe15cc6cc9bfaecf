"""Benchmark: how fast does the desk answer Slack's requests? Slack gives an app 3 s.

Runs the real desk (tests/harness.py: waitress on loopback, fake Slack and Twilio) and,
with one conversation open, sends signed requests as Slack does and times each HTTP answer
at the client: a slash command (/sms-ready, which acks with its text), a button click on
the card (Done on another interaction's card: a click the desk refuses after its ack), a
menu choice, and a modal submission (a note, which acks empty and writes after).

    .venv/bin/python bench/slack_ack.py [--n 200] [--database-url URL | --postgres]
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # `tests` is not an installed package

from bot.slack import ids  # noqa: E402
from bot.slack.views.note import NOTE_ACTION, NOTE_BLOCK  # noqa: E402
from tests.harness import (  # noqa: E402
    DESK_CHANNEL,
    accept_new_interaction,
    action_value,
    fresh_postgres,
    start_desk,
)

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"


def _timed(send) -> float:
    started = time.perf_counter()
    response = send()
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise SystemExit(f"Slack request answered {response.status_code}: {response.text}")
    return elapsed


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="requests of each kind")
    parser.add_argument("--database-url")
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    if args.postgres:
        url = fresh_postgres(args.database_url or DEFAULT_POSTGRES_URL)
    else:
        url = args.database_url or f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
    desk = start_desk(url)
    try:
        card = accept_new_interaction(desk, "+14155550100", "hello")
        interaction = action_value(card, ids.MARK_DONE)
        note_modal = {"callback_id": ids.NOTE_VIEW, "private_metadata": interaction}
        kinds = {
            "slash command (/sms-ready)": lambda: desk.slash("UAGENT1", ids.COMMAND_READY),
            "button click (refused Done)": lambda: desk.click(
                "UAGENT2", ids.MARK_DONE, interaction, channel=DESK_CHANNEL,
                message_ts=card["ts"]),
            "menu choice (Case information)": lambda: desk.choose(
                "UAGENT1", ids.CARD_MENU, f"{ids.MENU_CASE}:{interaction}", channel=DESK_CHANNEL,
                message_ts=card["ts"]),
            "modal submission (a note)": lambda: desk.submit_view(
                "UAGENT1", note_modal, {NOTE_BLOCK: {NOTE_ACTION: {
                    "type": "plain_text_input", "value": "called back, all fine"}}}),
        }
        results = {}
        for name, send in kinds.items():
            for _ in range(5):
                send()  # warm up: first-use imports and connections
            times = [_timed(send) for _ in range(args.n)]
            desk.wait_idle(timeout=120)
            results[name] = {"median_ms": round(statistics.median(times), 2),
                             "p99_ms": round(_percentile(times, 0.99), 2),
                             "max_ms": round(max(times), 2)}
        backend = "postgresql" if url.startswith("postgresql") else "sqlite"
        print(f"Slack request ack time, {args.n} of each, {backend} (Slack's limit: 3000 ms)")
        for name, r in results.items():
            print(f"  {name:32} median {r['median_ms']:7.2f} ms   p99 {r['p99_ms']:7.2f} ms"
                  f"   max {r['max_ms']:7.2f} ms")
        print(json.dumps({"database": backend, "n": args.n, **results}))
    finally:
        desk.close()


if __name__ == "__main__":
    main()
