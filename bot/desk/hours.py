"""A queue's business hours: when it is open, when it opens next, and how much of a wait fell
inside opening hours.

Opening hours are written in the queue's own time zone as wall-clock ranges per weekday
("09:00-17:00"; a range may run past midnight into the next day, "22:00-06:00"), with
holidays (dates in that zone, closed all day). Every instant the desk handles is UTC; each
local day's ranges are turned into UTC intervals with zoneinfo, so a DST change moves the
opening hours with the wall clock (a 09:00 opening stays 09:00 local; the night the clocks
go back is an hour longer).

Pure: no database, no Slack. Routing, the after-hours reply and the waiting alert ask it;
reports split a wait into its in-hours and out-of-hours parts with `open_seconds_between`.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # date.weekday() order
DAY_MINUTES = 24 * 60

# (start, end) minutes after the local day's midnight; end > start, and end may pass 1440
# for a range running past midnight into the next day.
Range = tuple[int, int]


@dataclass(frozen=True)
class OpeningHours:
    time_zone: str  # an IANA name, e.g. "America/New_York"
    week: tuple[tuple[Range, ...], ...]  # seven days, Monday first
    holidays: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        if len(self.week) != 7:
            raise ValueError("opening hours need seven days, Monday first")
        ZoneInfo(self.time_zone)  # an unknown zone fails here, not at the first text

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def local(self, at: datetime) -> datetime:
        return at.astimezone(self.zone)

    # --- the questions the desk asks ---------------------------------------------------

    def is_open(self, at: datetime) -> bool:
        day = self.local(at).date()
        return any(start <= at < end for start, end in self._spans(day - timedelta(days=1),
                                                                    day + timedelta(days=1)))

    def next_opening(self, at: datetime) -> datetime:
        """`at` itself when open; else when the queue next opens."""
        for start, end in self._forward(at):
            if end > at:
                return max(start, at)
        raise AssertionError("opening hours that never open")  # refused by the settings

    def closes_at(self, at: datetime) -> datetime | None:
        """When an open queue next closes (None: it is closed at `at`)."""
        for start, end in self._forward(at):
            if end > at:
                return end if start <= at else None
        return None

    def closed_since(self, at: datetime) -> datetime | None:
        """When the closed period `at` falls in began (None: open at `at`). Bounded: a
        queue closed for longer than its holidays allow counts from that bound."""
        if self.is_open(at):
            return None
        day = self.local(at).date()
        for back in range(self._horizon_days()):
            ends = [end for _start, end in self._day(day - timedelta(days=back)) if end <= at]
            if ends:
                return max(ends)
        return at - timedelta(days=self._horizon_days())

    def open_seconds_between(self, start: datetime, end: datetime) -> float:
        """Seconds of [start, end) inside opening hours (0 when end <= start)."""
        if end <= start:
            return 0.0
        first = self.local(start).date() - timedelta(days=1)
        last = self.local(end).date()
        total = 0.0
        for span_start, span_end in self._spans(first, last):
            overlap = (min(end, span_end) - max(start, span_start)).total_seconds()
            if overlap > 0:
                total += overlap
        return total

    def after_open_seconds(self, start: datetime, seconds: float) -> datetime:
        """The instant by which `seconds` of opening hours have passed since `start` (a
        timer that counts only while the queue is open, such as the waiting alert)."""
        left = max(0.0, seconds)
        for span_start, span_end in self._forward(start):
            begin = max(span_start, start)
            if span_end <= begin:
                continue
            room = (span_end - begin).total_seconds()
            if left <= room:
                return begin + timedelta(seconds=left)
            left -= room
        raise AssertionError("opening hours that never open")

    # --- the intervals -----------------------------------------------------------------

    def _horizon_days(self) -> int:
        # Every week has an open day unless holidays fill it: past this many days from any
        # date there is an opening.
        return 7 * (len(self.holidays) + 1) + 2

    def _forward(self, at: datetime) -> Iterator[tuple[datetime, datetime]]:
        """UTC intervals (merged where they touch) from the day before `at`'s onward."""
        day = self.local(at).date() - timedelta(days=1)
        pending: tuple[datetime, datetime] | None = None
        for offset in range(self._horizon_days()):
            for start, end in self._day(day + timedelta(days=offset)):
                if pending is not None and start <= pending[1]:
                    pending = (pending[0], max(pending[1], end))
                    continue
                if pending is not None:
                    yield pending
                pending = (start, end)
        if pending is not None:
            yield pending

    def _spans(self, first: date, last: date) -> list[tuple[datetime, datetime]]:
        found: list[tuple[datetime, datetime]] = []
        day = first
        while day <= last:
            found += self._day(day)
            day += timedelta(days=1)
        return found

    def _day(self, day: date) -> tuple[tuple[datetime, datetime], ...]:
        return _day_spans(self, day)

    def local_ranges(self, day: date) -> list[Range]:
        """The minutes of the local `day` the queue is open, ranges clipped to that day:
        its own ranges, and the part past midnight of the day before's."""
        if day in self.holidays:
            return []
        ranges = [(start, min(end, DAY_MINUTES)) for start, end in self.week[day.weekday()]]
        previous = self.week[(day - timedelta(days=1)).weekday()]
        ranges += [(0, end - DAY_MINUTES) for _start, end in previous if end > DAY_MINUTES]
        return sorted(ranges)


@functools.lru_cache(maxsize=4096)
def _day_spans(hours: OpeningHours, day: date) -> tuple[tuple[datetime, datetime], ...]:
    """One local day's open ranges as UTC intervals. Cached: reports ask for the same days
    of a queue for every interaction in a period."""
    zone = hours.zone
    spans = []
    for start, end in hours.local_ranges(day):
        begin, finish = _instant(day, start, zone), _instant(day, end, zone)
        if finish > begin:  # a range inside a spring-forward gap has no instants
            spans.append((begin, finish))
    return tuple(spans)


def _instant(day: date, minute: int, zone: ZoneInfo) -> datetime:
    """The UTC instant of a local wall-clock minute (1440: the next midnight). A time the
    clocks skip or repeat resolves as zoneinfo's fold=0 does: the earlier offset."""
    if minute >= DAY_MINUTES:
        day, minute = day + timedelta(days=1), minute - DAY_MINUTES
    hour, rest = divmod(minute, 60)
    return datetime(day.year, day.month, day.day, hour, rest, tzinfo=zone).astimezone(UTC)


# --- reading what an admin wrote ------------------------------------------------------

class HoursError(ValueError):
    """What is wrong with a piece of opening hours, in words for the settings' error."""


CLOSED = "closed"
RANGE_EXAMPLE = ('write "09:00-17:00" (24-hour clock), several as "09:00-12:00, 13:00-17:00", '
                 'a range past midnight as "22:00-06:00", or "closed"')


def parse_day(value: object) -> tuple[Range, ...]:
    """One day's opening hours as written: "09:00-17:00", "09:00-12:00, 13:00-17:00",
    a list of such ranges, or "closed"."""
    if isinstance(value, str):
        parts = value.split(",")
    elif isinstance(value, list) and all(isinstance(item, str) for item in value):
        parts = list(value)
    else:
        raise HoursError(f"must be text in quotes: {RANGE_EXAMPLE}")
    texts = [part.strip() for part in parts if part.strip()]
    if [t.lower() for t in texts] == [CLOSED]:
        return ()
    if not texts:
        raise HoursError(f'is empty: {RANGE_EXAMPLE}')
    return tuple(sorted(parse_range(text) for text in texts))


def parse_range(text: str) -> Range:
    start_text, dash, end_text = text.replace("–", "-").partition("-")
    if not dash:
        raise HoursError(f'"{text}" is not a range of times: {RANGE_EXAMPLE}')
    start, end = _minute(start_text, text), _minute(end_text, text)
    if start >= DAY_MINUTES:
        raise HoursError(f'"{text}" starts at 24:00: start the range at 00:00 of the next day')
    if end == start:
        raise HoursError(f'"{text}" opens and closes at the same time: for a whole day write '
                         '"00:00-24:00"')
    if end < start:  # past midnight, into the next day
        end += DAY_MINUTES
    return start, end


def _minute(text: str, whole: str) -> int:
    hour_text, colon, minute_text = text.strip().partition(":")
    if not (colon and hour_text.isdigit() and minute_text.isdigit() and len(minute_text) == 2
            and len(hour_text) <= 2):
        raise HoursError(f'"{whole}" is not a range of times: {RANGE_EXAMPLE}')
    hour, minute = int(hour_text), int(minute_text)
    if minute > 59 or hour > 24 or (hour == 24 and minute):
        raise HoursError(f'"{whole}": {text.strip()} is not a time of day (00:00 to 24:00)')
    return hour * 60 + minute


def zone_name(value: object) -> str:
    from zoneinfo import ZoneInfoNotFoundError

    hint = 'an IANA time zone name such as "America/New_York", "Europe/London" or "UTC"'
    if not isinstance(value, str) or not value.strip():
        raise HoursError(f"must be {hint}")
    try:
        ZoneInfo(value.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise HoursError(f'"{value}" is not a time zone: use {hint}') from None
    return value.strip()


def holiday_date(value: object) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value  # TOML's own date, written unquoted: 2026-12-25
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise HoursError(f'{_shown(value)} is not a date: write it as "2026-12-25" (year-month-day)')


def _shown(value: object) -> str:
    return f'"{value}"' if isinstance(value, str) else repr(value)


def describe(hours: OpeningHours) -> str:
    """'Mon–Fri 09:00–17:00, Sat 10:00–14:00 (America/New_York)', for summaries."""
    def written(ranges: tuple[Range, ...]) -> str:
        return " and ".join(f"{_clock(s)}–{_clock(e % DAY_MINUTES if e > DAY_MINUTES else e)}"
                            for s, e in ranges) or "closed"

    groups: list[tuple[int, int, str]] = []
    for index, ranges in enumerate(hours.week):
        text = written(ranges)
        if groups and groups[-1][2] == text and groups[-1][1] == index - 1:
            groups[-1] = (groups[-1][0], index, text)
        else:
            groups.append((index, index, text))
    parts = [f"{DAYS[a].title()}{'' if a == b else '–' + DAYS[b].title()} {text}"
             for a, b, text in groups if text != "closed"]
    return f"{', '.join(parts)} ({hours.time_zone})"


def _clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"
