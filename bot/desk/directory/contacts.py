"""Contacts found or created by their E.164 number, locked so one contact's SMS queue up."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy import insert as insert_stmt
from sqlalchemy.orm import Session

from storage.db import Database, insert_of
from storage.models import Contact, ContactNumber


def _locked(s: Session, team_id: str, contact_id: int) -> Contact | None:
    query = select(Contact).where(Contact.team_id == team_id, Contact.id == contact_id)
    if s.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    return s.scalars(query).first()


def owner_of_number(s: Session, team_id: str, phone: str) -> int | None:
    return s.scalar(select(ContactNumber.contact_id).where(
        ContactNumber.team_id == team_id, ContactNumber.phone == phone))


def find_or_create_locked(s: Session, team_id: str, phone: str) -> Contact:
    """The contact that has this number, created if none has, locked for this transaction on
    PostgreSQL.

    Holding the lock serialises two quick SMS from one number, so they can never open two
    interactions (on SQLite, BEGIN IMMEDIATE already serialises writers).
    """
    for _ in range(3):
        contact_id = owner_of_number(s, team_id, phone)
        if contact_id is None:
            break
        contact = _locked(s, team_id, contact_id)
        if contact is not None:
            return contact
        # The number was just assigned to another contact (which deleted this one): the
        # lock waited for that to commit, so looking again finds the new owner.
    # Two first texts from one new number at once: the unique (team, phone) makes the second
    # insert a no-op that waits for the first, and both then read the same row.
    s.execute(insert_of(s, Contact).values(team_id=team_id, phone=phone, attributes={})
              .on_conflict_do_nothing(index_elements=["team_id", "phone"]))
    contact_id = s.scalar(select(Contact.id).where(Contact.team_id == team_id,
                                                   Contact.phone == phone))
    # Just inserted, or inserted by the transaction we waited for.
    contact = _locked(s, team_id, contact_id) if contact_id is not None else None
    assert contact is not None
    s.execute(insert_of(s, ContactNumber)
              .values(team_id=team_id, contact_id=contact.id, phone=phone)
              .on_conflict_do_nothing(index_elements=["team_id", "phone"]))
    return contact


def numbers_of(s: Session, team_id: str, contact_id: int) -> list[str]:
    """The contact's numbers, the primary one first."""
    primary = s.scalar(select(Contact.phone).where(Contact.team_id == team_id,
                                                   Contact.id == contact_id))
    others = s.scalars(select(ContactNumber.phone).where(
        ContactNumber.team_id == team_id, ContactNumber.contact_id == contact_id,
        ContactNumber.phone != primary).order_by(ContactNumber.id))
    return ([primary] if primary else []) + list(others)


def create_contact(s: Session, team_id: str, phone: str, *, name: str | None = None,
                   email: str | None = None, attributes: dict[str, Any] | None = None) -> Contact:
    """A new directory entry with its (E.164) number; the number must be nobody's yet."""
    contact = Contact(team_id=team_id, phone=phone, name=name, email=email,
                      attributes=dict(attributes or {}))
    s.add(contact)
    s.flush()
    s.add(ContactNumber(team_id=team_id, contact_id=contact.id, phone=phone))
    s.flush()
    return contact


def insert_many(s: Session, team_id: str, rows: list[dict[str, Any]]) -> None:
    """Bulk-create contacts (dicts of phone, name, email) with their numbers, for imports of
    many thousands where one ORM object per row is too slow."""
    if not rows:
        return
    s.execute(insert_stmt(Contact), [{"attributes": {}, **row, "team_id": team_id}
                                     for row in rows])
    # Every contact without its number row gets it, in one statement.
    has_number = select(ContactNumber.id).where(ContactNumber.team_id == team_id,
                                                ContactNumber.phone == Contact.phone)
    s.execute(insert_stmt(ContactNumber).from_select(
        ["team_id", "contact_id", "phone", "phone_suffix", "created_at"],
        select(Contact.team_id, Contact.id, Contact.phone,
               func.substr(Contact.phone, func.length(Contact.phone) - 3),
               Contact.created_at).where(
            Contact.team_id == team_id, ~has_number.exists())))


def refresh_statistics(db: Database) -> None:
    """After a bulk import: let the query planner know the directory's new size, so searches
    use the indexes at once (SQLite never gathers statistics by itself; PostgreSQL's
    autovacuum would, but only some minutes later)."""
    from sqlalchemy import text

    with db.transaction() as s:
        s.execute(text("ANALYZE contacts"))
        s.execute(text("ANALYZE contact_numbers"))
