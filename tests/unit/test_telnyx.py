"""Telnyx's signature check, payload reading and media hosts: pure functions, no HTTP."""

from __future__ import annotations

import base64
import json

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from bot.sms import telnyx, telnyx_media

NOW = 1_760_000_000


def _keys() -> tuple[Ed25519PrivateKey, str]:
    private = Ed25519PrivateKey.generate()
    raw = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return private, base64.b64encode(raw).decode()


def _signature(private: Ed25519PrivateKey, timestamp: int, body: bytes) -> str:
    return base64.b64encode(private.sign(f"{timestamp}|".encode() + body)).decode()


def test_a_signature_over_timestamp_and_body_within_the_tolerance_is_telnyxs():
    private, public = _keys()
    key, body = telnyx.public_key_of(public), b'{"data": {}}'
    for age in (0, 299, -299):
        signature = _signature(private, NOW - age, body)
        assert telnyx.signature_problem(key, body, signature, str(NOW - age), now=NOW) is None


@pytest.mark.parametrize(("change", "problem"), [
    ("stale", "more than 300 s away"),
    ("future", "more than 300 s away"),
    ("body", "does not match"),
    ("timestamp", "does not match"),
    ("other key", "does not match"),
    ("garbage", "does not match"),
    ("missing", "are required"),
    ("not a number", "not a Unix time"),
])
def test_what_is_not_telnyxs_is_told_why(change, problem):
    private, public = _keys()
    key, body, stamp = telnyx.public_key_of(public), b'{"data": {}}', NOW
    signature = _signature(private, stamp, body)
    sent_body, sent_stamp, sent_signature = body, str(stamp), signature
    if change == "stale":
        sent_stamp = str(NOW - 301)
        sent_signature = _signature(private, NOW - 301, body)
    elif change == "future":
        sent_stamp = str(NOW + 301)
        sent_signature = _signature(private, NOW + 301, body)
    elif change == "body":
        sent_body = b'{"data": {"x": 1}}'
    elif change == "timestamp":
        sent_stamp = str(NOW - 1)
    elif change == "other key":
        sent_signature = _signature(Ed25519PrivateKey.generate(), stamp, body)
    elif change == "garbage":
        sent_signature = "not base64!"
    elif change == "missing":
        sent_signature = None
    elif change == "not a number":
        sent_stamp = "yesterday"
    found = telnyx.signature_problem(key, sent_body, sent_signature, sent_stamp, now=NOW)
    assert found is not None and problem in found


def test_a_public_key_that_is_not_one_is_refused_with_a_reason():
    with pytest.raises(ValueError, match="not base64"):
        telnyx.public_key_of("***")
    with pytest.raises(ValueError, match="32-byte"):
        telnyx.public_key_of(base64.b64encode(b"short").decode())


def _payload(**changes) -> dict:
    payload = {"id": "b0b6a5c2-1", "from": {"phone_number": "+14155550100",
                                             "carrier": "T-MOBILE USA, INC."},
               "to": [{"phone_number": "+15005550006", "status": "webhook_delivered"}],
               "text": "hi", "media": []}
    payload.update(changes)
    return payload


def test_an_inbound_payload_is_read_with_its_media_and_carrier():
    message = telnyx.parse_inbound(_payload(media=[
        {"url": "https://media.telnyx.com/a.jpg", "content_type": "image/jpeg"}]),
        lambda _number: "US")
    assert (message.provider, message.provider_sid) == ("telnyx", "b0b6a5c2-1")
    assert (message.from_number, message.to_number, message.body) == (
        "+14155550100", "+15005550006", "hi")
    assert message.case_data == {"Carrier": "T-MOBILE USA, INC."}
    assert [(m.url, m.content_type) for m in message.media] == [
        ("https://media.telnyx.com/a.jpg", "image/jpeg")]
    # Pictures only: no text, an empty body.
    assert telnyx.parse_inbound(_payload(text=None), lambda _n: None).body == ""


@pytest.mark.parametrize(("changes", "named"), [
    ({"id": None}, "payload.id"),
    ({"from": None}, "payload.from.phone_number"),
    ({"to": []}, "payload.to[0].phone_number"),
    ({"text": 5}, "payload.text"),
    ({"media": [{"url": "file:///etc/passwd"}]}, "payload.media[0].url"),
    ({"media": [{"url": "https://media.telnyx.com/a"}] * 11}, "at most 10"),
    ({"from": {"phone_number": "not a number"}}, "phone number"),
])
def test_a_broken_inbound_payload_is_refused_naming_the_field(changes, named):
    with pytest.raises(telnyx.WebhookError, match=named.replace("[", r"\[").replace("]", r"\]")):
        telnyx.parse_inbound(_payload(**changes), lambda _n: None)


@pytest.mark.parametrize(("native", "desk_state"), [
    ("queued", "queued"), ("sending", "sending"), ("sent", "sent"),
    ("delivered", "delivered"), ("sending_failed", "failed"),
    ("delivery_failed", "undelivered"), ("expired", "undelivered"),
    ("delivery_unconfirmed", "sent"),
])
def test_telnyxs_states_become_the_desks(native, desk_state):
    status = telnyx.parse_status({"id": "m1", "to": [{"phone_number": "+1", "status": native}],
                                  "errors": []})
    assert (status.provider_sid, status.status, status.opted_out) == ("m1", desk_state, False)


def test_a_report_of_a_stop_block_says_the_recipient_opted_out():
    status = telnyx.parse_status({"id": "m1", "to": [{"status": "sending_failed"}],
                                  "errors": [{"code": "40300", "title": "Blocked"}]})
    assert status.error_code == "40300" and status.opted_out


def test_an_event_body_is_read_or_refused():
    body = json.dumps({"data": {"event_type": "message.sent", "payload": {"id": "m"}}})
    assert telnyx.parse_event(body.encode()) == ("message.sent", {"id": "m"})
    for bad in (b"[]", b'{"data": {}}', b"\xff"):
        with pytest.raises(telnyx.WebhookError):
            telnyx.parse_event(bad)


@pytest.mark.parametrize(("url", "held"), [
    ("https://api.telnyx.com/v2/media/1", True),  # the API itself
    ("https://media.telnyx.com/abc.jpg", True),
    ("https://telnyx.com/abc.jpg", True),
    ("http://media.telnyx.com/abc.jpg", False),  # not https
    ("https://media.telnyx.com:8443/abc.jpg", False),
    ("https://telnyx.com.evil.example/abc.jpg", False),
    ("https://eviltelnyx.com/abc.jpg", False),
    ("https://user:pw@media.telnyx.com/abc.jpg", False),
    ("https://169.254.169.254/latest/meta-data", False),
])
def test_media_is_fetched_only_from_telnyxs_hosts(url, held):
    origin = telnyx_media.MediaOrigin.of_api("https://api.telnyx.com")
    assert origin.holds(httpx.URL(url)) is held
