"""SMS_PROVIDER=vonage as an admin sets it up: what is missing is listed at start, `smsdesk
doctor` and /readyz check the credentials and the application's key pair."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests import REPO_ROOT
from tests.fakes.slack import FakeSlack
from tests.fakes.vonage_api import FakeVonage

SMSDESK = [sys.executable, "-m", "bot.cli"]
VARIABLES = ("VONAGE_APPLICATION_ID", "VONAGE_PRIVATE_KEY", "VONAGE_API_KEY",
             "VONAGE_API_SECRET", "VONAGE_SIGNATURE_SECRET")


def _run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    base = {"PATH": os.environ["PATH"], "PYTHONPATH": str(REPO_ROOT)}
    return subprocess.run(SMSDESK + args, env={**base, **env}, cwd=cwd, capture_output=True,
                          text=True, timeout=60)


def test_vonage_without_its_variables_lists_each_missing_one_and_where_to_find_it(tmp_path):
    result = _run(["serve"], {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s",
                              "SMS_PROVIDER": "vonage"}, tmp_path)
    assert result.returncode == 2
    for name in VARIABLES:
        assert name in result.stderr
    assert "Applications" in result.stderr and "API Settings" in result.stderr
    assert "SMSDESK_PUBLIC_URL" in result.stderr and "/sms/vonage/inbound" in result.stderr
    assert not (tmp_path / "smsdesk.sqlite3").exists()


def test_a_private_key_path_that_leads_nowhere_is_named(tmp_path):
    with FakeVonage() as fake:
        variables = fake.environ()
    env = {**variables, "VONAGE_PRIVATE_KEY": str(tmp_path / "private.key"),
           "SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s",
           "SMS_PROVIDER": "vonage", "SMSDESK_PUBLIC_URL": "https://d.example"}
    result = _run(["serve"], env, tmp_path)
    assert result.returncode == 2
    assert "VONAGE_PRIVATE_KEY names no readable key file" in result.stderr
    assert "VONAGE_APPLICATION_ID" not in result.stderr  # only what is wrong


@pytest.fixture
def fakes(tmp_path):
    from storage.db import Database

    with FakeSlack() as slack, FakeVonage() as vonage:
        slack.add_channel("CDESK", "sms-desk")
        db = Database(f"sqlite:///{tmp_path / 'd.sqlite3'}")
        db.upgrade()
        db.dispose()
        yield slack, vonage


def _doctor_env(slack, vonage, tmp_path: Path, **overrides: str) -> dict[str, str]:
    key_file = tmp_path / "private.key"
    key_file.write_text(vonage.private_key)  # as the dashboard downloads it
    return {"SLACK_BOT_TOKEN": slack.bot_token, "SLACK_SIGNING_SECRET": "s",
            "SLACK_API_URL": slack.url, "SMSDESK_DESK_CHANNEL": "CDESK",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'd.sqlite3'}",
            "SMS_PROVIDER": "vonage", **vonage.environ(), "VONAGE_PRIVATE_KEY": str(key_file),
            "SMSDESK_PUBLIC_URL": "https://desk.example.com", **overrides}


def test_doctor_passes_with_vonages_credentials_and_key(fakes, tmp_path):
    result = _run(["doctor"], _doctor_env(*fakes, tmp_path), tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "✓ sms: Vonage application smsdesk ready" in result.stdout
    assert "SMS_PROVIDER=vonage" in result.stdout


def test_doctor_says_how_to_fix_a_wrong_api_secret(fakes, tmp_path):
    result = _run(["doctor"], _doctor_env(*fakes, tmp_path, VONAGE_API_SECRET="wrong"),
                  tmp_path)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    failed = next(i for i, line in enumerate(lines) if line.startswith("✗ sms:"))
    assert "the API key or secret is wrong" in lines[failed]
    assert "VONAGE_API_KEY and VONAGE_API_SECRET (API Settings)" in lines[failed + 1]


def test_doctor_finds_a_private_key_of_another_application(fakes, tmp_path):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    other = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()).decode()
    result = _run(["doctor"], _doctor_env(*fakes, tmp_path, VONAGE_PRIVATE_KEY=other),
                  tmp_path)
    assert result.returncode == 1
    assert "✗ sms: VONAGE_PRIVATE_KEY is not the private key of this application" \
        in result.stdout


def test_readyz_checks_vonage(database_url):
    from tests.harness import start_desk

    desk = start_desk(database_url, sms_provider="vonage")
    try:
        response = desk.http.get(desk.url + "/readyz", headers=desk.ops_headers)
        assert response.status_code == 200, response.text
        sms = response.json()["checks"]["sms"]
        assert sms["ok"] and "Vonage application" in sms["reason"]
        # Twilio's webhooks are off on a Vonage desk, and say why.
        answer = desk.http.post(desk.url + "/sms/twilio/inbound", data={"Body": "x"})
        assert answer.status_code == 404 and "SMS_PROVIDER=vonage" in answer.text
    finally:
        desk.close()


def test_a_desk_of_another_provider_answers_404_at_vonages_webhooks(database_url):
    from tests.fakes.vonage_api import sign_webhook
    from tests.harness import start_desk

    desk = start_desk(database_url)  # Twilio
    try:
        body = b'{"message_uuid": "u", "status": "delivered"}'
        for path in ("/sms/vonage/inbound", "/sms/vonage/status"):
            answer = desk.http.post(desk.url + path, content=body, headers={
                "Content-Type": "application/json", "Authorization": sign_webhook(body)})
            assert answer.status_code == 404 and "SMS_PROVIDER=twilio" in answer.text
    finally:
        desk.close()
