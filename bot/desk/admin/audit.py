"""The audit log: who changed what, when, with the value before and after.

General on purpose: settings changes write to it today; exports, erasures and contact
assignments can write to it too. `record` joins the caller's transaction, so a change and
its audit line commit together or not at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.clock import utcnow
from storage.db import Database
from storage.models import AuditEntry

PAGE_SIZE = 10


@dataclass(frozen=True)
class AuditLine:
    actor_user_id: str | None
    action: str
    subject: str | None
    old: Any
    new: Any
    at: datetime


@dataclass(frozen=True)
class AuditPage:
    lines: tuple[AuditLine, ...]
    page: int  # 0: the newest
    pages: int


def record(s: Session, team_id: str, actor_user_id: str | None, action: str,
           subject: str | None, *, old: Any, new: Any, **extra: Any) -> None:
    s.add(AuditEntry(team_id=team_id, actor_user_id=actor_user_id, action=action,
                     subject=subject, detail={"old": old, "new": new, **extra}, at=utcnow()))


def page(db: Database, team_id: str, number: int = 0, size: int = PAGE_SIZE) -> AuditPage:
    """One page of the log, newest first."""
    with db.transaction() as s:
        total = s.scalar(select(func.count()).select_from(AuditEntry)
                         .where(AuditEntry.team_id == team_id)) or 0
        pages = max(1, -(-total // size))
        number = min(max(number, 0), pages - 1)
        rows = s.scalars(select(AuditEntry).where(AuditEntry.team_id == team_id)
                         .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
                         .offset(number * size).limit(size))
        lines = tuple(AuditLine(row.actor_user_id, row.action, row.subject,
                                (row.detail or {}).get("old"), (row.detail or {}).get("new"),
                                row.at) for row in rows)
    return AuditPage(lines, number, pages)
