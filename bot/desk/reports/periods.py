"""The periods a report covers, counted in the workspace's time zone.

A supervisor's "today" starts at midnight where the desk is, not in UTC, and a day is 23 or 25
hours long when the clocks change: every boundary is a local wall-clock time turned into UTC
by zoneinfo, never "start + 24 hours".

- today: from midnight today until now;
- yesterday: the whole of yesterday;
- week: this calendar week so far, from Monday at midnight until now;
- month: this calendar month so far, from the 1st at midnight until now.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.desk.reports import Period

PERIOD_NAMES = ("today", "yesterday", "week", "month")


class UnknownPeriod(ValueError):
    pass


def local_midnight(day: date, time_zone: str) -> datetime:
    """The instant (UTC) a local day begins. Where the clocks jump at midnight (a gap), the
    day begins when they jump: fold 0 reads the missing time with the offset before it."""
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(time_zone)).astimezone(UTC)


def named_period(name: str, time_zone: str, now: datetime) -> Period:
    """`now` is aware (any zone); the period ends at `now` except for yesterday."""
    if name not in PERIOD_NAMES:
        raise UnknownPeriod(f"{name!r} is not a period: use one of {', '.join(PERIOD_NAMES)}")
    zone = ZoneInfo(time_zone)
    today = now.astimezone(zone).date()
    now = now.astimezone(UTC)
    if name == "today":
        return Period(local_midnight(today, time_zone), now, "Today", time_zone)
    if name == "yesterday":
        yesterday = today - timedelta(days=1)
        return Period(local_midnight(yesterday, time_zone), local_midnight(today, time_zone),
                      f"Yesterday, {_day(yesterday)}", time_zone)
    if name == "week":
        monday = today - timedelta(days=today.weekday())
        return Period(local_midnight(monday, time_zone), now, f"Week of {_day(monday)}",
                      time_zone)
    first = today.replace(day=1)
    return Period(local_midnight(first, time_zone), now, first.strftime("%B %Y"), time_zone)


def between(from_date: date, to_date: date, time_zone: str) -> Period:
    """Whole local days, both ends included: --from 2026-11-01 --to 2026-11-30 is November."""
    if to_date < from_date:
        raise UnknownPeriod(f"the period ends ({to_date}) before it starts ({from_date})")
    label = (_day(from_date, year=True) if from_date == to_date
             else f"{_day(from_date, year=True)} to {_day(to_date, year=True)}")
    return Period(local_midnight(from_date, time_zone),
                  local_midnight(to_date + timedelta(days=1), time_zone), label, time_zone)


def hour_starts(period: Period) -> Iterator[datetime]:
    """The start of each hour of the period, in its zone: 23 on the day the clocks go
    forward, 25 (one local hour twice) on the day they go back. Zones half an hour off UTC
    keep local hours, since the period starts at a local midnight."""
    zone = ZoneInfo(period.time_zone)
    at = period.start
    while at < period.end:
        yield at.astimezone(zone)
        at += timedelta(hours=1)


def _day(day: date, year: bool = False) -> str:
    return f"{day.day} {day.strftime('%b')}" + (f" {day.year}" if year else "")
