"""Twilio adapter: verify webhook signatures, parse webhooks, send through the REST API.

The signature check is Twilio's documented scheme (HMAC-SHA1 over the full URL followed by
the sorted form fields, base64): a dozen lines, so we write it rather than pull the whole
Twilio SDK in for it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

from bot.desk.messages import (
    DeliveryStatus,
    InboundMessage,
    MediaRef,
    SendError,
    SendResult,
)
from bot.desk.phone import InvalidNumber, to_e164
from bot.sms import twilio_media

PROVIDER = "twilio"
# Twilio error codes that retrying cannot fix.
PERMANENT_ERRORS = {"21610", "21211", "21612", "21614", "21408", "30004", "30006", "30007"}
OPTED_OUT = "21610"  # "Attempt to send to unsubscribed recipient"
MAX_MEDIA = 10  # Twilio's limit of files in one MMS
LOOKUP_PAGE = 50  # how many of the latest messages to a number a lookup after a timeout reads
# Extra Twilio fields worth showing an agent as case information.
CASE_FIELDS = {
    "FromCity": "City",
    "FromState": "State",
    "FromCountry": "Country",
}


def _twilio_time(value: str | None) -> datetime | None:
    """Twilio's RFC 2822 dates ("Mon, 16 Aug 2010 03:45:01 +0000") as naive UTC."""
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return parsed.astimezone(UTC)


class WebhookError(ValueError):
    """A webhook we refuse, with the reason the provider (or attacker) gets back."""


def expected_signature(auth_token: str, url: str, params: Mapping[str, list[str]]) -> str:
    payload = url + "".join(
        key + value for key in sorted(params) for value in params[key]
    )
    digest = hmac.new(auth_token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def signature_is_valid(
    auth_token: str, url: str, params: Mapping[str, list[str]], signature: str | None
) -> bool:
    if not signature:
        return False
    return hmac.compare_digest(expected_signature(auth_token, url, params), signature)


def _one(params: Mapping[str, list[str]], name: str) -> str | None:
    values = params.get(name)
    return values[0] if values else None


def parse_inbound(params: Mapping[str, list[str]],
                  country_of: Callable[[str], str | None]) -> InboundMessage:
    """`country_of(business number)`: the country the customer's number is read in when it
    lacks its country code, that of the workspace the text was sent to (None: no workspace,
    so only a number with its country code is read). Twilio sends both numbers in E.164."""
    sid = _one(params, "MessageSid") or _one(params, "SmsSid")
    if not sid:
        raise WebhookError("MessageSid is missing")
    raw_from, raw_to = _one(params, "From"), _one(params, "To")
    if not raw_from or not raw_to:
        raise WebhookError("From and To are required")
    body = _one(params, "Body")
    if body is None:
        raise WebhookError("Body is missing")
    try:
        # The business number is the settings' own, which are in E.164.
        to_number = to_e164(raw_to, None)
        from_number = to_e164(raw_from, country_of(to_number))
    except InvalidNumber as error:
        raise WebhookError(str(error)) from error
    case_data = {label: v for f, label in CASE_FIELDS.items() if (v := _one(params, f))}
    return InboundMessage(PROVIDER, sid, from_number, to_number, body, case_data,
                          _media(params))


def _media(params: Mapping[str, list[str]]) -> tuple[MediaRef, ...]:
    raw = _one(params, "NumMedia") or "0"
    if not raw.isdigit() or int(raw) > MAX_MEDIA:
        raise WebhookError(f"NumMedia must be a number from 0 to {MAX_MEDIA}")
    media = []
    for index in range(int(raw)):
        url = _one(params, f"MediaUrl{index}")
        if not url or not url.startswith(("https://", "http://")):
            raise WebhookError(f"MediaUrl{index} is missing or not a URL")
        media.append(MediaRef(url, _one(params, f"MediaContentType{index}")))
    return tuple(media)


def parse_status(params: Mapping[str, list[str]]) -> DeliveryStatus:
    sid = _one(params, "MessageSid") or _one(params, "SmsSid")
    status = _one(params, "MessageStatus") or _one(params, "SmsStatus")
    if not sid or not status:
        raise WebhookError("MessageSid and MessageStatus are required")
    code = _one(params, "ErrorCode")
    return DeliveryStatus(PROVIDER, sid, status.lower(), code, opted_out=code == OPTED_OUT)


class TwilioSender:
    """Sends one SMS through Twilio's Messages API."""

    name = PROVIDER

    def __init__(self, account_sid: str, auth_token: str, api_url: str,
                 status_callback_url: str | None, timeout: float = 10.0,
                 media_deadline: float = twilio_media.DEFAULT_DEADLINE):
        self._base = f"{api_url}/2010-04-01/Accounts/{account_sid}"
        self._url = f"{self._base}/Messages.json"
        self._account_url = f"{api_url}/2010-04-01/Accounts/{account_sid}.json"
        self._status_callback_url = status_callback_url
        self._auth = (account_sid, auth_token)
        self._timeout = timeout
        self._client = httpx.Client(auth=self._auth, timeout=timeout)
        # MMS files: a client of its own that carries no credentials and follows no
        # redirect by itself; twilio_media decides, hop by hop, where each may go.
        self._media_client = httpx.Client(follow_redirects=False)
        self._media_origin = twilio_media.MediaOrigin.of_api(api_url)
        self._media_deadline = media_deadline

    def send(self, *, from_number: str, to_number: str, body: str) -> SendResult:
        form = {"From": from_number, "To": to_number, "Body": body}
        if self._status_callback_url:
            form["StatusCallback"] = self._status_callback_url
        try:
            response = self._client.post(self._url, data=form)
        except httpx.HTTPError as error:
            raise SendError(f"Twilio unreachable: {error.__class__.__name__}") from error
        if response.status_code >= 400:
            try:
                detail = response.json()
            except ValueError:
                detail = {}
            code = str(detail.get("code")) if detail.get("code") else None
            message = detail.get("message") or response.reason_phrase
            permanent = code in PERMANENT_ERRORS or (
                400 <= response.status_code < 500 and response.status_code != 429
            )
            raise SendError(f"Twilio {response.status_code}: {message}", code=code,
                            permanent=permanent, opted_out=code == OPTED_OUT)
        data = response.json()
        segments = data.get("num_segments")
        return SendResult(
            provider_sid=data["sid"],
            status=data.get("status") or "queued",
            segments=int(segments) if segments not in (None, "") else None,
        )

    def find_sent(self, *, from_number: str, to_number: str, body: str,
                  since: datetime) -> list[SendResult]:
        """After a timeout Twilio may have taken the SMS: the latest messages from
        `from_number` to `to_number` with this body, created at `since` or later, newest
        first (Twilio lists the newest first). So a retry does not text the customer twice.
        Raises SendError when Twilio cannot answer (the send job waits and asks again)."""
        try:
            response = self._client.get(self._url, params={
                "From": from_number, "To": to_number, "PageSize": LOOKUP_PAGE})
        except httpx.HTTPError as error:
            raise SendError(f"Twilio unreachable: {error.__class__.__name__}") from error
        if response.status_code >= 400:
            raise SendError(f"Twilio {response.status_code}: could not list messages")
        found = []
        for sms in response.json().get("messages") or []:
            created = _twilio_time(sms.get("date_created"))
            if sms.get("body") == body and (created is None or created >= since):
                segments = sms.get("num_segments")
                found.append(SendResult(
                    provider_sid=sms["sid"], status=sms.get("status") or "queued",
                    segments=int(segments) if segments not in (None, "") else None))
        return found

    def check(self) -> str:
        """Readiness: one authenticated GET of the account (free, and proves the
        credentials); raises SendError, permanent when the credentials are wrong."""
        try:
            response = self._client.get(self._account_url)
        except httpx.HTTPError as error:
            raise SendError(f"Twilio unreachable: {error.__class__.__name__}") from error
        if response.status_code in (401, 403, 404):
            raise SendError(f"Twilio {response.status_code}: the account SID or auth token "
                            "is wrong", permanent=True)
        if response.status_code >= 400:
            raise SendError(f"Twilio {response.status_code}: {response.reason_phrase}")
        status = response.json().get("status") or "unknown"
        if status != "active":
            raise SendError(f"Twilio account is {status}", permanent=True)
        return "Twilio account active"

    def fetch_media(self, url: str, max_bytes: int) -> tuple[bytes, str | None]:
        """Download one MMS file, refusing oversized ones and any address or redirect
        outside Twilio's API and its storage (see twilio_media)."""
        return twilio_media.fetch(self._media_client, self._media_origin, url, auth=self._auth,
                                  max_bytes=max_bytes, deadline=self._media_deadline,
                                  timeout=self._timeout)

    def delete_message(self, sid: str, media: list[list[str]] | None = None) -> bool:
        """Ask Twilio to delete a message it keeps, its media first (an erasure). True when
        deleted, False when Twilio no longer had it. Raises SendError: permanent when Twilio
        refuses (say, a message still being delivered), else worth asking again."""
        for message_sid, media_sid in media or ():
            self._delete(f"{self._base}/Messages/{message_sid}/Media/{media_sid}.json")
        return self._delete(f"{self._base}/Messages/{sid}.json")

    def _delete(self, url: str) -> bool:
        try:
            response = self._client.delete(url)
        except httpx.HTTPError as error:
            raise SendError(f"Twilio unreachable: {error.__class__.__name__}") from error
        if response.status_code == 404:
            return False
        if response.status_code >= 400:
            try:
                detail = response.json()
            except ValueError:
                detail = {}
            raise SendError(f"Twilio {response.status_code}: "
                            f"{detail.get('message') or response.reason_phrase}",
                            code=str(detail.get("code") or "") or None,
                            permanent=400 <= response.status_code < 500
                            and response.status_code != 429)
        return True

    def close(self) -> None:
        self._client.close()
        self._media_client.close()
