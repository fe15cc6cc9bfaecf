"""The contact directory: find contacts by name, number (in any common format) or e-mail."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, literal_column, or_, select, table, text

from bot.config import Settings
from bot.desk.admin import permissions
from bot.desk.directory import opt_outs
from bot.desk.directory.contacts import numbers_of
from bot.desk.interactions.lifecycle import DONE
from bot.desk.phone import InvalidNumber, to_e164
from storage.clock import utcnow
from storage.db import Database
from storage.models import Contact, ContactNumber, Interaction

# A query that is only digits and the punctuation people write numbers with.
_NUMBER_LIKE = re.compile(r"^\+?[\d\s().\-/]+$")
MIN_SUFFIX_DIGITS = 4  # shorter digit runs match too much to be useful


@dataclass(frozen=True)
class ContactSummary:
    contact_id: int
    name: str | None
    phone: str  # E.164, the primary number
    email: str | None
    other_phones: tuple[str, ...] = ()
    attributes: tuple[tuple[str, str], ...] = ()  # (name, value), in name order


TRIGRAM = 3  # shorter queries cannot use a trigram index
_full_text: dict[str, bool] = {}


def _has_sqlite_full_text(db: Database) -> bool:
    """Whether migration 0008 could create the FTS5 index (SQLite built with FTS5)."""
    if db.engine.dialect.name != "sqlite":
        return False
    key = str(db.engine.url)
    if key not in _full_text:
        with db.transaction() as s:
            _full_text[key] = s.scalar(text(
                "SELECT 1 FROM sqlite_master WHERE name = 'contacts_fts'")) is not None
    return _full_text[key]


def _like_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search(db: Database, team_id: str, query: str, limit: int = 20, *,
           default_country: str) -> list[ContactSummary]:
    """Contacts whose name or e-mail contains `query` (any case), or whose number is `query`
    written in any common format, or ends with its digits; name order, at most `limit`."""
    query = query.strip()
    if not query or limit <= 0:
        return []
    conditions = []
    if _NUMBER_LIKE.match(query):
        digits = re.sub(r"\D", "", query)
        try:
            conditions.append(ContactNumber.phone == to_e164(query, default_country))
        except InvalidNumber:
            pass
        if len(digits) >= MIN_SUFFIX_DIGITS:
            conditions.append((ContactNumber.phone_suffix == digits[-4:])
                              & ContactNumber.phone.like("%" + digits))
    elif len(query) >= TRIGRAM and _has_sqlite_full_text(db):
        # FTS5's trigram index: a quoted phrase matches wherever it appears, any case.
        phrase = '"' + query.replace('"', '""') + '"'
        conditions.append(Contact.id.in_(
            select(literal_column("rowid")).select_from(table("contacts_fts"))
            .where(text("contacts_fts MATCH :phrase").bindparams(phrase=phrase))))
    else:
        pattern = "%" + _like_escape(query.lower()) + "%"
        conditions.append(func.lower(Contact.name).like(pattern, escape="\\"))
        conditions.append(func.lower(Contact.email).like(pattern, escape="\\"))
    if not conditions:
        return []
    if _NUMBER_LIKE.match(query):
        # Any of the contact's numbers matches, the primary or another one.
        matching = select(ContactNumber.contact_id).where(
            ContactNumber.team_id == team_id, or_(*conditions))
        conditions = [Contact.id.in_(matching)]
    with db.transaction() as s:
        rows = s.execute(
            select(Contact.id, Contact.name, Contact.phone, Contact.email)
            .where(Contact.team_id == team_id, or_(*conditions))
            .order_by(func.lower(func.coalesce(Contact.name, Contact.phone)), Contact.id)
            .limit(limit)).all()
    return [ContactSummary(*row) for row in rows]


def get(db: Database, team_id: str, contact_id: int) -> ContactSummary | None:
    """Everything the contact view shows of one contact (of this workspace only)."""
    with db.transaction() as s:
        contact = s.get(Contact, contact_id)
        if contact is None or contact.team_id != team_id:
            return None
        numbers = numbers_of(s, team_id, contact.id)
        return ContactSummary(contact.id, contact.name, contact.phone, contact.email,
                              tuple(n for n in numbers if n != contact.phone),
                              tuple(sorted((str(k), str(v)) for k, v in
                                           (contact.attributes or {}).items())))


@dataclass(frozen=True)
class ContactActivity:
    """Beside one interaction: the contact's other interactions not yet Done, by type (SMS,
    MMS), and how many interactions the contact had in the last `recent_days` (this one too)."""

    in_progress: tuple[tuple[str, int], ...]
    recent: int
    recent_days: int
    contact_id: int  # whose history the recent count opens


def activity(db: Database, team_id: str, contact_id: int, interaction_id: int,
             recent_days: int) -> ContactActivity:
    since = utcnow() - timedelta(days=recent_days)
    with db.transaction() as s:
        open_media = Counter(s.scalars(select(Interaction.media).where(
            Interaction.team_id == team_id, Interaction.contact_id == contact_id,
            Interaction.id != interaction_id, Interaction.state != DONE)))
        recent = s.scalar(select(func.count()).select_from(Interaction).where(
            Interaction.team_id == team_id, Interaction.contact_id == contact_id,
            Interaction.created_at >= since)) or 0
    return ContactActivity(tuple(sorted(open_media.items())), recent, recent_days, contact_id)


def may_view(db: Database, settings: Settings, team_id: str, user_id: str) -> bool:
    """The directory holds customers' numbers: only the roles the settings name search it."""
    with db.transaction() as s:
        return permissions.may(s, settings, team_id, user_id, settings.contacts_view_roles)


def refusal_for_view(settings: Settings) -> str:
    return ("The contact directory is open to "
            f"{permissions.describe_roles(settings.contacts_view_roles)} (the desk's "
            "settings). Ask an admin if you need it.")


def is_opted_out(db: Database, team_id: str, contact: ContactSummary) -> bool:
    """Whether any of the contact's numbers opted out of any of the desk's numbers."""
    with db.transaction() as s:
        return bool(opt_outs.opted_out_numbers(s, team_id,
                                               [contact.phone, *contact.other_phones]))


def contact_of_interaction(db: Database, team_id: str, interaction_id: int) -> int | None:
    with db.transaction() as s:
        interaction = s.get(Interaction, interaction_id)
        return interaction.contact_id if interaction and interaction.team_id == team_id else None
