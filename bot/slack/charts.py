"""A report's chart: texts in and out, and the first-response time, per hour (per day over a
week or a month), drawn to PNG bytes for a Slack file, with alt text carrying the numbers.

It sits on the Slack side, beside the views, because it is something a Slack surface shows
(an image in the /sms-report modal, a file in the digest), drawn from the domain's Report;
it is not Block Kit, so not a view, and the domain (which may not know how it is shown)
never imports it. matplotlib is imported inside `render`, with the Agg backend set there
explicitly: a server has no display, and the app's start and Slack's 3-second ack path never
pay for loading it (about a second on a small machine).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.desk.reports import HourBucket, Report

WIDTH_PX, HEIGHT_PX, DPI = 1000, 600, 100
# Slack's limit on a file's alt text (files.getUploadURLExternal `alt_txt`); an image block's
# is 2000, so one text serves both.
ALT_TEXT_LIMIT = 1000
# Longer than this, the chart and its alt text count per day: 720 bars of a month are noise.
HOURLY_UP_TO = timedelta(hours=48)
IN_COLOUR, OUT_COLOUR, RESPONSE_COLOUR, EARLIER_COLOUR = "#1f77b4", "#ff7f0e", "#2ca02c", "#7f7f7f"


@dataclass(frozen=True)
class Chart:
    png: bytes
    alt_text: str
    file_name: str


@dataclass(frozen=True)
class _Point:
    label: str
    texts_in: int
    texts_out: int
    first_response_seconds: float | None


def render(report: Report, earlier: Report | None = None, *, file_tag: str = "") -> Chart:
    """The report's chart. `earlier`: a period to compare with (the digest: the same weekday
    a week before), drawn as grey outlines and lines on the same hours. `file_tag` makes
    the file's name unique to one request (a modal's view id)."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    from matplotlib.figure import Figure  # no pyplot: no global state, safe in threads

    points = _points(report)
    before = _points(earlier) if earlier is not None else None
    figure = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI)
    volume, response = figure.subplots(2, 1, sharex=True, height_ratios=(3, 2))
    xs = list(range(len(points)))
    width = 0.4
    volume.bar([x - width / 2 for x in xs], [p.texts_in for p in points], width,
               label="texts in", color=IN_COLOUR)
    volume.bar([x + width / 2 for x in xs], [p.texts_out for p in points], width,
               label="texts out", color=OUT_COLOUR)
    if before is not None:
        volume.plot(xs, [p.texts_in for p in before[:len(xs)]] + [0] * (len(xs) - len(before)),
                    color=EARLIER_COLOUR, linestyle="--", marker=".",
                    label=f"texts in, {earlier.period.label if earlier else ''}")
    volume.set_ylabel("texts")
    volume.set_title(_title(report, earlier))
    volume.legend(loc="upper left", fontsize="small")
    volume.grid(axis="y", alpha=0.3)
    response.plot(xs, [_minutes(p.first_response_seconds) for p in points], color=RESPONSE_COLOUR,
                  marker="o", label="first response")
    if before is not None:
        response.plot(xs, [_minutes(p.first_response_seconds) for p in before[:len(xs)]]
                      + [None] * (len(xs) - len(before)),
                      color=EARLIER_COLOUR, linestyle="--", marker=".",
                      label=f"first response, {earlier.period.label if earlier else ''}")
    response.set_ylabel("first response (min)")
    response.set_ylim(bottom=0)
    response.legend(loc="upper left", fontsize="small")
    response.grid(axis="y", alpha=0.3)
    step = max(1, -(-len(points) // 12))  # at most 12 labels
    response.set_xticks(xs[::step], [p.label for p in points][::step], fontsize="small")
    if not any(p.texts_in or p.texts_out for p in points):
        volume.text(0.5, 0.5, "No texts in this period", transform=volume.transAxes,
                    ha="center", va="center", color=EARLIER_COLOUR)
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=DPI)
    return Chart(out.getvalue(), alt_text(report, earlier), _file_name(report, file_tag))


def alt_text(report: Report, earlier: Report | None = None) -> str:
    """The chart's numbers in words, for a screen reader: totals, then each hour (or day)
    with texts, as many as fit Slack's limit (the rest counted, not dropped silently)."""
    total = report.total
    head = (f"Chart of {_scope(report)}, {report.period.label} ({report.period.time_zone}): "
            f"{total.texts_in} texts in, {total.texts_out} out, first response "
            f"{duration(total.first_response_avg_seconds)} on average.")
    if earlier is not None:
        head += (f" {earlier.period.label}: {earlier.total.texts_in} in, "
                 f"{earlier.total.texts_out} out, first response "
                 f"{duration(earlier.total.first_response_avg_seconds)}.")
    busy = [p for p in _points(report) if p.texts_in or p.texts_out]
    if not busy:
        return _fit(head + " No texts in this period.")
    unit = "hour" if _hourly(report) else "day"
    parts = [f"{p.label} {p.texts_in} in, {p.texts_out} out"
             + (f", first response {duration(p.first_response_seconds)}"
                if p.first_response_seconds is not None else "") for p in busy]
    text = head + f" By {unit}:"
    for index, part in enumerate(parts):
        rest = len(parts) - index
        # Room for this part and for saying how many were left out after it.
        if len(text) + len(part) + 40 > ALT_TEXT_LIMIT:
            return _fit(text.rstrip(";") + f" …and {rest} more {unit}s with texts.")
        text += f" {part};"
    return _fit(text.rstrip(";") + ".")


def duration(seconds: float | None) -> str:
    """'45 s', '2 min 5 s', '1 h 10 min'; '–' when nothing was measured."""
    if seconds is None:
        return "–"
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        minutes, secs = divmod(whole, 60)
        return f"{minutes} min {secs} s" if secs else f"{minutes} min"
    hours, rest = divmod(whole, 3600)
    return f"{hours} h {rest // 60} min" if rest // 60 else f"{hours} h"


def _fit(text: str) -> str:
    return text if len(text) <= ALT_TEXT_LIMIT else text[:ALT_TEXT_LIMIT - 1] + "…"


def _scope(report: Report) -> str:
    return f"queue {report.queue}" if report.queue else "every queue"


def _title(report: Report, earlier: Report | None) -> str:
    title = f"{report.period.label} · {_scope(report)}"
    return f"{title} (grey: {earlier.period.label})" if earlier is not None else title


def _hourly(report: Report) -> bool:
    return report.period.end - report.period.start <= HOURLY_UP_TO


def _points(report: Report) -> list[_Point]:
    zone = ZoneInfo(report.period.time_zone)
    buckets = sorted(report.hours, key=lambda b: b.start)
    if _hourly(report):
        return [_Point(_local(b.start, zone).strftime("%H:00"), b.texts_in, b.texts_out,
                       b.first_response_avg_seconds) for b in buckets]
    days: dict[str, list[HourBucket]] = {}
    for bucket in buckets:
        days.setdefault(_local(bucket.start, zone).strftime("%d %b"), []).append(bucket)
    return [_Point(day, sum(b.texts_in for b in hours), sum(b.texts_out for b in hours),
                   _weighted_response(hours)) for day, hours in days.items()]


def _weighted_response(hours: Sequence[HourBucket]) -> float | None:
    """A day's first response: its hours' averages weighted by texts in (the nearest the
    buckets carry to the day's own average)."""
    measured = [(b.first_response_avg_seconds, max(b.texts_in, 1)) for b in hours
                if b.first_response_avg_seconds is not None]
    if not measured:
        return None
    return sum(value * weight for value, weight in measured) / sum(w for _, w in measured)


def _local(moment: datetime, zone: ZoneInfo) -> datetime:
    return moment.astimezone(zone) if moment.tzinfo else moment


def _minutes(seconds: float | None) -> float | None:
    return None if seconds is None else seconds / 60


def _file_name(report: Report, tag: str = "") -> str:
    zone = ZoneInfo(report.period.time_zone)
    day = _local(report.period.start, zone).strftime("%Y-%m-%d")
    queue = "".join(c if c.isalnum() else "-" for c in (report.queue or "all"))
    suffix = "-" + "".join(c for c in tag if c.isalnum()) if tag else ""
    return f"sms-report-{queue}-{day}{suffix}.png"
