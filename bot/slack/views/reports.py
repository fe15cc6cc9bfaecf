"""What supervisors read of a report: the /sms-report modal (first while the numbers are being
worked out, then with them and the chart), its refusals, and the daily digest's words.

The chart itself is bot/slack/charts.py; here it is an image block naming the Slack file it
was uploaded as. Queue names come from the settings, agents are mentions; both pass through
the one escape all the same.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.desk.reports import Measures, Report
from bot.slack import ids
from bot.slack.charts import duration
from bot.slack.mrkdwn import escape
from bot.slack.views.common import SECTION_LIMIT, clip

TITLE = "SMS report"
CHART_TITLE = "Texts in and out, and first response"
USAGE = ("Usage: `/sms-report [today|yesterday|week|month] [queue]`, e.g. "
         "`/sms-report yesterday Billing`. Without words: today, every queue.")
MAX_VIEW_BLOCKS = 100
AGENTS_SHOWN = 60  # a modal holds 100 blocks; past this the rest are counted, not shown


def _modal(blocks: list[dict], metadata: str = "") -> dict:
    return {"type": "modal", "callback_id": ids.REPORT_VIEW,
            "title": {"type": "plain_text", "text": TITLE},
            "close": {"type": "plain_text", "text": "Close"},
            "private_metadata": metadata, "blocks": blocks[:MAX_VIEW_BLOCKS]}


def _scope(queue: str | None) -> str:
    return f"queue *{escape(queue)}*" if queue else "every queue"


def build_report_loading(label: str, queue: str | None) -> dict:
    """Opened at once with the command's trigger_id (valid 3 s); the numbers follow."""
    return _modal([{"type": "section", "text": {"type": "mrkdwn", "text": (
        f":hourglass_flowing_sand: Working out *{escape(label)}* for {_scope(queue)}…")}}])


def build_report_failed(label: str, reason: str) -> dict:
    return _modal([{"type": "section", "text": {"type": "mrkdwn", "text": (
        f":warning: The report for *{escape(label)}* could not be made: {escape(reason)}")}}])


def _share(measures: Measures) -> str:
    share = measures.answered_within_target_share
    return "–" if share is None else f"{share:.0%}"


def _total_fields(m: Measures) -> list[dict]:
    pairs = [
        ("Texts in / out", f"{m.texts_in} / {m.texts_out}"),
        ("Opened / closed", f"{m.opened} / {m.closed}"),
        ("Accepted", f"{m.accepted} ({_share(m)} within target)"),
        ("Abandoned / expired", f"{m.abandoned} / {m.expired}"),
        ("Wait before Accept", f"{duration(m.wait_avg_seconds)} avg, "
                               f"{duration(m.wait_p90_seconds)} p90"),
        # Business hours split the same waits: while the queue was open, and the rest
        # (overnight, a weekend, a holiday). Ten fields, a section's most.
        ("Wait while open / closed", f"{duration(m.wait_in_hours_avg_seconds)} / "
                                     f"{duration(m.wait_out_of_hours_avg_seconds)} avg"),
        ("First response", f"{duration(m.first_response_avg_seconds)} avg, "
                           f"{duration(m.first_response_p90_seconds)} p90"),
        ("Handle time", f"{duration(m.handle_avg_seconds)} avg"),
        ("Rejects / missed offers", f"{m.rejects} / {m.missed_offers}"),
        ("Transfers", f"{m.transfers}"),
    ]
    return [{"type": "mrkdwn", "text": f"*{name}*\n{value}"} for name, value in pairs]


def queue_line(name: str, m: Measures) -> str:
    return (f"*{escape(name)}*: {m.texts_in} in, {m.texts_out} out · accepted {m.accepted} "
            f"({_share(m)} within target) · wait {duration(m.wait_avg_seconds)} · "
            f"first response {duration(m.first_response_avg_seconds)} · "
            f"handle {duration(m.handle_avg_seconds)}")


def agent_line(user_id: str, m: Measures) -> str:
    """One row of the per-agent table (a modal has no table block: one line per agent,
    the columns in the same order on every line)."""
    return (f"<@{escape(user_id)}> · accepted {m.accepted} · wait "
            f"{duration(m.wait_avg_seconds)} · first response "
            f"{duration(m.first_response_avg_seconds)} · handle "
            f"{duration(m.handle_avg_seconds)} · rejects {m.rejects} · missed {m.missed_offers}")


def _lines_in_sections(lines: list[str]) -> list[dict]:
    sections, current = [], ""
    for line in lines:
        line = clip(line, SECTION_LIMIT)
        if current and len(current) + 1 + len(line) > SECTION_LIMIT:
            sections.append(current)
            current = ""
        current = f"{current}\n{line}" if current else line
    if current:
        sections.append(current)
    return [{"type": "section", "text": {"type": "mrkdwn", "text": text}} for text in sections]


def build_report_modal(report: Report, chart_file_id: str | None, alt_text: str,
                       chart_note: str | None = None) -> dict:
    """The numbers: the totals, each queue, the per-agent table, then the chart (a Slack
    file uploaded for it; None: `chart_note` says where it is, or why there is none)."""
    period = report.period
    zone = ZoneInfo(period.time_zone)
    blocks: list[dict] = [
        {"type": "header", "text": {"type": "plain_text", "text": clip(
            f"{period.label} · {report.queue or 'every queue'}", 150)}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": (
            f"{_local(period.start, zone):%a %d %b %H:%M} to "
            f"{_local(period.end, zone):%a %d %b %H:%M} ({escape(period.time_zone)}) · "
            "what each number means: README, Reports")}]},
        {"type": "section", "fields": _total_fields(report.total)},
    ]
    if len(report.by_queue) > 1 or (report.by_queue and report.queue is None):
        blocks.append({"type": "header", "text": {"type": "plain_text", "text": "Per queue"}})
        blocks += _lines_in_sections([queue_line(name, m)
                                      for name, m in sorted(report.by_queue.items())])
    blocks.append({"type": "header", "text": {"type": "plain_text", "text": "Per agent"}})
    agents = sorted(report.by_agent.items(), key=lambda item: (-item[1].accepted, item[0]))
    lines = [agent_line(user, m) for user, m in agents[:AGENTS_SHOWN]]
    if len(agents) > AGENTS_SHOWN:
        lines.append(f"…and {len(agents) - AGENTS_SHOWN} more agents "
                     "(`smsdesk report --csv` has every row)")
    blocks += _lines_in_sections(lines) if lines else [{"type": "context", "elements": [
        {"type": "mrkdwn", "text": "No agent was offered a text in this period."}]}]
    blocks.append({"type": "divider"})
    if chart_file_id:
        blocks.append({"type": "image", "slack_file": {"id": chart_file_id},
                       "alt_text": alt_text, "title": {"type": "plain_text", "text": CHART_TITLE}})
    else:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": escape(
            chart_note or "No chart this time.")}]})
        blocks.append({"type": "section", "text": {"type": "plain_text",
                                                   "text": clip(alt_text, SECTION_LIMIT)}})
    return _modal(blocks)


def _local(moment: datetime, zone: ZoneInfo) -> datetime:
    return moment.astimezone(zone) if moment.tzinfo else moment


def _versus(now: float | int | None, before: float | int | None, *, time: bool = False) -> str:
    shown = duration(now) if time else str(now)
    if before is None or now is None:
        return shown
    earlier = duration(before) if time else str(before)
    if now == before:
        return f"{shown} (same)"
    arrow = "▲" if now > before else "▼"
    return f"{shown} ({arrow} from {earlier})"


def build_digest_text(yesterday: Report, week_before: Report) -> str:
    """The digest's message (the chart's upload comment): yesterday against the same
    weekday a week before, for one queue."""
    m, b = yesterday.total, week_before.total
    lines = [
        f"*Daily SMS report · {escape(yesterday.queue or 'every queue')} · "
        f"{escape(yesterday.period.label)}* (against {escape(week_before.period.label)})",
        f"• Texts in: {_versus(m.texts_in, b.texts_in)} · out: {_versus(m.texts_out, b.texts_out)}",
        f"• Accepted: {_versus(m.accepted, b.accepted)}, {_share(m)} within target "
        f"(was {_share(b)})",
        f"• Abandoned: {_versus(m.abandoned, b.abandoned)} · missed offers: "
        f"{_versus(m.missed_offers, b.missed_offers)}",
        f"• Wait before Accept: {_versus(m.wait_avg_seconds, b.wait_avg_seconds, time=True)}",
        f"• First response: "
        f"{_versus(m.first_response_avg_seconds, b.first_response_avg_seconds, time=True)}",
        f"• Handle time: {_versus(m.handle_avg_seconds, b.handle_avg_seconds, time=True)}",
    ]
    busiest = sorted(yesterday.by_agent.items(), key=lambda item: -item[1].accepted)[:5]
    if busiest:
        lines.append("Agents: " + ", ".join(f"<@{escape(user)}> {agent.accepted}"
                                            for user, agent in busiest if agent.accepted))
    return clip("\n".join(line for line in lines if line != "Agents: "), 3900)


def refused_text() -> str:
    return "Only supervisors and admins can see reports (`[roles]` in the settings)."


def not_understood_text(words: str, queues: tuple[str, ...]) -> str:
    return (f"“{escape(words)}” is no period and no queue. Queues: "
            f"{', '.join(escape(name) for name in queues)}.\n{USAGE}")
