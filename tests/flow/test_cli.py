"""The `smsdesk` command as an admin meets it: clear refusals, segment counts, manifests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests import REPO_ROOT
from tests.fakes.slack import FakeSlack

SMSDESK = [sys.executable, "-m", "bot.cli"]


def _run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    base = {"PATH": os.environ["PATH"], "PYTHONPATH": str(REPO_ROOT)}
    return subprocess.run(SMSDESK + args, env={**base, **env}, cwd=cwd, capture_output=True,
                          text=True, timeout=60)


def test_serve_without_slack_credentials_says_what_is_missing_and_starts_nothing(tmp_path):
    result = _run(["serve"], {}, tmp_path)
    assert result.returncode == 2
    assert "SLACK_BOT_TOKEN is not set" in result.stderr
    assert "SLACK_SIGNING_SECRET is not set" in result.stderr
    assert "OAuth & Permissions" in result.stderr and "Nothing was started" in result.stderr
    assert not (tmp_path / "smsdesk.sqlite3").exists()


def test_socket_mode_also_asks_for_the_app_token(tmp_path):
    result = _run(["socket"], {"SLACK_BOT_TOKEN": "xoxb-1"}, tmp_path)
    assert result.returncode == 2
    assert "SLACK_APP_TOKEN is not set" in result.stderr and "connections:write" in result.stderr
    assert "SLACK_SIGNING_SECRET" not in result.stderr


def test_twilio_mode_needs_its_credentials_and_public_url(tmp_path):
    result = _run(["serve"], {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s",
                              "SMS_PROVIDER": "twilio"}, tmp_path)
    assert result.returncode == 2
    assert "TWILIO_ACCOUNT_SID" in result.stderr and "SMSDESK_PUBLIC_URL" in result.stderr


def test_a_token_slack_refuses_is_reported_plainly(tmp_path):
    with FakeSlack() as slack:
        result = _run(["serve"], {"SLACK_BOT_TOKEN": "xoxb-wrong", "SLACK_SIGNING_SECRET": "s",
                                  "SLACK_API_URL": slack.url, "SMSDESK_DESK_CHANNEL": "C1",
                                  "DATABASE_URL": f"sqlite:///{tmp_path / 'd.sqlite3'}"},
                      tmp_path)
    assert result.returncode == 2
    assert "Slack refused SLACK_BOT_TOKEN (invalid_auth)" in result.stderr


def test_a_missing_desk_channel_is_explained(tmp_path):
    result = _run(["serve"], {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"},
                  tmp_path)
    assert result.returncode == 2
    assert "SMSDESK_DESK_CHANNEL" in result.stderr


def test_segments_prints_encoding_count_and_parts_as_json(tmp_path):
    result = _run(["segments", "Your order ships today {tracking}"], {}, tmp_path)
    assert result.returncode == 0
    report = json.loads(result.stdout)
    assert report["encoding"] == "GSM-7" and report["segments"] == 1
    assert report["parts"] == ["Your order ships today {tracking}"]

    result = _run(["segments", "é" * 10 + "☕" * 70], {}, tmp_path)
    report = json.loads(result.stdout)
    assert report["encoding"] == "UCS-2" and report["segments"] == 2
    assert "".join(report["parts"]) == "é" * 10 + "☕" * 70


def test_db_upgrade_creates_the_schema(tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    result = _run(["db", "upgrade"], {"DATABASE_URL": url}, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "up to date" in result.stdout
    assert (tmp_path / "fresh.sqlite3").stat().st_size > 0


# --- an admin's first hour: every problem at once, one line per failure -------------------

def _http_desk_env(**overrides: str) -> dict[str, str]:
    return {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s",
            "SMSDESK_DESK_CHANNEL": "C0DESK", **overrides}


def _oauth_env(**overrides: str) -> dict[str, str]:
    from tests.harness import ENCRYPTION_KEY

    return {"SLACK_CLIENT_ID": "1.2", "SLACK_CLIENT_SECRET": "secret",
            "SLACK_SIGNING_SECRET": "s", "SMSDESK_ENCRYPTION_KEY": ENCRYPTION_KEY, **overrides}


def test_an_oauth_desk_refuses_to_start_without_a_public_https_url(tmp_path):
    result = _run(["serve"], _oauth_env(), tmp_path)
    assert result.returncode == 2
    assert "SMSDESK_PUBLIC_URL is not set" in result.stderr
    assert "/slack/oauth_redirect" in result.stderr

    result = _run(["serve"], _oauth_env(SMSDESK_PUBLIC_URL="http://desk.example.com"),
                  tmp_path)
    assert result.returncode == 2
    assert "SMSDESK_PUBLIC_URL='http://desk.example.com' must be an https:// address" \
        in result.stderr
    assert not (tmp_path / "smsdesk.sqlite3").exists()


def test_every_problem_is_listed_at_once_each_with_its_own_fix(tmp_path):
    result = _run(["serve"], {"SMS_PROVIDER": "Twillio"}, tmp_path)
    assert result.returncode == 2
    problems = [line for line in result.stderr.splitlines() if line.startswith("  - ")]
    said = "\n".join(problems)
    assert "SLACK_BOT_TOKEN is not set" in said and "SLACK_SIGNING_SECRET is not set" in said
    assert "SMS_PROVIDER='twillio' is unknown: use twilio, telnyx, vonage or simulator" \
        in said
    assert "no desk channel: set SMSDESK_DESK_CHANNEL" in said  # not only on the next try
    assert len(problems) == 4

    # A lone SMS_PROVIDER typo is not sent to the Slack app's manifest.
    result = _run(["serve"], _http_desk_env(SMS_PROVIDER="Twillio"), tmp_path)
    assert result.returncode == 2
    assert "twillio" in result.stderr and "manifests/" not in result.stderr


def test_a_port_that_is_not_a_number_is_one_line_in_serve_doctor_and_config_check(tmp_path):
    for command in (["serve"], ["doctor"], ["config", "check"]):
        (tmp_path / "smsdesk.toml").write_text("[desk]\n")
        result = _run(command, _http_desk_env(PORT="abc"), tmp_path)
        assert "Traceback" not in result.stderr, command
        if command != ["config", "check"]:
            assert result.returncode != 0, command
            assert "PORT='abc' is not a port number" in result.stdout + result.stderr, command
        else:
            assert result.returncode == 0, result.stderr


def test_an_unusable_database_is_one_line_in_serve_and_db_upgrade(tmp_path):
    missing_folder = f"sqlite:///{tmp_path / 'no' / 'such' / 'folder' / 'desk.sqlite3'}"
    unreachable = "postgresql://desk:s3cret@127.0.0.1:1/desk"
    with FakeSlack() as slack:
        slack.add_channel("C0DESK", "sms-desk")
        for url in (missing_folder, unreachable):
            env = _http_desk_env(SLACK_BOT_TOKEN=slack.bot_token, SLACK_API_URL=slack.url,
                                 DATABASE_URL=url)
            for command in (["serve"], ["db", "upgrade"]):
                result = _run(command, env, tmp_path)
                assert result.returncode == 2, (command, result.stderr)
                assert "Traceback" not in result.stderr, (command, url)
                lines = [line for line in result.stderr.splitlines()
                         if line.startswith("smsdesk")]
                assert len(lines) == 1, result.stderr
                assert "could not be used" in lines[0]
                assert "s3cret" not in result.stderr
    assert "the folder must exist" in _run(["db", "upgrade"], {"DATABASE_URL": missing_folder},
                                           tmp_path).stderr


def test_socket_mode_with_a_refused_app_token_says_so_in_one_line(tmp_path):
    with FakeSlack() as slack:
        slack.add_channel("C0DESK", "sms-desk")
        env = {"SLACK_BOT_TOKEN": slack.bot_token, "SLACK_APP_TOKEN": "xapp-1-revoked",
               "SLACK_API_URL": slack.url, "SMSDESK_DESK_CHANNEL": "C0DESK",
               "DATABASE_URL": f"sqlite:///{tmp_path / 'd.sqlite3'}"}
        result = _run(["socket"], env, tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "Slack refused SLACK_APP_TOKEN (invalid_auth)" in result.stderr
    assert "App-Level Tokens" in result.stderr


def test_commands_that_touch_the_database_name_it_first(tmp_path):
    result = _run(["db", "upgrade"], {}, tmp_path)
    assert result.returncode == 0, result.stderr
    first = result.stderr.splitlines()[0]
    assert first == f"database: sqlite:///smsdesk.sqlite3 ({tmp_path / 'smsdesk.sqlite3'})"

    (tmp_path / "people.csv").write_text("name,phone\nJane,+14155550100\n")
    result = _run(["contacts", "import", "people.csv", "--team", "T0ACME"], {}, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines()[0].startswith("database: sqlite:///smsdesk.sqlite3 (")

    result = _run(["db", "upgrade"], {"DATABASE_URL": "postgresql://u:pw@127.0.0.1:1/d"},
                  tmp_path)
    assert result.stderr.splitlines()[0] == "database: postgresql+psycopg://u:***@127.0.0.1:1/d"


def test_the_wal_files_of_the_sqlite_database_are_ignored_by_git():
    ignored = (REPO_ROOT / ".gitignore").read_text().split()
    assert "*.sqlite3-wal" in ignored and "*.sqlite3-shm" in ignored


def test_twilio_from_number_is_refused_with_the_setting_that_picks_the_sender(tmp_path):
    # Twilio's own guides set TWILIO_FROM_NUMBER; the desk sends from its business numbers.
    result = _run(["serve"], {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s",
                              "SMS_PROVIDER": "twilio", "TWILIO_ACCOUNT_SID": "AC1",
                              "TWILIO_AUTH_TOKEN": "t", "SMSDESK_PUBLIC_URL": "https://d.example",
                              "TWILIO_FROM_NUMBER": "+14155550100"}, tmp_path)
    assert result.returncode == 2
    assert "TWILIO_FROM_NUMBER is not used" in result.stderr
    assert "desk.business_numbers" in result.stderr and "smsdesk.toml" in result.stderr


# --- segments --------------------------------------------------------------------------------

def test_segments_does_not_count_the_newline_that_ends_piped_input(tmp_path):
    text = "x" * 160  # exactly one GSM-7 segment; with the newline it would be two
    result = subprocess.run(SMSDESK + ["segments"], input=text + "\n", capture_output=True,
                            text=True, timeout=60, cwd=tmp_path,
                            env={"PATH": os.environ["PATH"],
                                 "PYTHONPATH": str(REPO_ROOT)})
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["segments"] == 1 and report["parts"] == [text]


def test_segments_on_a_terminal_without_text_prints_usage_instead_of_waiting(tmp_path):
    import pty

    controller, terminal = pty.openpty()
    try:
        result = subprocess.run(SMSDESK + ["segments"], stdin=terminal, capture_output=True,
                                text=True, timeout=30, cwd=tmp_path,
                                env={"PATH": os.environ["PATH"],
                                     "PYTHONPATH": str(REPO_ROOT)})
    finally:
        os.close(terminal)
        os.close(controller)
    assert result.returncode == 2
    assert "usage: smsdesk segments" in result.stderr and result.stdout == ""


# --- manifest --------------------------------------------------------------------------------

def _manifest(capsys, *args: str) -> tuple[int, str, str]:
    from bot.cli import main

    try:
        main(["manifest", *args])
        code = 0
    except SystemExit as exit_:
        code = exit_.code
    out, err = capsys.readouterr()
    return code, out, err


def test_manifest_http_without_url_refuses_instead_of_printing_the_example_host(capsys):
    for mode in ("http", "oauth"):
        code, out, err = _manifest(capsys, mode)
        assert code == 2 and out == ""
        assert "--url https://" in err and "smsdesk.example.com" not in out


def test_manifest_url_must_be_an_https_address(capsys):
    for url in ("http://desk.example.org", "desk.example.org", "https://", "https:///x",
                "https://desk.example.org/?a=1", "ftp://desk.example.org"):
        code, out, err = _manifest(capsys, "http", "--url", url)
        assert code == 2 and out == "", url
        assert "https://" in err and repr(url) in err, err


def test_manifest_http_with_an_https_url_and_path_routes_slack_there(capsys):
    code, out, err = _manifest(capsys, "http", "--url", "https://desk.example.org/smsdesk/")
    assert code == 0, err
    manifest = json.loads(out)
    assert manifest["settings"]["event_subscriptions"]["request_url"] == (
        "https://desk.example.org/smsdesk/slack/events")


def test_manifest_socket_refuses_a_url_it_would_not_use(capsys):
    code, out, err = _manifest(capsys, "socket", "--url", "https://desk.example.org")
    assert code == 2 and out == ""
    assert "Socket Mode" in err and "no URL" in err
    code, out, _err = _manifest(capsys, "socket")
    assert code == 0 and json.loads(out)["settings"]["socket_mode_enabled"] is True


def test_a_report_names_a_day_it_cannot_read_and_writes_nothing(tmp_path):
    out = tmp_path / "r.csv"
    bad = _run(["report", "--from", "2026-11-31", "--to", "2026-12-01", "--team", "T1ABC",
                "--csv", str(out)], {}, tmp_path)
    assert bad.returncode == 2 and "'2026-11-31' is not a day" in bad.stderr
    assert "YYYY-MM-DD" in bad.stderr
    backwards = _run(["report", "--from", "2026-12-02", "--to", "2026-12-01", "--team", "T1ABC",
                      "--csv", str(out)], {}, tmp_path)
    assert backwards.returncode == 2 and "before --from" in backwards.stderr
    assert not out.exists() and not (tmp_path / "smsdesk.sqlite3").exists()
