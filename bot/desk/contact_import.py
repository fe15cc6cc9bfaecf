"""Contacts loaded from a CSV file (name, phone, email, and any other columns as custom
attributes): numbers made E.164, existing contacts updated, unusable rows skipped with the
reason, all in one transaction."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from bot.desk.contacts import create_contact, refresh_statistics
from bot.sms.phone import InvalidNumber, to_e164
from storage.db import Database
from storage.models import Contact, ContactNumber

COLUMNS = ("name", "phone", "email")
BULK = 1000  # new contacts from one file that call for fresh planner statistics


class ContactFileError(Exception):
    """The file cannot be read as a contact list at all (nothing was imported)."""


@dataclass(frozen=True)
class SkippedContact:
    line: int
    reason: str


@dataclass
class ContactImportReport:
    created: int = 0
    updated: int = 0
    skipped: list[SkippedContact] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [f"{self.created} created, {self.updated} updated, {len(self.skipped)} skipped"]
        out += [f"  skipped line {row.line}: {row.reason}" for row in self.skipped]
        return out


def _rows(path: Path) -> list[tuple[int, dict[str, str]]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise ContactFileError(f"{path}: cannot be read: {error}") from error
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [(h or "").strip().lower() for h in reader.fieldnames or []]
    if "phone" not in header:
        raise ContactFileError(f"{path}: the first line must name the columns: "
                               f"{', '.join(COLUMNS)} (no phone column found)")
    reader.fieldnames = header
    # Line numbers as a spreadsheet shows them: the header is line 1.
    return [(reader.line_num, {k: (v or "").strip() for k, v in row.items()
                               if isinstance(v, str) and k})
            for row in reader]


def import_csv(db: Database, team_id: str, path: str | Path,
               default_country: str = "US") -> ContactImportReport:
    report = ContactImportReport()
    usable: dict[str, tuple[str | None, str | None, dict[str, str]]] = {}
    first_line: dict[str, int] = {}
    for line, row in _rows(Path(path)):
        raw = row.get("phone", "")
        if not raw:
            report.skipped.append(SkippedContact(line, "missing phone"))
            continue
        try:
            phone = to_e164(raw, default_country)
        except InvalidNumber:
            report.skipped.append(SkippedContact(line, f"bad number {raw!r}"))
            continue
        if phone in usable:
            report.skipped.append(SkippedContact(
                line, f"duplicate number {phone} (first on line {first_line[phone]})"))
            continue
        attributes = {key: value for key, value in row.items()
                      if key not in COLUMNS and value}
        usable[phone] = (row.get("name") or None, row.get("email") or None, attributes)
        first_line[phone] = line
    with db.transaction() as s:
        # Any of a contact's numbers finds it, not only the primary one.
        existing = {phone: contact for phone, contact in s.execute(
            select(ContactNumber.phone, Contact).join(
                Contact, Contact.id == ContactNumber.contact_id).where(
                ContactNumber.team_id == team_id,
                ContactNumber.phone.in_(list(usable))))} if usable else {}
        for phone, (name, email, attributes) in usable.items():
            contact = existing.get(phone)
            if contact is None:
                create_contact(s, team_id, phone, name=name, email=email,
                               attributes=attributes)
                report.created += 1
                continue
            # An empty cell keeps what the desk already knows.
            contact.name = name or contact.name
            contact.email = email or contact.email
            if attributes:
                contact.attributes = {**(contact.attributes or {}), **attributes}
            report.updated += 1
    if report.created >= BULK:
        refresh_statistics(db)
    return report
