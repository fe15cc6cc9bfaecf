"""Several workspaces on one desk: each installs with "Add to Slack", gets its own tokens
(rotated before they expire), its own customers and its own desk channel, and sees nothing
of another's. Driven as Slack and Twilio drive it, over HTTP against the fakes."""

from __future__ import annotations

import json
import logging
from dataclasses import replace

import pytest
from sqlalchemy import text

from bot.config import Settings
from bot.config.workspaces import Workspace
from bot.desk.directory.contacts import create_contact
from bot.slack import ids
from tests.harness import action_value, start_desk

pytestmark = pytest.mark.postgres

ACME, BETA = "T0ACME", "T0BETA"
ACME_NUMBER, BETA_NUMBER = "+15005550006", "+15005550007"
ACME_AGENT, BETA_AGENT = "UACME1", "UBETA1"
CUSTOMER = "+14155550100"


def _settings() -> Settings:
    return Settings(workspaces=(
        Workspace(ACME, Settings(desk_channel="CACMEDESK", business_numbers=(ACME_NUMBER,))),
        Workspace(BETA, Settings(desk_channel="CBETADESK", business_numbers=(BETA_NUMBER,))),
    ))


@pytest.fixture
def desk(database_url):
    running = start_desk(database_url, oauth=True, settings=_settings(), agents=())
    slack = running.slack
    slack.add_user(ACME_AGENT, "ann", "Ann Acme", team_id=ACME)
    slack.add_user(BETA_AGENT, "bob", "Bob Beta", team_id=BETA)
    slack.add_channel("CACMEDESK", "sms-desk", team_id=ACME)
    slack.add_channel("CBETADESK", "sms-desk", team_id=BETA)
    yield running
    running.close()


def _tokens_of(desk, team_id: str) -> set[str]:
    return {e.access_token for e in desk.slack.oauth.exchanges if e.team_id == team_id}


def _post_of(desk, text: str):
    return next(c for c in desk.slack.calls_to("chat.postMessage")
                if not c.failed and text in json.dumps(c.params))


def _installed(desk) -> tuple:
    acme, beta = desk.in_workspace(ACME), desk.in_workspace(BETA)
    for workspace in (ACME, BETA):
        page = desk.install_workspace(workspace)
        assert page.status_code == 200, page.text
    return acme, beta


def test_each_workspace_installs_and_is_told_where_its_desk_is(desk):
    page = desk.install_workspace(ACME, installer="UACMEADMIN")
    assert page.status_code == 200
    assert "smsdesk is installed in <b>Team T0ACME</b>" in page.text
    assert "CACMEDESK" in page.text and ACME_NUMBER in page.text
    with desk.db.transaction() as s:
        (team,), = s.execute(text("SELECT team_id FROM slack_bots")).all()
    # Stored sealed (SMSDESK_ENCRYPTION_KEY): read back through the installation store.
    bot = desk.runtime.bolt.installation_store.find_bot(enterprise_id=None, team_id=ACME)
    assert team == ACME and bot.bot_token in _tokens_of(desk, ACME) and bot.bot_refresh_token


def test_a_workspace_without_a_desk_in_the_settings_is_told_exactly_what_to_add(desk):
    page = desk.install_workspace("T0GAMMA")
    assert page.status_code == 200
    assert "one step left" in page.text
    assert "[workspaces.T0GAMMA.desk]" in page.text


def test_a_redirect_with_a_forged_state_installs_nothing(desk):
    code = desk.slack.oauth.arrange_install(ACME)
    page = desk.http.get(desk.url + "/slack/oauth_redirect",
                         params={"code": code, "state": "made-up"})
    assert page.status_code >= 400 and "was not installed" in page.text
    with desk.db.transaction() as s:
        assert s.execute(text("SELECT count(*) FROM slack_bots")).scalar() == 0


def test_each_workspaces_customers_reach_only_that_workspaces_agents(desk):
    acme, beta = _installed(desk)
    acme.slash(ACME_AGENT, ids.COMMAND_READY)
    beta.slash(BETA_AGENT, ids.COMMAND_READY)
    desk.wait_idle()

    assert acme.customer_texts(CUSTOMER, "my Acme order", To=ACME_NUMBER).status_code == 200
    assert beta.customer_texts(CUSTOMER, "my Beta order", To=BETA_NUMBER).status_code == 200
    acme_preview = acme.wait_for_preview(ACME_AGENT)
    beta_preview = beta.wait_for_preview(BETA_AGENT)
    acme_shown, beta_shown = str(acme_preview["blocks"]), str(beta_preview["blocks"])
    assert "my Acme order" in acme_shown and "Beta" not in acme_shown
    assert "my Beta order" in beta_shown and "Acme" not in beta_shown
    # Each preview went out with its own workspace's token.
    assert _post_of(desk, "my Acme order").token in _tokens_of(desk, ACME)
    assert _post_of(desk, "my Beta order").token in _tokens_of(desk, BETA)

    # Beta's agent clicks Accept on Acme's interaction (a forged payload): refused.
    acme_offer = action_value(acme_preview, ids.ACCEPT_OFFER)
    beta.click(BETA_AGENT, ids.ACCEPT_OFFER, acme_offer)
    desk.wait_idle()
    assert not desk.slack.messages("CBETADESK") and not desk.slack.messages("CACMEDESK")

    # Acme's agent accepts: the thread opens in Acme's desk channel, and only there.
    acme.click(ACME_AGENT, ids.ACCEPT_OFFER, acme_offer)
    card = desk.slack.wait_for(lambda s: s.messages("CACMEDESK") and s.messages("CACMEDESK")[0],
                               5, "no card in Acme's desk channel")
    assert "my Acme order" in str(card["blocks"])  # the card carries the customer's text
    assert not desk.slack.messages("CBETADESK")


def test_accept_or_reject_of_another_workspaces_offer_is_a_quiet_refusal(database_url, caplog):
    admins = {ACME: "UACMEADMIN", BETA: "UBETAADMIN"}
    desk = start_desk(database_url, oauth=True, agents=(), settings=Settings(workspaces=tuple(
        Workspace(team, replace(workspace.settings, admins=(admins[team],)))
        for team, workspace in ((w.team_id, w) for w in _settings().workspaces))))
    try:
        for team, agent in ((ACME, ACME_AGENT), (BETA, BETA_AGENT)):
            desk.slack.add_user(agent, agent.lower(), team_id=team)
            desk.slack.add_user(admins[team], admins[team].lower(), team_id=team)
        desk.slack.add_channel("CACMEDESK", "sms-desk", team_id=ACME)
        desk.slack.add_channel("CBETADESK", "sms-desk", team_id=BETA)
        acme, beta = _installed(desk)
        acme.slash(ACME_AGENT, ids.COMMAND_READY)
        acme.customer_texts(CUSTOMER, "my Acme order", To=ACME_NUMBER)
        offer = action_value(acme.wait_for_preview(ACME_AGENT), ids.ACCEPT_OFFER)
        desk.wait_idle()
        with desk.db.transaction() as s:
            before = s.execute(text("select state, agent_user_id, answered_at from offers"
                                    )).all()

        with caplog.at_level(logging.INFO):
            for action in (ids.ACCEPT_OFFER, ids.REJECT_OFFER):
                assert beta.click(BETA_AGENT, action, offer).status_code == 200
            desk.wait_idle()
        # Refused where the domain refuses it (a warning), not as a listener failure.
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
        assert any("not that team's" in r.getMessage() for r in caplog.records
                   if r.levelno == logging.WARNING)
        with desk.db.transaction() as s:
            assert s.execute(text("select state, agent_user_id, answered_at from offers"
                                  )).all() == before
            assert s.execute(text("select state, offered_to from interactions")).all() == [
                ("offered", ACME_AGENT)]
        assert not desk.slack.messages("CBETADESK") and not desk.slack.messages("CACMEDESK")
        for team, admin in admins.items():
            assert desk.in_workspace(team).previews_for(admin) == [], team
        assert desk.in_workspace(BETA).previews_for(BETA_AGENT) == []
    finally:
        desk.close()


def test_one_workspace_cannot_find_anothers_contacts(desk):
    acme, beta = _installed(desk)
    acme.customer_texts(CUSTOMER, "hello Acme", To=ACME_NUMBER)
    desk.wait_idle()
    assert "+1 415-555-0100" in json.dumps(acme.slash(ACME_AGENT, ids.COMMAND_CONTACT,
                                                      "4155550100").json())
    assert "+1 415-555-0100" not in json.dumps(beta.slash(BETA_AGENT, ids.COMMAND_CONTACT,
                                                          "4155550100").json())


def test_a_token_about_to_expire_is_rotated_and_the_new_one_kept(desk):
    acme = desk.in_workspace(ACME)
    desk.install_workspace(ACME, expires_in=600)  # inside the two-hour rotation window
    first_token = next(iter(_tokens_of(desk, ACME)))
    acme.slash(ACME_AGENT, ids.COMMAND_READY)
    acme.customer_texts(CUSTOMER, "rotate me", To=ACME_NUMBER)
    acme.wait_for_preview(ACME_AGENT)
    refreshes = [e for e in desk.slack.oauth.exchanges if e.grant_type == "refresh_token"]
    assert refreshes and all(e.team_id == ACME for e in refreshes)
    preview_post = _post_of(desk, "rotate me")
    assert preview_post.token != first_token and preview_post.token in _tokens_of(desk, ACME)
    stored = desk.runtime.bolt.installation_store.find_bot(enterprise_id=None,
                                                           team_id=ACME).bot_token
    assert stored != first_token and stored == refreshes[-1].access_token


def test_a_text_to_a_number_no_workspace_has_is_refused_with_the_reason(desk):
    _installed(desk)
    answer = desk.customer_texts(CUSTOMER, "anyone?", To="+15005550099")
    assert answer.status_code == 404
    assert "+15005550099" in answer.text and "[workspaces." in answer.text
    with desk.db.transaction() as s:
        assert s.execute(text("SELECT count(*) FROM messages")).scalar() == 0


# --- a workspace that installed the app but that the settings do not name --------------------

STRANGER, STRANGER_USER = "T0GAMMA", "UGAMMA1"
TOP_LEVEL_NUMBER = "+15005550009"


def _settings_with_top_level_numbers() -> Settings:
    # What made the hole: top-level numbers and desk channel, which the stranger used to get.
    return replace(_settings(), business_numbers=(TOP_LEVEL_NUMBER,), desk_channel="CTOPDESK")


@pytest.fixture
def desk_and_stranger(database_url):
    running = start_desk(database_url, oauth=True, settings=_settings_with_top_level_numbers(),
                         agents=())
    running.slack.add_user(ACME_AGENT, "ann", "Ann Acme", team_id=ACME)
    running.slack.add_user(STRANGER_USER, "mallory", "Mallory", team_id=STRANGER)
    running.slack.add_channel("CACMEDESK", "sms-desk", team_id=ACME)
    running.slack.add_channel("CTOPDESK", "sms-desk", team_id=STRANGER)
    for workspace in (ACME, STRANGER):
        assert running.install_workspace(workspace).status_code == 200
    yield running, running.in_workspace(STRANGER)
    running.close()


def _stranger_calls(desk) -> list:
    """What the desk did in the stranger's workspace (bolt's own auth.test aside: it checks
    every request's token before any listener runs)."""
    stranger_tokens = _tokens_of(desk, STRANGER)
    return [c.method for c in desk.slack.calls
            if c.token in stranger_tokens and c.method != "auth.test"]


def _rows_of(desk, team_id: str) -> dict[str, int]:
    with desk.db.transaction() as s:
        return {table: s.execute(text(f"SELECT count(*) FROM {table} WHERE team_id = :t"),
                                 {"t": team_id}).scalar()
                for table in ("interactions", "agents", "contacts", "messages", "jobs")}


def test_a_workspace_the_settings_do_not_name_can_reach_nothing(desk_and_stranger):
    desk, stranger = desk_and_stranger
    with desk.db.transaction() as s:
        create_contact(s, ACME, CUSTOMER, name="Jane Doe")
    before = _rows_of(desk, STRANGER)

    # The phishing text of the report: /sms NUMBER TEXT used to go out from the top-level number.
    answer = stranger.slash(STRANGER_USER, ids.COMMAND_SMS,
                            f"{CUSTOMER} Your bank account is locked: http://evil.example")
    assert answer.status_code == 200
    said = answer.json()
    assert said["response_type"] == "ephemeral"
    assert f"[workspaces.{STRANGER}.desk]" in said["text"]

    for command, words in ((ids.COMMAND_READY, ""), (ids.COMMAND_CONTACT, "jane"),
                           (ids.COMMAND_QUEUE, ""), (ids.COMMAND_ADMIN, "log"),
                           (ids.COMMAND_NOT_READY, "")):
        answer = stranger.slash(STRANGER_USER, command, words)
        assert answer.status_code == 200, command
        assert "no desk is set up" in answer.json()["text"], command
        assert "Jane" not in answer.text

    # The New SMS shortcut, a forged New SMS submit, the Home tab, a forged Accept.
    assert stranger.shortcut(STRANGER_USER, ids.SHORTCUT_NEW_SMS).status_code == 200
    forged = {"callback_id": ids.NEW_SMS_VIEW, "private_metadata": ""}
    values = {"to": {ids.NEW_SMS_TO: {"type": "plain_text_input", "value": CUSTOMER}},
              "text": {ids.NEW_SMS_TEXT: {"type": "plain_text_input", "value": "phish"}}}
    assert stranger.submit_view(STRANGER_USER, forged, values).status_code == 200
    assert stranger.event({"type": "app_home_opened", "user": STRANGER_USER, "tab": "home",
                           "channel": "D0GAMMA", "event_ts": "1.0"}).status_code == 200
    assert stranger.click(STRANGER_USER, ids.ACCEPT_OFFER, "1").status_code == 200
    desk.wait_idle()

    assert desk.twilio.sent == []
    assert _stranger_calls(desk) == []  # no modal, no Home tab, no post in its workspace
    assert _rows_of(desk, STRANGER) == before

    # The workspaces the settings name are served as before.
    answer = desk.in_workspace(ACME).slash(ACME_AGENT, ids.COMMAND_READY)
    assert "You are *Ready*" in answer.text


def test_a_text_to_a_top_level_number_reaches_no_workspace_of_an_oauth_desk(desk_and_stranger):
    desk, stranger = desk_and_stranger
    stranger.slash(STRANGER_USER, ids.COMMAND_READY)
    answer = stranger.customer_texts(CUSTOMER, "hello?", To=TOP_LEVEL_NUMBER)
    assert answer.status_code == 404
    desk.wait_idle()
    assert _stranger_calls(desk) == [] and _rows_of(desk, STRANGER)["interactions"] == 0


def test_the_stranger_workspace_can_still_uninstall(desk_and_stranger):
    desk, stranger = desk_and_stranger
    answer = stranger.event({"type": "app_uninstalled", "event_ts": "1.0"})
    assert answer.status_code == 200
    desk.slack.wait_for(lambda _s: desk.runtime.bolt.installation_store.find_bot(
        enterprise_id=None, team_id=STRANGER) is None, 5, "the stranger's token was kept")
