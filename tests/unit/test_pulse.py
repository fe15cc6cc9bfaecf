"""When a worker may take back the jobs of silent workers (bot/worker/pulse.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.worker.pulse import Pulse

SILENT_AFTER = timedelta(seconds=5)
T0 = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)


def _beats(pulse: Pulse, *seconds: float) -> Pulse:
    for second in seconds:
        pulse.beat(T0 + timedelta(seconds=second))
    return pulse


def test_a_starting_worker_takes_back_at_once():
    assert _beats(Pulse(SILENT_AFTER), 0).may_take_back()


def test_a_worker_beating_steadily_takes_back():
    assert _beats(Pulse(SILENT_AFTER), 0, 1, 2, 3).may_take_back()


def test_after_a_gap_in_its_own_beats_a_worker_waits_for_the_others_to_beat_again():
    pulse = _beats(Pulse(SILENT_AFTER), 0, 1, 31)  # the database was away for 30 s
    assert not pulse.may_take_back()  # every beat is old now, live workers' too
    assert not _beats(pulse, 32, 33, 34, 35).may_take_back()
    assert _beats(pulse, 36).may_take_back()  # the others had five seconds to beat


def test_a_beat_late_by_less_than_the_silence_is_no_gap():
    assert _beats(Pulse(SILENT_AFTER), 0, 4.5).may_take_back()
