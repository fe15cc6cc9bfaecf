"""Which opt-out rows are a number's: by the number, or by its keyed hash once the contact was
erased (why keyed and per workspace: bot/desk/directory/opt_outs.py). Here, not in bot/desk, because
storage's read models (an interaction's "opted out" marker) match the same way."""

from __future__ import annotations

import hashlib
import hmac

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from storage.models import OptOut, PrivacyKey


def workspace_key(s: Session, team_id: str) -> bytes | None:
    return s.scalar(select(PrivacyKey.key).where(PrivacyKey.team_id == team_id))


def number_hash(key: bytes, phone: str) -> str:
    return hmac.new(key, phone.encode(), hashlib.sha256).hexdigest()


def matches(s: Session, team_id: str, phone: str) -> ColumnElement[bool]:
    """A where-clause for the opt-out rows of this number in this workspace's key."""
    key = workspace_key(s, team_id)
    if key is None:  # nothing was ever erased in this workspace
        return OptOut.phone == phone
    return or_(OptOut.phone == phone, OptOut.number_hash == number_hash(key, phone))
