"""A workspace uninstalls the app: its tokens go at once, its desk data after the grace
period (unless it installs again), and nothing of another workspace's goes with it. An admin
can also purge at once with `/sms-admin purge`. Driven over HTTP against the fakes."""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import inspect, text

from bot.config import Settings
from bot.config.workspaces import Workspace
from bot.desk.data_protection import purge
from bot.slack import ids
from storage import clock
from tests.harness import start_desk, wait_for_modal

pytestmark = pytest.mark.postgres

ACME, BETA = "T0ACME", "T0BETA"
ACME_NUMBER, BETA_NUMBER = "+15005550006", "+15005550007"
ACME_AGENT, BETA_AGENT = "UACME1", "UBETA1"
ACME_ADMIN = "UACMEADMIN"
CUSTOMER, QUIET_CUSTOMER = "+14155550100", "+14155550111"
GRACE_DAYS = 30


def _settings(grace_days: int = GRACE_DAYS) -> Settings:
    def desk(channel: str, number: str) -> Settings:
        return Settings(desk_channel=channel, business_numbers=(number,),
                        uninstall_grace_days=grace_days, admins=(ACME_ADMIN,))
    return Settings(workspaces=(Workspace(ACME, desk("CACMEDESK", ACME_NUMBER)),
                                Workspace(BETA, desk("CBETADESK", BETA_NUMBER))))


@pytest.fixture
def desk(database_url):
    running = start_desk(database_url, oauth=True, settings=_settings(), agents=())
    slack = running.slack
    for user, team in ((ACME_AGENT, ACME), (ACME_ADMIN, ACME), (BETA_AGENT, BETA)):
        slack.add_user(user, user.lower(), team_id=team)
    slack.add_channel("CACMEDESK", "sms-desk", team_id=ACME)
    slack.add_channel("CBETADESK", "sms-desk", team_id=BETA)
    for team in (ACME, BETA):
        assert running.install_workspace(team).status_code == 200
    yield running
    running.close()
    clock.reset()


def _busy_desks(desk) -> tuple:
    """Both workspaces with a conversation each, and an opted-out customer at Acme."""
    acme, beta = desk.in_workspace(ACME), desk.in_workspace(BETA)
    for workspace, agent, number in ((acme, ACME_AGENT, ACME_NUMBER),
                                     (beta, BETA_AGENT, BETA_NUMBER)):
        workspace.slash(agent, ids.COMMAND_READY)
        assert workspace.customer_texts(CUSTOMER, f"order for {workspace.team_id}",
                                        To=number).status_code == 200
        workspace.wait_for_preview(agent)
    acme.customer_texts(QUIET_CUSTOMER, "STOP", To=ACME_NUMBER)
    desk.wait_idle()
    return acme, beta


def _rows_by_table(desk, team_id: str) -> dict[str, int]:
    """Every table of the database with a team_id column: rows of that team (not through
    the purge's own list of tables, so a table it forgot shows here)."""
    found = {}
    with desk.db.transaction() as s:
        schema = inspect(s.connection())
        for table in schema.get_table_names():
            if "team_id" in {column["name"] for column in schema.get_columns(table)}:
                number = s.execute(text(f"SELECT count(*) FROM {table} WHERE team_id = :t"),
                                   {"t": team_id}).scalar()
                if number:
                    found[table] = number
    return found


def _kept_all(desk, team_id: str, before: dict[str, int]) -> None:
    """No row of the team was lost (timers that fired meanwhile may have added some)."""
    now = _rows_by_table(desk, team_id)
    lost = {table: (n, now.get(table, 0)) for table, n in before.items()
            if table != "jobs" and now.get(table, 0) < n}
    assert not lost, f"{team_id} lost rows (before, now): {lost}"
    for table in ("contacts", "interactions", "messages", "opt_outs"):
        assert now.get(table) == before.get(table), table


def _audit(desk, team_id: str) -> list[tuple[str, dict]]:
    with desk.db.transaction() as s:
        rows = s.execute(text("SELECT action, detail FROM audit_log WHERE team_id = :t "
                              "ORDER BY id"), {"t": team_id}).all()
    return [(action, detail if isinstance(detail, dict) else json.loads(detail))
            for action, detail in rows]


def _uninstall_events(desk, team_id: str, order: tuple[str, ...]) -> None:
    workspace = desk.in_workspace(team_id)
    for kind in order:
        event = ({"type": "app_uninstalled"} if kind == "app_uninstalled" else
                 {"type": "tokens_revoked", "tokens": {"oauth": ["UINSTALLER"],
                                                       "bot": ["UBOTSMSDESK"]}})
        assert workspace.event(event).status_code == 200
    desk.wait_idle()


def _tokens_stored(desk, team_id: str) -> int:
    with desk.db.transaction() as s:
        return sum(s.execute(text(f"SELECT count(*) FROM {table} WHERE team_id = :t"),
                             {"t": team_id}).scalar()
                   for table in ("slack_bots", "slack_installations"))


def _travel_days(desk, days: float) -> None:
    clock.travel(timedelta(days=days))
    desk.runtime.worker.wake()
    desk.wait_idle()


@pytest.mark.parametrize("order", [("app_uninstalled", "tokens_revoked"),
                                   ("tokens_revoked", "app_uninstalled")])
def test_an_uninstall_deletes_its_tokens_at_once_and_its_data_after_the_grace_period(
        desk, order):
    acme, beta = _busy_desks(desk)
    beta_before = _rows_by_table(desk, BETA)
    assert _tokens_stored(desk, ACME) and _tokens_stored(desk, BETA)

    _uninstall_events(desk, ACME, order)

    # The tokens are gone at once: none stored, and nothing of Acme's reaches Slack.
    assert _tokens_stored(desk, ACME) == 0
    store = desk.runtime.bolt.installation_store
    assert store.find_bot(enterprise_id=None, team_id=ACME) is None
    posts_before = len(desk.slack.calls_to("chat.postMessage"))
    acme.customer_texts("+14155550122", "anyone there?", To=ACME_NUMBER)
    desk.wait_idle()
    assert len(desk.slack.calls_to("chat.postMessage")) == posts_before
    with desk.db.transaction() as s:  # its Slack jobs are dropped, not retried for hours
        gave_up = s.execute(text("SELECT state, count(*) FROM jobs WHERE team_id = :t AND "
                                 "last_error LIKE '%not installed%' GROUP BY state"),
                            {"t": ACME}).all()
    assert dict(gave_up).keys() == {"dead"}, gave_up
    answer = acme.slash(ACME_AGENT, ids.COMMAND_READY)
    assert answer.status_code == 200 and "ready" not in answer.text.lower()
    # Its data waits out the grace period (a reinstall would get it back).
    _travel_days(desk, GRACE_DAYS - 1)
    assert _rows_by_table(desk, ACME).get("messages")

    _travel_days(desk, 2)
    left = _rows_by_table(desk, ACME)
    # What stays: who opted out (STOP must keep working), and the audit of the purge.
    assert set(left) == {"opt_outs", "audit_log"}, left
    actions = [action for action, _ in _audit(desk, ACME)]
    assert actions.count(purge.PURGE_SCHEDULED) == 1 and actions.count(purge.PURGE_DONE) == 1
    assert actions.count(purge.UNINSTALL_RECEIVED) == 2
    done = dict(_audit(desk, ACME))[purge.PURGE_DONE]
    assert done["old"]["messages"] >= 3 and done["old"]["contacts"] == 3

    # Beta is untouched: its rows, its tokens, and its desk keeps working.
    _kept_all(desk, BETA, beta_before)
    assert _tokens_stored(desk, BETA)
    beta.customer_texts("+14155550133", "still there, Beta?", To=BETA_NUMBER)
    desk.slack.wait_for(lambda s: "still there, Beta?" in str(beta.previews_for(BETA_AGENT)),
                        5, "Beta's agent never saw the text")


def test_a_reinstall_within_the_grace_period_cancels_the_purge(desk):
    acme, _beta = _busy_desks(desk)
    _uninstall_events(desk, ACME, ("app_uninstalled",))
    _travel_days(desk, 3)
    assert desk.install_workspace(ACME).status_code == 200

    _travel_days(desk, GRACE_DAYS)
    assert _rows_by_table(desk, ACME).get("messages")
    actions = [action for action, _ in _audit(desk, ACME)]
    assert purge.PURGE_CANCELLED in actions and purge.PURGE_DONE not in actions
    acme.customer_texts("+14155550144", "back again?", To=ACME_NUMBER)
    desk.slack.wait_for(lambda s: "back again?" in str(acme.previews_for(ACME_AGENT)),
                        5, "the reinstalled workspace's agent never saw the text")


def test_revoked_user_tokens_delete_only_those_and_the_desk_keeps_working(desk):
    acme, _beta = _busy_desks(desk)
    acme.event({"type": "tokens_revoked", "tokens": {"oauth": ["UINSTALLER"]}})
    desk.wait_idle()
    with desk.db.transaction() as s:
        assert s.execute(text("SELECT count(*) FROM slack_installations WHERE team_id = :t "
                              "AND user_id = 'UINSTALLER'"), {"t": ACME}).scalar() == 0
        assert s.execute(text("SELECT count(*) FROM slack_bots WHERE team_id = :t"),
                         {"t": ACME}).scalar() == 1
    _travel_days(desk, GRACE_DAYS + 1)
    assert _rows_by_table(desk, ACME).get("messages")
    acme.customer_texts("+14155550155", "still fine?", To=ACME_NUMBER)
    desk.slack.wait_for(lambda s: "still fine?" in str(acme.previews_for(ACME_AGENT)),
                        5, "the agent never saw the text")


def test_an_admin_purges_at_once_after_a_confirmation_that_says_what_goes(desk):
    acme, beta = _busy_desks(desk)
    beta_before = _rows_by_table(desk, BETA)
    assert acme.slash(ACME_ADMIN, ids.COMMAND_ADMIN, "purge").status_code == 200
    confirm = wait_for_modal(desk, ids.ADMIN_PURGE_VIEW)
    shown = json.dumps(confirm["blocks"])
    assert "2 contacts" in shown and "messages" in shown and "opt-outs" in shown
    assert _rows_by_table(desk, ACME).get("messages")  # nothing deleted by just asking

    answer = acme.submit_view(ACME_ADMIN, confirm, {})
    assert answer.status_code == 200 and "Deleting" in answer.text
    desk.wait_idle()
    # Still installed (the tokens stay), everything else but opt-outs and the audit is gone.
    assert set(_rows_by_table(desk, ACME)) == {"opt_outs", "audit_log", "slack_bots",
                                               "slack_installations"}
    done = [(action, detail) for action, detail in _audit(desk, ACME)
            if action == purge.PURGE_DONE]
    assert len(done) == 1 and done[0][1]["reason"] == purge.BY_ADMIN
    _kept_all(desk, BETA, beta_before)
    # Still installed: the desk starts empty and works.
    assert _tokens_stored(desk, ACME)
    acme.slash(ACME_AGENT, ids.COMMAND_READY)
    acme.customer_texts("+14155550166", "fresh start", To=ACME_NUMBER)
    desk.slack.wait_for(lambda s: "fresh start" in str(acme.previews_for(ACME_AGENT)),
                        5, "the agent never saw the text")


def test_a_non_admin_cannot_purge_by_command_or_by_a_forged_submission(desk):
    acme, _beta = _busy_desks(desk)
    before = _rows_by_table(desk, ACME)
    answer = acme.slash(ACME_AGENT, ids.COMMAND_ADMIN, "purge")
    assert "Only admins" in answer.text
    assert not [m for m in desk.slack.modals() if m["callback_id"] == ids.ADMIN_PURGE_VIEW]

    forged = acme.submit_view(ACME_AGENT, {"callback_id": ids.ADMIN_PURGE_VIEW}, {})
    assert forged.status_code == 200 and "Only admins" in forged.text
    desk.wait_idle()
    after = _rows_by_table(desk, ACME)
    assert after.get("messages") == before["messages"]
    assert purge.PURGE_SCHEDULED not in [action for action, _ in _audit(desk, ACME)]


def test_a_single_token_desk_purges_too_and_tells_the_operator_to_remove_the_token(
        database_url, caplog):
    desk = start_desk(database_url, settings=replace(
        _settings(0).workspaces[0].settings, desk_channel="CDESK",
        business_numbers=("+15005550006",)))
    try:
        desk.slash("UAGENT1", ids.COMMAND_READY)
        desk.customer_texts(CUSTOMER, "hello")
        desk.wait_for_preview("UAGENT1")
        desk.wait_idle()
        desk.slack.revoke_token(desk.slack.bot_token)  # what an uninstall does to it
        with caplog.at_level(logging.INFO):
            desk.event({"type": "app_uninstalled"})
            desk.wait_idle()
        assert any("SLACK_BOT_TOKEN" in r.getMessage() and "remove" in r.getMessage()
                   for r in caplog.records if r.levelno == logging.WARNING)
        assert set(_rows_by_table(desk, desk.team_id)) == {"audit_log"}
    finally:
        desk.close()
