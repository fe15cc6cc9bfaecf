"""Business hours (bot/desk/hours.py): open or closed at an instant, the next opening, and the
seconds of a wait inside opening hours, in the queue's own time zone, across DST changes,
holidays and ranges past midnight."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.desk.hours import (
    HoursError,
    OpeningHours,
    describe,
    holiday_date,
    parse_day,
    parse_range,
    zone_name,
)

NEW_YORK = ZoneInfo("America/New_York")
NINE_TO_FIVE = ((9 * 60, 17 * 60),)


def office(holidays=(), *, saturday=(), zone="America/New_York") -> OpeningHours:
    """Mon–Fri 09:00–17:00, closed at the weekend unless `saturday` says otherwise."""
    return OpeningHours(zone, (NINE_TO_FIVE,) * 5 + (saturday, ()),
                        frozenset(holidays))


def ny(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=NEW_YORK).astimezone(UTC)


def test_open_on_a_weekday_in_its_own_time_zone_not_the_servers():
    hours = office()
    # Monday 7 December 2026: 09:00 in New York is 14:00 UTC.
    assert not hours.is_open(datetime(2026, 12, 7, 13, 59, tzinfo=UTC))
    assert hours.is_open(datetime(2026, 12, 7, 14, 0, tzinfo=UTC))
    assert hours.is_open(ny(2026, 12, 7, 16, 59))
    assert not hours.is_open(ny(2026, 12, 7, 17, 0))  # closing time is closed
    # 23:30 UTC on Monday is 18:30 in New York: closed, though it is "afternoon" in London.
    assert not hours.is_open(datetime(2026, 12, 7, 23, 30, tzinfo=UTC))


def test_the_next_opening_after_an_evening_a_weekend_and_while_open():
    hours = office()
    evening = ny(2026, 12, 7, 18, 30)  # Monday
    assert hours.next_opening(evening) == ny(2026, 12, 8, 9, 0)
    friday_night = ny(2026, 12, 11, 20, 0)
    assert hours.next_opening(friday_night) == ny(2026, 12, 14, 9, 0)  # Monday
    during = ny(2026, 12, 8, 10, 0)
    assert hours.next_opening(during) == during
    assert hours.closes_at(during) == ny(2026, 12, 8, 17, 0)
    assert hours.closes_at(evening) is None
    assert hours.closed_since(evening) == ny(2026, 12, 7, 17, 0)
    assert hours.closed_since(during) is None
    assert hours.closed_since(ny(2026, 12, 14, 8, 0)) == ny(2026, 12, 11, 17, 0)


def test_a_holiday_is_closed_all_day_and_the_next_opening_skips_it():
    christmas = date(2026, 12, 25)  # a Friday
    hours = office({christmas})
    assert not hours.is_open(ny(2026, 12, 25, 11, 0))
    assert hours.next_opening(ny(2026, 12, 24, 18, 0)) == ny(2026, 12, 28, 9, 0)
    assert hours.open_seconds_between(ny(2026, 12, 24, 16, 0), ny(2026, 12, 28, 10, 0)) \
        == 2 * 3600  # 16:00–17:00 on the 24th, 09:00–10:00 on the 28th
    assert hours.closed_since(ny(2026, 12, 25, 12, 0)) == ny(2026, 12, 24, 17, 0)


def test_the_holiday_is_the_queues_local_date_not_the_utc_date():
    hours = office({date(2026, 12, 25)})
    # 02:00 UTC on the 25th is still the 24th, 21:00, in New York: closed by the clock, but
    # its next opening is the 28th, not the 25th.
    at = datetime(2026, 12, 25, 2, 0, tzinfo=UTC)
    assert hours.next_opening(at) == ny(2026, 12, 28, 9, 0)
    # Tokyo is already on the 25th at 16:00 UTC on the 24th: closed there all day.
    tokyo = office({date(2026, 12, 25)}, zone="Asia/Tokyo")
    assert not tokyo.is_open(datetime(2026, 12, 25, 1, 0, tzinfo=UTC))  # 10:00 in Tokyo
    assert tokyo.is_open(datetime(2026, 12, 24, 1, 0, tzinfo=UTC))  # 10:00 on the 24th


def test_opening_hours_follow_the_wall_clock_across_the_dst_changes():
    hours = office()
    # Friday 30 October 2026 (EDT, UTC-4) and Monday 2 November (EST, UTC-5): the clocks
    # went back on Sunday 1 November. 09:00 is 13:00 UTC before and 14:00 UTC after.
    assert hours.is_open(datetime(2026, 10, 30, 13, 0, tzinfo=UTC))
    assert not hours.is_open(datetime(2026, 11, 2, 13, 30, tzinfo=UTC))
    assert hours.next_opening(datetime(2026, 10, 30, 22, 0, tzinfo=UTC)) \
        == datetime(2026, 11, 2, 14, 0, tzinfo=UTC)
    # A whole-day queue is open 25 hours the day the clocks go back, 23 when they go forward.
    always = OpeningHours("America/New_York", (((0, 24 * 60),),) * 7)
    assert always.open_seconds_between(ny(2026, 11, 1, 0, 0), ny(2026, 11, 2, 0, 0)) \
        == 25 * 3600
    assert always.open_seconds_between(ny(2026, 3, 8, 0, 0), ny(2026, 3, 9, 0, 0)) \
        == 23 * 3600


def test_a_night_shift_past_midnight_runs_into_the_next_day_but_not_into_a_holiday():
    night = parse_range("22:00-06:00")
    hours = OpeningHours("Europe/London", ((night,),) * 5 + ((), ()),
                         frozenset({date(2026, 12, 25)}))
    london = ZoneInfo("Europe/London")
    assert hours.is_open(datetime(2026, 12, 8, 3, 0, tzinfo=london))  # Monday's shift
    assert hours.is_open(datetime(2026, 12, 12, 5, 59, tzinfo=london))  # Friday's, on Sat
    assert not hours.is_open(datetime(2026, 12, 12, 6, 0, tzinfo=london))
    assert not hours.is_open(datetime(2026, 12, 7, 3, 0, tzinfo=london))  # Sunday's: none
    # Thursday 24th's shift stops at midnight: the 25th is a holiday.
    assert hours.is_open(datetime(2026, 12, 24, 23, 30, tzinfo=london))
    assert not hours.is_open(datetime(2026, 12, 25, 1, 0, tzinfo=london))
    # Open without a break from 22:00 to 06:00: it closes at 06:00, not at midnight.
    assert hours.closes_at(datetime(2026, 12, 8, 23, 0, tzinfo=london)) \
        == datetime(2026, 12, 9, 6, 0, tzinfo=london)


def test_seconds_of_a_wait_inside_opening_hours():
    hours = office()
    # A text at 16:30 on Monday answered at 09:15 on Tuesday waited 16 h 45 min, of which
    # 30 + 15 minutes inside opening hours.
    assert hours.open_seconds_between(ny(2026, 12, 7, 16, 30), ny(2026, 12, 8, 9, 15)) \
        == 45 * 60
    assert hours.open_seconds_between(ny(2026, 12, 8, 10, 0), ny(2026, 12, 8, 10, 5)) == 300
    assert hours.open_seconds_between(ny(2026, 12, 8, 10, 5), ny(2026, 12, 8, 10, 0)) == 0
    # A whole week: five days of eight hours.
    assert hours.open_seconds_between(ny(2026, 12, 7), ny(2026, 12, 14)) == 5 * 8 * 3600


def test_a_timer_counting_only_opening_hours():
    hours = office()
    # Two minutes of waiting, starting at 16:59 on Friday: one before closing, one Monday.
    assert hours.after_open_seconds(ny(2026, 12, 11, 16, 59), 120) == ny(2026, 12, 14, 9, 1)
    assert hours.after_open_seconds(ny(2026, 12, 12, 3, 0), 120) == ny(2026, 12, 14, 9, 2)
    assert hours.after_open_seconds(ny(2026, 12, 8, 10, 0), 120) == ny(2026, 12, 8, 10, 2)


def test_what_an_admin_writes_is_read_or_refused_with_the_reason():
    assert parse_day("09:00-17:00") == ((540, 1020),)
    assert parse_day("13:00-17:00, 9:00-12:00") == ((540, 720), (780, 1020))
    assert parse_day(["09:00-12:00", "13:00-17:00"]) == ((540, 720), (780, 1020))
    assert parse_day("Closed") == ()
    assert parse_day("00:00-24:00") == ((0, 1440),)
    assert parse_range("22:00-02:00") == (1320, 1560)
    for wrong, says in (("9-5", "is not a range of times"), ("09:00-17:60", "not a time of day"),
                        ("09:00-09:00", "opens and closes at the same time"),
                        ("24:00-02:00", "starts at 24:00"), ("", "is empty")):
        with pytest.raises(HoursError, match=says):
            parse_day(wrong)
    with pytest.raises(HoursError, match="must be text in quotes"):
        parse_day(9)
    assert zone_name(" America/New_York ") == "America/New_York"
    with pytest.raises(HoursError, match='"Eastern" is not a time zone'):
        zone_name("Eastern")
    assert holiday_date("2026-12-25") == holiday_date(date(2026, 12, 25)) == date(2026, 12, 25)
    with pytest.raises(HoursError, match='"25/12/2026" is not a date'):
        holiday_date("25/12/2026")


def test_the_summary_reads_like_a_shop_door():
    assert describe(office(saturday=((600, 840),))) == \
        "Mon–Fri 09:00–17:00, Sat 10:00–14:00 (America/New_York)"


def test_a_long_run_of_holidays_still_finds_the_next_opening():
    days = frozenset(date(2027, 1, 1) + timedelta(days=n) for n in range(40))
    hours = office(days)
    assert hours.next_opening(ny(2026, 12, 31, 18, 0)) == ny(2027, 2, 10, 9, 0)


def test_a_queues_wait_splits_into_open_hours_and_the_rest():
    from bot.desk.queues import Queue

    start, end = ny(2026, 12, 7, 16, 30), ny(2026, 12, 8, 9, 15)
    assert Queue("Support", hours=office()).open_seconds_between(start, end) == 45 * 60
    # No hours: always open, so the whole wait counts.
    assert Queue("Support").open_seconds_between(start, end) == (end - start).total_seconds()
