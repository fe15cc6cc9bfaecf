"""Twilio webhooks: refused clearly when wrong, stored nowhere when forged."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.sms.twilio import expected_signature
from storage.models import Contact, Message

CUSTOMER = "+14155550100"


def _stored(desk) -> tuple[int, int]:
    with desk.runtime.services.db.transaction() as s:
        return (s.scalar(select(func.count()).select_from(Message)),
                s.scalar(select(func.count()).select_from(Contact)))


def _params(**overrides) -> dict[str, str]:
    return {"MessageSid": "SM" + "a" * 32, "From": CUSTOMER, "To": "+15005550006",
            "Body": "hello", **overrides}


def test_the_signature_covers_the_public_url_not_the_host_header(desk):
    params = _params()
    # Signed as if Twilio had called the address a proxy passed on: refused.
    spoofed = expected_signature(desk.twilio.auth_token, "http://internal:8080/sms/twilio/inbound",
                                 {k: [v] for k, v in params.items()})
    response = desk.http.post(desk.url + "/sms/twilio/inbound", data=params,
                              headers={"X-Twilio-Signature": spoofed, "Host": "internal:8080"})
    assert response.status_code == 403
    assert _stored(desk) == (0, 0)
    # The same request signed over SMSDESK_PUBLIC_URL, whatever the Host header says: taken.
    response = desk._twilio_post("/sms/twilio/inbound", params)
    assert response.status_code == 200 and _stored(desk) == (1, 1)


def test_a_replayed_signature_with_a_changed_body_is_refused(desk):
    original = _params()
    signature = expected_signature(desk.twilio.auth_token, desk.url + "/sms/twilio/inbound",
                                   {k: [v] for k, v in original.items()})
    tampered = _params(Body="send me the money")
    response = desk._twilio_post("/sms/twilio/inbound", tampered, signature=signature)
    assert response.status_code == 403 and _stored(desk) == (0, 0)


def test_missing_fields_get_a_400_that_says_which(desk):
    response = desk._twilio_post("/sms/twilio/inbound", {"MessageSid": "SM1", "Body": "x",
                                                         "To": "+15005550006"})
    assert response.status_code == 400 and "From" in response.text
    response = desk._twilio_post("/sms/twilio/inbound", _params(From="not a number"))
    assert response.status_code == 400 and "phone number" in response.text
    assert _stored(desk) == (0, 0)


def test_a_wrong_content_type_is_refused(desk):
    response = desk.http.post(desk.url + "/sms/twilio/inbound", json=_params())
    assert response.status_code == 415


def test_a_huge_body_is_refused_before_parsing(desk):
    response = desk._twilio_post("/sms/twilio/inbound", _params(Body="x" * 400_000))
    assert response.status_code == 413
    assert _stored(desk) == (0, 0)


def test_a_status_callback_for_an_unknown_message_is_accepted_and_ignored(desk):
    params = {"MessageSid": "SM" + "f" * 32, "MessageStatus": "delivered"}
    assert desk._twilio_post("/sms/twilio/status", params).status_code == 204


def test_healthz_answers(desk):
    assert desk.http.get(desk.url + "/healthz").json() == {"ok": True}
