"""What only Telnyx does: its one webhook URL, its payload's shape, its media hosts, its
credentials (`smsdesk doctor`, SMS_PROVIDER=telnyx unconfigured). What every provider does
is tested for Telnyx too, through the `provider` fixture (tests/providers.py)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from bot.config import Env
from bot.slack import ids
from storage.models import Message
from tests.fakes.media_host import FakeMediaHost
from tests.fakes.slack import FakeSlack
from tests.fakes.telnyx_api import FakeTelnyx
from tests.flow.test_health import _doctor
from tests.harness import (
    BUSINESS_NUMBER,
    DESK_CHANNEL,
    accept_new_interaction,
    action_value,
    line_text,
)

CUSTOMER = "+14155550100"
WEBHOOK = "/sms/telnyx/webhook"


@pytest.fixture
def desk(database_url):
    from tests.harness import start_desk

    running = start_desk(database_url, sms_provider="telnyx")
    yield running
    running.close()


def _stored(desk) -> int:
    with desk.db.transaction() as s:
        return s.scalar(select(func.count()).select_from(Message))


def _signed_post(desk, body: bytes):
    return desk.http.post(desk.url + WEBHOOK, content=body, headers=desk.provider.sign(body))


def test_a_signed_webhook_missing_the_sender_gets_a_400_that_says_which(desk):
    body = json.loads(desk.provider.inbound(CUSTOMER, BUSINESS_NUMBER, "hi"))
    del body["data"]["payload"]["from"]
    answer = _signed_post(desk, json.dumps(body).encode())
    assert answer.status_code == 400 and "payload.from.phone_number" in answer.text
    answer = _signed_post(desk, b"not json")
    assert answer.status_code == 400 and "not JSON" in answer.text
    assert _stored(desk) == 0


def test_a_form_body_is_refused_and_twilios_webhook_is_off(desk):
    answer = desk.http.post(desk.url + WEBHOOK, data={"text": "hi"})
    assert answer.status_code == 415
    answer = desk.http.post(desk.url + "/sms/twilio/inbound", data={"Body": "hi"})
    assert answer.status_code == 404 and "SMS_PROVIDER=telnyx" in answer.text


def test_an_event_the_desk_has_no_use_for_is_acknowledged(desk):
    body = desk.provider.event("message.unknown_event", {"id": "x"})
    assert _signed_post(desk, body).status_code == 204


def test_the_same_webhook_delivered_twice_is_one_text(desk):
    body = desk.provider.inbound(CUSTOMER, BUSINESS_NUMBER, "only once")
    for _ in range(2):  # Telnyx retries when our answer is late; same id, same text
        assert _signed_post(desk, body).status_code == 200
    assert _stored(desk) == 1


def test_a_failed_delivery_names_the_telnyx_code_in_the_thread(desk):
    card = accept_new_interaction(desk, CUSTOMER, "Where is it?")
    desk.agent_writes_in_thread("UAGENT1", card["ts"], "On its way")
    [sms] = desk.provider.wait_for(lambda t: t.sent_to(CUSTOMER), 5, "no SMS")
    assert desk.carrier_reports(sms, "delivery_failed", "40006").status_code == 204
    desk.slack.wait_for(lambda s: any(
        "not delivered" in line_text(m) for m in s.thread(DESK_CHANNEL, card["ts"])), 5,
        "the thread never says so")


def test_a_picture_redirected_off_telnyx_is_not_fetched(desk):
    with FakeMediaHost() as elsewhere:
        target = elsewhere.serve("/photo.jpg", b"\xff\xd8not really", "image/jpeg")
        # A media link on the API's own host that answers with a redirect elsewhere.
        url = desk.provider.redirect_media("/media/redirected", target)
        desk.slash("UAGENT1", ids.COMMAND_READY)
        response = desk.kit.inbound(desk, CUSTOMER, BUSINESS_NUMBER, "look",
                                    media_urls=((url, "image/jpeg"),))
        assert response.status_code == 200
        preview = desk.wait_for_preview("UAGENT1")
        desk.click("UAGENT1", ids.ACCEPT_OFFER, action_value(preview, ids.ACCEPT_OFFER))
        card = desk.slack.wait_for(lambda s: desk.cards() and desk.cards()[0], 5, "no card")
        note = desk.slack.wait_for(lambda s: next(
            (m for m in s.thread(DESK_CHANNEL, card["ts"])
             if "could not be shown" in line_text(m)), None), 10, "no note")
        assert "redirected it off Telnyx's hosts" in line_text(note)
        assert elsewhere.requests == []


def test_an_unconfigured_telnyx_desk_lists_everything_missing():
    problems = Env.from_environ({"SMS_PROVIDER": "telnyx", "SLACK_BOT_TOKEN": "xoxb-1",
                                 "SLACK_SIGNING_SECRET": "s"}).problems(socket_mode=False)
    said = "\n".join(problems)
    assert "TELNYX_API_KEY" in said and "API Keys" in said
    assert "TELNYX_PUBLIC_KEY" in said and "Public Key" in said
    assert "SMSDESK_PUBLIC_URL" in said and "/sms/telnyx/webhook" in said
    wrong = Env.from_environ({"SMS_PROVIDER": "telnyx", "TELNYX_PUBLIC_KEY": "c2hvcnQ="})
    assert any("not a base64 Ed25519 public key" in p
               for p in wrong.problems(socket_mode=False))


@pytest.fixture
def telnyx_fakes(tmp_path):
    from storage.db import Database

    slack, telnyx = FakeSlack().start(), FakeTelnyx().start()
    slack.add_channel("CDESK", "sms-desk")
    db = Database(f"sqlite:///{tmp_path / 'd.sqlite3'}")
    db.upgrade()
    db.dispose()
    yield slack, telnyx
    slack.stop()
    telnyx.stop()


def _env(slack, telnyx, tmp_path, **overrides: str) -> dict[str, str]:
    return {"SLACK_BOT_TOKEN": slack.bot_token, "SLACK_SIGNING_SECRET": "s",
            "SLACK_API_URL": slack.url, "SMSDESK_DESK_CHANNEL": "CDESK",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'd.sqlite3'}", "SMS_PROVIDER": "telnyx",
            "TELNYX_API_KEY": telnyx.api_key, "TELNYX_PUBLIC_KEY": telnyx.public_key,
            "TELNYX_API_URL": telnyx.url, "SMSDESK_PUBLIC_URL": "https://desk.example.com",
            **overrides}


def test_doctor_checks_the_telnyx_api_key(telnyx_fakes, tmp_path):
    result = _doctor(_env(*telnyx_fakes, tmp_path), tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "✓ sms: Telnyx API key accepted" in result.stdout

    result = _doctor(_env(*telnyx_fakes, tmp_path, TELNYX_API_KEY="KEYwrong"), tmp_path)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    failed = lines.index("✗ sms: Telnyx 401: the API key is wrong")
    assert "TELNYX_API_KEY" in lines[failed + 1] and "API Keys" in lines[failed + 1]


# --- the adapter against the fake, over real HTTP ----------------------------------------


@pytest.fixture
def telnyx():
    fake = FakeTelnyx().start()
    yield fake
    fake.stop()


def _sender(fake: FakeTelnyx, api_key: str | None = None):
    from bot.sms.telnyx import TelnyxSender

    return TelnyxSender(api_key or fake.api_key, fake.url,
                        webhook_url="https://desk.example.com/sms/telnyx/webhook")


def test_a_send_is_taken_with_its_id_parts_and_webhook(telnyx):
    sender = _sender(telnyx)
    result = sender.send(from_number=BUSINESS_NUMBER, to_number=CUSTOMER, body="✓" * 71)
    [sms] = telnyx.sent
    assert (result.provider_sid, result.status, result.segments) == (sms.sid, "queued", 2)
    assert sms.status_callback == "https://desk.example.com/sms/telnyx/webhook"
    sender.close()


def test_telnyxs_refusals_are_told_plainly_and_sorted_into_permanent_or_not(telnyx):
    from bot.desk.messages import SendError

    sender = _sender(telnyx)
    telnyx.fail_next(status=400, code="40300", message="Blocked due to STOP message")
    telnyx.fail_next(status=503)
    telnyx.fail_next(status=429)
    outcomes = []
    for _ in range(3):
        with pytest.raises(SendError) as refused:
            sender.send(from_number=BUSINESS_NUMBER, to_number=CUSTOMER, body="hi")
        outcomes.append((str(refused.value), refused.value.permanent, refused.value.opted_out))
    assert outcomes == [
        ("Telnyx 400: the customer opted out (texted STOP) of texts from this number (40300)",
         True, True),
        ("Telnyx 503: Unexpected error", False, False),
        ("Telnyx 429: Telnyx is rate limiting the desk (10011)", False, False)]
    with pytest.raises(SendError) as invalid:
        sender.send(from_number=BUSINESS_NUMBER, to_number="4155550100", body="hi")
    assert invalid.value.permanent and "not valid" in str(invalid.value)
    with pytest.raises(SendError) as wrong_key:
        _sender(telnyx, "KEYwrong").check()
    assert wrong_key.value.permanent and "API key is wrong" in str(wrong_key.value)
    assert _sender(telnyx).check() == "Telnyx API key accepted"
    sender.close()


def test_after_a_timeout_the_sends_telnyx_took_are_found_newest_first(telnyx):
    from datetime import UTC, datetime, timedelta

    sender = _sender(telnyx)
    since = datetime.now(UTC) - timedelta(seconds=5)
    first = sender.send(from_number=BUSINESS_NUMBER, to_number=CUSTOMER, body="one")
    sender.send(from_number=BUSINESS_NUMBER, to_number="+14155550199", body="elsewhere")
    second = sender.send(from_number=BUSINESS_NUMBER, to_number=CUSTOMER, body="two")
    found = sender.find_sent(from_number=BUSINESS_NUMBER, to_number=CUSTOMER, body="two",
                             since=since)
    assert [r.provider_sid for r in found] == [second.provider_sid, first.provider_sid]
    assert sender.find_sent(from_number=BUSINESS_NUMBER, to_number=CUSTOMER, body="two",
                            since=datetime.now(UTC) + timedelta(minutes=1)) == []
    sender.close()


def test_the_fakes_webhooks_verify_with_the_public_key_it_shows(telnyx):
    from bot.sms.telnyx import public_key_of, signature_problem

    body = telnyx.inbound(CUSTOMER, BUSINESS_NUMBER, "hi")
    headers = telnyx.sign(body)
    assert signature_problem(public_key_of(telnyx.public_key), body,
                             headers["telnyx-signature-ed25519"],
                             headers["telnyx-timestamp"]) is None
