"""The report's chart: a real PNG of the right size with something drawn on it, and alt text
that carries the numbers a sighted supervisor reads off the bars."""

from __future__ import annotations

import io
import subprocess
import sys
from datetime import UTC, datetime, timedelta

from PIL import Image

from bot.desk.reports import HourBucket, Measures, Period, Report
from bot.slack import charts

DAY = datetime(2026, 12, 5, 5, tzinfo=UTC)  # midnight in New York


def _report(hours: dict[int, tuple[int, int, float | None]], *, label: str = "Yesterday",
            start: datetime = DAY, days: int = 1, queue: str | None = "Support") -> Report:
    buckets = tuple(
        HourBucket(start + timedelta(hours=h), *hours.get(h, (0, 0, None)))
        for h in range(24 * days))
    texts_in = sum(v[0] for v in hours.values())
    texts_out = sum(v[1] for v in hours.values())
    period = Period(start, start + timedelta(days=days), label, "America/New_York")
    total = Measures(texts_in=texts_in, texts_out=texts_out, first_response_avg_seconds=95.0)
    return Report("T0TEST", period, queue, total, {"Support": total}, {}, buckets)


def _drawn_pixels(png: bytes) -> tuple[tuple[int, int], int]:
    image = Image.open(io.BytesIO(png)).convert("RGB")
    background = bytes(image.getpixel((0, 0)))
    data = image.tobytes()
    drawn = sum(1 for i in range(0, len(data), 3) if data[i:i + 3] != background)
    return image.size, drawn


def test_the_chart_is_a_png_of_the_set_size_with_bars_and_lines_on_it():
    report = _report({9: (5, 3, 120.0), 10: (8, 7, 60.0), 14: (2, 2, 300.0)})
    chart = charts.render(report)
    assert chart.png.startswith(b"\x89PNG\r\n\x1a\n")
    size, drawn = _drawn_pixels(chart.png)
    assert size == (charts.WIDTH_PX, charts.HEIGHT_PX)
    empty = _drawn_pixels(charts.render(_report({})).png)[1]
    # Axes and labels are drawn either way; the bars and the line add thousands of pixels.
    assert drawn > empty + 3000
    assert chart.file_name == "sms-report-Support-2026-12-05.png"


def test_an_empty_day_still_draws_axes_and_says_there_were_no_texts():
    chart = charts.render(_report({}))
    size, drawn = _drawn_pixels(chart.png)
    assert size == (charts.WIDTH_PX, charts.HEIGHT_PX)
    assert drawn > 5000  # axes, ticks, title: not a blank image
    assert "No texts in this period" in chart.alt_text


def test_alt_text_reads_the_numbers_in_the_report_time_zone():
    text = charts.alt_text(_report({9: (5, 3, 120.0), 14: (2, 2, 45.0)}))
    assert text.startswith("Chart of queue Support, Yesterday (America/New_York): 7 texts in, "
                           "5 out, first response 1 min 35 s on average.")
    # Hour 9 of the period is 09:00 in New York, not 14:00 UTC.
    assert "09:00 5 in, 3 out, first response 2 min" in text
    assert "14:00 2 in, 2 out, first response 45 s" in text


def test_the_digest_chart_compares_with_last_week_in_picture_and_words():
    yesterday = _report({9: (5, 3, 120.0)})
    week_before = _report({9: (2, 2, 600.0)}, label="Sat 28 Nov",
                          start=DAY - timedelta(days=7))
    chart = charts.render(yesterday, week_before)
    alone = charts.render(yesterday)
    assert _drawn_pixels(chart.png)[1] > _drawn_pixels(alone.png)[1]  # the grey lines
    assert "Sat 28 Nov: 2 in, 2 out" in chart.alt_text


def test_a_month_counts_per_day_and_its_alt_text_stays_within_slacks_limit():
    busy = {h: (h % 7 + 1, h % 5, 60.0 + h) for h in range(0, 24 * 30, 3)}
    report = _report(busy, label="November", days=30)
    chart = charts.render(report)
    assert len(chart.alt_text) <= charts.ALT_TEXT_LIMIT
    assert "By day:" in chart.alt_text and "more days with texts" in chart.alt_text
    assert _drawn_pixels(chart.png)[0] == (charts.WIDTH_PX, charts.HEIGHT_PX)


def test_duration_reads_as_a_supervisor_says_it():
    assert [charts.duration(s) for s in (None, 44.6, 60, 125, 3600, 4200)] == \
        ["–", "45 s", "1 min", "2 min 5 s", "1 h", "1 h 10 min"]


def test_importing_the_app_does_not_load_matplotlib():
    # The ack path and the start must not pay for matplotlib: it loads when a chart is drawn.
    code = ("import sys, bot.runtime, bot.slack.charts, bot.slack.app; "
            "print('matplotlib' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"
