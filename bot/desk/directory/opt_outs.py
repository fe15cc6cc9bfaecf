"""Opt-out: a number that texts STOP (or that the provider reports as opted out) is never
texted again from that business number until it texts START.

Carriers require this, and Twilio also enforces it on its side; keeping our own record lets
the desk refuse before sending and tell the agent why, instead of learning from a failure.

An opt-out outlives the erasure of its contact (bot/desk/data_protection/erasure.py):
the plain number is cleared and only `number_hash` is kept, an HMAC-SHA256 of the E.164
number under a random key
of the workspace's own (privacy_keys). Keyed, because a plain or commonly salted SHA-256 of a
phone number is undone by hashing every number of a country (some 10^10, minutes of work);
per workspace, so no hash links a person across desks. Every check matches the number or its
hash, so an erased contact who said STOP is still never texted, and START still opts in.
"""

from __future__ import annotations

import enum
import secrets

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from storage.db import insert_of, rows_changed
from storage.models import OptOut, PrivacyKey
from storage.opt_out_match import matches as _matches
from storage.opt_out_match import number_hash, workspace_key

# The whole message, any case: what US carriers and Twilio treat as opt-out and opt-in.
OPT_OUT_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"})
OPT_IN_WORDS = frozenset({"START", "YES", "UNSTOP"})
HELP_WORDS = frozenset({"HELP", "INFO"})
PROVIDER_OPTED_OUT = "21610"  # Twilio: "Attempt to send to unsubscribed recipient"


class Keyword(enum.Enum):
    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"
    HELP = "help"


def keyword_of(body: str) -> Keyword | None:
    """The compliance keyword the whole message is, if it is one ("Stop." counts)."""
    word = (body or "").strip().rstrip(".!").strip().upper()
    if word in OPT_OUT_WORDS:
        return Keyword.OPT_OUT
    if word in OPT_IN_WORDS:
        return Keyword.OPT_IN
    if word in HELP_WORDS:
        return Keyword.HELP
    return None


def _created_key(s: Session, team_id: str) -> bytes:
    """The workspace's key, made on first use."""
    key = workspace_key(s, team_id)
    if key is None:
        s.execute(insert_of(s, PrivacyKey).values(team_id=team_id, key=secrets.token_bytes(32))
                  .on_conflict_do_nothing(index_elements=["team_id"]))
        key = workspace_key(s, team_id)
    if key is None:  # inserted just now, or by the transaction the insert waited for
        raise RuntimeError(f"no privacy key for {team_id}")
    return key


def opt_out(s: Session, team_id: str, phone: str, business_number: str, source: str) -> None:
    if is_opted_out(s, team_id, phone, business_number):
        return  # already: perhaps only as the hash of an erased contact's number
    s.execute(insert_of(s, OptOut).values(team_id=team_id, phone=phone,
                                        business_number=business_number, source=source[:32])
              .on_conflict_do_nothing(index_elements=["team_id", "phone", "business_number"]))


def opt_in(s: Session, team_id: str, phone: str, business_number: str) -> None:
    s.execute(delete(OptOut).where(OptOut.team_id == team_id, _matches(s, team_id, phone),
                                   OptOut.business_number == business_number))


def is_opted_out(s: Session, team_id: str, phone: str, business_number: str) -> bool:
    return s.scalar(select(OptOut.id).where(
        OptOut.team_id == team_id, _matches(s, team_id, phone),
        OptOut.business_number == business_number).limit(1)) is not None


def opted_out_numbers(s: Session, team_id: str, phones: list[str]) -> set[str]:
    """Which of these numbers have opted out of at least one business number."""
    if not phones:
        return set()
    key = workspace_key(s, team_id)
    hashes = {number_hash(key, p): p for p in phones} if key is not None else {}
    rows = s.execute(select(OptOut.phone, OptOut.number_hash).where(
        OptOut.team_id == team_id,
        or_(OptOut.phone.in_(phones), OptOut.number_hash.in_(list(hashes)))
        if hashes else OptOut.phone.in_(phones)))
    found: set[str] = set()
    for phone, hashed in rows:  # a row matched by its number, or else by the number's hash
        if phone in phones:
            found.add(phone)
        elif hashed is not None:
            found.add(hashes[hashed])
    return found


def opt_outs_of(s: Session, team_id: str, phones: list[str]) -> list[OptOut]:
    """The opt-out rows of these numbers (by number only: for an export or an erasure)."""
    if not phones:
        return []
    return list(s.scalars(select(OptOut).where(OptOut.team_id == team_id,
                                               OptOut.phone.in_(phones)).order_by(OptOut.id)))


def forget_numbers(s: Session, team_id: str, phones: list[str]) -> int:
    """An erased contact's opt-outs keep only the hash of the number; returns how many."""
    if not phones:
        return 0
    key = _created_key(s, team_id)
    count = 0
    for phone in phones:
        count += rows_changed(s.execute(
            update(OptOut).where(OptOut.team_id == team_id, OptOut.phone == phone)
            .values(phone=None, number_hash=number_hash(key, phone))))
    return count
