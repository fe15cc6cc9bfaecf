"""`smsdesk contacts import FILE`: a CSV of name, phone, email; numbers made E.164 in the
desk's default country, existing numbers updated, unusable rows skipped with the reason."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.desk.directory.contact_import import ContactFileError, import_csv
from bot.desk.directory.contacts import create_contact
from storage.db import Database
from storage.models import Contact
from tests import REPO_ROOT
from tests.fakes.slack import FakeSlack

TEAM = "T0001"

CONTACTS = """name,phone,email
Jane Doe,(415) 555-0100,jane@example.com
Bob Brown,+1 415 555 0101,
"Smith, Ann",4155550102,ann@example.com
No Number,,nobody@example.com
Bad Number,12,bad@example.com
Jane Again,415.555.0100,again@example.com
"""


def _write(tmp_path: Path, text: str, name: str = "contacts.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _contacts(db, team_id: str = TEAM) -> dict[str, tuple[str | None, str | None]]:
    with db.transaction() as s:
        return {c.phone: (c.name, c.email) for c in s.scalars(
            select(Contact).where(Contact.team_id == team_id))}


@pytest.mark.postgres
def test_rows_are_imported_as_e164_and_bad_rows_are_reported(db, tmp_path):
    with db.transaction() as s:
        create_contact(s, TEAM, "+14155550101", name="Old Bob", email="bob@old.example")
        create_contact(s, "TOTHER", "+14155550100", name="Other team")
    report = import_csv(db, TEAM, _write(tmp_path, CONTACTS), default_country="US")

    assert (report.created, report.updated) == (2, 1)
    assert report.lines()[1:] == [
        "  skipped line 5: missing phone",
        "  skipped line 6: bad number '12': write it with + and the country code, "
        "e.g. +1 201-555-0123, or as dialled in US, e.g. (201) 555-0123",
        "  skipped line 7: duplicate number +14155550100 (first on line 2)",
    ]
    assert _contacts(db) == {
        "+14155550100": ("Jane Doe", "jane@example.com"),
        "+14155550101": ("Bob Brown", "bob@old.example"),  # an empty cell keeps the e-mail
        "+14155550102": ("Smith, Ann", "ann@example.com"),
    }
    assert _contacts(db, "TOTHER") == {"+14155550100": ("Other team", None)}


def test_numbers_without_a_plus_are_read_in_the_default_country(db, tmp_path):
    report = import_csv(db, TEAM, _write(tmp_path, "Name,Phone\nLondon,020 7183 8750\n"),
                        default_country="GB")
    assert report.created == 1 and _contacts(db) == {"+442071838750": ("London", None)}


def test_a_file_without_a_phone_column_imports_nothing(db, tmp_path):
    with pytest.raises(ContactFileError, match="no phone column"):
        import_csv(db, TEAM, _write(tmp_path, "name,number\nJane,4155550100\n"), "US")
    assert _contacts(db) == {}


def test_header_names_match_in_any_case_and_punctuation(db, tmp_path):
    # The README writes "e-mail"; spreadsheets write "Email address" or "Phone Number".
    import_csv(db, TEAM, _write(tmp_path, "Name,Phone Number,E-mail,Account Tier\n"
                                          "Jane,(415) 555-0100,jane@example.com,Gold\n"), "US")
    import_csv(db, TEAM, _write(tmp_path, "FULL NAME,PHONE,Email address\n"
                                          "Bob,4155550101,bob@example.com\n", "b.csv"), "US")
    with db.transaction() as s:
        found = {c.phone: (c.name, c.email, c.attributes) for c in s.scalars(
            select(Contact).where(Contact.team_id == TEAM))}
    assert found["+14155550100"] == ("Jane", "jane@example.com", {"account tier": "Gold"})
    # "FULL NAME" is not one of the three columns: kept as an attribute, not guessed at.
    assert found["+14155550101"] == (None, "bob@example.com", {"full name": "Bob"})


def test_two_columns_for_one_field_import_nothing(db, tmp_path):
    with pytest.raises(ContactFileError, match="'email' and 'E-mail' are both the email"):
        import_csv(db, TEAM, _write(tmp_path, "phone,email,E-mail\n4155550100,a@x.org,b@x.org\n"),
                   "US")
    assert _contacts(db) == {}


@pytest.mark.parametrize("name", ["contacts.yaml", "contacts.xlsx", "contacts"])
def test_a_file_that_is_not_csv_is_refused_as_csv_only(db, tmp_path, name):
    with pytest.raises(ContactFileError, match="CSV only"):
        import_csv(db, TEAM, _write(tmp_path, "- name: Jane\n  phone: 4155550100\n", name), "US")
    assert _contacts(db) == {}


def test_a_bad_number_is_reported_with_what_a_good_one_looks_like(db, tmp_path):
    report = import_csv(db, TEAM, _write(tmp_path, "name,phone\nShort,123\n"),
                        default_country="GB")
    assert report.lines()[1] == ("  skipped line 2: bad number '123': write it with + and "
                                 "the country code, e.g. +44 7400 123456, or as dialled in GB, "
                                 "e.g. 07400 123456")


# --- the command ----------------------------------------------------------------------------

def _cli(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    base = {"PATH": os.environ["PATH"], "PYTHONPATH": str(REPO_ROOT)}
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], env={**base, **env},
                          cwd=cwd, capture_output=True, text=True, timeout=60)


def test_the_import_command_prints_the_report(tmp_path):
    url = f"sqlite:///{tmp_path / 'desk.sqlite3'}"
    result = _cli(["contacts", "import", str(_write(tmp_path, CONTACTS)), "--team", TEAM],
                  {"DATABASE_URL": url}, tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"Contacts for {TEAM}" in result.stdout
    assert "3 created, 0 updated, 3 skipped" in result.stdout
    assert "skipped line 6: bad number '12'" in result.stdout
    db = Database(url)
    try:
        assert set(_contacts(db)) == {"+14155550100", "+14155550101", "+14155550102"}
    finally:
        db.dispose()


def test_the_import_command_uses_the_settings_country_and_finds_the_workspace(tmp_path):
    settings = tmp_path / "desk.toml"
    settings.write_text('[desk]\ndefault_country = "GB"\n', encoding="utf-8")
    path = _write(tmp_path, "name,phone,email\nLondon,020 7183 8750,\n")
    with FakeSlack(team_id="TFOUND") as slack:
        env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'desk.sqlite3'}",
               "SLACK_BOT_TOKEN": slack.bot_token, "SLACK_API_URL": slack.url,
               "SMSDESK_SETTINGS": str(settings)}
        result = _cli(["contacts", "import", str(path)], env, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Contacts for TFOUND" in result.stdout and "1 created" in result.stdout


def test_the_import_command_refuses_without_a_workspace_or_with_a_bad_file(tmp_path):
    path = _write(tmp_path, "title\nx\n")
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'desk.sqlite3'}"}
    result = _cli(["contacts", "import", str(path)], env, tmp_path)
    assert result.returncode == 2 and "--team" in result.stderr
    result = _cli(["contacts", "import", str(path), "--team", TEAM], env, tmp_path)
    assert result.returncode == 2 and "nothing imported" in result.stderr
    yaml = _write(tmp_path, "- name: Jane\n  phone: 4155550100\n", "contacts.yaml")
    result = _cli(["contacts", "import", str(yaml), "--team", TEAM], env, tmp_path)
    assert result.returncode == 2 and "CSV only" in result.stderr


def test_the_import_command_reads_numbers_in_the_workspaces_own_country(tmp_path):
    settings = tmp_path / "desk.toml"
    settings.write_text('[desk]\ndefault_country = "US"\n\n'
                        '[workspaces.TLONDON.desk]\ndefault_country = "GB"\n', encoding="utf-8")
    path = _write(tmp_path, "name,phone\nLondon,020 7183 8750\n")
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'desk.sqlite3'}",
           "SMSDESK_SETTINGS": str(settings)}
    result = _cli(["contacts", "import", str(path), "--team", "TLONDON"], env, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "1 created" in result.stdout, result.stdout
