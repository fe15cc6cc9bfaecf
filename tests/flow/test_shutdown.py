"""`smsdesk serve` stopped by SIGTERM, as a deploy does: the job in flight finishes first."""

from __future__ import annotations

import signal
import time

from sqlalchemy import select

from bot.slack import ids
from storage.models import Job, Message
from tests.harness import BUSINESS_NUMBER, DESK_CHANNEL, action_value, desk_process

CUSTOMER = "+14155550100"
SETTINGS = f"""
[desk]
channel = "{DESK_CHANNEL}"
business_numbers = ["{BUSINESS_NUMBER}"]
"""
TWILIO_DELAY = 3.0


def test_sigterm_lets_the_reply_being_sent_finish_then_exits_0(database_url, tmp_path):
    app = desk_process(database_url, tmp_path, SETTINGS)
    try:
        app.start()
        app.slash("UAGENT1", ids.COMMAND_READY)
        app.customer_texts(CUSTOMER, "Is it shipped?")
        preview = app.wait_for_preview("UAGENT1")
        app.click("UAGENT1", ids.ACCEPT_OFFER, action_value(preview, ids.ACCEPT_OFFER))
        card = app.slack.wait_for(lambda s: app.cards() and app.cards()[0], 10, "no card")

        app.twilio.delay_next(TWILIO_DELAY)  # Twilio takes its time answering this send
        app.agent_writes_in_thread("UAGENT1", card["ts"], "Yes, this morning")
        app.twilio.wait_for(lambda t: t.sent_to(CUSTOMER), 10, "the send never started")
        sent_at = time.monotonic()
        app.process.send_signal(signal.SIGTERM)
        assert app.process.wait(25) == 0, app.log()
        assert time.monotonic() - sent_at >= TWILIO_DELAY - 0.5  # it waited for the answer

        # The job finished: Twilio's answer is recorded, so nothing is sent twice later.
        with app.db.transaction() as s:
            reply = s.scalars(select(Message).where(Message.direction == "outbound")).one()
            send_job = s.scalars(select(Job).where(Job.kind == "sms.send")).one()
            assert reply.provider_sid == app.twilio.sent_to(CUSTOMER)[0].sid
            assert send_job.state == "done"
        assert "SIGTERM received: stopping" in app.log()
        assert "all jobs finished" in app.log()
        assert len(app.twilio.sent_to(CUSTOMER)) == 1
    finally:
        app.close()
        app.slack.stop()
        app.twilio.stop()
