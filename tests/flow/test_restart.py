"""The app killed and started again on the same database: sessions and their timers carry on."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.slack import ids
from storage.models import Interaction, Job, Message
from tests.harness import DESK_CHANNEL, SESSION_DESK_TOML, action_value, desk_process
from tests.harness import move_process_clock as move_clock

CUSTOMER = "+14155550100"
SETTINGS = SESSION_DESK_TOML
pytestmark = pytest.mark.postgres


@pytest.fixture
def app(database_url, tmp_path):
    desk = desk_process(database_url, tmp_path, SETTINGS)
    yield desk
    desk.close()
    desk.slack.stop()
    desk.twilio.stop()


def _thread_texts(desk, card_ts: str) -> str:
    return str(desk.slack.thread(DESK_CHANNEL, card_ts))


def test_a_session_and_its_expiry_timer_survive_a_sigkill(app):
    app.start()
    app.slash("UAGENT1", ids.COMMAND_READY)
    app.customer_texts(CUSTOMER, "Hi, can we chat?")
    preview = app.wait_for_preview("UAGENT1")
    app.click("UAGENT1", ids.ACCEPT_OFFER, action_value(preview, ids.ACCEPT_OFFER))
    card = app.slack.wait_for(lambda s: app.cards() and app.cards()[0], 10, "no card")
    app.customer_texts(CUSTOMER, "Before the crash")
    app.slack.wait_for(lambda s: "Before the crash" in _thread_texts(app, card["ts"]), 10,
                       "message not in thread")
    move_clock(app, 20 * 60)
    app.kill()

    app.start()  # a new process on the same database
    app.customer_texts(CUSTOMER, "After the restart")
    app.slack.wait_for(lambda s: "After the restart" in _thread_texts(app, card["ts"]), 10,
                       "message after restart not in thread")
    app.agent_writes_in_thread("UAGENT1", card["ts"], "Welcome back")
    app.twilio.wait_for(lambda t: [m.body for m in t.sent] == ["Welcome back"], 10, "no SMS")
    assert len(app.previews_for("UAGENT1")) == 1 and len(app.cards()) == 1

    with app.db.transaction() as s:
        last_reply_at = s.scalar(select(Message.created_at).where(
            Message.direction == "outbound"))
        deadline = s.scalar(select(Interaction.session_expires_at))
    # The interval counts from the last message, across the restart.
    assert abs((deadline - last_reply_at) - timedelta(minutes=30)) < timedelta(seconds=5)

    # 25 minutes after the last message the first timer (armed at the start) is overdue: it
    # fires, finds the session alive and re-arms for the real deadline instead of expiring.
    move_clock(app, 25 * 60)

    def rearmed():
        with app.db.transaction() as s:
            timer = s.scalars(select(Job).where(Job.kind == "timer.expire_session")).one()
            state = s.scalar(select(Interaction.state))
        return state == "accepted" and timer.state == "pending" and timer.due_at == deadline

    app.slack.wait_for(lambda s: rearmed(), 10, "the timer did not re-arm for the deadline")
    assert "No message either way" not in _thread_texts(app, card["ts"])

    move_clock(app, 6 * 60)
    app.slack.wait_for(lambda s: "No message either way" in _thread_texts(app, card["ts"]),
                       10, "session never expired after the restart")
    with app.db.transaction() as s:
        assert s.scalar(select(Interaction.state)) == "expired"
