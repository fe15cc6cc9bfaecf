"""Health as operators meet it: /readyz for the load balancer, `smsdesk doctor` at a shell."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests import REPO_ROOT
from tests.fakes.slack import FakeSlack
from tests.fakes.twilio_api import FakeTwilio

SMSDESK = [sys.executable, "-m", "bot.cli"]


def _readyz(desk):
    """/readyz as the operator's monitoring reads it: with SMSDESK_OPS_TOKEN, in detail."""
    return desk.http.get(desk.url + "/readyz", headers=desk.ops_headers)


def _forget(desk) -> None:
    """Skip the 30 s the readiness answers are reused, as if that much time had passed."""
    desk.runtime.web.config["SMSDESK_READINESS"].forget()


def test_readyz_is_200_when_database_slack_and_the_provider_answer(desk, provider):
    response = _readyz(desk)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["ready"] is True
    assert set(body["checks"]) == {"database", "slack", "desk channel", "sms",
                                   "spelling"}
    assert all(check["ok"] for check in body["checks"].values())
    assert desk.http.get(desk.url + "/healthz").json() == {"ok": True}


def test_a_load_balancer_probing_every_second_asks_slack_and_twilio_once(desk):
    before = len(desk.slack.calls_to("auth.test"))
    for _ in range(10):
        assert _readyz(desk).status_code == 200
    assert len(desk.slack.calls_to("auth.test")) == before + 1
    account_gets = [c for c in desk.twilio.calls if c.path == desk.twilio.account_path]
    assert len(account_gets) == 1


def test_readyz_is_503_naming_slack_when_the_token_stops_working(desk):
    assert _readyz(desk).status_code == 200
    desk.slack.fail_next("auth.test", error="invalid_auth")
    _forget(desk)
    response = _readyz(desk)
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["database"]["ok"] and checks["sms"]["ok"]
    assert checks["slack"] == {
        "ok": False, "reason": "auth.test: invalid_auth",
        "fix": checks["slack"]["fix"]}
    assert "OAuth & Permissions" in checks["slack"]["fix"]


def test_readyz_is_503_while_slack_is_down_and_200_once_it_is_back(desk):
    desk.slack.set_down()
    _forget(desk)
    response = _readyz(desk)
    assert response.status_code == 503
    assert not response.json()["checks"]["slack"]["ok"]
    desk.slack.set_down(False)
    _forget(desk)
    assert _readyz(desk).status_code == 200


def test_readyz_is_503_when_the_provider_is_unreachable(desk, provider):
    desk.provider.stop()
    _forget(desk)
    response = _readyz(desk)
    assert response.status_code == 503
    sms = response.json()["checks"]["sms"]
    assert not sms["ok"] and f"{desk.kit.label} unreachable" in sms["reason"]


# --- what strangers see ---------------------------------------------------------------------


def test_the_public_readyz_says_only_ready_or_not(desk):
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "test-ops-token"}):
        response = desk.http.get(desk.url + "/readyz", headers=headers)
        assert response.status_code == 200
        assert response.json() == {"ready": True}  # no team, no bot, no checks
    assert desk.team_id in _readyz(desk).text  # the operator's monitoring sees who it is


def test_readyz_without_an_ops_token_set_is_bare_for_everyone(database_url):
    from tests.harness import OPS_TOKEN, start_desk

    desk = start_desk(database_url, ops_token=None)
    try:
        response = desk.http.get(desk.url + "/readyz",
                                 headers={"Authorization": f"Bearer {OPS_TOKEN}"})
        assert response.status_code == 200 and response.json() == {"ready": True}
    finally:
        desk.close()


@pytest.fixture
def proxied_desk(database_url):
    """A desk on PostgreSQL through a TcpProxy the test can cut, its URL carrying a
    password as a query parameter (as libpq allows)."""
    if database_url.startswith("sqlite"):
        pytest.skip("a TCP cut needs a database server")
    from tests.fakes.tcp_proxy import TcpProxy
    from tests.harness import start_desk

    target = urlsplit(database_url)
    proxy = TcpProxy(target.hostname, target.port or 5432)
    desk = start_desk(proxy.url_for(database_url) + "?password=s3cret-pw&sslmode=prefer")
    yield desk, proxy
    proxy.restore()
    desk.close()
    proxy.close()


@pytest.mark.postgres
def test_a_database_failure_is_told_in_detail_only_to_the_operator(proxied_desk):
    desk, proxy = proxied_desk
    proxy.cut()

    response = desk.http.get(desk.url + "/readyz")
    assert response.status_code == 503
    assert response.json() == {"ready": False}  # no driver error: no host, port or user
    assert str(proxy.port) not in response.text and "postgres" not in response.text

    detail = _readyz(desk)
    assert detail.status_code == 503
    database = detail.json()["checks"]["database"]
    assert not database["ok"] and str(proxy.port) in database["reason"]
    assert "password=***" in database["fix"] and "sslmode=prefer" in database["fix"]
    assert "s3cret-pw" not in detail.text


def test_readyz_of_a_desk_installed_by_oauth_checks_the_app_credentials(database_url):
    from tests.harness import start_desk

    desk = start_desk(database_url, oauth=True)
    try:
        assert desk.http.get(desk.url + "/readyz").json() == {"ready": True}
        response = _readyz(desk)
        assert response.status_code == 200, response.text
        checks = response.json()["checks"]
        assert set(checks) == {"database", "slack", "sms", "spelling"}
        assert "SLACK_CLIENT_ID and SLACK_CLIENT_SECRET accepted" in checks["slack"]["reason"]
    finally:
        desk.close()


def test_the_app_credentials_check_says_how_to_fix_a_wrong_secret(fakes):
    from slack_sdk import WebClient

    from bot import health
    from tests.fakes.slack import oauth as slack_oauth

    slack, _twilio = fakes
    client = WebClient(base_url=slack.url, timeout=5)
    assert health.check_slack_app(client, slack_oauth.CLIENT_ID, slack_oauth.CLIENT_SECRET).ok
    check = health.check_slack_app(client, slack_oauth.CLIENT_ID, "not-the-secret")
    assert not check.ok and "invalid_client_id" in check.reason
    assert "App Credentials" in check.fix and "not-the-secret" not in str(check)


@pytest.mark.parametrize(("url", "shown"), [
    ("postgresql://desk:s3cret@db.internal:5432/desk",
     "postgresql+psycopg://desk:***@db.internal:5432/desk"),
    ("postgresql://desk@db.internal/desk?password=s3cret&sslmode=require",
     "postgresql+psycopg://desk@db.internal/desk?password=***&sslmode=require"),
    ("postgresql://db.internal/desk?sslpassword=s3cret&application_name=smsdesk",
     "postgresql+psycopg://db.internal/desk?application_name=smsdesk&sslpassword=***"),
    ("postgresql://desk:s3cret@db.internal/desk?token=s3cret",
     "postgresql+psycopg://desk:***@db.internal/desk?token=***"),
    ("sqlite:////var/lib/smsdesk/desk.sqlite3", "sqlite:////var/lib/smsdesk/desk.sqlite3"),
    ("not a url:s3cret@db.internal/desk?password=s3cret", "db.internal/desk?***"),
])
def test_a_database_url_is_shown_with_every_secret_masked(url, shown):
    from storage.db import masked_url

    assert masked_url(url) == shown


# --- smsdesk doctor ---------------------------------------------------------------------


def _doctor(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess:
    base = {"PATH": os.environ["PATH"], "PYTHONPATH": str(REPO_ROOT)}
    return subprocess.run(SMSDESK + ["doctor", *args], env={**base, **env}, cwd=cwd,
                          capture_output=True, text=True, timeout=60)


@pytest.fixture
def fakes(tmp_path):
    """A Slack with the desk channel CDESK (the app in it), a Twilio, and the database
    `_env` names already migrated, as on a desk that has run once."""
    from storage.db import Database

    with FakeSlack() as slack, FakeTwilio() as twilio:
        slack.add_channel("CDESK", "sms-desk")
        db = Database(f"sqlite:///{tmp_path / 'd.sqlite3'}")
        db.upgrade()
        db.dispose()
        yield slack, twilio


def _env(slack, twilio, tmp_path: Path, **overrides: str) -> dict[str, str]:
    return {
        "SLACK_BOT_TOKEN": slack.bot_token, "SLACK_SIGNING_SECRET": "s",
        "SLACK_API_URL": slack.url, "SMSDESK_DESK_CHANNEL": "CDESK",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'd.sqlite3'}",
        "SMS_PROVIDER": "twilio", "TWILIO_ACCOUNT_SID": twilio.account_sid,
        "TWILIO_AUTH_TOKEN": twilio.auth_token, "TWILIO_API_URL": twilio.url,
        "SMSDESK_PUBLIC_URL": "https://desk.example.com", **overrides,
    }


def test_doctor_passes_every_check_and_exits_0(fakes, tmp_path):
    result = _doctor(_env(*fakes, tmp_path), tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    for name in ("environment", "settings", "desk channel", "database", "schema", "slack",
                 "sms"):
        assert f"✓ {name}:" in result.stdout
    assert "token valid for Team T0001 (T0001)" in result.stdout
    assert "all checks passed" in result.stdout


def test_doctor_says_how_to_fix_a_refused_token(fakes, tmp_path):
    result = _doctor(_env(*fakes, tmp_path, SLACK_BOT_TOKEN="xoxb-wrong"), tmp_path)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    failed = lines.index("✗ slack: auth.test: invalid_auth")
    assert "copy the Bot User OAuth Token" in lines[failed + 1]
    assert "OAuth & Permissions" in lines[failed + 1]
    assert "✓ database:" in result.stdout and "1 check(s) failed" in result.stdout


def test_doctor_shows_the_database_it_tried_without_the_password(fakes, tmp_path):
    url = "postgresql://desk:s3cret-pw@127.0.0.1:1/desk"
    result = _doctor(_env(*fakes, tmp_path, DATABASE_URL=url), tmp_path)
    assert result.returncode == 1
    assert "✗ database: OperationalError" in result.stdout
    assert "postgresql+psycopg://desk:***@127.0.0.1:1/desk" in result.stdout
    assert "s3cret-pw" not in result.stdout + result.stderr


def test_doctor_lists_missing_configuration_with_where_to_find_it(fakes, tmp_path):
    settings = tmp_path / "broken.toml"
    settings.write_text("[desk]\noffer_timeout_seconds = 1\n")
    result = _doctor(_env(*fakes, tmp_path, SLACK_SIGNING_SECRET="", TWILIO_AUTH_TOKEN="",
                          SMSDESK_SETTINGS=str(settings)), tmp_path)
    assert result.returncode == 1
    assert "✗ environment: SLACK_SIGNING_SECRET is not set" in result.stdout
    assert "fix: copy the Signing Secret from Basic Information" in result.stdout
    assert "✗ settings:" in result.stdout and "offer_timeout_seconds" in result.stdout
    assert "✓ slack:" in result.stdout


def test_doctor_of_a_desk_installed_by_oauth_checks_the_app_credentials(fakes, tmp_path):
    from tests.fakes.slack import oauth as slack_oauth
    from tests.harness import ENCRYPTION_KEY

    oauth = {"SLACK_BOT_TOKEN": "", "SLACK_CLIENT_ID": slack_oauth.CLIENT_ID,
             "SMSDESK_ENCRYPTION_KEY": ENCRYPTION_KEY}
    result = _doctor(_env(*fakes, tmp_path, SLACK_CLIENT_SECRET=slack_oauth.CLIENT_SECRET,
                          **oauth), tmp_path)
    assert "✓ slack: SLACK_CLIENT_ID and SLACK_CLIENT_SECRET accepted" in result.stdout
    result = _doctor(_env(*fakes, tmp_path, SLACK_CLIENT_SECRET="wrong", **oauth), tmp_path)
    assert "✗ slack: oauth.v2.access: invalid_client_id" in result.stdout
    assert "App Credentials" in result.stdout and "wrong" not in result.stdout


def test_readyz_is_503_while_the_app_is_not_in_the_desk_channel(desk):
    desk.slack.add_channel("CDESK", "sms-desk", bot_is_member=False)
    _forget(desk)
    response = _readyz(desk)
    assert response.status_code == 503
    check = response.json()["checks"]["desk channel"]
    assert check["reason"] == "the app is not in #sms-desk (CDESK)"
    assert "/invite @smsdesk" in check["fix"]


@pytest.mark.parametrize(("channel", "told"), [
    ("#sms-desk", "✗ settings: SMSDESK_DESK_CHANNEL"),  # a name: refused by its shape
    ("general", "✗ settings: SMSDESK_DESK_CHANNEL"),
    ("C0NOSUCH", "✗ desk channel: Slack knows no channel C0NOSUCH"),  # an id Slack lacks
])
def test_doctor_checks_the_desk_channel_with_slack(fakes, tmp_path, channel, told):
    result = _doctor(_env(*fakes, tmp_path, SMSDESK_DESK_CHANNEL=channel), tmp_path)
    assert result.returncode == 1
    assert told in result.stdout
    assert "not its name" in result.stdout


def test_doctor_says_to_invite_the_app_into_the_desk_channel(fakes, tmp_path):
    slack, _twilio = fakes
    slack.add_channel("CDESK", "sms-desk", bot_is_member=False)
    result = _doctor(_env(*fakes, tmp_path), tmp_path)
    assert "✗ desk channel: the app is not in #sms-desk (CDESK)" in result.stdout
    assert "fix: type /invite @smsdesk in #sms-desk" in result.stdout


def test_doctor_only_reads_a_missing_file_is_defaults_a_missing_database_is_a_failure(
        fakes, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = _doctor(_env(*fakes, tmp_path, DATABASE_URL="sqlite:///smsdesk.sqlite3"),
                     elsewhere)
    assert "✓ settings: no " in result.stdout and "using the defaults" in result.stdout
    assert "smsdesk.toml loaded" not in result.stdout
    assert f"✗ database: no database at sqlite:///smsdesk.sqlite3 ({elsewhere})" \
        in result.stdout.replace("/smsdesk.sqlite3)", ")")
    assert "fix: run `smsdesk db upgrade`" in result.stdout
    assert not (elsewhere / "smsdesk.sqlite3").exists()  # doctor created nothing


def test_doctor_fails_an_unmigrated_database_with_the_upgrade_as_the_fix(fakes, tmp_path):
    import sqlite3

    sqlite3.connect(tmp_path / "empty.sqlite3").close()
    result = _doctor(_env(*fakes, tmp_path,
                          DATABASE_URL=f"sqlite:///{tmp_path / 'empty.sqlite3'}"), tmp_path)
    assert result.returncode == 1
    assert "✗ schema:" in result.stdout and "is never migrated" in result.stdout
    assert "fix: run `smsdesk db upgrade`" in result.stdout


def test_doctor_of_a_socket_mode_desk_needs_no_signing_secret_and_checks_the_app_token(
        fakes, tmp_path):
    socket = {"SLACK_SIGNING_SECRET": "", "SLACK_APP_TOKEN": "xapp-1-test"}
    result = _doctor(_env(*fakes, tmp_path, **socket), tmp_path)
    assert result.returncode == 0, result.stdout
    assert result.stdout.startswith("mode: Socket Mode (from the variables set")
    assert "✓ socket: SLACK_APP_TOKEN opens a Socket Mode connection" in result.stdout
    assert "SLACK_SIGNING_SECRET" not in result.stdout

    result = _doctor(_env(*fakes, tmp_path, **{**socket, "SLACK_APP_TOKEN": "xapp-1-wrong"}),
                     tmp_path, "--socket")
    assert result.returncode == 1
    assert "✗ socket: apps.connections.open: invalid_auth" in result.stdout
    assert "App-Level Tokens" in result.stdout


def test_doctor_checks_each_workspace_desk_of_an_oauth_desk(fakes, tmp_path):
    from tests.fakes.slack import oauth as slack_oauth
    from tests.harness import ENCRYPTION_KEY

    settings = tmp_path / "smsdesk.toml"
    settings.write_text('[workspaces.T0ACME.desk]\nchannel = "C0ACMEDESK"\n'
                        '[workspaces.T0BETA.desk]\nbusiness_numbers = ["+15005550007"]\n')
    oauth = {"SLACK_BOT_TOKEN": "", "SLACK_CLIENT_ID": slack_oauth.CLIENT_ID,
             "SLACK_CLIENT_SECRET": slack_oauth.CLIENT_SECRET, "SMSDESK_DESK_CHANNEL": "",
             "SMSDESK_ENCRYPTION_KEY": ENCRYPTION_KEY, "SMSDESK_SETTINGS": str(settings)}
    result = _doctor(_env(*fakes, tmp_path, **oauth), tmp_path)
    assert "✓ desk channel of T0ACME: C0ACMEDESK" in result.stdout
    assert "✗ desk channel of T0BETA: no desk channel set" in result.stdout
    assert "[workspaces.T0BETA.desk]" in result.stdout
    assert "SMSDESK_DESK_CHANNEL" not in result.stdout


def test_doctor_names_the_api_url_and_network_when_twilio_is_unreachable(fakes, tmp_path):
    # Nothing listens on port 1: a wrong TWILIO_API_URL or a blocked network, not an outage.
    result = _doctor(_env(*fakes, tmp_path, TWILIO_API_URL="http://127.0.0.1:1"), tmp_path)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    failed = next(i for i, line in enumerate(lines)
                  if line.startswith("✗ sms: Twilio unreachable"))
    assert "TWILIO_API_URL" in lines[failed + 1] and "network" in lines[failed + 1]
    assert "status.twilio.com" in lines[failed + 1]
