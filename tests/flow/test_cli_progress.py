"""Long commands as an admin's cron mail or CI log shows them (output not a terminal):
plain progress lines, a last line with the count, the command's own words, and none of the
INFO lines the libraries underneath write (Alembic's migrations, Slack's retries)."""

from __future__ import annotations

import io
import logging
import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import func, select

from bot import logs
from storage.db import Database
from storage.models import Contact, Interaction, Message, utcnow
from tests import REPO_ROOT

TEAM = "T0ACME"
BUSINESS = "+15005550006"
DONE_IN = re.compile(r"done in \d+\.\d s$")


def _run(args: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    (tmp_path / "smsdesk.toml").touch()
    base = {"PATH": os.environ["PATH"], "PYTHONPATH": str(REPO_ROOT),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'desk.sqlite3'}",
            "SMSDESK_SETTINGS": str(tmp_path / "smsdesk.toml")}
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], env={**base, **env},
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)


def _no_library_lines(stderr: str) -> None:
    assert "INFO" not in stderr and "alembic" not in stderr and "Running upgrade" not in stderr
    assert "\r" not in stderr  # no bar redrawn into a log


def test_a_large_contact_import_tells_its_progress_and_count_in_plain_lines(tmp_path):
    rows = ["name,phone,email"] + [
        f"Customer {n},(202) 555-{n:04d},c{n}@example.com" if n % 500 != 7 else f"Bad {n},12,"
        for n in range(2000)]
    (tmp_path / "people.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")

    result = _run(["contacts", "import", "people.csv", "--team", TEAM], tmp_path)

    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert lines[0].startswith("database: sqlite:///")
    assert lines[1:4] == ["Importing contacts: 500/2,000 rows (25%)",
                          "Importing contacts: 1,000/2,000 rows (50%)",
                          "Importing contacts: 1,500/2,000 rows (75%)"]
    assert lines[4].startswith("Importing contacts: 2,000 rows done in ")
    assert DONE_IN.search(lines[4]) and len(lines) == 5
    _no_library_lines(result.stderr)
    assert result.stdout.splitlines()[:2] == [f"Contacts for {TEAM} from people.csv:",
                                              "1996 created, 0 updated, 4 skipped"]


def test_verbose_or_the_log_level_variable_shows_the_library_lines_again(tmp_path):
    quiet = _run(["db", "upgrade"], tmp_path)
    assert quiet.returncode == 0 and "up to date" in quiet.stdout
    _no_library_lines(quiet.stderr)

    (tmp_path / "verbose").mkdir()
    verbose = _run(["--verbose", "db", "upgrade"], tmp_path / "verbose")
    assert verbose.returncode == 0
    assert "INFO alembic.runtime.migration: Running upgrade  -> 0001" in verbose.stderr

    (tmp_path / "variable").mkdir()
    variable = _run(["db", "upgrade"], tmp_path / "variable", SMSDESK_LOG_LEVEL="info")
    assert "Running upgrade  -> 0001" in variable.stderr


def test_responses_import_and_token_rotation_tell_their_progress(tmp_path):
    lines = ["name,category,text"] + [f"Reply {n},General,Thanks for writing ({n})"
                                      for n in range(40)]
    (tmp_path / "responses.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    imported = _run(["responses", "import", "responses.csv", "--team", TEAM], tmp_path)
    assert imported.returncode == 0, imported.stderr
    progress = [line for line in imported.stderr.splitlines() if line.startswith("Importing")]
    assert progress[0] == "Importing responses: 4/40 rows (10%)"
    assert progress[-2] == "Importing responses: 36/40 rows (90%)"
    assert progress[-1].startswith("Importing responses: 40 rows done in ")
    assert "40 created" in imported.stdout
    _no_library_lines(imported.stderr)

    rotated = _run(["tokens", "rotate"], tmp_path,
                   SMSDESK_ENCRYPTION_KEY=Fernet.generate_key().decode())
    assert rotated.returncode == 0, rotated.stderr
    assert rotated.stderr.splitlines()[-1].startswith("Re-encrypting stored tokens: 0 rows "
                                                      "done in ")
    assert "0 stored token(s) re-encrypted" in rotated.stdout
    _no_library_lines(rotated.stderr)


def _closed(db: Database, numbers: range, days_ago: int) -> None:
    now = utcnow()
    with db.transaction() as s:
        for n in numbers:
            phone = f"+1202555{n:04d}"
            contact = Contact(team_id=TEAM, phone=phone)
            s.add(contact)
            s.flush()
            interaction = Interaction(
                team_id=TEAM, contact_id=contact.id, business_number=BUSINESS, state="done",
                agent_user_id="UAGENT1", created_at=now - timedelta(days=days_ago + 1),
                closed_at=now - timedelta(days=days_ago))
            s.add(interaction)
            s.flush()
            s.add(Message(team_id=TEAM, interaction_id=interaction.id, direction="inbound",
                          body=f"my account number is {n}", provider="twilio",
                          from_number=phone, to_number=BUSINESS, delivery_state="received"))


def test_retention_run_by_hand_purges_to_the_end_and_tells_its_progress(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'desk.sqlite3'}")
    db.upgrade()
    _closed(db, range(450), days_ago=400)  # three of the timer's batches (200)
    _closed(db, range(450, 455), days_ago=10)  # inside the default 365 days

    result = _run(["retention", "run"], tmp_path)

    assert result.returncode == 0, result.stderr
    progress = [line for line in result.stderr.splitlines() if line.startswith("Purging")]
    assert progress[0] == "Purging transcripts past retention: 200/450 interactions (44%)"
    assert progress[1] == "Purging transcripts past retention: 400/450 interactions (88%)"
    assert progress[-1].startswith("Purging transcripts past retention: 450 interactions "
                                   "done in ")
    assert result.stdout.startswith("450 interaction(s) purged: 450 message text(s) emptied")
    _no_library_lines(result.stderr)
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Interaction)
                        .where(Interaction.purged_at.is_(None))) == 5
        assert s.scalar(select(func.count()).select_from(Message)
                        .where(Message.body != "")) == 5
    db.dispose()


@pytest.fixture
def root_logger():
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    libraries = {name: logging.getLogger(name).level for name in logs.CHATTY_LIBRARIES}
    yield root
    for handler in root.handlers:
        if handler not in handlers:
            root.removeHandler(handler)
    root.setLevel(level)
    for name, old in libraries.items():
        logging.getLogger(name).setLevel(old)


def test_a_command_keeps_slacks_retry_notes_out_but_errors_in(root_logger):
    stream = io.StringIO()
    logs.configure({}, serving=False, stream=stream,
                   level=logs.chosen_level({}, serving=False))
    slack = logging.getLogger("slack_sdk.web.base_client")
    slack.info("A retry can be done for https://slack.com/api/auth.test")
    logging.getLogger("alembic.runtime.migration").info("Running upgrade 0001 -> 0002")
    slack.error("Failed to send a request to Slack API server: timed out")
    [line] = stream.getvalue().splitlines()
    assert line.endswith(" ERROR slack_sdk.web.base_client: Failed to send a request to Slack "
                         "API server: timed out")


def test_serve_logs_from_info_and_a_command_from_warning_unless_asked():
    assert logs.chosen_level({}, serving=True) == logging.INFO
    assert logs.chosen_level({}, serving=False) == logging.WARNING
    assert logs.chosen_level({}, serving=False, verbose=True) == logging.INFO
    assert logs.chosen_level({"SMSDESK_LOG_LEVEL": "Debug"}, serving=False) == logging.DEBUG
    assert logs.chosen_level({"SMSDESK_LOG_LEVEL": "error"}, serving=True) == logging.ERROR
    assert logs.chosen_level({"SMSDESK_LOG_LEVEL": "error"}, serving=False,
                             verbose=True) == logging.INFO
    assert logs.chosen_level({"SMSDESK_LOG_LEVEL": "loud"}, serving=False) == logging.WARNING
