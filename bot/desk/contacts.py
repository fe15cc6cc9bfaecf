"""Contacts found or created by their E.164 number, locked so one contact's SMS queue up."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from storage.models import Contact


def find_or_create_locked(s: Session, team_id: str, phone: str) -> Contact:
    """The contact row, locked for this transaction on PostgreSQL.

    Holding the lock serialises two quick SMS from one number, so they can never open two
    interactions (on SQLite, BEGIN IMMEDIATE already serialises writers).
    """
    dialect = s.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    s.execute(
        insert(Contact)
        .values(team_id=team_id, phone=phone)
        .on_conflict_do_nothing(index_elements=["team_id", "phone"])
    )
    query = select(Contact).where(Contact.team_id == team_id, Contact.phone == phone)
    if dialect == "postgresql":
        query = query.with_for_update()
    return s.scalars(query).one()
