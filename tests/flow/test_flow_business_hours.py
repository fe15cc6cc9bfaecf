"""Business hours: a text outside its queue's opening hours waits, offered to nobody, until
opening time (or goes to the queue's after_hours_queue while that one is open); the customer
gets the after-hours reply once per closed period, never when opted out; supervisors see the
queue closed. Driven over HTTP as Twilio and Slack do, with the desk's clock moved to the
hours that matter in the queue's own time zone."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.config import Settings
from bot.desk.hours import OpeningHours, parse_day
from bot.desk.queues import Queue
from bot.desk.reports.build import build_report, interaction_rows
from bot.desk.reports.periods import between
from bot.slack import ids
from storage import clock
from storage.models import Message
from tests.harness import DESK_CHANNEL, action_value, line_text, start_desk

A, B, SUP = "UAGENT1", "UAGENT2", "USUP"
SUP_CHANNEL = "CSUP"
CUSTOMER = "+14155550100"
NEW_YORK = ZoneInfo("America/New_York")
AFTER_HOURS = "Thanks for your text! We are closed now and will answer from 9am."
MON, TUE, WED = 0, 1, 2


@pytest.fixture(autouse=True)
def clock_put_back():
    yield
    clock.reset()


def office(holidays: tuple[str, ...] = ()) -> OpeningHours:
    """Mon–Fri 09:00–17:00 in New York."""
    week = (parse_day("09:00-17:00"),) * 5 + ((), ())
    return OpeningHours("America/New_York", week,
                        frozenset(datetime.fromisoformat(d).date() for d in holidays))


def next_local(weekday: int, hour: int, minute: int = 0, second: int = 0, *,
               after: datetime | None = None, zone: ZoneInfo = NEW_YORK) -> datetime:
    """The next such weekday and time in `zone`, at least a day from now (the clock only
    moves forward)."""
    day = ((after or clock.utcnow()) + timedelta(days=1)).astimezone(zone).date()
    while day.weekday() != weekday:
        day += timedelta(days=1)
    return datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=zone)


def travel_to(desk, at: datetime) -> None:
    """Set the desk's clock to `at` and let the worker run what fell due."""
    clock.travel(at - clock.utcnow())
    desk.runtime.worker.wake()
    desk.wait_idle()


def support_desk(database_url: str, *queues: Queue, **settings) -> object:
    desk = start_desk(database_url, agents=(A, B, SUP), settings=Settings(
        desk_channel=DESK_CHANNEL, supervisors=(SUP,), queues=queues, **settings))
    desk.slack.add_channel(SUP_CHANNEL, "sms-supervisors")
    return desk


def support(**options) -> Queue:
    values = dict(name="Support", members=(A,), supervisor_channel=SUP_CHANNEL,
                  hours=office(), after_hours_reply=AFTER_HOURS)
    values.update(options)
    return Queue(**values)


def texted(desk) -> list[tuple[str, str]]:
    return [(sms.to, sms.body) for sms in desk.twilio.sent]


def alerts(desk) -> list[dict]:
    return [m for m in desk.slack.messages(SUP_CHANNEL) if "has waited" in m["text"]]


@pytest.mark.postgres
def test_a_text_after_closing_gets_the_reply_once_and_is_offered_at_opening_time(
        database_url):
    # The offer stays open past the waiting alert, whose timing this shows too.
    desk = support_desk(database_url, support(), offer_timeout_seconds=600)
    try:
        desk.slash(A, ids.COMMAND_READY)
        evening = next_local(MON, 18, 30)  # 23:30 UTC
        travel_to(desk, evening)
        desk.customer_texts(CUSTOMER, "Is my order shipped?")
        desk.wait_idle()
        desk.twilio.wait_for(lambda t: t.sent, 5, "no after-hours reply")
        assert texted(desk) == [(CUSTOMER, AFTER_HOURS)]
        assert desk.previews_for(A) == []  # Ready, but the queue is closed

        report = desk.slash(SUP, ids.COMMAND_QUEUE).json()
        assert "Closed: opens Tue" in json.dumps(report["blocks"])
        assert "09:00 America/New_York" in report["text"]

        travel_to(desk, evening + timedelta(hours=2))  # the same night
        desk.customer_texts(CUSTOMER, "Hello?")
        desk.wait_idle()
        assert texted(desk) == [(CUSTOMER, AFTER_HOURS)]  # once per closed period

        morning = next_local(TUE, 9, 0, after=evening - timedelta(days=1))
        travel_to(desk, morning - timedelta(minutes=1))
        assert desk.previews_for(A) == [] and alerts(desk) == []  # nobody told overnight

        travel_to(desk, morning)
        preview = desk.wait_for_preview(A)
        assert "Is my order shipped?" in json.dumps(preview["blocks"])
        # The waiting alert counts from opening time: two minutes after 09:00, not 17:00.
        assert alerts(desk) == []
        travel_to(desk, morning + timedelta(seconds=121))
        desk.slack.wait_for(lambda s: alerts(desk), 5, "no waiting alert after opening")

        desk.click(A, ids.ACCEPT_OFFER, action_value(preview, ids.ACCEPT_OFFER))
        card = desk.slack.wait_for(lambda s: desk.cards() and desk.cards()[-1], 5, "no card")
        desk.slack.wait_for(lambda s: any("after-hours reply" in line_text(m) for m in
                                          s.thread(DESK_CHANNEL, card["ts"])),
                            5, "the thread does not show the after-hours reply")
        assert len(texted(desk)) == 1

        # Reports split the wait by the queue's hours: the night apart from the two minutes
        # the queue was open before Accept.
        period = between(evening.date(), morning.date(), "America/New_York")
        [row] = interaction_rows(desk.db, desk.runtime.services.all_settings, desk.team_id,
                                 period)
        overnight = (morning - evening).total_seconds()  # 18:30 to 09:00: 14 h 30 min
        assert row.wait_out_of_hours_seconds == pytest.approx(overnight, abs=1)
        assert row.wait_in_hours_seconds == pytest.approx(121, abs=5)
        report = build_report(desk.db, desk.runtime.services.all_settings, desk.team_id,
                              period)
        assert report.total.wait_out_of_hours_avg_seconds == pytest.approx(overnight, abs=1)
        assert report.total.wait_in_hours_avg_seconds == pytest.approx(121, abs=5)
    finally:
        desk.close()


@pytest.mark.postgres
def test_a_holiday_keeps_the_queue_closed_all_day_in_its_own_time_zone(database_url):
    # 20:30 on Monday in New York is already Tuesday in UTC: the holiday is New York's
    # Tuesday, which begins only at 05:00 UTC.
    evening = next_local(MON, 20, 30)
    holiday = next_local(TUE, 0, 0, after=evening - timedelta(days=1))
    assert evening.astimezone(ZoneInfo("UTC")).date() == holiday.date()
    desk = support_desk(database_url, support(hours=office((holiday.date().isoformat(),))))
    try:
        desk.slash(A, ids.COMMAND_READY)
        travel_to(desk, evening)
        desk.customer_texts(CUSTOMER, "Can I return this?")
        desk.twilio.wait_for(lambda t: t.sent, 5, "no after-hours reply")

        travel_to(desk, holiday.replace(hour=9))
        assert desk.previews_for(A) == []
        report = desk.slash(SUP, ids.COMMAND_QUEUE).json()
        assert "Closed: opens Wed" in report["text"]

        travel_to(desk, holiday.replace(hour=12))  # still the same closed period
        desk.customer_texts(CUSTOMER, "Anyone?")
        desk.wait_idle()
        assert texted(desk) == [(CUSTOMER, AFTER_HOURS)]
        assert desk.previews_for(A) == [] and alerts(desk) == []

        travel_to(desk, holiday.replace(hour=9) + timedelta(days=1))
        preview = desk.wait_for_preview(A)
        assert "Can I return this?" in json.dumps(preview["blocks"])
    finally:
        desk.close()


@pytest.mark.postgres
def test_after_hours_queue_takes_the_text_while_it_is_open(database_url):
    overnight = Queue(name="Overnight", members=(B,))  # no hours: always open
    desk = support_desk(database_url, support(after_hours_queue="Overnight"), overnight)
    try:
        desk.slash(A, ids.COMMAND_READY)
        desk.slash(B, ids.COMMAND_READY)
        travel_to(desk, next_local(WED, 22, 0))
        desk.customer_texts(CUSTOMER, "My card was charged twice")
        preview = desk.wait_for_preview(B)
        assert "My card was charged twice" in json.dumps(preview["blocks"])
        assert desk.previews_for(A) == []
        assert texted(desk) == []  # someone is there to answer: no "we are closed"

        desk.click(B, ids.ACCEPT_OFFER, action_value(preview, ids.ACCEPT_OFFER))
        card = desk.slack.wait_for(lambda s: desk.cards() and desk.cards()[-1], 5, "no card")
        desk.slack.wait_for(lambda s: any(
            "Queue Support was closed when this arrived: it went to queue Overnight"
            in line_text(m) for m in s.thread(DESK_CHANNEL, card["ts"])),
            5, "the thread does not say why it came to Overnight")
    finally:
        desk.close()


@pytest.mark.postgres
def test_an_opted_out_number_gets_no_after_hours_reply(database_url):
    desk = support_desk(database_url, support())
    try:
        travel_to(desk, next_local(TUE, 19, 0))
        desk.customer_texts(CUSTOMER, "STOP")
        desk.wait_idle()
        desk.customer_texts(CUSTOMER, "actually, where is my parcel?")
        desk.wait_idle()
        assert texted(desk) == []
        with desk.db.transaction() as s:  # not even a reply refused at send time
            assert s.scalars(select(Message).where(Message.direction == "outbound")).all() == []
    finally:
        desk.close()


def test_the_opening_timer_survives_a_restart(tmp_path):
    url = f"sqlite:///{tmp_path / 'desk.sqlite3'}"
    desk = support_desk(url, support(after_hours_reply=None))
    evening = next_local(MON, 18, 30)
    try:
        desk.slash(A, ids.COMMAND_READY)
        travel_to(desk, evening)
        desk.customer_texts(CUSTOMER, "Is my order shipped?")
        desk.wait_idle()
        assert texted(desk) == [] and desk.previews_for(A) == []
    finally:
        desk.close()
    desk = support_desk(url, support(after_hours_reply=None))
    try:
        travel_to(desk, next_local(TUE, 9, 0, after=evening - timedelta(days=1)))
        assert "Is my order shipped?" in json.dumps(desk.wait_for_preview(A)["blocks"])
    finally:
        desk.close()


def test_a_text_let_run_out_at_closing_time_waits_for_the_morning(tmp_path):
    desk = support_desk(f"sqlite:///{tmp_path / 'desk.sqlite3'}", support())
    try:
        desk.slash(A, ids.COMMAND_READY)
        before_closing = next_local(TUE, 16, 59, 30)
        travel_to(desk, before_closing)
        desk.customer_texts(CUSTOMER, "Quick question")
        desk.wait_for_preview(A)
        assert texted(desk) == []  # open: no after-hours reply

        # The offer runs out at 17:00:30, after closing: back in the queue, offered to
        # nobody all night, though A is Ready and the back-off ends at 17:01.
        travel_to(desk, before_closing + timedelta(minutes=5))
        travel_to(desk, before_closing + timedelta(hours=15))  # 07:59:30
        assert len(desk.previews_for(A)) == 1
        assert alerts(desk) == []

        travel_to(desk, next_local(WED, 9, 0, after=before_closing - timedelta(days=1)))
        desk.wait_for_preview(A, count=2)
    finally:
        desk.close()
