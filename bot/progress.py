"""Progress of long command-line work: a bar at a terminal, plain lines anywhere else.

    with progress("Importing contacts", total=rows, unit="row") as shown:
        import_csv(..., on_progress=shown.update)   # the domain calls on_progress(done, total)
        # or, counting as you go: shown.advance(len(batch))

At a terminal the person watching gets a tqdm bar (count, rate, time left). Piped, in a
cron mail or a CI log, a redrawn bar is noise full of carriage returns, so a plain line is
written instead each time another tenth is done, or every `every_seconds` when the total is
unknown or the work is slow, and one closing line with the count and the time it took.
The lines go to stderr by default, so stdout stays the command's own output (a CSV, JSON).

The domain never imports this module (nor tqdm): its long functions take a plain callback,
`on_progress(done: int, total: int | None)`, and the command line passes `shown.update`.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from typing import TextIO

from tqdm import tqdm

# Plain lines: one per tenth done, and at least one every so often while work goes on.
STEPS = 10
EVERY_SECONDS = 5.0
# What the domain's long functions accept (done so far, total when known).
OnProgress = Callable[[int, "int | None"], None]


def _count(n: int) -> str:
    return f"{n:,}"


class Progress:
    """What `progress()` yields: tell it how far the work is; it decides what to show."""

    def __init__(self, label: str, total: int | None, stream: TextIO, unit: str, bar: bool,
                 every_seconds: float, clock: Callable[[], float]):
        self.label = label
        self.total = total
        self.done = 0
        self.unit = unit
        self._stream = stream
        self._every = every_seconds
        self._clock = clock
        self._started = self._last_line = clock()
        self._last_step = 0
        self._bar: tqdm | None = None
        if bar:
            # mininterval keeps redraws (and their cost) to ten a second however often
            # advance() is called; dynamic_ncols follows a resized terminal. A terminal that
            # reports no size (a fresh pseudo-terminal, some CI runners) is taken as 80x24:
            # tqdm would take its 0 rows as no room and draw nothing at all.
            sized = _width(stream) is not None
            self._bar = tqdm(total=total, desc=label, unit=f" {unit}s" if unit else "it",
                             file=stream, dynamic_ncols=sized, ncols=None if sized else 80,
                             nrows=None if sized else 24, mininterval=0.1, unit_scale=False,
                             leave=True)

    def advance(self, n: int = 1) -> None:
        """n more units done."""
        self.update(self.done + n)

    def update(self, done: int, total: int | None = None) -> None:
        """Done so far (absolute), and the total if it became known: the `on_progress`
        callback the domain's long functions take."""
        if total is not None and total != self.total:
            self.total = total
            if self._bar is not None:
                self._bar.total = total
                self._bar.refresh()
        step = done - self.done
        self.done = done
        if self._bar is not None:
            if step:
                self._bar.update(step)
            return
        self._maybe_line()

    __call__ = update

    def write(self, line: str) -> None:
        """A line of the command's own words, written without tearing the bar."""
        if self._bar is not None:
            self._bar.write(line, file=self._stream)
        else:
            print(line, file=self._stream, flush=True)

    def _maybe_line(self) -> None:
        now = self._clock()
        step = (self.done * STEPS // self.total) if self.total else 0
        if step > self._last_step and self.done < (self.total or 0):
            self._last_step = step
        elif now - self._last_line < self._every:
            return
        self._last_line = now
        print(self._plain_line(), file=self._stream, flush=True)

    def _plain_line(self) -> str:
        units = f" {self.unit}s" if self.unit else ""
        if self.total:
            share = min(100, self.done * 100 // self.total)
            return f"{self.label}: {_count(self.done)}/{_count(self.total)}{units} ({share}%)"
        return f"{self.label}: {_count(self.done)}{units}"

    def close(self, finished: bool) -> None:
        if self._bar is not None:
            self._bar.close()
            return
        if finished:
            took = self._clock() - self._started
            units = f" {self.unit}s" if self.unit else ""
            print(f"{self.label}: {_count(self.done)}{units} done in {took:.1f} s",
                  file=self._stream, flush=True)


def _width(stream: TextIO) -> int | None:
    try:
        return os.get_terminal_size(stream.fileno()).columns or None
    except (AttributeError, OSError, ValueError):  # not a real terminal
        return None


def is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # closed, or a stand-in without isatty
        return False


@contextmanager
def progress(label: str, total: int | None = None, *, stream: TextIO | None = None,
             unit: str = "", bar: bool | None = None, every_seconds: float = EVERY_SECONDS,
             clock: Callable[[], float] = time.monotonic) -> Iterator[Progress]:
    """Show the progress of the work inside. `bar` None: a bar when `stream` (stderr by
    default) is a terminal, plain lines otherwise. A closing line says the count and the
    time taken when the work finished; after an error only the error speaks."""
    stream = stream if stream is not None else sys.stderr
    drawn = is_terminal(stream) if bar is None else bar
    shown = Progress(label, total, stream, unit, bar=drawn, every_seconds=every_seconds,
                     clock=clock)
    finished = False
    try:
        with _logs_above_the_bar(stream) if drawn else nullcontext():
            yield shown
        finished = True
    finally:
        shown.close(finished)


class _AboveTheBar:
    """A log handler's stream while a bar is drawn: each line is written above the bar,
    which is then drawn again, instead of through the middle of it."""

    def __init__(self, stream: TextIO):
        self._stream = stream

    def write(self, text: str) -> None:
        tqdm.write(text, file=self._stream, end="")

    def flush(self) -> None:
        self._stream.flush()


@contextmanager
def _logs_above_the_bar(stream: TextIO) -> Iterator[None]:
    """The root logger's handlers that write to `stream` (a warning while the bar runs)."""
    moved = [handler for handler in logging.getLogger().handlers
             if isinstance(handler, logging.StreamHandler) and handler.stream is stream]
    for handler in moved:
        handler.setStream(_AboveTheBar(stream))
    try:
        yield
    finally:
        for handler in moved:
            handler.setStream(stream)
