"""The pacer's rules on a fake clock: bursts then the steady rate, per channel; cosmetic work
leaves a reserve; a 429 pauses only what it hit."""

from __future__ import annotations

import pytest

from bot.worker.pacing import BOOKING_SLACK, COSMETIC, CUSTOMER, OFFER, Limit, SlackPacer

T = "T0001"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _pacer(clock: Clock) -> SlackPacer:
    return SlackPacer(per_channel_post=Limit(1.0, 3),
                      method_limits={"chat.postMessage": Limit(10.0, 10),
                                     "chat.update": Limit(1.0, 4)}, clock=clock)


def test_a_channel_takes_a_burst_then_one_a_second_and_other_channels_are_untouched():
    clock = Clock()
    pacer = _pacer(clock)
    assert [pacer.acquire(T, "chat.postMessage", "C1", CUSTOMER) for _ in range(3)] == [0] * 3
    assert pacer.acquire(T, "chat.postMessage", "C1", CUSTOMER) == 1.0
    assert pacer.acquire(T, "chat.postMessage", "C2", CUSTOMER) == 0
    clock.now += 1.0
    assert pacer.acquire(T, "chat.postMessage", "C1", CUSTOMER) == 0
    assert pacer.acquire(T, "chat.postMessage", "C1", CUSTOMER) > 0


def test_cosmetic_work_leaves_tokens_for_customers_and_offers():
    clock = Clock()
    pacer = _pacer(clock)
    taken = 0
    while pacer.acquire(T, "chat.update", None, COSMETIC) == 0:
        taken += 1
    assert taken == 2  # of 4: 1.5 stay in reserve
    assert pacer.acquire(T, "chat.update", None, OFFER) == 0
    assert pacer.acquire(T, "chat.update", None, CUSTOMER) == 0
    assert pacer.acquire(T, "chat.update", None, CUSTOMER) > 0


def test_a_429_pauses_its_channel_until_retry_after_and_nothing_else():
    clock = Clock()
    pacer = _pacer(clock)
    pacer.rate_limited(T, "chat.postMessage", "C1", 5)
    assert pacer.acquire(T, "chat.postMessage", "C1", CUSTOMER) == 5
    assert pacer.acquire(T, "chat.postMessage", "C2", CUSTOMER) == 0
    assert pacer.acquire(T, "chat.update", None, CUSTOMER) == 0
    clock.now += 5.0
    assert pacer.acquire(T, "chat.postMessage", "C1", CUSTOMER) == 0
    pacer.rate_limited(T, "chat.update", None, 3)
    assert pacer.acquire(T, "chat.update", None, CUSTOMER) == 3


def test_workspaces_have_their_own_budgets_and_listener_calls_count():
    clock = Clock()
    pacer = _pacer(clock)
    for _ in range(4):
        pacer.record(T, "chat.update", None)  # a listener: never refused
    assert pacer.acquire(T, "chat.update", None, CUSTOMER) > 0
    assert pacer.acquire("T0002", "chat.update", None, CUSTOMER) == 0
    usage = pacer.usage()
    assert (usage.allowed, usage.deferred) == (5, 1)


def test_jobs_told_to_wait_are_served_in_the_order_they_asked():
    clock = Clock()
    pacer = _pacer(clock)
    for _ in range(3):
        assert pacer.acquire(T, "chat.postMessage", "C1", CUSTOMER, holder="burst") == 0
    waits = [pacer.acquire(T, "chat.postMessage", "C1", CUSTOMER, holder=job)
             for job in ("a", "b", "c")]
    # One slot each, a second apart (each a hair after its second: a job woken a little
    # early still goes, and must not go before Slack's own bucket has refilled).
    assert waits == pytest.approx([1.0 + BOOKING_SLACK, 2.0 + BOOKING_SLACK, 3.0 + BOOKING_SLACK])
    # A cosmetic update books nothing and waits until the bookings are paid, plus reserve.
    assert pacer.acquire(T, "chat.postMessage", "C1", COSMETIC, holder="card") > 3.0
    clock.now += 1.0
    assert pacer.acquire(T, "chat.postMessage", "C1", CUSTOMER, holder="a") == 0
    assert pacer.acquire(T, "chat.postMessage", "C1", CUSTOMER, holder="b") == pytest.approx(
        1.0 + BOOKING_SLACK)
    clock.now += 2.0
    assert pacer.acquire(T, "chat.postMessage", "C1", CUSTOMER, holder="c") == 0
    assert pacer.acquire(T, "chat.postMessage", "C1", CUSTOMER, holder="b") == 0


def test_one_message_is_redrawn_at_most_once_a_second_while_other_messages_go_on():
    clock = Clock()
    pacer = SlackPacer(method_limits={"chat.update": Limit(10.0, 10)}, clock=clock)
    assert pacer.acquire(T, "chat.update", "C1", OFFER, message="1.1") == 0
    # The workspace budget has nine tokens left, but this card waits its second...
    assert pacer.acquire(T, "chat.update", "C1", OFFER, message="1.1") == 1.0
    # ...while another card, and cosmetic work on a third, go at once.
    assert pacer.acquire(T, "chat.update", "C1", OFFER, message="2.2") == 0
    assert pacer.acquire(T, "chat.update", "C1", COSMETIC, message="3.3") == 0
    clock.now += 1.0
    assert pacer.acquire(T, "chat.update", "C1", OFFER, message="1.1") == 0


def test_a_booked_redraw_of_a_message_goes_when_its_second_is_up():
    clock = Clock()
    pacer = SlackPacer(clock=clock)
    assert pacer.acquire(T, "chat.update", "C1", OFFER, holder=7, message="1.1") == 0
    wait = pacer.acquire(T, "chat.update", "C1", OFFER, holder=8, message="1.1")
    assert 0 < wait <= 1.0 + BOOKING_SLACK
    clock.now += wait
    assert pacer.acquire(T, "chat.update", "C1", OFFER, holder=8, message="1.1") == 0


def test_a_dm_posted_to_by_user_id_and_by_channel_id_is_one_channel():
    """A preview goes to the agent's user id, the lines of a thread in their DM to the DM's
    channel id: Slack counts both against the one DM."""
    clock = Clock()
    pacer = _pacer(clock)
    assert pacer.acquire(T, "chat.postMessage", "UAGENT1", CUSTOMER) == 0
    pacer.posted_to(T, "UAGENT1", "D1")  # Slack answered: it went to D1
    assert [pacer.acquire(T, "chat.postMessage", "D1", CUSTOMER) for _ in range(2)] == [0, 0]
    assert pacer.acquire(T, "chat.postMessage", "UAGENT1", CUSTOMER) == 1.0
    assert pacer.acquire(T, "chat.postMessage", "D2", CUSTOMER) == 0


def test_a_customers_line_goes_before_the_slots_previews_booked_which_move_back():
    """Previews (offers) booked the workspace's next posting slots; a customer's line asks
    after them yet takes the first free one, and the previews go a slot later each."""
    clock = Clock()
    pacer = SlackPacer(per_channel_post=Limit(1.0, 3),
                       method_limits={"chat.postMessage": Limit(1.0, 3)}, clock=clock)
    waits = [pacer.acquire(T, "chat.postMessage", f"D{n}", OFFER, holder=f"preview{n}")
             for n in range(5)]
    # Two go at once, the rest book (an offer leaves half a token for customers).
    assert waits == pytest.approx([0, 0, BOOKING_SLACK, 1.0 + BOOKING_SLACK,
                                   2.0 + BOOKING_SLACK])
    assert pacer.acquire(T, "chat.postMessage", "C1", CUSTOMER, holder="line") == 0
    clock.now += BOOKING_SLACK
    assert pacer.acquire(T, "chat.postMessage", "D2", OFFER, holder="preview2") == \
        pytest.approx(1.0)
    clock.now += 1.0
    assert pacer.acquire(T, "chat.postMessage", "D2", OFFER, holder="preview2") == 0
    assert pacer.acquire(T, "chat.postMessage", "D3", OFFER, holder="preview3") == \
        pytest.approx(1.0)
    # Of equal urgency, first asked, first served: lines book after earlier lines.
    clock.now += 10.0
    assert [pacer.acquire(T, "chat.postMessage", "C1", CUSTOMER, holder=h)
            for h in ("a", "b", "c")] == [0, 0, 0]
    assert pacer.acquire(T, "chat.postMessage", "C1", CUSTOMER, holder="d") == \
        pytest.approx(1.0 + BOOKING_SLACK)
    assert pacer.acquire(T, "chat.postMessage", "C1", CUSTOMER, holder="e") == \
        pytest.approx(2.0 + BOOKING_SLACK)
