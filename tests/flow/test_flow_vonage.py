"""A desk on Vonage (SMS_PROVIDER=vonage), end to end over HTTP: a customer texts through
Vonage's signed webhook, an agent answers, Vonage reports it delivered; hostile webhooks are
refused and stored nowhere; Vonage's opted-out rejection marks the contact; a send whose
answer never came is found again and not texted twice; an MMS photo reaches the thread."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from bot.slack import ids
from tests.fakes.vonage_api import sign_webhook
from tests.harness import BUSINESS_NUMBER, DESK_CHANNEL, action_value, line_text, start_desk

pytestmark = pytest.mark.postgres

CUSTOMER = "+14155550100"
AGENT = "UAGENT1"
SENT, DELIVERED, FAILED = "outbox_tray", "white_check_mark", "x"
WAIT = 20


@pytest.fixture
def desk(database_url):
    running = start_desk(database_url, sms_provider="vonage")
    running.runtime.worker.retry_backoff = lambda attempts: timedelta(milliseconds=50)
    yield running
    running.close()


def _accept(desk, text: str = "Is my parcel out yet?") -> dict:
    desk.slash(AGENT, ids.COMMAND_READY)
    assert desk.customer_texts(CUSTOMER, text).status_code == 200
    preview = desk.wait_for_preview(AGENT)
    desk.click(AGENT, ids.ACCEPT_OFFER, action_value(preview, ids.ACCEPT_OFFER))
    card = desk.slack.wait_for(lambda s: desk.cards() and desk.cards()[0], WAIT, "no card")
    desk.wait_idle()
    return card


def _wait_mark(desk, ts: str, mark: str) -> None:
    desk.slack.wait_for(lambda s: mark in s.reactions(DESK_CHANNEL, ts), WAIT,
                        f"no :{mark}: on the reply")


def _sends(desk) -> list:
    return [c for c in desk.provider.calls if c.method == "POST" and c.path == "/v1/messages"]


def test_a_customer_texts_through_vonage_the_agent_replies_and_it_is_delivered(desk):
    card = _accept(desk)
    assert "Is my parcel out yet?" in json.dumps(card, default=str)

    ts, _ = desk.agent_writes_in_thread(AGENT, card["ts"], "Yes, it left this morning")
    [sms] = desk.provider.wait_for(lambda v: v.sent_to(CUSTOMER), WAIT, "no SMS sent")
    assert (sms.from_, sms.body) == (BUSINESS_NUMBER, "Yes, it left this morning")
    assert sms.status_callback == desk.url + "/sms/vonage/status"
    assert sms.client_ref and sms.client_ref.startswith("smsdesk-")
    _wait_mark(desk, ts, SENT)

    report = desk.provider.status_payload(sms, "delivered")
    assert desk.kit.post(desk, "/sms/vonage/status", report).status_code == 204
    _wait_mark(desk, ts, DELIVERED)


def test_a_delivered_report_that_overtakes_the_send_answer_marks_the_reply_delivered(desk):
    card = _accept(desk)
    desk.provider.report_before_answering("submitted", "delivered")
    ts, _ = desk.agent_writes_in_thread(AGENT, card["ts"], "On the van")
    desk.provider.wait_for(lambda v: len(v.early_report_answers) == 2, WAIT, "no reports")
    assert desk.provider.early_report_answers == [204, 204]
    desk.slack.wait_for(lambda s: DELIVERED in s.reactions(DESK_CHANNEL, ts), WAIT,
                        "the early report was dropped")


def test_an_opted_out_rejection_that_overtakes_the_send_answer_still_marks_the_contact(desk):
    card = _accept(desk)
    desk.provider.report_before_answering("rejected", error_code=1240)
    ts, _ = desk.agent_writes_in_thread(AGENT, card["ts"], "Hello?")
    desk.provider.wait_for(lambda v: v.early_report_answers == [204], WAIT, "no report")
    _wait_mark(desk, ts, FAILED)
    desk.slack.wait_for(lambda s: any(
        "The customer opted out" in line_text(m) for m in s.thread(DESK_CHANNEL, card["ts"])),
        WAIT, "the early opted-out report was applied without marking the contact")


@pytest.mark.parametrize("forgery", ["unsigned", "wrong secret", "stale", "other body",
                                     "no payload_hash"])
def test_a_hostile_inbound_webhook_is_refused_and_stored_nowhere(desk, forgery):
    desk.slash(AGENT, ids.COMMAND_READY)
    payload = desk.provider.inbound_payload(CUSTOMER, BUSINESS_NUMBER, "Send me the codes")
    body = json.dumps(payload).encode()
    genuine_for_other = sign_webhook(json.dumps({**payload, "text": "hi"}).encode())
    authorization = {
        "unsigned": "",
        "wrong secret": sign_webhook(body, "guessed secret " * 5),
        "stale": sign_webhook(body, issued=0),
        "other body": genuine_for_other,
        "no payload_hash": sign_webhook(body, payload_hash="0" * 64),
    }[forgery]
    answer = desk.http.post(desk.url + "/sms/vonage/inbound", content=body, headers={
        "Content-Type": "application/json", "Authorization": authorization})
    if forgery == "unsigned":
        # Vonage's own signer may fail and send one unsigned; a 5xx makes it send again.
        assert answer.status_code == 503 and answer.headers["Retry-After"]
    else:
        assert answer.status_code == 403
    desk.wait_idle()
    assert desk.previews_for(AGENT) == []
    from sqlalchemy import func, select

    from storage.models import Message
    with desk.db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Message)) == 0


def test_a_forged_status_webhook_changes_nothing(desk):
    card = _accept(desk)
    ts, _ = desk.agent_writes_in_thread(AGENT, card["ts"], "Hello")
    [sms] = desk.provider.wait_for(lambda v: v.sent_to(CUSTOMER), WAIT, "no SMS sent")
    _wait_mark(desk, ts, SENT)
    forged = desk.provider.status_payload(sms, "rejected", 1240)
    answer = desk.kit.post(desk, "/sms/vonage/status", forged,
                               authorization=sign_webhook(b"{}", "guessed secret " * 5))
    assert answer.status_code == 403
    desk.wait_idle()
    assert desk.slack.reactions(DESK_CHANNEL, ts) == {SENT}


def test_vonages_opted_out_rejection_marks_the_contact_opted_out(desk):
    card = _accept(desk)
    ts, _ = desk.agent_writes_in_thread(AGENT, card["ts"], "Hello?")
    [sms] = desk.provider.wait_for(lambda v: v.sent_to(CUSTOMER), WAIT, "no SMS sent")
    # Vonage took it (202), then refuses it: the customer is on its STOP list.
    report = desk.provider.status_payload(sms, "rejected", 1240)
    assert desk.kit.post(desk, "/sms/vonage/status", report).status_code == 204
    _wait_mark(desk, ts, FAILED)
    desk.slack.wait_for(lambda s: any(
        "The customer opted out" in line_text(m) for m in s.thread(DESK_CHANNEL, card["ts"])),
        WAIT, "the thread never says the customer opted out")
    desk.wait_idle()
    assert len(_sends(desk)) == 1  # a rejection is final: not sent again

    # The desk now refuses to text them itself, before Vonage is asked.
    from bot.desk.directory import opt_outs
    with desk.db.transaction() as s:
        assert opt_outs.is_opted_out(s, desk.team_id, CUSTOMER, BUSINESS_NUMBER)


def test_an_opted_out_refusal_at_send_is_not_retried(desk):
    card = _accept(desk)
    desk.provider.fail_next(status=422, code=1240)
    ts, _ = desk.agent_writes_in_thread(AGENT, card["ts"], "Hello?")
    _wait_mark(desk, ts, FAILED)
    desk.wait_idle()
    assert len(_sends(desk)) == 1
    assert any("opted out" in line_text(m)
               for m in desk.slack.thread(DESK_CHANNEL, card["ts"]))


def test_an_outage_is_retried_and_the_reply_goes_out_once(desk):
    card = _accept(desk)
    desk.provider.fail_next(times=2, status=500)
    ts, _ = desk.agent_writes_in_thread(AGENT, card["ts"], "Retry me")
    _wait_mark(desk, ts, SENT)
    desk.wait_idle()
    assert [sms.body for sms in desk.provider.sent_to(CUSTOMER)] == ["Retry me"]


def _short_timeout(desk, seconds: float = 0.5) -> None:
    from bot.sms.vonage import VonageSender

    fake, old = desk.provider, desk.runtime.services.sender
    desk.runtime.services.sender = VonageSender(
        fake.application_id, fake.private_key, fake.api_key, fake.api_secret, fake.url,
        status_url=desk.url + "/sms/vonage/status", timeout=seconds)
    old.close()


def test_a_send_that_times_out_after_vonage_took_it_is_not_sent_twice(desk):
    _short_timeout(desk)
    card = _accept(desk)
    desk.provider.delay_next(3.0)  # Vonage takes the SMS but answers too late
    ts, _ = desk.agent_writes_in_thread(AGENT, card["ts"], "Your refund is on its way")
    _wait_mark(desk, ts, SENT)
    desk.wait_idle(WAIT)
    [sms] = desk.provider.sent_to(CUSTOMER)
    lookups = [c for c in desk.provider.calls if c.path == "/v2/reports/records"]
    assert lookups, "the Reports API was never asked"
    # Its status webhook finds the reply: the earlier send was adopted as this one.
    report = desk.provider.status_payload(sms, "delivered")
    assert desk.kit.post(desk, "/sms/vonage/status", report).status_code == 204
    _wait_mark(desk, ts, DELIVERED)


def test_an_mms_photo_is_fetched_from_vonage_with_the_applications_jwt(desk):
    desk.slash(AGENT, ids.COMMAND_READY)
    payload = desk.provider.mms_payload(CUSTOMER, BUSINESS_NUMBER, "the dent",
                                      b"\x89PNG\r\n\x1a\nfake", "image/png")
    assert desk.kit.post(desk, "/sms/vonage/inbound", payload).status_code == 200
    preview = desk.wait_for_preview(AGENT)
    assert "the dent" in json.dumps(preview, default=str)
    desk.provider.wait_for(lambda v: any(c.path.startswith("/v3/media/") and c.status == 200
                                       for c in v.calls), WAIT, "the photo was never fetched")
