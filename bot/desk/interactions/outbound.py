"""Use case: an agent's New SMS. Outbound texts are page mode: compose, send, done.

The message becomes an interaction the sender holds from the start, with its own thread in
the desk channel (where the sender watches it being delivered), and lands in the contact's
history like any other. Everything that can refuse it is checked before anything is stored.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from bot.config import Settings
from bot.desk import effects
from bot.desk.admin import permissions
from bot.desk.directory import contacts, opt_outs
from bot.desk.directory.contacts_directory import search
from bot.desk.interactions import timeline
from bot.desk.interactions.lifecycle import ACCEPTED
from bot.desk.phone import InvalidNumber, display, textable_e164
from bot.desk.replies import COMPOSED_LIMIT
from storage.clock import utcnow
from storage.db import Database
from storage.models import Contact, Interaction, Message


class Refusal(enum.Enum):
    NOT_ALLOWED = "not_allowed"
    EMPTY = "empty"
    TOO_LONG = "too_long"
    NO_RECIPIENT = "no_recipient"
    BAD_NUMBER = "bad_number"
    NO_CONTACT = "no_contact"
    AMBIGUOUS = "ambiguous"
    BAD_FROM = "bad_from"
    OPTED_OUT = "opted_out"


@dataclass(frozen=True)
class NewSms:
    team_id: str
    user_id: str
    text: str
    from_number: str
    to: str = ""  # a number in any common format, or a contact's name, as typed
    contact_id: int | None = None  # chosen from the directory: `to` may pick one of its numbers
    # Words the sender chose to Ignore All while writing: not flagged in this interaction.
    ignored_words: tuple[str, ...] = ()


@dataclass(frozen=True)
class Recipient:
    phone: str
    contact_id: int | None


@dataclass(frozen=True)
class NewSmsResult:
    interaction_id: int | None = None
    refusal: Refusal | None = None
    reason: str = ""  # for the sender, when refused
    field: str = "text"  # which part of the form the reason belongs to: to | text | from


def _refused(refusal: Refusal, reason: str, field: str = "text") -> NewSmsResult:
    return NewSmsResult(refusal=refusal, reason=reason, field=field)


def may_send(db: Database, settings: Settings, team_id: str, user_id: str) -> bool:
    with db.transaction() as s:
        return permissions.may(s, settings, team_id, user_id, settings.new_sms_roles)


def refusal_for_role(settings: Settings) -> str:
    return ("You cannot send new SMS: the desk's settings allow that to "
            f"{permissions.describe_roles(settings.new_sms_roles)}. Ask an admin if you need it.")


def resolve_recipient(db: Database, settings: Settings, team_id: str, to: str,
                      contact_id: int | None) -> Recipient | NewSmsResult:
    """Who the text goes to: a typed number, one contact found by name, or a contact picked
    from the directory (on one of its numbers)."""
    to = (to or "").strip()
    if contact_id is not None:
        with db.transaction() as s:
            contact = s.get(Contact, contact_id)
            if contact is None or contact.team_id != team_id:
                return _refused(Refusal.NO_CONTACT, "That contact no longer exists.", "to")
            numbers = contacts.numbers_of(s, team_id, contact.id)
        phone = to if to in numbers else contact.phone
        try:
            return Recipient(textable_e164(phone, settings.default_country), contact_id)
        except InvalidNumber as error:
            return _refused(Refusal.BAD_NUMBER, f"{error}.", "to")
    if not to:
        return _refused(Refusal.NO_RECIPIENT, "Type a mobile number or a contact's name.", "to")
    if any(ch.isdigit() for ch in to) and not any(ch.isalpha() for ch in to):
        try:
            return Recipient(textable_e164(to, settings.default_country), None)
        except InvalidNumber as error:
            return _refused(Refusal.BAD_NUMBER, f"{error}.", "to")
    found = search(db, team_id, to, limit=6, default_country=settings.default_country)
    exact = [c for c in found if (c.name or "").casefold() == to.casefold()]
    if len(exact) == 1 or len(found) == 1:
        match = exact[0] if len(exact) == 1 else found[0]
        return resolve_recipient(db, settings, team_id, "", match.contact_id)
    if not found:
        return _refused(Refusal.NO_CONTACT,
                        f"No contact is called “{to[:80]}”. Type their mobile number instead.",
                        "to")
    names = ", ".join(f"{c.name} ({display(c.phone)})" for c in found[:5])
    return _refused(Refusal.AMBIGUOUS, f"Several contacts match: {names}. Type the full name "
                                       "or the number.", "to")


def send_new_sms(db: Database, settings: Settings, request: NewSms) -> NewSmsResult:
    """Check, store and send: the interaction, its first (and only) message, its thread."""
    text = (request.text or "").strip()
    if not may_send(db, settings, request.team_id, request.user_id):
        return _refused(Refusal.NOT_ALLOWED, refusal_for_role(settings))
    if request.from_number not in settings.sending_numbers():
        return _refused(Refusal.BAD_FROM, "Pick one of the desk's numbers to send from.",
                        "from")
    if not text:
        return _refused(Refusal.EMPTY, "Write the message first, or pick a standard response.")
    if len(text) > COMPOSED_LIMIT:
        return _refused(Refusal.TOO_LONG, f"An SMS can be at most {COMPOSED_LIMIT} characters; "
                                          f"this one has {len(text)}.")
    recipient = resolve_recipient(db, settings, request.team_id, request.to, request.contact_id)
    if isinstance(recipient, NewSmsResult):
        return recipient
    with db.transaction() as s:
        if opt_outs.is_opted_out(s, request.team_id, recipient.phone, request.from_number):
            return _refused(Refusal.OPTED_OUT, (
                f"{display(recipient.phone)} opted out of SMS from {display(request.from_number)}"
                " (they texted STOP). Nothing can be sent until they text START."), "to")
        contact = (s.get_one(Contact, recipient.contact_id) if recipient.contact_id is not None
                   else contacts.find_or_create_locked(s, request.team_id, recipient.phone))
        now = utcnow()
        interaction = Interaction(
            team_id=request.team_id, contact_id=contact.id,
            business_number=request.from_number, customer_number=recipient.phone,
            queue=settings.queue_for(request.from_number).name,
            media="SMS", mode="page", direction="outbound", state=ACCEPTED,
            agent_user_id=request.user_id, accepted_at=now, created_at=now,
            desk_channel=settings.thread_home(settings.queue_for(request.from_number).name,
                                              request.user_id),
            spelling_ignored={"words": sorted({w.lower() for w in request.ignored_words})}
            if request.ignored_words else {})
        s.add(interaction)
        s.flush()
        message = Message(
            team_id=request.team_id, interaction_id=interaction.id, direction="outbound",
            slack_text=None, body=text, author_user_id=request.user_id, provider="",
            from_number=request.from_number, to_number=recipient.phone,
            delivery_state="pending")
        s.add(message)
        s.flush()
        timeline.record(s, request.team_id, interaction.id, timeline.OUTBOUND_STARTED,
                        actor=request.user_id)
        # The thread first, then the agent's line in it, then the send: one lane, in order.
        effects.open_thread(s, request.team_id, interaction.id)
        effects.post_composed(s, request.team_id, message.id, interaction.id)
        effects.send_sms(s, request.team_id, message.id, interaction.id)
        effects.publish_home(s, request.team_id, request.user_id)
        in_dm = settings.threads_in_dm(interaction.queue)
        where = (" (in this DM)" if in_dm else
                 f" in <#{settings.desk_channel}>" if settings.desk_channel else "")
        effects.notify_agent(s, request.team_id, request.user_id, (
            f"Your SMS to {display(recipient.phone)} is on its way. "
            f"Its thread{where} shows when it is delivered; the customer's answer comes back "
            "as a new interaction."))
        return NewSmsResult(interaction_id=interaction.id)


# "/sms +1 (415) 555-0100 Your order is ready": the number is everything up to its last digit
# before the first letter or other sign.
_LEADING_NUMBER = re.compile(r"^\s*(\+?[\d().\-/ ]*\d)(?:\s+(.*))?$", re.DOTALL)
NAME_WORDS_TRIED = 4


def split_command(db: Database, team_id: str, text: str,
                  default_country: str) -> tuple[str, str]:
    """(recipient as typed, message) from the text after /sms. A leading number is the
    recipient; otherwise the longest run of leading words that is exactly one contact's name
    is; otherwise the first word is (the form then says what it matches)."""
    text = (text or "").strip()
    match = _LEADING_NUMBER.match(text)
    if match and sum(ch.isdigit() for ch in match.group(1)) >= 4:
        return match.group(1).strip(), (match.group(2) or "").strip()
    words = text.split()
    for count in range(min(NAME_WORDS_TRIED, len(words)), 0, -1):
        name = " ".join(words[:count])
        found = search(db, team_id, name, limit=5, default_country=default_country)
        if len([c for c in found if (c.name or "").casefold() == name.casefold()]) == 1:
            return name, " ".join(words[count:])
    return (words[0] if words else ""), " ".join(words[1:])
