"""The Standard Response Library: filling fields, searching, importing, the admin's edits."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.config import Settings
from bot.desk.admin import responses
from tests import REPO_ROOT
from tests.fakes.slack import FakeSlack

TEAM = "T0001"
DANA = SimpleNamespace(name="Dana Scully", phone="+14155550100")


# --- filling fields ---------------------------------------------------------------------------

def test_fields_are_filled_with_the_contacts_and_the_agents_names():
    text = ("Hi {contact.first_name}, this is {agent.first_name} ({agent.name}). "
            "We have {contact.name} at {contact.phone}.")
    filled = responses.render(text, DANA, "Agent Mulder")
    assert filled.text == ("Hi Dana, this is Agent (Agent Mulder). "
                           "We have Dana Scully at +1 415-555-0100.")
    assert filled.unknown_fields == ()


def test_an_unknown_contact_name_reads_as_there_and_an_unknown_agent_as_your_agent():
    nameless = SimpleNamespace(name=None, phone="+14155550100")
    filled = responses.render("Hi {contact.first_name}, {agent.first_name} here.", nameless,
                              None)
    assert filled.text == "Hi there, your agent here."
    assert responses.render("Dear {contact.name}", SimpleNamespace(name="  ", phone="+1"),
                            "A").text == "Dear there"


def test_an_unknown_field_is_left_as_typed_and_reported_once():
    filled = responses.render("Hi {contact.nmae}! {contact.nmae} {order.id} {} { x }", DANA,
                              "A")
    assert filled.text == "Hi {contact.nmae}! {contact.nmae} {order.id} {} { x }"
    assert filled.unknown_fields == ("{contact.nmae}", "{order.id}")


def test_field_names_are_read_in_any_case():
    assert responses.render("{Contact.First_Name}", DANA, "A").text == "Dana"


def test_a_value_that_looks_like_a_field_is_not_filled_again():
    sneaky = SimpleNamespace(name="{agent.name}", phone="+14155550100")
    assert responses.render("Hi {contact.name}", sneaky, "Agent Mulder").text == \
        "Hi {agent.name}"


def test_placeholders_lists_every_field_left_in_a_text():
    assert responses.placeholders("a {contact.name} b {x.y} {contact.name}") == (
        "{contact.name}", "{x.y}")


@given(st.text(max_size=300), st.one_of(st.none(), st.text(max_size=40)),
       st.one_of(st.none(), st.text(max_size=40)))
def test_rendering_never_fails(text, contact_name, agent_name):
    contact = SimpleNamespace(name=contact_name, phone="+14155550100")
    filled = responses.render(text, contact, agent_name)
    assert isinstance(filled.text, str)
    if "{" not in text:
        assert filled.text == text


# --- the library in the database --------------------------------------------------------------

def _write(tmp_path: Path, name: str, content: str) -> Path:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    return path


YAML_LIBRARY = """\
- name: Refund on its way
  category: Billing
  text: "Hi {contact.first_name}, your refund is on its way. {agent.first_name}"
- name: Opening hours
  category: General
  text: We are open 9 to 5, Monday to Friday.
- name: Nothing to say
  category: General
  text: "   "
- just a string
- name: Typo
  text: "Hello {contact.nmae}"
  colour: blue
"""


@pytest.mark.postgres
def test_a_yaml_library_imports_with_a_report_of_what_was_skipped(db, tmp_path):
    report = responses.import_file(db, TEAM, _write(tmp_path, "library.yaml", YAML_LIBRARY))
    assert (report.created, report.updated) == (3, 0)
    assert [(row.where, row.name, row.reason) for row in report.skipped] == [
        ("entry 3", "Nothing to say", "empty text"),
        ("entry 4", "", "not a mapping with name, category and text"),
    ]
    assert any("{contact.nmae}" in warning for warning in report.warnings)
    assert any("ignored colour" in warning for warning in report.warnings)
    typo = responses.search(db, TEAM, "Typo")[0]
    assert typo.category == "General"  # no category given
    lines = report.lines()
    assert lines[0] == "3 created, 0 updated, 2 skipped"
    assert "  skipped entry 3 (Nothing to say): empty text" in lines


@pytest.mark.postgres
def test_a_csv_library_imports_and_a_known_name_is_updated(db, tmp_path):
    responses.import_file(db, TEAM, _write(tmp_path, "library.yaml", YAML_LIBRARY))
    csv_text = (
        "name,category,text\n"
        'Refund on its way,Billing,"Hi {contact.first_name},\nthe refund left today."\n'
        "Delivery late,Shipping,Sorry: your parcel is late.\n"
        ",Shipping,No name here\n"
        "Empty,Shipping,\n"
        f"{'x' * 121},Shipping,Too long a name\n"
    )
    report = responses.import_file(db, TEAM, _write(tmp_path, "library.csv", csv_text))
    assert (report.created, report.updated) == (1, 1)
    assert [(row.where, row.reason) for row in report.skipped] == [
        ("line 5", "no name"),
        ("line 6", "empty text"),
        ("line 7", "name longer than 120 characters"),
    ]
    refund = responses.search(db, TEAM, "refund on")[0]
    assert refund.text == "Hi {contact.first_name},\nthe refund left today."


def test_a_file_that_is_not_a_library_imports_nothing(db, tmp_path):
    with pytest.raises(responses.ResponseFileError, match="header"):
        responses.import_file(db, TEAM, _write(tmp_path, "bad.csv", "title,body\na,b\n"))
    with pytest.raises(responses.ResponseFileError, match="list of responses"):
        responses.import_file(db, TEAM, _write(tmp_path, "bad.yaml", "name: x\ntext: y\n"))
    with pytest.raises(responses.ResponseFileError, match="YAML"):
        responses.import_file(db, TEAM, _write(tmp_path, "bad.yml", "- [unclosed\n"))
    with pytest.raises(responses.ResponseFileError, match=r"YAML \(.yaml, .yml\) or CSV"):
        responses.import_file(db, TEAM, _write(tmp_path, "library.txt", "x"))
    assert responses.search(db, TEAM) == []


@pytest.mark.postgres
def test_search_matches_name_category_or_text_in_any_case_within_the_workspace(db, tmp_path):
    responses.import_file(db, TEAM, _write(tmp_path, "library.yaml", YAML_LIBRARY))
    responses.import_file(db, "TOTHER", _write(tmp_path, "other.yaml",
                                               "- {name: Refund elsewhere, text: x}\n"))
    assert [r.name for r in responses.search(db, TEAM, "REFUND")] == ["Refund on its way"]
    assert [r.name for r in responses.search(db, TEAM, "billing")] == ["Refund on its way"]
    assert [r.name for r in responses.search(db, TEAM, "monday")] == ["Opening hours"]
    assert [r.name for r in responses.search(db, TEAM, "")] == [
        "Refund on its way", "Opening hours", "Typo"]  # by category, then name
    assert responses.search(db, TEAM, "100%_") == []  # wildcards are plain characters
    assert len(responses.search(db, TEAM, "", limit=2)) == 2
    found = responses.search(db, TEAM, "refund")[0]
    assert responses.get(db, TEAM, found.id) == found
    assert responses.get(db, "TOTHER", found.id) is None


def test_only_admins_edit_the_library(db):
    settings = Settings(admins=("UADMIN",))
    with pytest.raises(responses.NotAllowed):
        responses.upsert(db, settings, TEAM, "UAGENT1", name="Hi", text="Hello")
    entry = responses.upsert(db, settings, TEAM, "UADMIN", name="Hi", text="Hello")
    assert (entry.name, entry.category, entry.text) == ("Hi", "General", "Hello")
    again = responses.upsert(db, settings, TEAM, "UADMIN", name="Hi", category="Greeting",
                             text="Hello {contact.first_name}")
    assert again.id == entry.id and again.category == "Greeting"
    with pytest.raises(ValueError, match="empty text"):
        responses.upsert(db, settings, TEAM, "UADMIN", name="Hi", text=" ")
    with pytest.raises(responses.NotAllowed):
        responses.delete(db, settings, TEAM, "UAGENT1", "Hi")
    assert responses.delete(db, settings, TEAM, "UADMIN", "Hi") is True
    assert responses.search(db, TEAM) == []


# --- the command ----------------------------------------------------------------------------

def _cli(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    base = {"PATH": os.environ["PATH"], "PYTHONPATH": str(REPO_ROOT)}
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], env={**base, **env},
                          cwd=cwd, capture_output=True, text=True, timeout=60)


def test_the_import_command_prints_the_report(tmp_path):
    library = _write(tmp_path, "library.yaml", YAML_LIBRARY)
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'desk.sqlite3'}"}
    result = _cli(["responses", "import", str(library), "--team", TEAM], env, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "3 created, 0 updated, 2 skipped" in result.stdout
    assert "skipped entry 3 (Nothing to say): empty text" in result.stdout


def test_the_import_command_finds_the_workspace_from_the_bot_token(tmp_path):
    library = _write(tmp_path, "library.csv", "name,category,text\nHi,General,Hello\n")
    with FakeSlack(team_id="TFOUND") as slack:
        env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'desk.sqlite3'}",
               "SLACK_BOT_TOKEN": slack.bot_token, "SLACK_API_URL": slack.url}
        result = _cli(["responses", "import", str(library)], env, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Standard responses for TFOUND" in result.stdout and "1 created" in result.stdout


def test_the_import_command_refuses_without_a_workspace_or_with_a_bad_file(tmp_path):
    library = _write(tmp_path, "library.csv", "title\nx\n")
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'desk.sqlite3'}"}
    result = _cli(["responses", "import", str(library)], env, tmp_path)
    assert result.returncode == 2 and "--team" in result.stderr
    result = _cli(["responses", "import", str(library), "--team", TEAM], env, tmp_path)
    assert result.returncode == 2 and "nothing imported" in result.stderr
