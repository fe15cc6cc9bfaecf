"""Opt-out: a number that texts STOP (or that the provider reports as opted out) is never
texted again from that business number until it texts START.

Carriers require this, and Twilio also enforces it on its side; keeping our own record lets
the desk refuse before sending and tell the agent why, instead of learning from a failure.
"""

from __future__ import annotations

import enum

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from storage.models import OptOut

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


def opt_out(s: Session, team_id: str, phone: str, business_number: str, source: str) -> None:
    insert = postgresql.insert if s.get_bind().dialect.name == "postgresql" else sqlite.insert
    s.execute(insert(OptOut).values(team_id=team_id, phone=phone,
                                    business_number=business_number, source=source[:32])
              .on_conflict_do_nothing(index_elements=["team_id", "phone", "business_number"]))


def opt_in(s: Session, team_id: str, phone: str, business_number: str) -> None:
    s.execute(delete(OptOut).where(OptOut.team_id == team_id, OptOut.phone == phone,
                                   OptOut.business_number == business_number))


def is_opted_out(s: Session, team_id: str, phone: str, business_number: str) -> bool:
    return s.scalar(select(OptOut.id).where(
        OptOut.team_id == team_id, OptOut.phone == phone,
        OptOut.business_number == business_number)) is not None


def opted_out_numbers(s: Session, team_id: str, phones: list[str]) -> set[str]:
    """Which of these numbers have opted out of at least one business number."""
    if not phones:
        return set()
    return set(s.scalars(select(OptOut.phone).where(OptOut.team_id == team_id,
                                                    OptOut.phone.in_(phones))))
