"""What a supervisor reads: the /sms-report modal and the digest's words, built from Report
values; what /sms-report understands; when the digest is due, in the report's time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from bot.config import Settings
from bot.desk.queues import Queue
from bot.desk.reports import HourBucket, Measures, Period, Report, digest
from bot.desk.reports.requests import NotUnderstood, ReportRequest, parse
from bot.slack import ids
from bot.slack.views import reports as views

START = datetime(2026, 12, 5, 5, tzinfo=UTC)
ANN = Measures(texts_in=12, texts_out=10, accepted=6, answered_within_target=5,
               wait_avg_seconds=42, first_response_avg_seconds=95, handle_avg_seconds=610,
               rejects=1, missed_offers=2)
BOB = Measures(accepted=1, wait_avg_seconds=300, first_response_avg_seconds=None, rejects=3)
TOTAL = Measures(texts_in=14, texts_out=11, opened=8, closed=7, abandoned=1, accepted=7,
                 answered_within_target=5, wait_avg_seconds=79, wait_p90_seconds=280,
                 first_response_avg_seconds=95, first_response_p90_seconds=240,
                 handle_avg_seconds=610, rejects=4, missed_offers=2, transfers=1)


def _report(queue: str | None = None, *, by_agent: dict | None = None,
            label: str = "Yesterday", total: Measures = TOTAL) -> Report:
    period = Period(START, START + timedelta(days=1), label, "America/New_York")
    return Report("T0TEST", period, queue, total,
                  {"Billing": ANN, "Support <b>": BOB},
                  {"UANN": ANN, "UBOB": BOB} if by_agent is None else by_agent,
                  (HourBucket(START, 3, 2, 60.0),))


def _texts(view: dict) -> list[str]:
    shown = []
    for block in view["blocks"]:
        for text in [block.get("text")] + block.get("fields", []) + block.get("elements", []):
            if isinstance(text, dict) and "text" in text:
                shown.append(text["text"])
    return shown


def test_the_modal_shows_totals_each_queue_each_agent_and_the_chart_file():
    view = views.build_report_modal(_report(), "F0CHART123", "Chart of every queue…")
    assert (view["type"], view["callback_id"]) == ("modal", ids.REPORT_VIEW)
    shown = "\n".join(_texts(view))
    assert "Yesterday · every queue" in shown
    assert "Sat 05 Dec 00:00 to Sun 06 Dec 00:00 (America/New_York)" in shown
    assert "*Texts in / out*\n14 / 11" in shown
    assert "*Accepted*\n7 (71% within target)" in shown
    assert "*First response*\n1 min 35 s avg, 4 min p90" in shown
    assert "*Billing*: 12 in, 10 out · accepted 6 (83% within target)" in shown
    assert "*Support &lt;b&gt;*" in shown  # the one escape, even for a settings' name
    # The per-agent table: busiest first, the same columns on every line.
    assert shown.index("<@UANN>") < shown.index("<@UBOB>")
    assert ("<@UANN> · accepted 6 · wait 42 s · first response 1 min 35 s · handle 10 min 10 s"
            " · rejects 1 · missed 2") in shown
    assert "<@UBOB> · accepted 1 · wait 5 min · first response – · handle – · rejects 3" in shown
    [image] = [b for b in view["blocks"] if b["type"] == "image"]
    assert image["slack_file"] == {"id": "F0CHART123"}
    assert image["alt_text"] == "Chart of every queue…"


def test_without_the_chart_file_the_modal_says_where_it_is_and_keeps_its_numbers_in_words():
    view = views.build_report_modal(_report("Billing"), None, "Chart: 3 in at 00:00",
                                    "The chart is in your DM with the app.")
    assert not [b for b in view["blocks"] if b["type"] == "image"]
    shown = _texts(view)
    assert "The chart is in your DM with the app." in shown and "Chart: 3 in at 00:00" in shown


def test_a_busy_desk_fits_slacks_hundred_blocks_and_counts_the_agents_left_out():
    crowd = {f"U{n:04d}": ANN for n in range(200)}
    view = views.build_report_modal(_report(by_agent=crowd), "F0CHART123", "alt")
    assert len(view["blocks"]) <= 100
    assert all(len(t) <= 3000 for t in _texts(view))
    assert "…and 140 more agents" in "\n".join(_texts(view))
    assert view["blocks"][-1]["type"] == "image"  # the chart is never the block cut off


def test_a_quiet_period_says_no_agent_was_offered_a_text():
    view = views.build_report_modal(_report(by_agent={}, total=Measures()), "F0CHART123", "alt")
    assert "No agent was offered a text in this period." in _texts(view)


def test_the_loading_modal_says_what_is_being_worked_out():
    view = views.build_report_loading("Week of 30 Nov", "Billing")
    assert view["callback_id"] == ids.REPORT_VIEW
    assert _texts(view) == [":hourglass_flowing_sand: Working out *Week of 30 Nov* for queue "
                            "*Billing*…"]


def test_the_digest_compares_yesterday_with_the_same_weekday_before():
    yesterday = _report("Billing", label="Sat 05 Dec")
    before = _report("Billing", label="Sat 28 Nov", total=Measures(
        texts_in=20, texts_out=11, accepted=7, answered_within_target=7,
        first_response_avg_seconds=30))
    text = views.build_digest_text(yesterday, before)
    assert text.splitlines()[0] == "*Daily SMS report · Billing · Sat 05 Dec* (against Sat 28 Nov)"
    assert "• Texts in: 14 (▼ from 20) · out: 11 (same)" in text
    assert "• Accepted: 7 (same), 71% within target (was 100%)" in text
    assert "• First response: 1 min 35 s (▲ from 30 s)" in text
    assert "• Handle time: 10 min 10 s" in text
    assert "Agents: <@UANN> 6, <@UBOB> 1" in text


QUEUES = Settings(queues=(Queue(name="Billing"), Queue(name="Tier 2 Support")))


@pytest.mark.parametrize("text, asked", [
    ("", ReportRequest("today", None)),
    ("Yesterday", ReportRequest("yesterday", None)),
    ("week billing", ReportRequest("week", "Billing")),
    ("month  tier 2 SUPPORT", ReportRequest("month", "Tier 2 Support")),
    ("Billing", ReportRequest("today", "Billing")),
    ("fortnight", NotUnderstood("fortnight", ("Billing", "Tier 2 Support"))),
    ("week Sales", NotUnderstood("Sales", ("Billing", "Tier 2 Support"))),
])
def test_sms_report_reads_a_period_and_a_queue_in_any_case(text, asked):
    assert parse(text, QUEUES) == asked


PARIS = Settings(report_time_zone="Europe/Paris", digest_at="07:30")


def test_the_digest_is_due_at_its_time_of_day_in_the_report_time_zone():
    before = datetime(2026, 12, 5, 6, 0, tzinfo=UTC)  # 07:00 in Paris
    assert digest.next_digest_at(PARIS, before) == datetime(2026, 12, 5, 6, 30, tzinfo=UTC)
    after = datetime(2026, 12, 5, 6, 30, tzinfo=UTC)  # exactly then: the next one is tomorrow
    assert digest.next_digest_at(PARIS, after) == datetime(2026, 12, 6, 6, 30, tzinfo=UTC)
    assert digest.next_digest_at(Settings(), before) is None


def test_a_timer_armed_before_digest_at_moved_later_serves_a_day_already_sent():
    # Armed for 07:30, fired then, but the settings now say 09:00: the latest 09:00 was
    # Saturday's, about Friday, which Saturday's digest already covered.
    moved = Settings(report_time_zone="Europe/Paris", digest_at="09:00")
    sunday = datetime(2026, 12, 6, 6, 30, tzinfo=UTC)
    assert digest.report_day(moved, sunday) == date(2026, 12, 4)
    assert digest.next_digest_at(moved, sunday) == datetime(2026, 12, 6, 8, 0, tzinfo=UTC)


def test_the_digest_keeps_its_local_hour_across_a_daylight_saving_change():
    # Paris goes from UTC+1 to UTC+2 on 29 March 2026.
    saturday = datetime(2026, 3, 28, 6, 31, tzinfo=UTC)
    assert digest.next_digest_at(PARIS, saturday) == datetime(2026, 3, 29, 5, 30, tzinfo=UTC)


def test_the_digest_reports_yesterday_and_the_same_weekday_a_week_before():
    sunday = datetime(2026, 12, 6, 6, 31, tzinfo=UTC)  # 07:31 on Sunday 6 Dec in Paris
    assert digest.report_day(PARIS, sunday) == date(2026, 12, 5)
    late = datetime(2026, 12, 6, 20, 0, tzinfo=UTC)  # the desk was down at 07:30
    assert digest.report_day(PARIS, late) == date(2026, 12, 5)
    day, before = digest.compared_periods(date(2026, 12, 5), "Europe/Paris")
    assert (day.label, before.label) == ("Sat 05 Dec", "Sat 28 Nov")
    assert (day.start, day.end) == (datetime(2026, 12, 4, 23, tzinfo=UTC),
                                    datetime(2026, 12, 5, 23, tzinfo=UTC))
    assert day.start - before.start == timedelta(days=7)
