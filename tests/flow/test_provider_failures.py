"""The SMS provider fails a reply (5xx, a timeout): retried with backoff, "retrying" shown in
the thread, then "failed" with a Retry button; the phone never gets a reply twice.

Each test runs for every provider (tests/providers.py). The provider's opted-out error (not
retried) is covered in test_flow_outbound.py, for every provider too.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from bot.slack import ids
from bot.worker import sms_jobs
from tests.harness import (
    DESK_CHANNEL,
    accept_new_interaction,
    action_value,
    line_text,
    use_sender,
)

pytestmark = pytest.mark.postgres

CUSTOMER = "+14155550123"
AGENT = "UAGENT1"
RETRYING, FAILED, SENT = "arrows_counterclockwise", "x", "outbox_tray"
WAIT = 20  # seconds: generous, for a busy CI machine


@pytest.fixture
def desk(database_url, provider):
    from tests.harness import start_desk

    running = start_desk(database_url, sms_provider=provider)
    # A failed send is tried again after 50 ms, not after seconds of real backoff.
    running.runtime.worker.retry_backoff = lambda attempts: timedelta(milliseconds=50)
    yield running
    running.close()


def _short_sender_timeout(desk, seconds: float = 0.5) -> None:
    """The app's provider client gives up after `seconds` (10 s in production)."""
    use_sender(desk, timeout=seconds)


def _thread_lines(desk, card) -> list[dict]:
    return desk.slack.thread(DESK_CHANNEL, card["ts"])


def _line_saying(desk, card, words: str) -> dict:
    return desk.slack.wait_for(
        lambda s: next((m for m in _thread_lines(desk, card) if words in line_text(m)), None),
        WAIT, f"no thread line saying {words!r}")


def _wait_mark(desk, ts: str, mark: str) -> None:
    desk.slack.wait_for(lambda s: mark in s.reactions(DESK_CHANNEL, ts), WAIT,
                        f"no :{mark}: on the reply")


def _send_requests(desk) -> list:
    return [c for c in desk.provider.calls if c.method == "POST"]


def _marks_ever_added(desk, ts: str) -> list[str]:
    return [c.params.get("name") for c in desk.slack.calls_to("reactions.add")
            if c.params.get("timestamp") == ts]


def test_an_outage_shows_retrying_and_the_reply_goes_out_once_it_ends(desk, monkeypatch):
    monkeypatch.setattr(sms_jobs, "SEND_ATTEMPTS", 10_000)  # the outage lasts until we end it
    card = accept_new_interaction(desk, CUSTOMER, "Where is my order?")
    desk.provider.fail_next(times=10_000, status=503)
    ts, _ = desk.agent_writes_in_thread(AGENT, card["ts"], "It ships today")

    _wait_mark(desk, ts, RETRYING)
    line = _line_saying(desk, card, "retrying")
    assert f"{desk.kit.label} 503" in line_text(line)
    assert desk.provider.sent_to(CUSTOMER) == []
    desk.provider.wait_for(lambda t: len(_send_requests(desk)) >= 3, WAIT,
                         "the send was not tried again")

    desk.provider.recover()
    _wait_mark(desk, ts, SENT)
    desk.wait_idle(WAIT)
    assert [sms.body for sms in desk.provider.sent_to(CUSTOMER)] == ["It ships today"]
    assert desk.slack.reactions(DESK_CHANNEL, ts) == {SENT}
    # One "retrying" line for the whole outage, not one per try.
    assert sum("retrying" in line_text(m) for m in _thread_lines(desk, card)) == 1


def test_after_the_last_try_the_reply_is_failed_and_retry_sends_it_once(desk):
    card = accept_new_interaction(desk, CUSTOMER, "Hello?")
    desk.provider.fail_next(times=sms_jobs.SEND_ATTEMPTS, status=500)
    ts, _ = desk.agent_writes_in_thread(AGENT, card["ts"], "Sorry for the wait")

    _wait_mark(desk, ts, FAILED)
    failed = _line_saying(desk, card, "could not be sent")
    assert f"{desk.kit.label} 500" in line_text(failed) and "Retry" in line_text(failed)
    assert RETRYING in _marks_ever_added(desk, ts)  # the agent saw it retrying first
    desk.wait_idle(WAIT)
    assert desk.provider.sent_to(CUSTOMER) == []
    assert len(_send_requests(desk)) == sms_jobs.SEND_ATTEMPTS  # tried, then stopped

    # The provider is back; the agent presses Retry (twice, at the same moment).
    value = action_value(failed, ids.RETRY_SEND)
    clicks = [threading.Thread(target=desk.click, args=(AGENT, ids.RETRY_SEND, value),
                               kwargs={"channel": DESK_CHANNEL, "message_ts": failed["ts"]})
              for _ in range(2)]
    for click in clicks:
        click.start()
    for click in clicks:
        click.join()
    _wait_mark(desk, ts, SENT)
    desk.wait_idle(WAIT)
    assert [sms.body for sms in desk.provider.sent_to(CUSTOMER)] == ["Sorry for the wait"]
    assert desk.slack.reactions(DESK_CHANNEL, ts) == {SENT}
    _line_saying(desk, card, "is sending the failed reply again")
    assert any("already being sent again" in e["text"] and e["user"] == AGENT
               for e in desk.slack.ephemerals(DESK_CHANNEL))

    # A late press, after it went out, sends nothing more.
    desk.click(AGENT, ids.RETRY_SEND, value, channel=DESK_CHANNEL, message_ts=failed["ts"])
    desk.wait_idle(WAIT)
    assert len(desk.provider.sent_to(CUSTOMER)) == 1


def test_only_the_holder_can_retry_a_failed_reply(desk):
    card = accept_new_interaction(desk, CUSTOMER, "Hi")
    desk.provider.fail_next(times=sms_jobs.SEND_ATTEMPTS, status=502)
    ts, _ = desk.agent_writes_in_thread(AGENT, card["ts"], "One moment")
    _wait_mark(desk, ts, FAILED)
    failed = _line_saying(desk, card, "could not be sent")
    desk.click("UAGENT2", ids.RETRY_SEND, action_value(failed, ids.RETRY_SEND),
               channel=DESK_CHANNEL, message_ts=failed["ts"])
    desk.slack.wait_for(lambda s: any("Only <@UAGENT1>" in e["text"] and e["user"] == "UAGENT2"
                                      for e in s.ephemerals(DESK_CHANNEL)), WAIT, "no refusal")
    desk.wait_idle(WAIT)
    assert desk.provider.sent_to(CUSTOMER) == []
    assert desk.slack.reactions(DESK_CHANNEL, ts) == {FAILED}


def test_a_send_that_times_out_before_the_provider_takes_it_is_sent_on_the_next_try(desk):
    _short_sender_timeout(desk)
    card = accept_new_interaction(desk, CUSTOMER, "Hello")
    desk.provider.fail_next(status=500)  # The provider hangs, then refuses: it never took the SMS
    desk.provider.delay_next(3.0)
    ts, _ = desk.agent_writes_in_thread(AGENT, card["ts"], "Are you there?")
    _line_saying(desk, card, "retrying")
    _wait_mark(desk, ts, SENT)
    desk.wait_idle(WAIT)
    assert [sms.body for sms in desk.provider.sent_to(CUSTOMER)] == ["Are you there?"]


def test_a_send_that_times_out_after_the_provider_took_it_is_not_sent_twice(desk):
    _short_sender_timeout(desk)
    card = accept_new_interaction(desk, CUSTOMER, "Hello")
    desk.provider.delay_next(3.0)  # The provider takes the SMS but answers too late
    ts, _ = desk.agent_writes_in_thread(AGENT, card["ts"], "Your refund is on its way")
    _wait_mark(desk, ts, SENT)
    desk.wait_idle(WAIT)
    [sms] = desk.provider.sent_to(CUSTOMER)
    assert sms.body == "Your refund is on its way"
    # The status callback for that SMS finds the reply: it was recorded as this send.
    assert desk.carrier_reports(sms, "delivered").status_code < 300
    _wait_mark(desk, ts, "white_check_mark")
