"""The corporate dictionary admins change from Slack, without Slack: who may, what is refused,
what the spelling check then knows, and the audit line each change leaves."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.config import Settings
from bot.desk.admin import corporate_dictionary
from bot.desk.interactions import spelling
from storage.models import AuditEntry

TEAM = "T0001"
ADMIN = "UADMIN"
SETTINGS = Settings(admins=(ADMIN,), corporate_words=("Smsdesk",))
pytestmark = pytest.mark.postgres


def _known(db) -> list[str]:
    from bot.spelling import checker

    checker.preload(["en"])
    return [f.word for f in spelling.flags_for_new_sms(
        db, SETTINGS, TEAM, "UAGENT1", "smsdesk zorbex florp", None)]


def test_words_added_are_known_to_every_agent_and_removed_ones_flagged_again(db):
    assert corporate_dictionary.change(db, SETTINGS, TEAM, ADMIN, add=["Zorbex", " florp"],
                                       remove=[]).saved
    assert corporate_dictionary.words(db, TEAM) == ["florp", "zorbex"]
    assert _known(db) == []
    assert corporate_dictionary.change(db, SETTINGS, TEAM, ADMIN, add=[],
                                       remove=["ZORBEX"]).saved
    assert _known(db) == ["zorbex"]
    with db.transaction() as s:
        lines = [(e.action, e.detail) for e in s.scalars(select(AuditEntry).order_by(
            AuditEntry.id))]
    assert lines == [("dictionary.add", {"old": None, "new": ["florp", "zorbex"]}),
                     ("dictionary.remove", {"old": ["zorbex"], "new": None})]


def test_a_word_of_the_settings_file_is_removed_only_there(db):
    outcome = corporate_dictionary.change(db, SETTINGS, TEAM, ADMIN, add=[],
                                          remove=["smsdesk"])
    assert "settings file" in outcome.errors["remove_words"]
    # Adding it again changes nothing: it is known already.
    assert corporate_dictionary.change(db, SETTINGS, TEAM, ADMIN, add=["smsdesk"],
                                       remove=[]).saved
    assert corporate_dictionary.words(db, TEAM) == []


def test_only_admins_change_it(db):
    outcome = corporate_dictionary.change(db, SETTINGS, TEAM, "UAGENT1", add=["mine"],
                                          remove=[])
    assert outcome.refused and corporate_dictionary.words(db, TEAM) == []
