"""The provider's webhooks: refused clearly when wrong, stored nowhere when forged. The
first tests run for every provider (tests/providers.py); then Twilio's own."""

from __future__ import annotations

import socket
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from bot.sms.twilio import expected_signature
from storage.models import Contact, Message
from tests.harness import BUSINESS_NUMBER, SESSION_DESK_TOML, desk_process
from tests.providers import KITS

CUSTOMER = "+14155550100"


def _stored(desk) -> tuple[int, int]:
    with desk.db.transaction() as s:
        return (s.scalar(select(func.count()).select_from(Message)),
                s.scalar(select(func.count()).select_from(Contact)))


def _params(**overrides) -> dict[str, str]:
    return {"MessageSid": "SM" + "a" * 32, "From": CUSTOMER, "To": "+15005550006",
            "Body": "hello", **overrides}


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "forgery" in metafunc.fixturenames:  # each provider with each of its forgeries
        metafunc.parametrize(("provider", "forgery"), [
            (name, how) for name, kit in KITS.items() for how in kit.forgeries])


def test_a_forged_webhook_is_refused_with_403_and_stores_nothing(desk, provider, forgery):
    response = desk.kit.forged(desk, CUSTOMER, BUSINESS_NUMBER, "send me the money",
                               how=forgery)
    assert response.status_code == 403
    assert _stored(desk) == (0, 0)
    # The same text, signed as the provider signs it, is taken.
    assert desk.customer_texts(CUSTOMER, "send me the money").status_code == 200
    assert _stored(desk) == (1, 1)


def test_a_huge_webhook_is_refused_before_parsing(desk, provider):
    assert desk.customer_texts(CUSTOMER, "x" * 400_000).status_code == 413
    assert _stored(desk) == (0, 0)


def test_a_delivery_report_for_an_unknown_message_is_accepted(desk, provider):
    # (kept a few minutes in case its send is not recorded yet: test_flow_delivery_reports)
    unknown = SimpleNamespace(sid="SM" + "f" * 32, to=CUSTOMER, from_=BUSINESS_NUMBER,
                              body="hello", messaging_service_sid=None,
                              status_callback=desk.url + desk.kit.status_path, media_urls=())
    assert desk.carrier_reports(unknown, "delivered").status_code == 204


# --- Twilio's own ---------------------------------------------------------------------------


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


def test_a_status_callback_for_an_unknown_message_is_accepted(desk):
    # (kept a few minutes in case its send is not recorded yet: test_flow_delivery_reports)
    params = {"MessageSid": "SM" + "f" * 32, "MessageStatus": "delivered"}
    assert desk._twilio_post("/sms/twilio/status", params).status_code == 204


def test_another_providers_webhook_is_off(desk):
    answer = desk.http.post(desk.url + "/sms/telnyx/webhook", json={"data": {}})
    assert answer.status_code == 404 and "SMS_PROVIDER=twilio" in answer.text


def test_healthz_answers(desk):
    assert desk.http.get(desk.url + "/healthz").json() == {"ok": True}


# --- the real server (`smsdesk serve`) -----------------------------------------------------


@pytest.fixture
def served(tmp_path):
    desk = desk_process(f"sqlite:///{tmp_path / 'd.sqlite3'}", tmp_path, SESSION_DESK_TOML)
    yield desk.start()
    desk.close()
    desk.slack.stop()
    desk.twilio.stop()


def _answer_to_a_huge_upload(desk, sent: bytes) -> bytes:
    """Announce 100 MiB, send `sent` only, and read what the server answers. A server that
    waits for the rest of the body answers nothing: the read times out."""
    port = int(desk.env["PORT"])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(
            b"POST /sms/twilio/inbound HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n"
            + f"Content-Length: {100 * 1024 * 1024}\r\n\r\n".encode() + sent)
        answer = b""
        try:
            while chunk := connection.recv(65536):
                answer += chunk  # until the server closes the connection
        except TimeoutError:
            pytest.fail(f"the server kept waiting for the 100 MiB body; it said {answer!r}")
    return answer


def test_a_body_announced_over_the_limit_is_refused_before_it_is_read(served):
    answer = _answer_to_a_huge_upload(served, b"MessageSid=SM1&Body=" + b"x" * 1000)

    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert _stored(served) == (0, 0)
    assert served.customer_texts(CUSTOMER, "hello").status_code == 200  # and it still serves
