"""Delivery reports that overtake their send: kept, applied with the send, forgotten in time,
and never lost to the race itself (on PostgreSQL the two transactions really overlap)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.config import Settings
from bot.desk import replies
from bot.desk.data_protection import retention
from bot.desk.messages import DeliveryStatus, SendResult
from storage import clock
from storage.models import Contact, Interaction, Message, UnmatchedDeliveryReport
from tests.harness import in_parallel

pytestmark = pytest.mark.postgres
SETTINGS = Settings(desk_channel="CDESK", offer_timeout_seconds=30)


@pytest.fixture(autouse=True)
def real_time():
    yield
    clock.reset()


def _reply_being_sent(db, number: int = 0) -> int:
    """An agent's reply in an open session-mode interaction, handed to Twilio."""
    with db.transaction() as s:
        contact = Contact(team_id="T1", phone=f"+1415555{number:04d}")
        s.add(contact)
        s.flush()
        interaction = Interaction(team_id="T1", contact_id=contact.id, mode="session",
                                  business_number="+15005550006", state="accepted",
                                  agent_user_id="UAGENT1")
        s.add(interaction)
        s.flush()
        message = Message(team_id="T1", interaction_id=interaction.id, direction="outbound",
                          body="On its way", author_user_id="UAGENT1", provider="twilio",
                          from_number="+15005550006", to_number=contact.phone,
                          delivery_state="sending")
        s.add(message)
        s.flush()
        return message.id


def _state(db, message_id: int) -> str:
    with db.transaction() as s:
        return s.get_one(Message, message_id).delivery_state


def _kept(db) -> int:
    with db.transaction() as s:
        return s.scalar(select(func.count()).select_from(UnmatchedDeliveryReport))


def test_a_report_on_a_send_not_recorded_yet_is_applied_when_it_is(db):
    message_id = _reply_being_sent(db)
    assert not replies.apply_delivery_status(db, DeliveryStatus("twilio", "SM1", "delivered"))
    assert _state(db, message_id) == "sending"

    replies.record_send_result(db, SETTINGS, message_id, SendResult("SM1", "queued"))
    assert _state(db, message_id) == "delivered"
    assert _kept(db) == 0  # taken with the send


def test_an_opted_out_report_that_overtook_its_send_still_opts_the_number_out(db):
    from bot.desk.directory import opt_outs

    message_id = _reply_being_sent(db)
    report = DeliveryStatus("twilio", "SM1", "failed", "40300", opted_out=True)
    assert not replies.apply_delivery_status(db, report)

    replies.record_send_result(db, SETTINGS, message_id, SendResult("SM1", "queued"))
    with db.transaction() as s:
        message = s.get_one(Message, message_id)
        assert (message.delivery_state, message.error) == ("failed", "error 40300")
        assert opt_outs.is_opted_out(s, "T1", message.to_number, message.from_number)


def test_a_report_older_than_the_window_is_not_applied(db):
    message_id = _reply_being_sent(db)
    replies.apply_delivery_status(db, DeliveryStatus("twilio", "SM1", "undelivered", "30003"))
    clock.travel(replies.delivery.UNMATCHED_KEPT_FOR + timedelta(seconds=1))

    replies.record_send_result(db, SETTINGS, message_id, SendResult("SM1", "queued"))
    assert _state(db, message_id) == "queued"  # too old to trust: it waits for a fresh one
    assert _kept(db) == 0


def test_the_retention_timer_forgets_reports_no_send_claimed(db):
    replies.apply_delivery_status(db, DeliveryStatus("twilio", "SMOLD", "delivered"))
    clock.travel(replies.delivery.UNMATCHED_KEPT_FOR + timedelta(seconds=1))
    replies.apply_delivery_status(db, DeliveryStatus("twilio", "SMNEW", "delivered"))

    retention.purge_due(db, lambda _team: SETTINGS)
    with db.transaction() as s:
        assert list(s.scalars(select(UnmatchedDeliveryReport.provider_sid))) == ["SMNEW"]


def test_a_report_that_cannot_move_a_reply_is_not_kept(db):
    replies.apply_delivery_status(db, DeliveryStatus("twilio", "SM1", "read"))
    assert _kept(db) == 0


def test_a_report_racing_its_send_is_never_lost(db):
    """Each report and its send's answer stored at the same moment, many times over: on
    PostgreSQL the two transactions overlap, and each must see the other's work."""
    message_ids = [_reply_being_sent(db, number) for number in range(15)]
    for number, message_id in enumerate(message_ids):
        sid = f"SMRACE{number}"
        in_parallel(2, lambda side, sid=sid, message_id=message_id: (
            replies.apply_delivery_status(db, DeliveryStatus("twilio", sid, "delivered"))
            if side == 0 else
            replies.record_send_result(db, SETTINGS, message_id, SendResult(sid, "queued"))))
    assert {_state(db, message_id) for message_id in message_ids} == {"delivered"}
    assert _kept(db) == 0


def test_a_send_recorded_by_another_run_of_its_job_is_adopted_not_sent_again(db):
    """A worker taken for dead (silent past its heartbeat) while it sent: its job runs again
    elsewhere, finds the provider's SMS, and meanwhile the first run records it. The SMS is
    this reply's own; seen on the old code as a reply texted twice (test_kill_burst)."""
    message_id = _reply_being_sent(db)
    sent = SendResult("SM1", "queued")
    replies.record_send_result(db, SETTINGS, message_id, sent)  # the first run, late
    assert replies.adopt_earlier_send(db, SETTINGS, message_id, [sent])  # the second run
    with db.transaction() as s:
        assert s.get_one(Message, message_id).provider_sid == "SM1"
