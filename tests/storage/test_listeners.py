"""Listener callbacks are module-level functions: called here as bolt would call them, with a
fake ack, a BoltContext and the desk's services on a real (SQLite) database. No Slack, no
HTTP: the flow tests drive the same callbacks through bolt."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from slack_bolt import BoltContext

from bot.config import Settings
from bot.desk.interactions import agents
from bot.services import Services
from bot.slack.listeners import admin, readiness, uninstall
from bot.slack.listeners.common import REFUSED_VALUE, a_row_id_value
from bot.sms.simulator import SimulatorSender

TEAM = "T0001"
AGENT = "UAGENT"


class FakeAck:
    """bolt's `ack` as a listener sees it: records what it was called with."""

    def __init__(self) -> None:
        self.calls: list[tuple[str | None, dict]] = []

    def __call__(self, text: str | None = None, **fields) -> None:
        self.calls.append((text, fields))

    @property
    def text(self) -> str | None:
        assert len(self.calls) == 1, f"acked {len(self.calls)} times"
        return self.calls[0][0]


class FakeRespond:
    """bolt's `respond` (the command's response_url): records what it was sent."""

    def __init__(self) -> None:
        self.sent: list[dict] = []

    def __call__(self, text: str = "", **fields) -> SimpleNamespace:
        self.sent.append({"text": text, **fields})
        return SimpleNamespace(status_code=200, body="ok")

    @property
    def text(self) -> str:
        assert len(self.sent) == 1, f"answered {len(self.sent)} times"
        return self.sent[0]["text"]


def _no_slack(team_id: str):
    raise AssertionError("this listener calls Slack's Web API only through jobs")


@pytest.fixture
def services(db) -> Services:
    return Services(db=db, all_settings=Settings(agent_users=(AGENT,)),
                    slack_client=_no_slack, sender=SimulatorSender())


def _context(user_id: str) -> BoltContext:
    return BoltContext({"team_id": TEAM, "user_id": user_id})


def test_sms_ready_acks_empty_then_answers_the_ready_text_and_the_agent_is_ready(services):
    ack, respond = FakeAck(), FakeRespond()
    readiness.go_ready(ack=ack, respond=respond, context=_context(AGENT), services=services)
    assert ack.calls == [(None, {})]
    assert respond.text == readiness.READY
    assert agents.agent_desk(services.db, TEAM, AGENT).ready


def test_sms_ready_from_someone_who_is_no_agent_gets_the_refusal_and_stays_not_ready(services):
    ack, respond = FakeAck(), FakeRespond()
    readiness.go_ready(ack=ack, respond=respond, context=_context("UVISITOR"),
                       services=services)
    assert ack.calls == [(None, {})]
    assert respond.text == agents.NOT_AN_AGENT
    assert not agents.agent_desk(services.db, TEAM, "UVISITOR").ready


def test_sms_notready_echoes_the_reason_escaped_and_keeps_it(services):
    respond = FakeRespond()
    readiness.go_ready(ack=FakeAck(), respond=FakeRespond(), context=_context(AGENT),
                       services=services)
    readiness.go_not_ready(ack=FakeAck(), respond=respond, command={"text": "lunch <!channel>"},
                           context=_context(AGENT), services=services)
    assert respond.text == ("You are *Not Ready* for SMS (lunch &lt;!channel&gt;). "
                            "Interactions you hold stay yours.")
    desk = agents.agent_desk(services.db, TEAM, AGENT)
    assert not desk.ready and desk.not_ready_reason == "lunch <!channel>"


def test_the_home_ready_button_of_someone_who_is_no_agent_changes_nothing(services):
    ack = FakeAck()
    readiness.go_ready_from_home(ack=ack, context=_context("UVISITOR"), services=services)
    assert ack.calls == [(None, {})]
    assert not agents.agent_desk(services.db, TEAM, "UVISITOR").ready


def test_an_accept_click_whose_value_is_no_row_id_is_refused_before_any_listener():
    reached = []
    refused = a_row_id_value(body={"actions": [{"value": "1; DROP TABLE offers"}]},
                             next=lambda: reached.append(True))
    assert refused is not None and refused.status == 400 and refused.body == REFUSED_VALUE
    assert not reached
    assert a_row_id_value(body={"actions": [{"value": "42"}]},
                          next=lambda: reached.append(True)) is None
    assert reached == [True]


def test_sms_admin_purge_from_someone_who_is_no_admin_gets_the_refusal(services):
    ack, respond = FakeAck(), FakeRespond()
    admin.open_admin(ack=ack, respond=respond, command={"text": "purge", "trigger_id": "T.1"},
                     client=None, context=_context(AGENT), services=services)
    assert ack.calls == [(None, {})]
    assert respond.text == uninstall.REFUSAL
