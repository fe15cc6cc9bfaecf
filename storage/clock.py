"""The desk's clock: every timestamp and timer reads it.

Tests move it forward to fire timers (offer timeouts, session expiry) without sleeping. In a
separate app process they do so through the file named by SMSDESK_CLOCK_OFFSET_FILE, which
holds an offset in seconds; that variable is for tests only and is unset in production.
"""

from __future__ import annotations

import os
import threading
from datetime import UTC, datetime, timedelta

_lock = threading.Lock()
_offset = timedelta(0)
_file_cache: tuple[float, timedelta] = (0.0, timedelta(0))


def _file_offset() -> timedelta:
    global _file_cache
    path = os.environ.get("SMSDESK_CLOCK_OFFSET_FILE")
    if not path:
        return timedelta(0)
    try:
        mtime = os.stat(path).st_mtime
    except FileNotFoundError:
        return timedelta(0)
    if mtime != _file_cache[0]:
        with open(path, encoding="ascii") as handle:
            _file_cache = (mtime, timedelta(seconds=float(handle.read().strip() or 0)))
    return _file_cache[1]


def utcnow() -> datetime:
    return datetime.now(UTC) + _offset + _file_offset()


def travel(delta: timedelta) -> None:
    """Move this process's clock forward (tests)."""
    global _offset
    with _lock:
        _offset += delta


def reset() -> None:
    global _offset
    with _lock:
        _offset = timedelta(0)
