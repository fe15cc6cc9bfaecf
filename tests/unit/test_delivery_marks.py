"""The reactions a reply's delivery state costs: ticks join, passing marks are replaced."""

from __future__ import annotations

from bot.slack.delivery_marks import (
    DELIVERED_MARK,
    SENT_MARK,
    change_marks,
    shown_marks,
    stored_marks,
)

WAITING, HELD, FAILED = "hourglass_flowing_sand", "pencil2", "x"


def test_delivered_joins_sent_without_taking_it_off():
    change = change_marks((SENT_MARK,), DELIVERED_MARK)
    assert (change.remove, change.add, change.calls) == ((), DELIVERED_MARK, 1)
    assert change.shown == (SENT_MARK, DELIVERED_MARK)


def test_delivered_known_before_sent_was_drawn_is_drawn_alone():
    change = change_marks((), DELIVERED_MARK)
    assert (change.remove, change.add, change.shown) == ((), DELIVERED_MARK, (DELIVERED_MARK,))


def test_a_waiting_mark_is_replaced_by_the_newest_state_and_nothing_between():
    change = change_marks((WAITING,), DELIVERED_MARK)
    assert (change.remove, change.add, change.shown) == ((WAITING,), DELIVERED_MARK,
                                                         (DELIVERED_MARK,))
    change = change_marks((WAITING,), SENT_MARK)
    assert (change.remove, change.add) == ((WAITING,), SENT_MARK)


def test_a_failure_takes_the_sent_mark_off():
    change = change_marks((SENT_MARK,), FAILED)
    assert (change.remove, change.add, change.shown) == ((SENT_MARK,), FAILED, (FAILED,))


def test_what_is_shown_already_costs_nothing():
    assert change_marks((SENT_MARK, DELIVERED_MARK), DELIVERED_MARK).calls == 0
    assert change_marks((SENT_MARK,), SENT_MARK).calls == 0
    assert change_marks((), None).calls == 0


def test_a_discarded_held_reply_loses_its_mark():
    change = change_marks((HELD,), None)
    assert (change.remove, change.add, change.shown) == ((HELD,), None, ())


def test_a_released_held_reply_swaps_its_pencil_for_its_state():
    change = change_marks((HELD,), WAITING)
    assert (change.remove, change.add) == ((HELD,), WAITING)


def test_stored_marks_read_back_as_shown_and_an_old_single_name_still_reads():
    both = (SENT_MARK, DELIVERED_MARK)
    assert shown_marks(stored_marks(both)) == both
    assert len(stored_marks(both)) <= 32  # Message.delivery_shown is a String(32)
    assert shown_marks("outbox_tray") == (SENT_MARK,)
    assert shown_marks(None) == () and stored_marks(()) is None
