"""Progress of long command-line work: a bar at a terminal, plain lines in a log."""

from __future__ import annotations

import io
import logging
import os
import pty
import select
import sys

import pytest

from bot.progress import progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_at_a_terminal_a_bar_shows_the_count_and_the_share_done():
    screen = Terminal()
    with progress("Importing contacts", total=2000, stream=screen, unit="row") as shown:
        for _ in range(20):
            shown.advance(100)
    drawn = screen.getvalue()
    assert "\r" in drawn  # redrawn in place, not a line per step
    last = drawn.rsplit("\r", 1)[-1]
    assert "Importing contacts" in last and "100%" in last and "2000/2000" in last
    assert "█" in last or "#" in last


def test_in_a_log_each_tenth_is_a_plain_line_and_the_end_says_the_count_and_time():
    log, clock = io.StringIO(), Clock()
    with progress("Importing contacts", total=20_000, stream=log, unit="row",
                  clock=clock) as shown:
        for _ in range(200):
            clock.now += 0.04
            shown.update(shown.done + 100, 20_000)
    lines = log.getvalue().splitlines()
    assert "\r" not in log.getvalue()
    assert lines[0] == "Importing contacts: 2,000/20,000 rows (10%)"
    assert lines[-2] == "Importing contacts: 18,000/20,000 rows (90%)"
    assert lines[-1] == "Importing contacts: 20,000 rows done in 8.0 s"
    assert len(lines) == 10


def test_without_a_total_a_line_comes_every_few_seconds():
    log, clock = io.StringIO(), Clock()
    with progress("Re-encrypting tokens", stream=log, unit="token", every_seconds=5,
                  clock=clock) as shown:
        for _ in range(12):
            clock.now += 1
            shown.advance()
    assert log.getvalue().splitlines() == [
        "Re-encrypting tokens: 5 tokens", "Re-encrypting tokens: 10 tokens",
        "Re-encrypting tokens: 12 tokens done in 12.0 s"]


def test_work_that_fails_gets_no_closing_line():
    log = io.StringIO()
    with pytest.raises(ValueError), progress("Importing", total=10, stream=log):
        raise ValueError("bad row")
    assert log.getvalue() == ""


def test_a_terminal_that_reports_no_size_still_gets_a_bar(monkeypatch):
    # A fresh pseudo-terminal (a CI runner's, `script`'s) says 0 columns and 0 rows; given
    # sys.stderr itself, tqdm would take that as no room and draw nothing.
    leader, follower = pty.openpty()
    terminal = os.fdopen(follower, "w", encoding="utf-8")
    try:
        monkeypatch.setattr(sys, "stderr", terminal)
        with progress("Importing contacts", total=10, unit="row") as shown:
            shown.advance(10)
        terminal.flush()
        drawn = ""
        while select.select([leader], [], [], 0.2)[0]:  # what the terminal shows, in pieces
            drawn += os.read(leader, 65536).decode()
    finally:
        terminal.close()
        os.close(leader)
    assert "Importing contacts: 100%" in drawn and "10/10" in drawn


def test_a_warning_logged_while_the_bar_runs_is_written_above_it_not_through_it():
    screen = Terminal()
    handler = logging.StreamHandler(screen)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        with progress("Importing contacts", total=10, stream=screen, unit="row") as shown:
            shown.advance(5)
            logging.getLogger("smsdesk.test").warning("row 6: the database is slow")
            shown.advance(5)
    finally:
        root.removeHandler(handler)
    assert handler.stream is screen  # given back
    # On its own line: the bar was cleared first, and drawn again after.
    assert "\nrow 6: the database is slow\n" in screen.getvalue().replace("\r", "\n")
    assert "row 6: the database is slow\n" in screen.getvalue()
    assert "Importing contacts" in screen.getvalue().rsplit("slow\n", 1)[1]
