"""AckFirstApp (bot/slack/acking.py) answering requests as Socket Mode hands them over: bolt's
dispatch with no web route around it, so acknowledged work starts at once."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode

import pytest
from slack_bolt import BoltRequest
from slack_bolt.authorization import AuthorizeResult

from bot.slack.acking import AckFirstApp

WAIT = 10.0  # only bounds how long a failing test waits


@pytest.fixture
def app():
    pool = ThreadPoolExecutor(max_workers=4)
    yield AckFirstApp(
        listener_executor=pool, signing_secret="secret", request_verification_enabled=False,
        authorize=lambda enterprise_id, team_id, logger: AuthorizeResult(
            enterprise_id=enterprise_id, team_id=team_id, bot_token="xoxb-1",
            bot_user_id="UBOT", bot_id="BBOT"))
    pool.shutdown(wait=True)


def _command(command: str) -> BoltRequest:
    return BoltRequest(body=urlencode({
        "command": command, "text": "", "team_id": "T1", "user_id": "U1",
        "channel_id": "D1", "response_url": "https://hooks.slack.com/commands/T1/1/x",
        "trigger_id": "1.2.3"}), headers={"content-type": ["application/x-www-form-urlencoded"]})


def _submission(callback_id: str) -> BoltRequest:
    payload = {"type": "view_submission", "team": {"id": "T1"}, "user": {"id": "U1"},
               "view": {"id": "V1", "callback_id": callback_id, "type": "modal",
                        "state": {"values": {}}, "private_metadata": ""}}
    return BoltRequest(body=urlencode({"payload": json.dumps(payload)}),
                       headers={"content-type": ["application/x-www-form-urlencoded"]})


def test_a_command_is_answered_before_its_listener_runs(app):
    may_finish, ran = threading.Event(), threading.Event()

    def listener(ack, command):
        may_finish.wait(WAIT)
        ack("too late to be the answer")
        ran.set()

    app.command("/wait")(listener)
    response = app.dispatch(_command("/wait"))
    assert (response.status, response.body) == (200, "")
    assert not ran.is_set()
    may_finish.set()
    assert ran.wait(WAIT)


def test_a_submission_is_answered_with_what_its_listener_acks_and_its_work_follows(app):
    order: list[str] = []
    worked = threading.Event()

    def listener(ack, view):
        ack(response_action="errors", errors={"note": "Write the note first"})
        order.append("after its ack")
        worked.set()

    app.view("note")(listener)
    response = app.dispatch(_submission("note"))
    assert response.status == 200
    assert json.loads(response.body) == {"response_action": "errors",
                                         "errors": {"note": "Write the note first"}}
    assert worked.wait(WAIT) and order == ["after its ack"]


def test_a_submission_whose_listener_fails_before_acking_is_answered_500(app):
    def listener(ack, view):
        raise RuntimeError("the database went away")

    app.view("broken")(listener)
    assert app.dispatch(_submission("broken")).status == 500
