"""Telnyx adapter (Messaging API v2): verify webhook signatures, parse webhooks, send.

Telnyx signs each webhook with Ed25519 over `{telnyx-timestamp}|{raw body}`; the public key
is the account's (Mission Control Portal > Keys & Credentials > Public Key). One webhook URL
gets every event: message.received (an inbound SMS or MMS), message.sent and
message.finalized (delivery reports of what we sent).

What Telnyx does on STOP: with the messaging profile's opt-out handling on (the default for
US long codes), Telnyx answers the keyword itself and from then on refuses to send from
that profile to the number, with error 40300 ("blocked due to STOP message"). The STOP
text still reaches us as message.received, so the desk's own STOP/START/HELP rules hold;
a 40300 tells the desk of an opt-out it missed and marks the contact opted out.

A timed-out send: Telnyx's Idempotency-Key header is honoured only where an endpoint's
reference declares it, and we found no such declaration for POST /v2/messages (nor a client
reference to look a message up by), so, like Twilio's `find_sent`, the desk asks afterwards: the
message detail records (GET /v2/detail_records, record_type messaging) from the business
number to the customer since the reply was written. Detail records carry no text, so the
desk adopts only an SMS no other reply is known by (bot/desk/replies/delivery.py).
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import httpx
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from bot.desk.messages import DeliveryStatus, InboundMessage, MediaRef, SendError, SendResult
from bot.desk.phone import InvalidNumber, to_e164
from bot.sms import telnyx_media

PROVIDER = "telnyx"
DEFAULT_API_URL = "https://api.telnyx.com"
SIGNATURE_HEADER = "telnyx-signature-ed25519"
TIMESTAMP_HEADER = "telnyx-timestamp"
# How far a webhook's timestamp may be from our clock: Telnyx retries a webhook within
# minutes; anything older is a replay.
TOLERANCE_SECONDS = 300
MAX_MEDIA = 10
LOOKUP_PAGE = 50
OPTED_OUT = "40300"  # "Blocked due to STOP message"
# Telnyx codes that retrying cannot fix (the rest of 4xx is permanent too, except 429).
PERMANENT_ERRORS = {
    OPTED_OUT, "40001", "40003", "40008", "40009", "40012", "40013", "40301",
    "40305", "40310", "40311", "10002", "10016",
}
# Telnyx's outbound states, as the desk names them (bot/desk/messages.DeliveryStatus).
STATES = {
    "queued": "queued",
    "sending": "sending",
    "sent": "sent",
    "delivered": "delivered",
    "sending_failed": "failed",
    "delivery_failed": "undelivered",
    "expired": "undelivered",
    # The carrier gave no receipt: it left Telnyx, nothing more is known.
    "delivery_unconfirmed": "sent",
}
# What an agent reads for the codes they are likely to meet.
EXPLAINED = {
    OPTED_OUT: "the customer opted out (texted STOP) of texts from this number",
    "40001": "the number cannot receive texts (a landline?)",
    "40003": "the carrier blocks this business number as spam",
    "40012": "the customer's number is not valid",
    "40310": "the customer's number is not valid",
    "40013": "this business number is not set up to send through Telnyx",
    "10009": "Telnyx refused the API key",
    "10011": "Telnyx is rate limiting the desk",
}


class WebhookError(ValueError):
    """A webhook we refuse, with the reason the sender gets back."""


def public_key_of(encoded: str) -> Ed25519PublicKey:
    """The portal's public key (base64 of the 32 raw bytes); ValueError when it is not one."""
    try:
        raw = base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError) as error:
        raise ValueError("TELNYX_PUBLIC_KEY is not base64") from error
    if len(raw) != 32:
        raise ValueError("TELNYX_PUBLIC_KEY is not a 32-byte Ed25519 public key")
    return Ed25519PublicKey.from_public_bytes(raw)


def signature_problem(key: Ed25519PublicKey, body: bytes, signature: str | None,
                      timestamp: str | None, now: float | None = None) -> str | None:
    """Why this webhook is not Telnyx's (None: it is): the signature must be over
    `timestamp|body` and the timestamp within TOLERANCE_SECONDS of now."""
    if not signature or not timestamp:
        return f"{SIGNATURE_HEADER} and {TIMESTAMP_HEADER} are required"
    if not timestamp.isdigit():
        return f"{TIMESTAMP_HEADER} is not a Unix time"
    now = time.time() if now is None else now
    if abs(now - int(timestamp)) > TOLERANCE_SECONDS:
        return f"{TIMESTAMP_HEADER} is more than {TOLERANCE_SECONDS} s away: a replay?"
    try:
        raw = base64.b64decode(signature, validate=True)
        key.verify(raw, timestamp.encode() + b"|" + body)
    except (binascii.Error, ValueError, InvalidSignature):
        return f"{SIGNATURE_HEADER} does not match"
    return None


def parse_event(body: bytes) -> tuple[str, dict[str, Any]]:
    """(event_type, payload) of a webhook body."""
    try:
        event = json.loads(body)
    except (UnicodeDecodeError, ValueError) as error:
        raise WebhookError("the body is not JSON, as Telnyx's always is") from error
    data = event.get("data") if isinstance(event, dict) else None
    if not isinstance(data, dict) or not isinstance(data.get("payload"), dict):
        raise WebhookError("data.payload is missing")
    return str(data.get("event_type") or ""), data["payload"]


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def parse_inbound(payload: Mapping[str, Any],
                  country_of: Callable[[str], str | None]) -> InboundMessage:
    """message.received's payload. `country_of` as for Twilio (bot/sms/twilio.py)."""
    sid = _text(payload.get("id"))
    if not sid:
        raise WebhookError("payload.id is missing")
    sender = _dict(payload.get("from"))
    recipients = _list(payload.get("to"))
    raw_from = _text(sender.get("phone_number"))
    raw_to = _text(recipients[0].get("phone_number")) if recipients and isinstance(
        recipients[0], dict) else None
    if not raw_from or not raw_to:
        raise WebhookError("payload.from.phone_number and payload.to[0].phone_number are "
                           "required")
    text = payload.get("text")
    if text is None:
        text = ""  # an MMS of pictures only has no text
    if not isinstance(text, str):
        raise WebhookError("payload.text is not text")
    try:
        to_number = to_e164(raw_to, None)
        from_number = to_e164(raw_from, country_of(to_number))
    except InvalidNumber as error:
        raise WebhookError(str(error)) from error
    case_data = {}
    if carrier := _text(sender.get("carrier")):
        case_data["Carrier"] = carrier
    return InboundMessage(PROVIDER, sid, from_number, to_number, text, case_data,
                          _media(payload.get("media")))


def _media(raw: object) -> tuple[MediaRef, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or len(raw) > MAX_MEDIA:
        raise WebhookError(f"payload.media must be a list of at most {MAX_MEDIA} files")
    media = []
    for index, item in enumerate(raw):
        url = _text(item.get("url")) if isinstance(item, dict) else None
        if not url or not url.startswith(("https://", "http://")):
            raise WebhookError(f"payload.media[{index}].url is missing or not a URL")
        media.append(MediaRef(url, _text(item.get("content_type"))))
    return tuple(media)


def parse_status(payload: Mapping[str, Any]) -> DeliveryStatus:
    """message.sent / message.finalized's payload: the state of our one recipient."""
    sid = _text(payload.get("id"))
    recipients = _list(payload.get("to"))
    raw = recipients[0].get("status") if recipients and isinstance(recipients[0], dict) \
        else None
    if not sid or not isinstance(raw, str):
        raise WebhookError("payload.id and payload.to[0].status are required")
    errors = _list(payload.get("errors"))
    code = next((str(e["code"]) for e in errors if isinstance(e, dict) and e.get("code")), None)
    return DeliveryStatus(PROVIDER, sid, STATES.get(raw, raw), code,
                          opted_out=code == OPTED_OUT)


def _errors(response: httpx.Response) -> tuple[str | None, str]:
    """(code, what it says) of Telnyx's error body: {"errors": [{code, title, detail}]}."""
    try:
        errors = response.json().get("errors") or []
    except (ValueError, AttributeError):
        errors = []
    first = errors[0] if errors and isinstance(errors[0], dict) else {}
    code = str(first["code"]) if first.get("code") else None
    said = first.get("detail") or first.get("title") or response.reason_phrase
    if code in EXPLAINED:
        said = f"{EXPLAINED[code]} ({code})"
    return code, str(said)


def _parts(value: object) -> int | None:
    return int(value) if isinstance(value, int | str) and str(value).isdigit() else None


def _result(data: Mapping[str, Any]) -> SendResult:
    recipients = _list(data.get("to"))
    raw = (recipients[0].get("status") if recipients and isinstance(recipients[0], dict)
           else data.get("status")) or "queued"
    return SendResult(provider_sid=str(data["id"]), status=STATES.get(raw, raw),
                      segments=_parts(data.get("parts")))


def _when(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


class TelnyxSender:
    """Sends one SMS through Telnyx's Messaging API v2 (Bearer API key)."""

    name = PROVIDER

    def __init__(self, api_key: str, api_url: str, webhook_url: str | None,
                 messaging_profile_id: str | None = None, timeout: float = 10.0,
                 media_deadline: float = telnyx_media.DEFAULT_DEADLINE):
        self._api = api_url.rstrip("/")
        self._webhook_url = webhook_url
        self._profile = messaging_profile_id
        self._timeout = timeout
        self._client = httpx.Client(headers={"Authorization": f"Bearer {api_key}"},
                                    timeout=timeout)
        self._api_key = api_key
        self._media_client = httpx.Client(follow_redirects=False)
        self._media_origin = telnyx_media.MediaOrigin.of_api(self._api)
        self._media_deadline = media_deadline

    def _unreachable(self, error: Exception) -> SendError:
        return SendError(f"Telnyx unreachable: {error.__class__.__name__}")

    def send(self, *, from_number: str, to_number: str, body: str) -> SendResult:
        request: dict[str, Any] = {"from": from_number, "to": to_number, "text": body}
        if self._webhook_url:
            request["webhook_url"] = self._webhook_url
        if self._profile:
            request["messaging_profile_id"] = self._profile
        try:
            response = self._client.post(f"{self._api}/v2/messages", json=request)
        except httpx.HTTPError as error:
            raise self._unreachable(error) from error
        if response.status_code >= 400:
            code, said = _errors(response)
            permanent = code in PERMANENT_ERRORS or (
                400 <= response.status_code < 500 and response.status_code not in (408, 429))
            raise SendError(f"Telnyx {response.status_code}: {said}", code=code,
                            permanent=permanent, opted_out=code == OPTED_OUT)
        return _result(response.json()["data"])

    def find_sent(self, *, from_number: str, to_number: str, body: str,
                  since: datetime) -> list[SendResult]:
        """The messages Telnyx took from `from_number` to `to_number` since `since`, newest
        first, from its message detail records (see the module's docstring: they carry no
        text, so `body` cannot narrow them). Raises SendError when Telnyx cannot answer."""
        params = {
            "filter[record_type]": "messaging", "filter[direction]": "outbound",
            "filter[cli]": from_number, "filter[cld]": to_number,
            "page[size]": str(LOOKUP_PAGE), "sort": "-created_at",
        }
        try:
            response = self._client.get(f"{self._api}/v2/detail_records", params=params)
        except httpx.HTTPError as error:
            raise self._unreachable(error) from error
        if response.status_code >= 400:
            raise SendError(f"Telnyx {response.status_code}: could not list messages")
        found = []
        floor = since if since.tzinfo else since.replace(tzinfo=UTC)
        for record in response.json().get("data") or []:
            created = _when(record.get("created_at") or record.get("sent_at"))
            if record.get("cld") != to_number or (created is not None and created < floor):
                continue
            raw = str(record.get("status") or "queued")
            found.append(SendResult(provider_sid=str(record["id"]),
                                    status=STATES.get(raw, raw),
                                    segments=_parts(record.get("parts"))))
        return found

    def check(self) -> str:
        """Readiness: one authenticated GET of the account's balance (free, and proves the
        API key); raises SendError, permanent when the key is wrong."""
        try:
            response = self._client.get(f"{self._api}/v2/balance")
        except httpx.HTTPError as error:
            raise self._unreachable(error) from error
        if response.status_code in (401, 403):
            raise SendError(f"Telnyx {response.status_code}: the API key is wrong",
                            permanent=True)
        if response.status_code >= 400:
            raise SendError(f"Telnyx {response.status_code}: {response.reason_phrase}")
        return "Telnyx API key accepted"

    def fetch_media(self, url: str, max_bytes: int) -> tuple[bytes, str | None]:
        return telnyx_media.fetch(self._media_client, self._media_origin, url,
                                  api_key=self._api_key, max_bytes=max_bytes,
                                  deadline=self._media_deadline, timeout=self._timeout)

    def delete_message(self, sid: str, media: list[list[str]] | None = None) -> bool:
        """Telnyx's API has no way to delete a message it keeps (its records expire on
        Telnyx's own schedule): an erasure is told so, permanently."""
        raise SendError("Telnyx keeps message records on its own schedule and offers no "
                        "API to delete one: ask Telnyx support to erase them", permanent=True)

    def close(self) -> None:
        self._client.close()
        self._media_client.close()
