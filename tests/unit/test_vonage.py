"""Vonage's signed webhooks: what is let in and what is refused; its states in the desk's
words; its inbound shapes read; its errors judged permanent or not."""

from __future__ import annotations

import json
import time

import jwt
import pytest

from bot.desk.messages import MediaFetchError, SendError
from bot.sms import vonage
from tests.fakes.vonage_api import SIGNATURE_SECRET, FakeVonage, SentSms, sign_webhook

BODY = json.dumps(FakeVonage.inbound_payload("+14155550100", "+14155550199", "Hi")).encode()
NOW = 1_800_000_000.0


def _verify(authorization: str | None, body: bytes = BODY, now: float = NOW) -> dict:
    return vonage.verify_webhook(authorization, body, SIGNATURE_SECRET, now=now,
                                 application_id="aaaaaaaa-bbbb-cccc-dddd-0123456789ab")


def test_a_webhook_signed_with_the_secret_for_its_body_is_let_in():
    claims = _verify(sign_webhook(BODY, issued=NOW - 10))
    assert claims["iss"] == "Vonage"


@pytest.mark.parametrize("authorization, why", [
    (None, "not signed"),
    ("Basic YWJjOmRlZg==", "Bearer"),
    ("Bearer not.a.jwt", "signature"),
    (sign_webhook(BODY, "another secret " * 5, issued=NOW), "signature"),
    (sign_webhook(BODY, issued=NOW, algorithm="HS512"), "signature"),
    ("Bearer " + jwt.encode({"iat": int(NOW), "payload_hash": "x"}, None, algorithm="none"),
     "signature"),
])
def test_a_forged_token_is_refused(authorization, why):
    with pytest.raises(vonage.WebhookError, match=why):
        _verify(authorization)


def test_a_stale_token_is_refused_even_with_the_right_signature_and_body():
    with pytest.raises(vonage.WebhookError, match="stale"):
        _verify(sign_webhook(BODY, issued=NOW - vonage.MAX_AGE - 1))
    with pytest.raises(vonage.WebhookError, match="future"):
        _verify(sign_webhook(BODY, issued=NOW + vonage.CLOCK_SKEW + 5))


def test_a_token_replayed_with_another_body_is_refused():
    genuine = sign_webhook(BODY, issued=NOW)
    other = BODY.replace(b'"Hi"', b'"Send me your password"')
    with pytest.raises(vonage.WebhookError, match="payload_hash"):
        _verify(genuine, other)


def test_a_token_without_payload_hash_or_iat_or_for_another_application_is_refused():
    bare = "Bearer " + jwt.encode({"iat": int(NOW)}, SIGNATURE_SECRET, algorithm="HS256")
    with pytest.raises(vonage.WebhookError, match="payload_hash"):
        _verify(bare)
    odd = "Bearer " + jwt.encode({"iat": int(NOW), "payload_hash": "é" * 64},
                                 SIGNATURE_SECRET, algorithm="HS256")
    with pytest.raises(vonage.WebhookError, match="payload_hash"):
        _verify(odd)
    timeless = "Bearer " + jwt.encode({"payload_hash": vonage.payload_hash(BODY)},
                                      SIGNATURE_SECRET, algorithm="HS256")
    with pytest.raises(vonage.WebhookError, match="no iat"):
        _verify(timeless)
    with pytest.raises(vonage.WebhookError, match="another Vonage application"):
        _verify(sign_webhook(BODY, issued=NOW, application_id="someone-else"))


@pytest.mark.parametrize("status, state", [
    ("submitted", "sent"), ("delivered", "delivered"), ("read", "delivered"),
    ("rejected", "failed"), ("undeliverable", "undelivered"),
])
def test_status_webhooks_map_onto_the_desks_states(status, state):
    sms = SentSms("uuid-1", "+14155550100", "+14155550199", "Hi", None, "ref", 0.0)
    report = vonage.parse_status(FakeVonage().status_payload(sms, status))
    assert (report.provider, report.provider_sid, report.status) == ("vonage", "uuid-1", state)
    assert report.error_code is None and not report.opted_out


def test_a_rejection_for_an_opted_out_number_says_so():
    sms = SentSms("uuid-2", "+14155550100", "+14155550199", "Hi", None, None, 0.0)
    report = vonage.parse_status(FakeVonage().status_payload(sms, "rejected", 1240))
    assert (report.status, report.error_code, report.opted_out) == ("failed", "1240", True)
    other = vonage.parse_status(FakeVonage().status_payload(sms, "rejected", 1260))
    assert (other.error_code, other.opted_out) == ("1260", False)


def test_an_unknown_status_is_refused_not_guessed():
    with pytest.raises(vonage.WebhookError):
        vonage.parse_status({"message_uuid": "u", "status": "teleported"})


def test_inbound_sms_and_mms_are_read_with_numbers_in_e164():
    message = vonage.parse_inbound(json.loads(BODY), lambda _n: "US")
    assert (message.from_number, message.to_number, message.body) == (
        "+14155550100", "+14155550199", "Hi")
    mms = vonage.parse_inbound({
        "channel": "mms", "message_uuid": "m1", "to": "14155550199", "from": "14155550100",
        "message_type": "image",
        "image": {"url": "https://api-us.nexmo.com/v3/media/abc", "caption": "the dent"}},
        lambda _n: "US")
    assert mms.body == "the dent"
    assert [m.url for m in mms.media] == ["https://api-us.nexmo.com/v3/media/abc"]


@pytest.mark.parametrize("payload", [
    {"channel": "whatsapp", "message_uuid": "u", "to": "1", "from": "2",
     "message_type": "text", "text": "x"},
    {"channel": "sms", "to": "14155550199", "from": "14155550100", "message_type": "text",
     "text": "x"},
    {"channel": "mms", "message_uuid": "u", "to": "14155550199", "from": "14155550100",
     "message_type": "image", "image": {"url": "file:///etc/passwd"}},
])
def test_inbound_webhooks_the_desk_cannot_take_are_refused(payload):
    with pytest.raises(vonage.WebhookError):
        vonage.parse_inbound(payload, lambda _n: "US")


@pytest.mark.parametrize("status, code, permanent", [
    (429, 1000, False), (500, 1030, False), (422, 1170, True), (402, 1070, True),
    (422, 1240, True), (401, 1010, True), (422, 1220, False),
])
def test_send_errors_are_permanent_or_retryable_by_code(status, code, permanent):
    with FakeVonage().start() as fake:
        fake.fail_next(status=status, code=code)
        sender = vonage.VonageSender(fake.application_id, fake.private_key, fake.api_key,
                                     fake.api_secret, fake.url)
        with pytest.raises(SendError) as raised:
            sender.send(from_number="+14155550199", to_number="+14155550100", body="Hi")
        sender.close()
    assert raised.value.code == str(code)
    assert raised.value.permanent is permanent
    assert raised.value.opted_out is (code == 1240)


def test_media_goes_with_the_jwt_to_vonage_only():
    with FakeVonage().start() as fake:
        sender = vonage.VonageSender(fake.application_id, fake.private_key, fake.api_key,
                                     fake.api_secret, fake.url)
        url = fake.add_media(b"\x89PNG...", "image/png")
        assert sender.fetch_media(url, 1024) == (b"\x89PNG...", "image/png")
        with pytest.raises(MediaFetchError, match="not on Vonage"):
            sender.fetch_media("https://attacker.example/v3/media/abc", 1024)
        with pytest.raises(MediaFetchError, match="not on Vonage"):
            sender.fetch_media(fake.url + "/v1/messages", 1024)
        sender.close()


def test_the_client_ref_is_the_same_for_every_try_of_one_reply():
    first = vonage.client_ref("+14155550199", "+14155550100", "Hi")
    assert first == vonage.client_ref("+14155550199", "+14155550100", "Hi")
    assert first != vonage.client_ref("+14155550199", "+14155550100", "Hi!")
    assert len(first) <= 100  # Vonage's limit


def test_readiness_proves_the_key_pair_and_the_credentials():
    with FakeVonage().start() as fake:
        good = vonage.VonageSender(fake.application_id, fake.private_key, fake.api_key,
                                   fake.api_secret, fake.url)
        assert "ready" in good.check()
        wrong = vonage.VonageSender(fake.application_id, fake.private_key, fake.api_key,
                                    "not the secret", fake.url)
        with pytest.raises(SendError, match="API key or secret") as raised:
            wrong.check()
        assert raised.value.permanent
        good.close()
        wrong.close()


def test_time_is_not_checked_against_a_frozen_clock():
    # verify_webhook's default `now` is the real clock.
    body = b"{}"
    assert vonage.verify_webhook(sign_webhook(body, issued=time.time()), body,
                                 SIGNATURE_SECRET)


def _sender(fake: FakeVonage) -> vonage.VonageSender:
    return vonage.VonageSender(fake.application_id, fake.private_key, fake.api_key,
                               fake.api_secret, fake.url)


def test_after_a_timeout_the_reports_api_finds_the_send_by_its_client_ref():
    from datetime import UTC, datetime, timedelta

    since = datetime.now(UTC) - timedelta(minutes=2)
    with FakeVonage().start() as fake:
        sender = _sender(fake)
        taken = sender.send(from_number="+14155550199", to_number="+14155550100", body="Hi")
        sender.send(from_number="+14155550199", to_number="+14155550100", body="Other")
        found = sender.find_sent(from_number="+14155550199", to_number="+14155550100",
                                 body="Hi", since=since)
        assert [f.provider_sid for f in found] == [taken.provider_sid]
        # Further batches are read when the account sent more since.
        fake.records_page = 1
        assert [f.provider_sid for f in sender.find_sent(
            from_number="+14155550199", to_number="+14155550100", body="Hi", since=since)
        ] == [taken.provider_sid]
        # Reports can lag the send: then nothing is found, and the desk sends again (the
        # one window this lookup leaves, README "Vonage").
        fake.records_lag = True
        assert sender.find_sent(from_number="+14155550199", to_number="+14155550100",
                                body="Hi", since=since) == []
        [lookup] = [c for c in fake.calls if c.path == "/v2/reports/records"][:1]
        assert lookup.method == "GET"
        sender.close()


def test_an_erasure_redacts_the_message_at_vonage_once():
    with FakeVonage().start() as fake:
        sender = _sender(fake)
        taken = sender.send(from_number="+14155550199", to_number="+14155550100", body="Hi")
        assert sender.delete_message(taken.provider_sid) is True
        assert fake.redacted == [(taken.provider_sid, "outbound")]
        assert sender.delete_message(taken.provider_sid) is False  # no longer there
        sender.close()


def test_the_private_key_is_read_from_its_file_or_from_one_line_of_pem(tmp_path):
    from bot.config.env import VonageEnv
    from tests.fakes.vonage_api import application_keys

    pem = application_keys()[0]
    one_line = pem.strip().replace("\n", "\\n")  # as an .env file holds it
    key_file = tmp_path / "private.key"
    key_file.write_text(pem)
    for value in (one_line, str(key_file)):
        config = VonageEnv.from_environ({"VONAGE_PRIVATE_KEY": value})
        assert config.key_problem is None
        assert vonage.vonage_media.key_pair_matches(config.private_key or "",
                                                    application_keys()[1])
    (tmp_path / "notes.txt").write_text("not a key")
    assert "holds no PEM private key" in (VonageEnv.from_environ(
        {"VONAGE_PRIVATE_KEY": str(tmp_path / "notes.txt")}).key_problem or "")
