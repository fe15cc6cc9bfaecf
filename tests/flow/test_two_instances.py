"""Two app instances on one PostgreSQL database share the work: every job runs once.

Both instances run in this process (two `build_runtime` desks), each with its own web server,
worker and database connections, against the same database and the same fake Slack and
Twilio. Several instances are a PostgreSQL feature (jobs claimed with SKIP LOCKED), so on
SQLite these tests are skipped.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.config import Settings
from bot.desk.interactions import timeline
from bot.slack import ids
from storage import clock
from storage.models import Interaction, Job, Offer, TimelineEvent
from tests.harness import DESK_CHANNEL, action_value, start_another_instance, start_desk

pytestmark = pytest.mark.postgres

AGENTS = ("UAGENT1", "UAGENT2", "UAGENT3", "UAGENT4")
WAIT = 30  # seconds: generous, for a busy CI machine


@pytest.fixture
def desks(backend, database_url):
    if backend == "sqlite":
        pytest.skip("several app instances share one PostgreSQL database (jobs are claimed "
                    "with SKIP LOCKED); a SQLite desk is one instance")
    first = start_desk(database_url, agents=AGENTS,
                       settings=Settings(desk_channel=DESK_CHANNEL, offer_timeout_seconds=30))
    second = start_another_instance(first)
    yield first, second
    second.close()
    first.close()
    clock.reset()


def _at_once(*calls) -> None:
    barrier = threading.Barrier(len(calls))

    def run(call):
        barrier.wait()
        call()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def _idle(*desks) -> None:
    for _ in range(2):  # one instance's work can make work for the other
        for desk in desks:
            desk.wait_idle(WAIT)


def _previews_posted(desk, words: str) -> list:
    return [c for c in desk.slack.calls_to("chat.postMessage")
            if c.params.get("channel") in AGENTS and words in str(c.params)]


def test_a_burst_of_texts_through_both_instances_posts_each_preview_once(desks):
    first, second = desks
    for agent in AGENTS:
        first.slash(agent, ids.COMMAND_READY)
    _idle(first, second)
    texts = [f"burst-{n:02d} where is my parcel" for n in range(8)]
    # Each customer's text reaches one instance or the other, as a load balancer spreads them.
    _at_once(*[lambda n=n, text=text: (first, second)[n % 2].customer_texts(
        f"+1415555{n:04d}", text) for n, text in enumerate(texts)])

    first.slack.wait_for(lambda s: all(_previews_posted(first, t[:8]) for t in texts), WAIT,
                         "not every text was offered")
    _idle(first, second)
    for text in texts:
        assert len(_previews_posted(first, text[:8])) == 1, text
    with first.db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Interaction)) == len(texts)
        assert s.scalar(select(func.count()).select_from(Offer)) == len(texts)
        # Every job ran to the end once: none dead, none left running.
        states = dict(s.execute(select(Job.state, func.count()).group_by(Job.state)).all())
    assert set(states) <= {"done", "pending"}, states  # pending: timers not due yet


def test_accept_clicked_on_both_instances_at_once_has_one_winner(desks):
    first, second = desks
    first.slash("UAGENT1", ids.COMMAND_READY)
    first.customer_texts("+14155550100", "race me across instances")
    preview = first.wait_for_preview("UAGENT1", timeout=WAIT)
    value = action_value(preview, ids.ACCEPT_OFFER)

    _at_once(lambda: first.click("UAGENT1", ids.ACCEPT_OFFER, value),
             lambda: second.click("UAGENT1", ids.ACCEPT_OFFER, value))
    first.slack.wait_for(lambda s: first.cards(), WAIT, "no card")
    _idle(first, second)
    assert len(first.cards()) == 1  # one thread
    assert "<@UAGENT1>" in str(first.cards()[0]["blocks"])
    assert first.slack.ephemerals() == []  # a double click needs no "no longer offered"
    with first.db.transaction() as s:
        accepted = s.scalars(select(TimelineEvent).where(
            TimelineEvent.kind == timeline.ACCEPTED)).all()
    assert len(accepted) == 1


def test_an_offer_timeout_fires_once_with_both_workers_polling(desks):
    first, second = desks
    first.slash("UAGENT1", ids.COMMAND_READY)
    first.customer_texts("+14155550100", "hello, anyone?")
    offered = first.wait_for_preview("UAGENT1", timeout=WAIT)
    first.slash("UAGENT2", ids.COMMAND_READY)
    _idle(first, second)

    clock.travel(timedelta(seconds=31))  # both instances share this process's clock
    _at_once(first.runtime.worker.wake, second.runtime.worker.wake)

    first.wait_for_preview("UAGENT2", timeout=WAIT)  # redirected to the next agent
    first.slack.wait_for(lambda s: "Not answered in time" in str(
        s.message(offered["channel"], offered["ts"])["blocks"]), WAIT, "timeout not shown")
    _idle(first, second)
    assert len(first.previews_for("UAGENT2")) == 1  # one redirect
    assert len(first.previews_for("UAGENT1")) == 1
    timed_out_updates = [c for c in first.slack.calls_to("chat.update")
                         if c.params.get("ts") == offered["ts"]
                         and "Not answered in time" in str(c.params)]
    assert len(timed_out_updates) == 1  # one "timed out" update
    with first.db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(TimelineEvent).where(
            TimelineEvent.kind == timeline.OFFER_TIMED_OUT)) == 1
        timers = s.scalars(select(Job).where(Job.kind == "timer.expire_offer")).all()
    fired = [job for job in timers if job.state == "done"]
    assert len(fired) == 1 and fired[0].attempts == 1
