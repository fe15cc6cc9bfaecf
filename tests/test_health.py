"""Health as operators meet it: /readyz for the load balancer, `smsdesk doctor` at a shell."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fakes.slack_api import FakeSlack
from tests.fakes.twilio_api import FakeTwilio

SMSDESK = [sys.executable, "-m", "bot.cli"]


def _readyz(desk):
    return desk.http.get(desk.url + "/readyz")


def _forget(desk) -> None:
    """Skip the 30 s the readiness answers are reused, as if that much time had passed."""
    desk.runtime.web.config["SMSDESK_READINESS"].forget()


def test_readyz_is_200_when_database_slack_and_twilio_answer(desk):
    response = _readyz(desk)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["ready"] is True
    assert set(body["checks"]) == {"database", "slack", "sms"}
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


def test_readyz_is_503_when_twilio_is_unreachable(desk):
    desk.twilio.stop()
    _forget(desk)
    response = _readyz(desk)
    assert response.status_code == 503
    sms = response.json()["checks"]["sms"]
    assert not sms["ok"] and "Twilio unreachable" in sms["reason"]


# --- smsdesk doctor ---------------------------------------------------------------------


def _doctor(env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    base = {"PATH": os.environ["PATH"], "PYTHONPATH": str(Path(__file__).parents[1])}
    return subprocess.run(SMSDESK + ["doctor"], env={**base, **env}, cwd=cwd,
                          capture_output=True, text=True, timeout=60)


@pytest.fixture
def fakes():
    with FakeSlack() as slack, FakeTwilio() as twilio:
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
    for name in ("environment", "settings", "desk channel", "database", "slack", "sms"):
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


def test_doctor_names_the_api_url_and_network_when_twilio_is_unreachable(fakes, tmp_path):
    # Nothing listens on port 1: a wrong TWILIO_API_URL or a blocked network, not an outage.
    result = _doctor(_env(*fakes, tmp_path, TWILIO_API_URL="http://127.0.0.1:1"), tmp_path)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    failed = next(i for i, line in enumerate(lines)
                  if line.startswith("✗ sms: Twilio unreachable"))
    assert "TWILIO_API_URL" in lines[failed + 1] and "network" in lines[failed + 1]
    assert "status.twilio.com" in lines[failed + 1]
