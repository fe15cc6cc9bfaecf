"""Benchmark: how fast does the desk answer Slack's requests? Slack gives an app 3 s.

Runs the real desk (tests/harness.py: waitress on loopback, fake Slack and Twilio) and,
with one conversation open, sends signed requests as Slack does and times each HTTP answer
at the client: a slash command (/sms-ready: the ack, its answer follows at response_url),
Accept on a preview (an offer already taken: a click the desk refuses after its ack), a
button click on the card (Done on another interaction's card, refused the same way), a menu
choice, and a modal submission (a note, which acks empty and writes after).

Beside each, the floor: a bare bolt App with the same signing secret and token, served the
same way (Flask's bolt adapter on the waitress server `smsdesk serve` uses), whose listeners
only ack, sent the same requests in the same run.

    .venv/bin/python bench/slack_ack.py [--n 200] [--database-url URL | --postgres]
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import replace
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # `tests` is not an installed package

from flask import Flask, request  # noqa: E402
from slack_bolt import App  # noqa: E402
from slack_bolt.adapter.flask import SlackRequestHandler  # noqa: E402
from slack_sdk import WebClient  # noqa: E402
from sqlalchemy import select  # noqa: E402

from bot.slack import ids  # noqa: E402
from bot.slack.views.note import NOTE_ACTION, NOTE_BLOCK  # noqa: E402
from bot.spelling import checker  # noqa: E402
from bot.web import server as web_server  # noqa: E402
from storage.models import Offer  # noqa: E402
from tests.harness import (  # noqa: E402
    DESK_CHANNEL,
    SIGNING_SECRET,
    Desk,
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


def _summary(times: list[float]) -> dict:
    return {"median_ms": round(statistics.median(times), 2),
            "p99_ms": round(_percentile(times, 0.99), 2), "max_ms": round(max(times), 2)}


def start_bare_bolt(desk: Desk):
    """A bolt App that only acks, on the desk's fake Slack, served as the desk is served.
    Returns (the desk's request helpers pointed at it, its server)."""
    # process_before_response: the ack is made on the request's own thread, the fastest
    # bolt answers (its default runs the listener on a pool and looks for the ack every 10 ms).
    bare = App(client=WebClient(token=desk.slack.bot_token, base_url=desk.slack.url),
               signing_secret=SIGNING_SECRET, name="bare", process_before_response=True)
    anything = re.compile(".*")
    bare.command(anything)(lambda ack: ack("You are *Ready* for SMS."))
    bare.action(anything)(lambda ack: ack())
    bare.view(anything)(lambda ack: ack())
    handler = SlackRequestHandler(bare)
    web = Flask("bare")
    web.post("/slack/events")(lambda: handler.handle(request))
    server = web_server.create(web, "127.0.0.1", 0)
    threading.Thread(target=server.run, daemon=True).start()
    return replace(desk, url=f"http://127.0.0.1:{server.effective_port}"), server


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
    bare, bare_server = start_bare_bolt(desk)
    try:
        # Start-up loads the spelling dictionary beside it (1-3 s of CPU): not the load of
        # Slack's requests, so the requests wait for it to be done.
        language = desk.runtime.services.all_settings.spelling_language
        desk.slack.wait_for(lambda _s: checker.is_ready(language), 60, "no dictionary")
        card = accept_new_interaction(desk, "+14155550100", "hello")
        interaction = action_value(card, ids.MARK_DONE)
        with desk.db.transaction() as s:
            offer = str(s.scalar(select(Offer.id)))
        note_modal = {"callback_id": ids.NOTE_VIEW, "private_metadata": interaction}
        kinds = {
            "slash command (/sms-ready)": lambda d: d.slash_request(
                "UAGENT1", ids.COMMAND_READY)[0],
            "Accept (an offer already taken)": lambda d: d.click(
                "UAGENT1", ids.ACCEPT_OFFER, offer, channel="DAGENT1"),
            "button click (refused Done)": lambda d: d.click(
                "UAGENT2", ids.MARK_DONE, interaction, channel=DESK_CHANNEL,
                message_ts=card["ts"]),
            "menu choice (Case information)": lambda d: d.choose(
                "UAGENT1", ids.CARD_MENU, f"{ids.MENU_CASE}:{interaction}", channel=DESK_CHANNEL,
                message_ts=card["ts"]),
            "modal submission (a note)": lambda d: d.submit_view(
                "UAGENT1", note_modal, {NOTE_BLOCK: {NOTE_ACTION: {
                    "type": "plain_text_input", "value": "called back, all fine"}}}),
        }
        results = {}
        for name, send in kinds.items():
            for app in (desk, bare):
                for _ in range(5):
                    send(app)  # warm up: first-use imports and connections
                desk.wait_idle(timeout=120)
                times = [_timed(partial(send, app)) for _ in range(args.n)]
                desk.wait_idle(timeout=120)
                results.setdefault(name, {})["desk" if app is desk else "bare"] = _summary(times)
        # What the person sees: /sms-ready's answer, at the command's response_url (the
        # harness looks for it every 10 ms).
        answered = [_timed(lambda: desk.slash("UAGENT1", ids.COMMAND_READY))
                    for _ in range(args.n)]
        desk.wait_idle(timeout=120)
        results["answer of /sms-ready seen"] = {"desk": _summary(answered)}
        backend = "postgresql" if url.startswith("postgresql") else "sqlite"
        print(f"Slack request ack time, {args.n} of each, {backend} (Slack's limit: 3000 ms); "
              "bare: a bolt app that only acks, served the same way")
        for name, r in results.items():
            desk_r, bare_r = r["desk"], r.get("bare")
            line = (f"  {name:32} median {desk_r['median_ms']:6.2f} ms  p99 "
                    f"{desk_r['p99_ms']:6.2f} ms  max {desk_r['max_ms']:6.2f} ms")
            if bare_r:
                line += (f" | bare median {bare_r['median_ms']:5.2f}  p99 {bare_r['p99_ms']:5.2f}"
                         f" | p99 {desk_r['p99_ms'] / bare_r['p99_ms']:4.1f}×")
            print(line)
        print(json.dumps({"database": backend, "n": args.n, **results}))
    finally:
        desk.close()  # its HTTP client first: no connection to the bare app is left open
        bare_server.close()


if __name__ == "__main__":
    main()
