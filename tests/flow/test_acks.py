"""Slack's answer comes before the work: a slash command or a click is acknowledged without
waiting for the database (or Slack), and the work it asked for follows.

"The database is busy" is the desk's own transaction held by the test: on SQLite (these
tests' database) every transaction of the process waits for it, as the listeners' would
behind a burst of jobs."""

from __future__ import annotations

import threading

from bot.slack import ids
from bot.slack.listeners import readiness
from tests.harness import DESK_CHANNEL, accept_new_interaction, action_value

A, B = "UAGENT1", "UAGENT2"
# A failing ack is one that never comes while the database is held; this only bounds how
# long the test waits to say so.
NEVER = 10.0
CLICKS = 12  # more than the listener pool's threads (the harness's 8, bolt's default 10)


def _while_the_database_is_busy(send):
    """What `send()` returned, sent from another thread while this one holds the database;
    fails if it does not return until the database is free."""
    answered: list = []
    thread = threading.Thread(target=lambda: answered.append(send()), daemon=True)
    thread.start()
    thread.join(NEVER)
    assert answered, "Slack's request waited for the database"
    return answered[0]


def test_a_slash_command_is_acknowledged_before_its_database_work_and_answers_after(desk):
    with desk.db.transaction():
        ack, response_url = _while_the_database_is_busy(
            lambda: desk.slash_request(A, ids.COMMAND_READY))
        assert ack.status_code == 200 and ack.content == b""
        # Whether A may go Ready is the database's to say: no answer yet.
        assert desk.slack.command_responses(response_url) == []
    [answer] = desk.slack.wait_for(lambda s: s.command_responses(response_url), 5, "no answer")
    # Shown to A only, where they typed it, as the ack's own text would have been.
    assert answer["text"] == readiness.READY
    assert answer["response_type"] == "ephemeral"
    assert (answer["user"], answer["channel"]) == (A, "D0")


def test_clicks_are_acknowledged_while_the_work_of_earlier_clicks_waits_for_the_database(desk):
    card = accept_new_interaction(desk, "+14155550100", "hello")
    interaction = action_value(card, ids.MARK_DONE)
    with desk.db.transaction():
        for _ in range(CLICKS):
            # B clicks Done on A's interaction: acknowledged, then refused by the desk.
            ack = _while_the_database_is_busy(lambda: desk.click(
                B, ids.MARK_DONE, interaction, channel=DESK_CHANNEL, message_ts=card["ts"]))
            assert ack.status_code == 200
    # Every click's work ran once the database was free: B is told each time why not.
    desk.wait_idle()
    told = [e for e in desk.slack.ephemerals(DESK_CHANNEL)
            if e["user"] == B and "can mark it Done" in e["text"]]
    assert len(told) == CLICKS
