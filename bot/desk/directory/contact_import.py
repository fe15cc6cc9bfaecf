"""Contacts loaded from a CSV file (name, phone, email, and any other columns as custom
attributes): numbers made E.164, existing contacts updated, unusable rows skipped with the
reason, all in one transaction."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import phonenumbers
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.desk.directory.contacts import create_contact, refresh_statistics
from bot.desk.phone import InvalidNumber, to_e164
from storage.db import Database
from storage.models import Contact, ContactNumber

COLUMNS = ("name", "phone", "email")
# Header spellings of the three columns, compared with case, spaces and punctuation
# removed ("E-mail", "Email address", "Phone Number"). Any other header is an attribute.
HEADER_NAMES = {"name": "name", "phone": "phone", "phonenumber": "phone",
                "email": "email", "emailaddress": "email"}
BULK = 1000  # new contacts from one file that call for fresh planner statistics
CHUNK = 500  # rows checked and saved at a time (progress is told after each)


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


def _column(header: str) -> str:
    """The field a header names: one of COLUMNS, else the attribute it is (lower case)."""
    written = header.strip().lower()
    return HEADER_NAMES.get(re.sub(r"[\W_]+", "", written), written)


def _rows(path: Path) -> list[tuple[int, dict[str, str]]]:
    if path.suffix.lower() != ".csv":
        # Before reading: YAML or a spreadsheet would otherwise fail as a CSV "with no phone
        # column", which sends the admin looking for a typo that is not there.
        raise ContactFileError(f"{path}: contacts import reads CSV only: save it as a .csv "
                               f"file whose first line names the columns {', '.join(COLUMNS)}")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise ContactFileError(f"{path}: cannot be read: {error}") from error
    reader = csv.DictReader(io.StringIO(text, newline=""))
    written = [(h or "").strip() for h in reader.fieldnames or []]
    header = [_column(h) for h in written]
    for column in COLUMNS:
        spellings = [w for w, h in zip(written, header, strict=True) if h == column]
        if len(spellings) > 1:
            raise ContactFileError(f"{path}: {' and '.join(map(repr, spellings))} are both the "
                                   f"{column} column: keep one")
    if "phone" not in header:
        raise ContactFileError(f"{path}: the first line must name the columns: "
                               f"{', '.join(COLUMNS)} (no phone column found)")
    reader.fieldnames = header
    # Line numbers as a spreadsheet shows them: the header is line 1.
    return [(reader.line_num, {k: (v or "").strip() for k, v in row.items()
                               if isinstance(v, str) and k})
            for row in reader]


def _good_number(country: str) -> str:
    """How to write a number the import reads, with this country's own example."""
    example = phonenumbers.example_number_for_type(country, phonenumbers.PhoneNumberType.MOBILE)
    if example is None:
        return "write it with + and the country code"
    return ("write it with + and the country code, e.g. "
            f"{phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.INTERNATIONAL)}"
            f", or as dialled in {country}, e.g. "
            f"{phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.NATIONAL)}")


def import_csv(db: Database, team_id: str, path: str | Path, default_country: str,
               on_progress: Callable[[int, int | None], None] | None = None,
               ) -> ContactImportReport:
    """All of the file's usable rows in one transaction. `on_progress(done, total)` hears
    the rows handled so far (saved or skipped) after each CHUNK of them."""
    report = ContactImportReport()
    good_number = _good_number(default_country)
    rows = _rows(Path(path))
    first_line: dict[str, int] = {}
    with db.transaction() as s:
        # A chunk at a time (checked, looked up, saved), so progress can be told as it is
        # made and the lookup's IN list stays short whatever the file's size.
        for start in range(0, len(rows), CHUNK):
            chunk = rows[start:start + CHUNK]
            usable = _usable(chunk, default_country, good_number, first_line, report)
            _save(s, team_id, usable, report)
            if on_progress is not None:
                on_progress(start + len(chunk), len(rows))
    if report.created >= BULK:
        refresh_statistics(db)
    return report


_Usable = dict[str, tuple[str | None, str | None, dict[str, str]]]


def _usable(chunk: list[tuple[int, dict[str, str]]], default_country: str, good_number: str,
            first_line: dict[str, int], report: ContactImportReport) -> _Usable:
    """The chunk's rows that can be saved, by E.164 number; the rest go to the report.
    `first_line` holds every number taken so far, so a duplicate in a later chunk is one."""
    usable: _Usable = {}
    for line, row in chunk:
        raw = row.get("phone", "")
        if not raw:
            report.skipped.append(SkippedContact(line, "missing phone"))
            continue
        try:
            phone = to_e164(raw, default_country)
        except InvalidNumber:
            report.skipped.append(SkippedContact(line, f"bad number {raw!r}: {good_number}"))
            continue
        if phone in first_line:
            report.skipped.append(SkippedContact(
                line, f"duplicate number {phone} (first on line {first_line[phone]})"))
            continue
        attributes = {key: value for key, value in row.items()
                      if key not in COLUMNS and value}
        usable[phone] = (row.get("name") or None, row.get("email") or None, attributes)
        first_line[phone] = line
    return usable


def _save(s: Session, team_id: str, usable: _Usable, report: ContactImportReport) -> None:
    if not usable:
        return
    # Any of a contact's numbers finds it, not only the primary one.
    existing = {phone: contact for phone, contact in s.execute(
        select(ContactNumber.phone, Contact).join(
            Contact, Contact.id == ContactNumber.contact_id).where(
            ContactNumber.team_id == team_id, ContactNumber.phone.in_(list(usable))))}
    for phone, (name, email, attributes) in usable.items():
        contact = existing.get(phone)
        if contact is None:
            create_contact(s, team_id, phone, name=name, email=email, attributes=attributes)
            report.created += 1
            continue
        # An empty cell keeps what the desk already knows.
        contact.name = name or contact.name
        contact.email = email or contact.email
        if attributes:
            contact.attributes = {**(contact.attributes or {}), **attributes}
        report.updated += 1
