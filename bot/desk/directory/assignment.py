"""Use case: manual contact assignment. An interaction from an unknown number is given to a
contact of the directory: the number joins that contact, and every interaction from it (this
one with its transcript, and any earlier ones) moves to that contact's history."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.desk import effects
from bot.desk.admin import audit, permissions
from bot.desk.interactions import timeline
from bot.desk.phone import display
from storage.db import Database
from storage.models import Contact, ContactNumber, Interaction


class AssignOutcome(enum.Enum):
    ASSIGNED = "assigned"
    NOT_ALLOWED = "not_allowed"
    NOT_FOUND = "not_found"  # the interaction or the chosen contact is gone (or not this team's)
    ALREADY_KNOWN = "already_known"  # the number already belongs to a named contact
    SAME_CONTACT = "same_contact"


@dataclass(frozen=True)
class AssignResult:
    outcome: AssignOutcome
    message: str


def _label(contact: Contact) -> str:
    return contact.name or display(contact.phone)


def _locked(s: Session, team_id: str, contact_id: int) -> Contact | None:
    query = select(Contact).where(Contact.team_id == team_id, Contact.id == contact_id)
    if s.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    return s.scalars(query).first()


def may_assign(db: Database, settings: Settings, team_id: str, user_id: str,
               interaction_id: int) -> bool:
    with db.transaction() as s:
        interaction = s.get(Interaction, interaction_id)
        if interaction is None or interaction.team_id != team_id:
            return False
        return permissions.may(s, settings, team_id, user_id, settings.contacts_assign_roles,
                               owner_id=interaction.agent_user_id)


def assign(db: Database, settings: Settings, team_id: str, user_id: str,
           interaction_id: int, contact_id: int) -> AssignResult:
    with db.transaction() as s:
        interaction = s.get(Interaction, interaction_id)
        if interaction is None or interaction.team_id != team_id:
            return AssignResult(AssignOutcome.NOT_FOUND, "That interaction no longer exists.")
        if not permissions.may(s, settings, team_id, user_id, settings.contacts_assign_roles,
                               owner_id=interaction.agent_user_id):
            return AssignResult(AssignOutcome.NOT_ALLOWED, (
                "The desk's settings let "
                f"{permissions.describe_roles(settings.contacts_assign_roles)} assign numbers "
                "to contacts."))
        # Both rows locked (in id order, so two assignments cannot deadlock).
        first, second = sorted((interaction.contact_id, contact_id))
        locked = {c.id: c for c in (_locked(s, team_id, first), _locked(s, team_id, second))
                  if c is not None}
        source, target = locked.get(interaction.contact_id), locked.get(contact_id)
        if source is None or target is None:
            return AssignResult(AssignOutcome.NOT_FOUND, "That contact no longer exists.")
        if source.id == target.id:
            return AssignResult(AssignOutcome.SAME_CONTACT,
                                f"This interaction is already {_label(target)}'s.")
        if source.name is not None:
            return AssignResult(AssignOutcome.ALREADY_KNOWN, (
                f"This number belongs to {source.name}. Edit that contact to change who it "
                "is."))
        moved = list(s.scalars(select(Interaction.id).where(
            Interaction.team_id == team_id, Interaction.contact_id == source.id)))
        # Replies keep going to the number the customer texts from, now one of several.
        s.execute(update(Interaction).where(Interaction.id.in_(moved),
                                            Interaction.customer_number.is_(None))
                  .values(customer_number=source.phone)
                  .execution_options(synchronize_session=False))
        s.execute(update(Interaction).where(Interaction.id.in_(moved))
                  .values(contact_id=target.id).execution_options(synchronize_session=False))
        s.execute(update(ContactNumber).where(ContactNumber.team_id == team_id,
                                              ContactNumber.contact_id == source.id)
                  .values(contact_id=target.id).execution_options(synchronize_session=False))
        target.email = target.email or source.email
        target.attributes = {**(source.attributes or {}), **(target.attributes or {})}
        s.flush()
        s.execute(delete(Contact).where(Contact.id == source.id))
        timeline.record(s, team_id, interaction.id, timeline.CONTACT_ASSIGNED, actor=user_id,
                        detail=_label(target))
        # Only the number's last four: the audit log outlives an erased contact's number.
        audit.record(s, team_id, user_id, "contacts.assign", _label(target),
                     old=f"unknown number ending {source.phone[-4:]}", new=_label(target),
                     interaction_id=interaction.id, moved=len(moved))
        for moved_id in moved:
            effects.update_card(s, team_id, moved_id)
        effects.sync_transcript(s, team_id, interaction.id)
        return AssignResult(AssignOutcome.ASSIGNED, (
            f"{display(source.phone)} now belongs to {_label(target)}: "
            f"{len(moved)} interaction{'s' if len(moved) != 1 else ''} moved to their history."))
