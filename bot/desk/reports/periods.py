"""STAND-IN (reportviews branch): the measures branch owns this module and its
`named_period`; this minimal one exists so /sms-report and the digest run and are tested
before it lands. The lead keeps the measures branch's version.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.desk.reports import Period

NAMES = ("today", "yesterday", "week", "month")


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone)


def named_period(name: str, time_zone: str, now: datetime) -> Period:
    """today, yesterday, week (this week from Monday) or month (this month), in
    `time_zone`'s days; [start, end) in UTC."""
    zone = ZoneInfo(time_zone)
    today = now.astimezone(zone).date()
    if name == "today":
        start, end, label = today, today + timedelta(days=1), "Today"
    elif name == "yesterday":
        start, end, label = today - timedelta(days=1), today, "Yesterday"
    elif name == "week":
        start = today - timedelta(days=today.weekday())
        end, label = start + timedelta(days=7), f"Week of {start:%d %b}"
    elif name == "month":
        start = today.replace(day=1)
        end = (start + timedelta(days=32)).replace(day=1)
        label = f"{start:%B %Y}"
    else:
        raise ValueError(f"no period named {name!r}: {', '.join(NAMES)}")
    return Period(_midnight(start, zone).astimezone(ZoneInfo("UTC")),
                  _midnight(end, zone).astimezone(ZoneInfo("UTC")), label, time_zone)
