"""Delivery reports kept until their send is recorded (the report can overtake the answer to
the send request), taken by the provider's message id, and forgotten after a while.

The report's transaction and the one that records the send's id each hold the id's lock
(`one_report_at_a_time`) before they look: otherwise, on PostgreSQL, the report could find no
message and the send no report, both committing in between, and the report would be lost.
SQLite already writes one transaction at a time."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session

from storage.db import Database, rows_changed
from storage.models import UnmatchedDeliveryReport


def one_report_at_a_time(session: Session, provider: str, provider_sid: str) -> None:
    """Until this transaction ends, no other one looks for or keeps a report of this
    message through here."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"),
                        {"key": f"delivery-report:{provider}:{provider_sid}"})


def keep(session: Session, provider: str, provider_sid: str, status: str,
         error_code: str | None) -> None:
    session.add(UnmatchedDeliveryReport(
        provider=provider, provider_sid=provider_sid, status=status,
        error_code=error_code[:32] if error_code else None))


def take(session: Session, provider: str, provider_sid: str,
         since: datetime) -> list[UnmatchedDeliveryReport]:
    """The message's reports received since `since`, in the order they came; every report
    of it is deleted (older ones too: they are too old to trust)."""
    where = (UnmatchedDeliveryReport.provider == provider,
             UnmatchedDeliveryReport.provider_sid == provider_sid)
    reports = list(session.scalars(select(UnmatchedDeliveryReport).where(*where)
                                   .order_by(UnmatchedDeliveryReport.id)))
    if reports:
        session.execute(delete(UnmatchedDeliveryReport).where(*where)
                        .execution_options(synchronize_session=False))
    return [report for report in reports if report.received_at >= since]


def forget_received_before(db: Database, before: datetime) -> int:
    """Delete the reports no send claimed in time; returns how many."""
    with db.transaction() as session:
        return rows_changed(session.execute(
            delete(UnmatchedDeliveryReport)
            .where(UnmatchedDeliveryReport.received_at < before)
            .execution_options(synchronize_session=False)))
