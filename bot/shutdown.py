"""Stopping on SIGTERM or SIGINT without dropping work: the server loop ends, the worker takes
no new job, the running ones get DRAIN_SECONDS to finish, and the process exits 0.

A job cut off by a harder stop is not lost (its claim expires and it runs again), but a
reply already handed to the provider would then be recorded late; draining avoids that for
the ordinary stop of a deploy.
"""

from __future__ import annotations

import logging
import signal
from collections.abc import Iterator
from contextlib import contextmanager

log = logging.getLogger(__name__)
DRAIN_SECONDS = 20.0
SIGNALS = (signal.SIGTERM, signal.SIGINT)


class Stop(SystemExit):
    """Raised in the main thread by a stop signal. A SystemExit, because that is what
    waitress's loop (and bolt's Socket Mode wait) take as "stop now" rather than as a bug."""


@contextmanager
def until_signalled() -> Iterator[None]:
    """Run the blocking server inside; it returns when SIGTERM or SIGINT arrives. A second
    signal, once draining has begun, gets Python's default (Ctrl-C twice quits at once)."""
    def stop(signum: int, _frame) -> None:
        log.info("%s received: stopping", signal.Signals(signum).name)
        raise Stop(0)

    previous = {number: signal.signal(number, stop) for number in SIGNALS}
    try:
        yield
    except Stop:
        pass
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def drain(runtime, seconds: float = DRAIN_SECONDS) -> None:
    """Take no new job, give running ones `seconds` in all, then release everything."""
    log.info("waiting up to %.0f s for running jobs to finish", seconds)
    if runtime.worker.stop(timeout=seconds):
        log.info("all jobs finished; stopped")
    else:
        log.warning("jobs still running after %.0f s: they run again once their claim "
                    "expires", seconds)
    runtime.close()
