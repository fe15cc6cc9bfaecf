"""A report's periods as a supervisor reads them: local days, Monday weeks, calendar months,
with the clocks changing in between."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.desk.reports import Period
from bot.desk.reports.periods import UnknownPeriod, between, hour_starts, named_period

PARIS = "Europe/Paris"


def at(zone: str, *parts: int) -> datetime:
    return datetime(*parts, tzinfo=ZoneInfo(zone))


def test_today_starts_at_local_midnight_and_runs_until_now():
    now = at(PARIS, 2026, 12, 6, 0, 30)  # still the 5th in UTC
    period = named_period("today", PARIS, now)
    assert period.start == datetime(2026, 12, 5, 23, 0, tzinfo=UTC)
    assert period.end == now and period.label == "Today" and period.time_zone == PARIS


def test_yesterday_is_the_whole_local_day():
    period = named_period("yesterday", "America/New_York", at("America/New_York", 2026, 12, 6, 9))
    assert period.start == datetime(2026, 12, 5, 5, 0, tzinfo=UTC)
    assert period.end == datetime(2026, 12, 6, 5, 0, tzinfo=UTC)
    assert period.label == "Yesterday, 5 Dec"


def test_the_week_starts_on_monday_and_the_month_on_the_first():
    sunday = at(PARIS, 2026, 12, 6, 15)
    week = named_period("week", PARIS, sunday)
    assert week.start.astimezone(ZoneInfo(PARIS)) == at(PARIS, 2026, 11, 30)
    assert week.label == "Week of 30 Nov" and week.end == sunday
    month = named_period("month", PARIS, sunday)
    assert month.start.astimezone(ZoneInfo(PARIS)) == at(PARIS, 2026, 12, 1)
    assert month.label == "December 2026"
    # On Monday the week is Monday so far; on the 1st the month is the 1st so far.
    monday = at(PARIS, 2026, 11, 30, 8)
    assert named_period("week", PARIS, monday).start == \
        named_period("today", PARIS, monday).start
    assert named_period("month", PARIS, at(PARIS, 2026, 12, 1, 8)).start == \
        named_period("today", PARIS, at(PARIS, 2026, 12, 1, 8)).start


def test_yesterday_across_a_month_and_year_boundary():
    period = named_period("yesterday", PARIS, at(PARIS, 2027, 1, 1, 10))
    assert period.start.astimezone(ZoneInfo(PARIS)) == at(PARIS, 2026, 12, 31)
    assert period.end.astimezone(ZoneInfo(PARIS)) == at(PARIS, 2027, 1, 1)


def test_the_day_the_clocks_go_forward_has_23_hours_and_back_25():
    spring = between(date(2026, 3, 29), date(2026, 3, 29), PARIS)
    assert spring.end - spring.start == timedelta(hours=23)
    hours = [h.strftime("%H") for h in hour_starts(spring)]
    assert len(hours) == 23 and "02" not in hours
    autumn = between(date(2026, 10, 25), date(2026, 10, 25), PARIS)
    assert autumn.end - autumn.start == timedelta(hours=25)
    hours = [h.strftime("%H") for h in hour_starts(autumn)]
    assert len(hours) == 25 and hours.count("02") == 2
    # "Yesterday" on the Monday after is that 25-hour Sunday.
    assert named_period("yesterday", PARIS, at(PARIS, 2026, 10, 26, 9)) == \
        Period(autumn.start, autumn.end, "Yesterday, 25 Oct", PARIS)


def test_a_zone_whose_clocks_jump_at_midnight_starts_the_day_when_they_jump():
    # Chile moved its clocks from 00:00 to 01:00 on 6 Sep 2026: there was no midnight.
    period = between(date(2026, 9, 6), date(2026, 9, 6), "America/Santiago")
    assert period.end - period.start == timedelta(hours=23)
    first = next(hour_starts(period))
    assert first.hour == 1 and first.date() == date(2026, 9, 6)


def test_a_zone_half_an_hour_off_utc_keeps_local_hours():
    period = between(date(2026, 12, 1), date(2026, 12, 1), "Asia/Kolkata")
    assert period.start == datetime(2026, 11, 30, 18, 30, tzinfo=UTC)
    assert [h.hour for h in hour_starts(period)] == list(range(24))


def test_from_and_to_are_whole_days_both_included():
    november = between(date(2026, 11, 1), date(2026, 11, 30), "UTC")
    assert november.start == datetime(2026, 11, 1, tzinfo=UTC)
    assert november.end == datetime(2026, 12, 1, tzinfo=UTC)
    assert november.label == "1 Nov 2026 to 30 Nov 2026"
    with pytest.raises(UnknownPeriod):
        between(date(2026, 11, 2), date(2026, 11, 1), "UTC")
    with pytest.raises(UnknownPeriod):
        named_period("fortnight", "UTC", datetime.now(UTC))
