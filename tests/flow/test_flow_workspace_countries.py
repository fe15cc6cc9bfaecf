"""Each workspace reads phone numbers in its own country (`desk.default_country` of its
[workspaces.T…] table): a number typed the way people write it at home, into the simulator,
a New SMS or the contact search, is that workspace's country's number, whatever the other
workspaces or the file's top level say. Driven over HTTP against the fakes."""

from __future__ import annotations

import json

import pytest

from bot.config import Settings
from bot.config.workspaces import Workspace
from bot.desk.directory.contacts import create_contact
from bot.slack import ids
from bot.slack.views import new_sms as new_sms_view
from tests.harness import start_desk

pytestmark = pytest.mark.postgres

US, GB = "T0USDESK", "T0GBDESK"
US_NUMBER, GB_NUMBER = "+15005550006", "+442079460000"
US_AGENT, GB_AGENT = "UUSAGENT", "UGBAGENT"
# The same digits a customer types at home: a San Francisco and a London mobile.
US_AT_HOME, US_E164, US_SHOWN = "(415) 555-0123", "+14155550123", "+1 415-555-0123"
GB_AT_HOME, GB_E164, GB_SHOWN = "07911 123456", "+447911123456", "+44 7911 123456"


def _settings() -> Settings:
    # The file's top level says US (the default); only the GB workspace's own table says GB.
    return Settings(workspaces=(
        Workspace(US, Settings(desk_channel="CUSDESK", business_numbers=(US_NUMBER,))),
        Workspace(GB, Settings(desk_channel="CGBDESK", business_numbers=(GB_NUMBER,),
                               default_country="GB")),
    ))


def _start(database_url, **options):
    running = start_desk(database_url, oauth=True, settings=_settings(), agents=(), **options)
    running.slack.add_user(US_AGENT, "una", "Una States", team_id=US)
    running.slack.add_user(GB_AGENT, "gil", "Gil Britain", team_id=GB)
    running.slack.add_channel("CUSDESK", "sms-desk", team_id=US)
    running.slack.add_channel("CGBDESK", "sms-desk", team_id=GB)
    for workspace in (US, GB):
        assert running.install_workspace(workspace).status_code == 200
    return running


@pytest.fixture
def desk(database_url):
    running = _start(database_url)
    yield running
    running.close()


@pytest.fixture
def simulated_desk(database_url):
    running = _start(database_url, sms_provider="simulator")
    yield running
    running.close()


def _phone_texts(desk, to: str, from_number: str, body: str):
    return desk.http.post(desk.url + "/simulator/api/messages", headers=desk.simulator_headers,
                          json={"from": from_number, "to": to, "body": body})


def _phone_shows(desk, to: str, phone: str) -> list[str]:
    response = desk.http.get(desk.url + "/simulator/api/messages",
                             params={"phone": phone, "to": to}, headers=desk.simulator_headers)
    assert response.status_code == 200, response.text
    return [m["body"] for m in response.json()["messages"]]


def test_a_simulated_text_is_read_in_the_country_of_the_workspace_it_is_sent_to(
        simulated_desk):
    desk = simulated_desk
    in_us, in_gb = desk.in_workspace(US), desk.in_workspace(GB)
    in_us.slash(US_AGENT, ids.COMMAND_READY)
    in_gb.slash(GB_AGENT, ids.COMMAND_READY)
    desk.wait_idle()

    # The page offers every workspace's number to text.
    page = desk.http.get(desk.simulator_page).text
    assert US_NUMBER in page and GB_NUMBER in page

    answer = _phone_texts(desk, GB_NUMBER, GB_AT_HOME, "Where is my parcel?")
    assert answer.status_code == 201, answer.text
    answer = _phone_texts(desk, US_NUMBER, US_AT_HOME, "Where is my order?")
    assert answer.status_code == 201, answer.text

    gb_preview = json.dumps(in_gb.wait_for_preview(GB_AGENT)["blocks"])
    us_preview = json.dumps(in_us.wait_for_preview(US_AGENT)["blocks"])
    assert "Where is my parcel?" in gb_preview and GB_SHOWN in gb_preview
    assert "Where is my order?" in us_preview and US_SHOWN in us_preview
    # Each phone reads its own conversation, typed the same way it was sent.
    assert _phone_shows(desk, GB_NUMBER, GB_AT_HOME) == ["Where is my parcel?"]
    assert _phone_shows(desk, US_NUMBER, US_AT_HOME) == ["Where is my order?"]
    assert _phone_shows(desk, US_NUMBER, GB_E164) == []


def test_the_simulator_texts_only_the_desks_own_numbers(simulated_desk):
    answer = _phone_texts(simulated_desk, "+15005550099", US_AT_HOME, "hello?")
    assert answer.status_code == 400
    assert US_NUMBER in answer.json()["error"] and GB_NUMBER in answer.json()["error"]


def _new_sms(desk, workspace: str, agent: str, to: str, text: str) -> None:
    in_workspace = desk.in_workspace(workspace)
    before = len(desk.slack.modals())
    assert in_workspace.slash(agent, ids.COMMAND_SMS, f"{to} {text}").status_code == 200
    modal = desk.slack.wait_for(lambda s: len(s.modals()) > before and s.modals()[-1], 5,
                                "no New SMS modal")
    text_block = next(b["block_id"] for b in modal["blocks"]
                      if b.get("block_id", "").startswith(new_sms_view.TEXT_BLOCK))
    values = {text_block: {ids.NEW_SMS_TEXT: {"type": "plain_text_input", "value": text}},
              new_sms_view.TO_BLOCK: {ids.NEW_SMS_TO: {"type": "plain_text_input",
                                                       "value": to}}}
    answer = in_workspace.submit_view(agent, modal, values)
    assert answer.json() == {"response_action": "clear"}, answer.text


def test_a_new_sms_to_a_number_typed_at_home_goes_to_that_workspaces_country(desk):
    _new_sms(desk, GB, GB_AGENT, GB_AT_HOME, "Your parcel is ready")
    _new_sms(desk, US, US_AGENT, US_AT_HOME, "Your order is ready")

    gb_sms = desk.twilio.wait_for(lambda t: t.sent_to(GB_E164), 5, "no SMS to the GB phone")
    us_sms = desk.twilio.wait_for(lambda t: t.sent_to(US_E164), 5, "no SMS to the US phone")
    assert [(s.from_, s.body) for s in gb_sms] == [(GB_NUMBER, "Your parcel is ready")]
    assert [(s.from_, s.body) for s in us_sms] == [(US_NUMBER, "Your order is ready")]


def test_the_contact_search_reads_a_number_typed_at_home_in_its_workspaces_country(desk):
    with desk.db.transaction() as s:
        create_contact(s, GB, GB_E164, name="Gemma London")
        create_contact(s, US, US_E164, name="Sam Francisco")

    found_in_gb = desk.in_workspace(GB).slash(GB_AGENT, ids.COMMAND_CONTACT, GB_AT_HOME)
    found_in_us = desk.in_workspace(US).slash(US_AGENT, ids.COMMAND_CONTACT, US_AT_HOME)
    assert "Gemma London" in found_in_gb.text and GB_SHOWN in found_in_gb.text
    assert "Sam Francisco" in found_in_us.text and US_SHOWN in found_in_us.text
