"""Contact search on a real database: by name any case, by number in any common format
(or its last digits), by e-mail; team-scoped; correct among 100,000 contacts."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, select, update

from bot.desk.directory import contacts_directory
from bot.desk.directory.contacts import insert_many
from storage.models import Contact, ContactNumber

pytestmark = pytest.mark.postgres

TEAM, OTHER_TEAM = "T0001", "T0002"


def search(db, team_id: str, query: str, limit: int = 20, default_country: str = "US"):
    """The directory search of a workspace whose numbers are read as US ones (unless told)."""
    return contacts_directory.search(db, team_id, query, limit, default_country=default_country)


def _add(db, *rows: tuple[str, str | None, str | None], team_id: str = TEAM) -> None:
    with db.transaction() as s:
        insert_many(s, team_id, [{"phone": phone, "name": name, "email": email}
                                 for phone, name, email in rows])


def _phones(found) -> list[str]:
    return [c.phone for c in found]


@pytest.fixture
def directory(db):
    _add(db, ("+14155550100", "Jane Doe", "jane@example.com"),
         ("+14155550199", "Janet Smith", None),
         ("+442071838750", "Bob_Brown", "bob%brown@example.org"))
    _add(db, ("+14155550100", "Jane Other Team", None), team_id=OTHER_TEAM)
    return db


@pytest.mark.parametrize("query", ["(415) 555-0100", "+1 415 555 0100", "4155550100",
                                   "+14155550100", "415.555.0100", "555-0100", "0100"])
def test_a_number_is_found_in_any_common_format(directory, query):
    assert _phones(search(directory, TEAM, query)) == ["+14155550100"]


def test_a_foreign_number_is_found_in_international_format(directory):
    assert _phones(search(directory, TEAM, "+44 20 7183 8750")) == ["+442071838750"]
    assert _phones(search(directory, TEAM, "020 7183 8750", default_country="GB")) == \
        ["+442071838750"]


def test_names_match_any_case_as_a_substring(directory):
    assert [c.name for c in search(directory, TEAM, "jAnE")] == ["Jane Doe", "Janet Smith"]
    assert [c.name for c in search(directory, TEAM, "smith")] == ["Janet Smith"]


def test_e_mail_matches_and_like_wildcards_in_the_query_are_literal(directory):
    assert [c.name for c in search(directory, TEAM, "JANE@EXAMPLE")] == ["Jane Doe"]
    assert [c.name for c in search(directory, TEAM, "o%w")] == []
    assert [c.name for c in search(directory, TEAM, "bob%brown")] == ["Bob_Brown"]
    assert [c.name for c in search(directory, TEAM, "b_b")] == ["Bob_Brown"]
    assert search(directory, TEAM, "_") == search(directory, TEAM, "Bob_")


def test_search_is_team_scoped_and_empty_queries_find_nothing(directory):
    assert [c.name for c in search(directory, OTHER_TEAM, "jane")] == ["Jane Other Team"]
    assert search(directory, TEAM, "   ") == []
    assert search(directory, TEAM, "12") == []  # too few digits to mean anything


def test_search_stays_correct_among_a_hundred_thousand_contacts(db):
    with db.transaction() as s:
        insert_many(s, TEAM, [
            {"phone": f"+1202{n:07d}", "name": f"Customer {n:06d}",
             "email": f"customer{n}@example.com"} for n in range(100_000)])
    _add(db, ("+14155550100", "Zelda Needle", "zelda@needle.example"))

    assert _phones(search(db, TEAM, "(415) 555-0100")) == ["+14155550100"]
    assert [c.name for c in search(db, TEAM, "zelda")] == ["Zelda Needle"]
    assert [c.name for c in search(db, TEAM, "ZELDA@NEEDLE")] == ["Zelda Needle"]
    assert _phones(search(db, TEAM, "202-004-2424")) == ["+12020042424"]
    found = search(db, TEAM, "customer 0999", limit=20)
    assert [c.name for c in found] == [f"Customer 0999{n:02d}" for n in range(20)]
    assert len(search(db, TEAM, "customer", limit=7)) == 7


def test_the_name_index_follows_edits_and_deletions(directory):
    with directory.transaction() as s:
        s.execute(update(Contact).where(Contact.name == "Jane Doe")
                  .values(name="Janine Roe", email="janine@example.com"))
    assert [c.name for c in search(directory, TEAM, "janine")] == ["Janine Roe"]
    assert [c.name for c in search(directory, TEAM, "jane doe")] == []
    assert [c.name for c in search(directory, TEAM, "jane@example")] == []
    with directory.transaction() as s:
        gone = s.scalar(select(Contact.id).where(Contact.name == "Janine Roe"))
        s.execute(delete(ContactNumber).where(ContactNumber.contact_id == gone))
        s.execute(delete(Contact).where(Contact.id == gone))
    assert search(directory, TEAM, "janine") == []
