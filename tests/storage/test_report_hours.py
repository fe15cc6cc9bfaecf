"""A report's hours are the workspace's: texts fall in the local hour they came in, on the
day the clocks go back (one hour twice) and in a zone 45 minutes off the hour."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import insert

from bot.config import Settings
from bot.desk.reports.build import build_report
from bot.desk.reports.periods import between
from storage.models import Contact, Interaction, Message

pytestmark = pytest.mark.postgres
TEAM = "T1REPORTS"


def _texts_at(db, *times: datetime, team: str = TEAM) -> None:
    with db.engine.begin() as connection:
        contact = connection.execute(insert(Contact).values(
            team_id=team, phone="+14155550100", attributes={},
            created_at=times[0])).inserted_primary_key[0]
        interaction = connection.execute(insert(Interaction).values(
            team_id=team, contact_id=contact, business_number="+15005550006",
            queue="SMS", state="queued", created_at=times[0], case_data={},
            spelling_ignored={})).inserted_primary_key[0]
        connection.execute(insert(Message), [
            {"team_id": team, "interaction_id": interaction, "direction": "inbound",
             "provider": "twilio", "provider_sid": f"SM{team}{n}", "from_number": "+14155550100",
             "to_number": "+15005550006", "delivery_state": "received", "created_at": at}
            for n, at in enumerate(times)])


def test_the_day_the_clocks_go_back_counts_each_of_its_25_hours(db):
    # Paris, 25 Oct 2026: 02:00-03:00 happens twice, first at +02:00 (00:xx UTC), then +01:00.
    _texts_at(db, datetime(2026, 10, 24, 22, 0, tzinfo=UTC),  # 00:00 local, the first
              datetime(2026, 10, 25, 0, 59, 59, tzinfo=UTC),  # 02:59:59, the first time
              datetime(2026, 10, 25, 1, 0, tzinfo=UTC),  # 02:00 again
              datetime(2026, 10, 25, 1, 30, tzinfo=UTC),
              datetime(2026, 10, 25, 22, 59, 59, tzinfo=UTC),  # 23:59:59, the last
              datetime(2026, 10, 25, 23, 0, tzinfo=UTC))  # the 26th: not this day
    period = between(date(2026, 10, 25), date(2026, 10, 25), "Europe/Paris")
    report = build_report(db, Settings(), TEAM, period)
    assert len(report.hours) == 25
    counted = [(h.start.strftime("%H:%M%z"), h.texts_in) for h in report.hours if h.texts_in]
    assert counted == [("00:00+0200", 1), ("02:00+0200", 1), ("02:00+0100", 2),
                       ("23:00+0100", 1)]
    assert report.total.texts_in == 5 and report.total.opened == 1


def test_a_zone_45_minutes_off_the_hour_keeps_its_own_hours(db):
    # Kathmandu is UTC+05:45: 10:00 there is 04:15 UTC.
    _texts_at(db, datetime(2026, 12, 1, 4, 14, tzinfo=UTC),  # 09:59 local
              datetime(2026, 12, 1, 4, 15, tzinfo=UTC),  # 10:00
              datetime(2026, 12, 1, 5, 14, 59, tzinfo=UTC))  # 10:59:59
    _texts_at(db, datetime(2026, 12, 1, 4, 20, tzinfo=UTC), team="T2OTHERS")
    report = build_report(db, Settings(), TEAM,
                          between(date(2026, 12, 1), date(2026, 12, 1), "Asia/Kathmandu"))
    assert [(h.start.hour, h.texts_in) for h in report.hours if h.texts_in] == \
        [(9, 1), (10, 2)]
