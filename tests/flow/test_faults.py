"""Faults the desk survives: Slack down, failing and rate limiting; the database going away.

Nothing a customer wrote is lost or shown twice: webhooks answer 200 only once the message is
stored (503 otherwise, so Twilio retries), and the outbox carries every line to Slack once
Slack answers again, in order, with no restart.
"""

from __future__ import annotations

import sqlite3
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from bot.config import Settings
from bot.slack import ids
from storage.db import Database
from storage.models import Job, Message
from tests.fakes.tcp_proxy import TcpProxy
from tests.harness import (
    BUSINESS_NUMBER,
    DESK_CHANNEL,
    action_value,
    card_texts,
    line_blocks,
    start_desk,
)

pytestmark = pytest.mark.postgres

CUSTOMER = "+14155550123"
SESSION_SETTINGS = Settings(desk_channel=DESK_CHANNEL, offer_timeout_seconds=30,
                            session_numbers=(BUSINESS_NUMBER,), session_expiry_minutes=30)
WAIT = 30.0  # generous: a busy CI machine, and backoff between attempts while Slack is down


def _inbound_count(db: Database, sid: str | None = None) -> int:
    query = select(func.count()).select_from(Message).where(Message.direction == "inbound")
    if sid is not None:
        query = query.where(Message.provider_sid == sid)
    with db.transaction() as s:
        return s.scalar(query)


def _jobs_done(db: Database, kind: str) -> bool:
    with db.transaction() as s:
        states = set(s.scalars(select(Job.state).where(Job.kind == kind)))
    return bool(states) and states <= {"done"}


def _failed_posts(desk) -> int:
    return sum(call.failed for call in desk.slack.calls_to("chat.postMessage"))


def _customer_lines(desk, card: dict) -> list[str]:
    """The customer's texts as the thread shows them: those its card (the root) carries,
    then the lines posted under the contact's name."""
    return card_texts(desk.slack.message(DESK_CHANNEL, card["ts"])) + [
        line_blocks(m)[0]["text"]["text"]
        for m in desk.slack.thread(DESK_CHANNEL, card["ts"]) if m["username"]]


def _accept(desk, first_text: str) -> dict:
    desk.slash("UAGENT1", ids.COMMAND_READY)
    assert desk.customer_texts(CUSTOMER, first_text).status_code == 200
    preview = desk.wait_for_preview("UAGENT1", timeout=WAIT)
    desk.click("UAGENT1", ids.ACCEPT_OFFER, action_value(preview, ids.ACCEPT_OFFER))
    card = desk.slack.wait_for(lambda s: desk.cards() and desk.cards()[0], WAIT, "no card")
    desk.slack.wait_for(lambda s: _customer_lines(desk, card), WAIT, "first line not shown")
    desk.wait_idle(WAIT)
    return card


# --- Slack ----------------------------------------------------------------------------------

def test_a_session_survives_slack_down_then_failing_then_rate_limiting(database_url):
    desk = start_desk(database_url, settings=SESSION_SETTINGS)
    try:
        card = _accept(desk, "Hi, my order is late")
        texted = ["Hi, my order is late"]

        def text(body: str) -> None:
            response = desk.customer_texts(CUSTOMER, body)
            assert response.status_code == 200, response.text
            texted.append(body)

        # Down: every call answers 503. The customer keeps texting; the desk keeps trying.
        desk.slack.set_down()
        text("Order 4417")
        failed = _failed_posts(desk)
        desk.slack.wait_for(lambda s: _failed_posts(desk) >= failed + 2, WAIT,
                            "the desk did not try again while Slack was down")
        text("It was due Monday")
        # Back, but answering 500 once, then 429 with Retry-After three times.
        desk.slack.fail_next("chat.postMessage", times=1, status=500)
        desk.slack.fail_next("chat.postMessage", times=3, status=429, retry_after=1)
        desk.slack.set_down(False)
        desk.slack.wait_for(lambda s: any(c.error == "ratelimited"
                                          for c in s.calls_to("chat.postMessage")), WAIT,
                            "the desk never reached Slack's rate limit")
        text("Are you there?")
        text("Thanks")

        assert _inbound_count(desk.db) == len(texted)  # every webhook stored before its 200
        desk.slack.wait_for(lambda s: len(_customer_lines(desk, card)) >= len(texted), WAIT,
                            "not every line reached the thread")
        desk.wait_idle(WAIT)
        assert _customer_lines(desk, card) == texted  # each once, in the order texted
        posted = [c for c in desk.slack.calls_to("chat.postMessage")
                  if not c.failed and c.params.get("thread_ts") == card["ts"]
                  and c.params.get("username")]
        # Nothing posted twice (a retry after a 5xx); the first text rides on the card.
        assert len(posted) == len(texted) - 1
    finally:
        desk.close()


# --- the database ---------------------------------------------------------------------------

@pytest.fixture
def proxied_desk(database_url):
    """A desk whose PostgreSQL connections go through a TcpProxy the test can cut; with the
    database (reached directly, not through the proxy) for looking at what was stored."""
    if database_url.startswith("sqlite"):
        pytest.skip("a TCP cut needs a database server")
    target = urlsplit(database_url)
    proxy = TcpProxy(target.hostname, target.port or 5432)
    desk = start_desk(proxy.url_for(database_url))
    direct = Database(database_url)
    yield desk, proxy, direct
    proxy.restore()
    desk.close()
    direct.dispose()
    proxy.close()


def test_inbound_is_refused_while_postgres_is_away_and_stored_once_on_retry(proxied_desk):
    desk, proxy, direct = proxied_desk
    desk.slash("UAGENT1", ids.COMMAND_READY)
    desk.wait_idle(WAIT)
    sid = "SM" + uuid.uuid4().hex

    proxy.cut()
    for _attempt in range(2):  # Twilio retries; each is refused while the database is away
        refused = desk.customer_texts(CUSTOMER, "Is my booking confirmed?", sid=sid)
        assert refused.status_code == 503, refused.text
        assert refused.headers["Retry-After"]
    assert _inbound_count(direct, sid) == 0

    proxy.restore()
    accepted = desk.customer_texts(CUSTOMER, "Is my booking confirmed?", sid=sid)
    assert accepted.status_code == 200, accepted.text
    preview = desk.wait_for_preview("UAGENT1", timeout=WAIT)  # no restart needed
    assert "Is my booking confirmed?" in str(preview["blocks"])
    again = desk.customer_texts(CUSTOMER, "Is my booking confirmed?", sid=sid)  # a late retry
    assert again.status_code == 200
    desk.wait_idle(WAIT)
    assert _inbound_count(direct, sid) == 1
    assert len(desk.previews_for("UAGENT1")) == 1


def test_an_inbound_text_waits_out_a_locked_sqlite_database_and_is_stored(database_url):
    """SQLite is a file the app has open: while another process holds the write lock, the app
    waits (busy timeout, 30 s in storage/db.py) and answers once the text is stored; past the
    timeout it would answer 503 like PostgreSQL (too slow to wait for here). Taking the file
    away (chmod, rename) does not make SQLite unavailable: open connections keep working,
    and this suite runs as root. So on SQLite the fault is the lock, held a few seconds."""
    if not database_url.startswith("sqlite"):
        pytest.skip("a lock held by another process is SQLite's way of being away")
    desk = start_desk(database_url)
    try:
        desk.slash("UAGENT1", ids.COMMAND_READY)
        desk.wait_idle(WAIT)
        sid = "SM" + uuid.uuid4().hex
        other_process = sqlite3.connect(database_url.removeprefix("sqlite:///"),
                                        isolation_level=None, timeout=WAIT)
        other_process.execute("BEGIN EXCLUSIVE")
        with ThreadPoolExecutor(1) as pool:
            pending = pool.submit(desk.customer_texts, CUSTOMER, "Is my booking confirmed?",
                                  sid=sid)
            # Time for the webhook to reach the lock; it cannot get past it, however long.
            time.sleep(1.0)
            assert not pending.done(), "answered while the database was locked"
            other_process.execute("ROLLBACK")
            assert pending.result(WAIT).status_code == 200
        other_process.close()
        preview = desk.wait_for_preview("UAGENT1", timeout=WAIT)
        assert "Is my booking confirmed?" in str(preview["blocks"])
        assert desk.customer_texts(CUSTOMER, "Is my booking confirmed?",
                                   sid=sid).status_code == 200
        desk.wait_idle(WAIT)
        assert _inbound_count(desk.db, sid) == 1
        assert len(desk.previews_for("UAGENT1")) == 1
    finally:
        desk.close()


def test_the_worker_carries_on_after_postgres_comes_back(proxied_desk):
    """The preview is due while the database is away (its first try met Slack down): the
    worker keeps trying to claim work, and posts it once the database is back."""
    desk, proxy, _direct = proxied_desk
    desk.slash("UAGENT1", ids.COMMAND_READY)
    desk.wait_idle(WAIT)
    desk.slack.set_down()
    assert desk.customer_texts(CUSTOMER, "Hello, anyone?").status_code == 200
    desk.slack.wait_for(lambda s: _failed_posts(desk) >= 1, WAIT, "no try at the preview")

    proxy.cut()
    desk.slack.set_down(False)
    desk.slack.wait_for(lambda s: proxy.refused >= 3, WAIT,
                        "the worker stopped trying to reach the database")
    proxy.restore()

    preview = desk.wait_for_preview("UAGENT1", timeout=WAIT)
    assert "Hello, anyone?" in str(preview["blocks"])
    desk.wait_idle(WAIT)
    assert len(desk.previews_for("UAGENT1")) == 1


def test_a_preview_posted_as_postgres_goes_away_is_not_lost_or_posted_twice(proxied_desk):
    """The worst moment: Slack has posted the preview, and the database goes away before the
    worker can write down its ts (or finish the job). Once the database is back the desk
    carries on, with no second copy of the preview and no job left claimed for its lease."""
    desk, proxy, direct = proxied_desk
    desk.slash("UAGENT1", ids.COMMAND_READY)
    desk.wait_idle(WAIT)
    dm = desk.slack.dm_channel("UAGENT1")
    post = desk.slack._methods["chat.postMessage"]
    cut_once = threading.Event()

    def post_then_lose_the_database(bot, params):
        answer = post(bot, params)
        if params.get("channel") in ("UAGENT1", dm) and not cut_once.is_set():
            cut_once.set()
            proxy.cut()
        return answer

    desk.slack._methods["chat.postMessage"] = post_then_lose_the_database
    assert desk.customer_texts(CUSTOMER, "Where is my parcel?").status_code == 200
    desk.slack.wait_for(lambda s: cut_once.is_set(), WAIT, "the preview was never posted")
    desk.slack.wait_for(lambda s: proxy.refused >= 3, WAIT, "the worker stopped trying")
    proxy.restore()

    desk.slack.wait_for(lambda s: _jobs_done(direct, "slack.post_preview"), WAIT,
                        "the preview's job never finished")
    assert len(desk.previews_for("UAGENT1")) == 1
    preview = desk.wait_for_preview("UAGENT1", timeout=WAIT)
    desk.click("UAGENT1", ids.ACCEPT_OFFER, action_value(preview, ids.ACCEPT_OFFER))
    card = desk.slack.wait_for(lambda s: desk.cards() and desk.cards()[0], WAIT, "no card")
    desk.slack.wait_for(lambda s: _customer_lines(desk, card), WAIT, "no line in the thread")
    desk.wait_idle(WAIT)
    assert len(desk.previews_for("UAGENT1")) == 1
    assert _inbound_count(direct) == 1
