"""Data protection, the contact's side: find the contact a request names, decide who may
export or erase, and build the export (everything the desk holds about one contact, as one
JSON document). The erasure itself is bot/desk/data_protection/erasure.py.

The export reads the database only: Slack is a view of these rows, and media files are
listed (type, size, SHA-256), not included, so the document stays small and text.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, undefer

from bot.config import Settings
from bot.desk import effects
from bot.desk.admin import audit, permissions
from bot.desk.directory import contacts_directory, opt_outs
from bot.desk.directory.contacts import numbers_of
from bot.desk.directory.contacts_directory import ContactSummary
from bot.desk.interactions import timeline
from bot.desk.phone import InvalidNumber, to_e164
from storage.clock import utcnow
from storage.db import Database
from storage.models import (
    Contact,
    Erasure,
    ExportUpload,
    Interaction,
    Media,
    Message,
    Offer,
    TimelineEvent,
)

EXPORT_FORMAT = "smsdesk.contact-export/1"
# "#12", "id:12", or a bare number too short to be a phone number: a contact id.
_CONTACT_ID = re.compile(r"^(?:#|id:)?\s*(\d{1,6})$", re.IGNORECASE)
CANDIDATES_SHOWN = 10


@dataclass(frozen=True)
class Resolved:
    """What a CONTACT argument named: one contact, several (ambiguous), or none."""

    contact: ContactSummary | None
    candidates: tuple[ContactSummary, ...] = ()


def resolve_contact(db: Database, team_id: str, query: str,
                    default_country: str) -> Resolved:
    """A number in any format (the contact of that exact number wins), a contact id (#12,
    id:12, or a bare id), or what the directory finds (a name, a number's last digits)."""
    query = (query or "").strip()
    if not query:
        return Resolved(None)
    by_id = _CONTACT_ID.match(query)
    if by_id:
        return Resolved(contacts_directory.get(db, team_id, int(by_id.group(1))))
    found = contacts_directory.search(db, team_id, query, limit=CANDIDATES_SHOWN + 1,
                                      default_country=default_country)
    try:
        exact = to_e164(query, default_country)
    except InvalidNumber:
        exact = None
    same_number = [c for c in found if exact in (c.phone, *_numbers(db, team_id, c))]
    if len(same_number) == 1:
        return Resolved(same_number[0])
    if len(found) == 1:
        return Resolved(found[0])
    return Resolved(None, tuple(found))


def _numbers(db: Database, team_id: str, contact: ContactSummary) -> list[str]:
    with db.transaction() as s:
        return numbers_of(s, team_id, contact.contact_id)


def may_export(db: Database, settings: Settings, team_id: str, user_id: str) -> bool:
    with db.transaction() as s:
        return permissions.may(s, settings, team_id, user_id, settings.export_roles)


def refusal_for_export(settings: Settings) -> str:
    return (f"Exporting a contact's data is open to "
            f"{permissions.describe_roles(settings.export_roles)} (the desk's settings).")


def may_erase(db: Database, settings: Settings, team_id: str, user_id: str) -> bool:
    with db.transaction() as s:
        return permissions.ADMIN in permissions.roles_for(s, settings, team_id, user_id)


ERASE_REFUSAL = "Only the desk's admins can erase a contact's data."


# --- the export -------------------------------------------------------------------------

def _at(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def export_contact(db: Database, team_id: str, contact_id: int, *,
                   requested_by: str | None,
                   on_progress: Callable[[int, int | None], None] | None = None,
                   ) -> dict[str, Any] | None:
    """The contact's whole record as one JSON-ready dict, with an audit line saying who took
    it (`requested_by` None: the command line). None when the contact is not this team's.
    `on_progress(done, total)` hears each interaction read (a regular's can be thousands)."""
    with db.transaction() as s:
        contact = s.get(Contact, contact_id)
        if contact is None or contact.team_id != team_id:
            return None
        document = _document(s, team_id, contact, on_progress)
        _audit_export(s, team_id, contact.id, requested_by)
    document["exported_by"] = requested_by
    return document


def request_export(db: Database, team_id: str, contact_id: int, user_id: str) -> bool:
    """Audit the request and queue the file for the requester's DM (the upload is Slack
    work, paced like any). False when the contact is not this team's."""
    with db.transaction() as s:
        contact = s.get(Contact, contact_id)
        if contact is None or contact.team_id != team_id:
            return False
        _audit_export(s, team_id, contact_id, user_id)
        effects.deliver_export(s, team_id, contact_id, user_id)
    return True


def build_export(db: Database, team_id: str, contact_id: int,
                 requested_by: str | None) -> dict[str, Any] | None:
    """The export, read now (the job that delivers it), without another audit line."""
    with db.transaction() as s:
        contact = s.get(Contact, contact_id)
        if contact is None or contact.team_id != team_id:
            return None
        document = _document(s, team_id, contact)
    document["exported_by"] = requested_by
    return document


def record_export_upload(db: Database, team_id: str, contact_id: int, requested_by: str,
                         channel: str | None, file_id: str, built_at: datetime) -> bool:
    """Remember an uploaded export file, so erasing the contact deletes it too. False when
    the contact was erased after the export was read: the file must go at once."""
    with db.transaction() as s:
        erased_since = s.scalar(select(Erasure.id).where(
            Erasure.team_id == team_id, Erasure.contact_id == contact_id,
            Erasure.created_at >= built_at).limit(1))
        if erased_since is not None:
            return False
        s.add(ExportUpload(team_id=team_id, contact_id=contact_id, requested_by=requested_by,
                           channel=channel, file_id=file_id))
    return True


def _audit_export(s: Session, team_id: str, contact_id: int, by: str | None) -> None:
    audit.record(s, team_id, by, "privacy.export", f"contact {contact_id}", old=None,
                 new=None, via="slack" if by else "command line")


def _document(s: Session, team_id: str, contact: Contact,
              on_progress: Callable[[int, int | None], None] | None = None) -> dict[str, Any]:
    numbers = numbers_of(s, team_id, contact.id)
    interactions = list(s.scalars(select(Interaction).where(
        Interaction.team_id == team_id, Interaction.contact_id == contact.id)
        .order_by(Interaction.created_at, Interaction.id)))
    exported = []
    for interaction in interactions:
        exported.append(_interaction(s, team_id, interaction))
        if on_progress is not None:
            on_progress(len(exported), len(interactions))
    return {
        "format": EXPORT_FORMAT,
        "exported_at": _at(utcnow()),
        "team_id": team_id,
        "contact": {
            "id": contact.id, "name": contact.name, "email": contact.email,
            "phone": contact.phone, "numbers": numbers,
            "attributes": dict(contact.attributes or {}),
            "created_at": _at(contact.created_at),
            "opt_outs": [{"number": o.phone, "business_number": o.business_number,
                          "source": o.source, "at": _at(o.at)}
                         for o in opt_outs.opt_outs_of(s, team_id, numbers)],
        },
        "interactions": exported,
    }


def _interaction(s: Session, team_id: str, i: Interaction) -> dict[str, Any]:
    messages = list(s.scalars(select(Message).where(
        Message.team_id == team_id, Message.interaction_id == i.id).order_by(Message.id)))
    media = list(s.scalars(select(Media).options(undefer(Media.original)).where(
        Media.team_id == team_id, Media.interaction_id == i.id)
        .order_by(Media.message_id, Media.position)))
    events = list(s.scalars(select(TimelineEvent).where(
        TimelineEvent.team_id == team_id, TimelineEvent.interaction_id == i.id)
        .order_by(TimelineEvent.at, TimelineEvent.id)))
    offers = list(s.scalars(select(Offer).where(
        Offer.team_id == team_id, Offer.interaction_id == i.id).order_by(Offer.id)))
    files: dict[int, list[dict[str, Any]]] = {}
    for m in media:
        files.setdefault(m.message_id, []).append(_media(m))
    return {
        "id": i.id, "queue": i.queue, "media": i.media, "mode": i.mode,
        "direction": i.direction, "state": i.state, "business_number": i.business_number,
        "customer_number": i.customer_number, "agent_user_id": i.agent_user_id,
        "created_at": _at(i.created_at), "accepted_at": _at(i.accepted_at),
        "closed_at": _at(i.closed_at), "closed_by": i.closed_by,
        "disposition": i.disposition, "disposition_by": i.disposition_by,
        "disposition_at": _at(i.disposition_at), "case_data": dict(i.case_data or {}),
        "offers": [{"agent_user_id": o.agent_user_id, "kind": o.kind, "state": o.state,
                    "offered_at": _at(o.offered_at), "answered_at": _at(o.answered_at)}
                   for o in offers],
        "messages": [{
            # What reached (or was sent to) the phone: none yet for an unsent thread reply.
            "id": m.id, "direction": m.direction,
            "body": "" if m.slack_text is not None and not m.provider else m.body,
            "author_user_id": m.author_user_id, "from": m.from_number, "to": m.to_number,
            "at": _at(m.created_at), "delivery_state": m.delivery_state, "error": m.error,
            "segments": m.segments, "media": files.get(m.id, []),
        } for m in messages],
        "notes": [{"by": e.actor_user_id, "at": _at(e.at), "text": e.detail}
                  for e in events if e.kind == timeline.NOTE],
        "timeline": [{"kind": e.kind, "actor_user_id": e.actor_user_id, "detail": e.detail,
                      "at": _at(e.at)} for e in events if e.kind != timeline.NOTE],
    }


def _media(m: Media) -> dict[str, Any]:
    extension = (m.content_type or "").partition("/")[2].partition(";")[0] or "bin"
    return {
        "position": m.position, "content_type": m.content_type, "size": m.original_size,
        "file_name": f"message-{m.message_id}-{m.position}.{extension}",
        "sha256": hashlib.sha256(m.original).hexdigest() if m.original else None,
        "state": m.state, "note": m.note, "width": m.width, "height": m.height,
        "received_at": _at(m.created_at),
    }


def export_file_name(document: dict[str, Any]) -> str:
    return f"contact-{document['contact']['id']}-export.json"
