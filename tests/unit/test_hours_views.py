"""A closed queue on /sms-queue and the supervisor's Home tab: said in the queue's own time
zone, the one its hours are written in."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.desk.interactions.supervision import QueueReport, QueueSummary
from bot.slack.views.supervision import build_queue_report, home_queue_lines
from tests.fakes.slack.rules import check_blocks

NOW = datetime(2026, 12, 7, 23, 30, tzinfo=UTC)  # Monday, 18:30 in New York
OPENS = datetime(2026, 12, 8, 14, 0, tzinfo=UTC)  # Tuesday, 09:00 in New York


def test_a_closed_queue_says_when_it_opens_in_its_own_time_zone():
    closed = QueueSummary("Support", 1, NOW, opens_at=OPENS, time_zone="America/New_York")
    always = QueueSummary("Billing", 0, None)
    message = build_queue_report(QueueReport((closed, always), False, NOW))
    check_blocks(message["blocks"], 50)
    fields = [[f["text"] for f in b.get("fields", [])] for b in message["blocks"]]
    assert "*Hours*\nClosed: opens Tue 8 Dec, 09:00 America/New_York" in fields[1]
    assert not any("Hours" in text for text in fields[2])  # no hours: nothing said
    assert "Queue Support: 1 waiting, the oldest for 0 seconds; 0 agents Ready, 0 Not " \
           "Ready. Closed: opens Tue 8 Dec, 09:00 America/New_York." in message["text"]
    assert "Closed: opens Tue 8 Dec, 09:00 America/New_York" in home_queue_lines(
        (closed, always), NOW)
