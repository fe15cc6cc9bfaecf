"""Use case: someone with the edit role changes a contact's information — name, numbers,
e-mail, custom attributes — checked field by field so the form can say what is wrong where."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import delete, select

from bot.config import Settings
from bot.desk.admin import permissions
from bot.desk.phone import InvalidNumber, display, to_e164
from storage.db import Database
from storage.models import Contact, ContactNumber

NAME_LIMIT, EMAIL_LIMIT = 200, 254
NUMBERS_LIMIT = 10
ATTRIBUTES_LIMIT, ATTRIBUTE_NAME_LIMIT, ATTRIBUTE_VALUE_LIMIT = 30, 50, 200
EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")


@dataclass(frozen=True)
class ContactEdit:
    name: str
    email: str
    numbers: str  # one per line, the primary first
    attributes: str  # "Name: value", one per line


@dataclass
class EditResult:
    errors: dict[str, str] = field(default_factory=dict)  # field name -> what to fix
    refused: str | None = None  # not allowed, or the contact is gone

    @property
    def saved(self) -> bool:
        return not self.errors and self.refused is None


def may_edit(db: Database, settings: Settings, team_id: str, user_id: str) -> bool:
    with db.transaction() as s:
        return permissions.may(s, settings, team_id, user_id, settings.contacts_edit_roles)


def parse_attributes(text: str) -> tuple[dict[str, str], str | None]:
    attributes: dict[str, str] = {}
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        key, colon, value = line.partition(":")
        key, value = key.strip(), value.strip()
        if not colon or not key:
            return {}, f"Line {number}: write each attribute as “Name: value”."
        if len(key) > ATTRIBUTE_NAME_LIMIT or len(value) > ATTRIBUTE_VALUE_LIMIT:
            return {}, (f"Line {number}: names can have {ATTRIBUTE_NAME_LIMIT} characters and "
                        f"values {ATTRIBUTE_VALUE_LIMIT}.")
        if value:
            attributes[key] = value
    if len(attributes) > ATTRIBUTES_LIMIT:
        return {}, f"At most {ATTRIBUTES_LIMIT} attributes."
    return attributes, None


def parse_numbers(text: str, default_country: str) -> tuple[list[str], str | None]:
    numbers: list[str] = []
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        try:
            number = to_e164(line.strip(), default_country)
        except InvalidNumber:
            return [], f"“{line.strip()[:40]}” is not a phone number."
        if number not in numbers:
            numbers.append(number)
    if not numbers:
        return [], "A contact needs at least one number."
    if len(numbers) > NUMBERS_LIMIT:
        return [], f"At most {NUMBERS_LIMIT} numbers."
    return numbers, None


def update_contact(db: Database, settings: Settings, team_id: str, user_id: str,
                   contact_id: int, edit: ContactEdit) -> EditResult:
    result = EditResult()
    name, email = edit.name.strip(), edit.email.strip()
    if len(name) > NAME_LIMIT:
        result.errors["name"] = f"At most {NAME_LIMIT} characters."
    if email and (len(email) > EMAIL_LIMIT or not EMAIL.fullmatch(email)):
        result.errors["email"] = "That is not an e-mail address."
    numbers, problem = parse_numbers(edit.numbers, settings.default_country)
    if problem:
        result.errors["numbers"] = problem
    attributes, problem = parse_attributes(edit.attributes)
    if problem:
        result.errors["attributes"] = problem
    with db.transaction() as s:
        if not permissions.may(s, settings, team_id, user_id, settings.contacts_edit_roles):
            result.refused = ("The desk's settings let "
                              f"{permissions.describe_roles(settings.contacts_edit_roles)} "
                              "edit contacts.")
            return result
        contact = s.get(Contact, contact_id)
        if contact is None or contact.team_id != team_id:
            result.refused = "That contact no longer exists."
            return result
        taken = s.execute(select(ContactNumber.phone, Contact.name, Contact.phone).join(
            Contact, Contact.id == ContactNumber.contact_id).where(
            ContactNumber.team_id == team_id, ContactNumber.phone.in_(numbers),
            ContactNumber.contact_id != contact_id)).first()
        if taken is not None:
            owner = taken[1] or display(taken[2])
            result.errors["numbers"] = (
                f"{display(taken[0])} belongs to {owner[:80]}. Remove it there first, or assign "
                "it from that contact's interaction.")
        if result.errors:
            return result
        contact.name = name or None
        contact.email = email or None
        contact.attributes = attributes
        s.execute(delete(ContactNumber).where(ContactNumber.team_id == team_id,
                                              ContactNumber.contact_id == contact_id,
                                              ContactNumber.phone.not_in(numbers)))
        held = set(s.scalars(select(ContactNumber.phone).where(
            ContactNumber.team_id == team_id, ContactNumber.contact_id == contact_id)))
        s.add_all(ContactNumber(team_id=team_id, contact_id=contact_id, phone=number)
                  for number in numbers if number not in held)
        contact.phone = numbers[0]
    return result
