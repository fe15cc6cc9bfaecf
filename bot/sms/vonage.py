"""Vonage adapter (Messages API): verify signed webhooks, parse them, send SMS.

- Sending: POST /v1/messages on the SMS channel, authenticated with a JWT the application's
  private key signs (RS256), as Vonage recommends for the Messages API. Each send carries a
  `client_ref` made from the sending number, the customer's number and the text, so a retry
  of the same reply carries the same one.
- After a send whose answer never came: the Messages API has no way to list or look up
  messages, so `find_sent` asks the Reports API (synchronous records, product MESSAGES) for
  the outbound messages since the first try and matches the `client_ref` (and the text).
  The Reports API answers with the account's API key and secret. Its records can lag the
  send by a little: a lookup that finds nothing may still be followed by a second text,
  which is the one duplicate this cannot rule out (Twilio's list has the same window).
- Webhooks (inbound and status) carry `Authorization: Bearer <JWT>`, HS256-signed with the
  account's signature secret; its `payload_hash` claim is the SHA-256 of the body. A token
  that is forged, older than MAX_AGE, or whose hash is not the body's is refused.
- Opt-out: Vonage keeps its STOP list on its side and tells of it only after taking a send:
  accepted (202), then rejected in the status webhook with error 1240 ("Illegal Number").
  That report marks the contact opted out (DeliveryStatus.opted_out). A STOP that reaches
  the inbound webhook goes through the desk's own STOP/START/HELP rules, as for Twilio.
"""

from __future__ import annotations

import hashlib
import hmac
import time
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt

from bot.desk.messages import (
    DeliveryStatus,
    InboundMessage,
    MediaFetchError,
    MediaRef,
    SendError,
    SendResult,
)
from bot.desk.phone import InvalidNumber, to_e164
from bot.sms import twilio_media, vonage_media

PROVIDER = "vonage"
DEFAULT_API_URL = "https://api.nexmo.com"
# A webhook's token older than this is refused as stale (Vonage signs each delivery when
# it makes it; a retry is signed again).
MAX_AGE = 300
CLOCK_SKEW = 60  # their clock may be this far ahead of ours
APP_TOKEN_SECONDS = 900  # life of the JWT the desk signs for its own calls
LOOKUP_PAGES = 10  # batches of Reports records a lookup after a timeout reads, at most
REPORTS_WINDOW = timedelta(hours=23, minutes=59)

# Error codes (https://developer.vonage.com/api-errors/messages): what retrying fixes.
RETRYABLE_ERRORS = {"1000", "1030", "1100", "1180", "1220", "1230", "1241"}
OPTED_OUT_ERROR = "1240"  # "Illegal Number": the customer texted STOP to this number
# What an agent is told for the errors they can do something about (or should know of).
ERROR_MESSAGES = {
    "1000": "Vonage is throttling this account's sends; the desk tries again",
    "1020": "Vonage refused the message's parameters (is the business number on Vonage?)",
    "1050": "the customer's number is barred by Vonage and cannot receive texts",
    "1060": "the Vonage account is barred from sending: contact Vonage support",
    "1070": "the Vonage account is out of credit: top it up in the dashboard",
    "1120": "the business number is not accepted as a sender for that country",
    "1160": "a Vonage trial account can only text numbers added to its test list",
    "1170": "the customer's number is missing or not valid",
    "1190": "the customer's number is no longer in service",
    OPTED_OUT_ERROR: "the customer opted out (texted STOP): Vonage will not send to them",
    "1250": "Vonage has no route to the customer's number",
    "1260": "the customer's phone could not be reached",
    "1280": "the customer's carrier blocked the message",
}
# Status webhook states (submitted, delivered, rejected, undeliverable, read) in the
# desk's words.
STATUS_STATES = {
    "submitted": "sent",
    "delivered": "delivered",
    "read": "delivered",
    "rejected": "failed",
    "undeliverable": "undelivered",
}
# Inbound message types that carry a file, each under the key of its own name.
MEDIA_TYPES = ("image", "video", "audio", "vcard", "file")


class WebhookError(ValueError):
    """A webhook we refuse, with the reason the provider (or attacker) gets back."""


class UnsignedWebhook(WebhookError):
    """No token at all. Vonage's documentation says its callback service may, on an
    internal error, send a callback unsigned, and that answering 5xx makes it retry (signed)
    later: so this is answered 503, not 403, and still stored nowhere."""


# --- webhooks -----------------------------------------------------------------------------

def payload_hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def verify_webhook(authorization: str | None, body: bytes, signature_secret: str, *,
                   now: float | None = None, application_id: str | None = None
                   ) -> dict[str, Any]:
    """The token's claims when `Authorization` is a Bearer JWT Vonage signed with
    `signature_secret` (HS256 only: a token naming any other algorithm, "none" included,
    is refused), issued within MAX_AGE, whose `payload_hash` is this body's. Raises
    WebhookError saying which check failed."""
    if not (authorization or "").strip():
        raise UnsignedWebhook("Authorization is missing: the webhook is not signed")
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise WebhookError("Authorization is not Bearer <signed JWT>")
    try:
        claims = jwt.decode(token.strip(), signature_secret, algorithms=["HS256"],
                            options={"require": ["iat"], "verify_iat": False,
                                     "verify_exp": False, "verify_nbf": False})
    except jwt.MissingRequiredClaimError as error:
        raise WebhookError("the JWT has no iat (when it was issued)") from error
    except jwt.InvalidTokenError as error:
        raise WebhookError("the JWT's signature does not match the signature secret") \
            from error
    now = time.time() if now is None else now
    issued = claims.get("iat")
    if not isinstance(issued, int | float) or isinstance(issued, bool):
        raise WebhookError("the JWT's iat is not a time")
    if issued < now - MAX_AGE:
        raise WebhookError(f"the JWT was issued more than {MAX_AGE} seconds ago (stale)")
    if issued > now + CLOCK_SKEW:
        raise WebhookError("the JWT was issued in the future")
    expires = claims.get("exp")
    if isinstance(expires, int | float) and expires < now:
        raise WebhookError("the JWT has expired")
    claimed = claims.get("payload_hash")
    if not isinstance(claimed, str) or not hmac.compare_digest(
            claimed.lower().encode(), payload_hash(body).encode()):
        raise WebhookError("the JWT's payload_hash is not the body's: it was signed for "
                           "another body")
    if application_id and claims.get("application_id") not in (None, application_id):
        raise WebhookError("the JWT is for another Vonage application")
    return claims


def _number(raw: object, country: str | None) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise WebhookError("from and to are required")
    text = raw.strip()
    # Vonage writes numbers in E.164 without the "+" (447700900000).
    if text.isdigit():
        text = "+" + text
    try:
        return to_e164(text, country)
    except InvalidNumber as error:
        raise WebhookError(str(error)) from error


def parse_inbound(data: Mapping[str, Any],
                  country_of: Callable[[str], str | None]) -> InboundMessage:
    """An inbound SMS or MMS (Messages API, channel sms or mms) as the desk's message.
    `country_of(business number)`: as in twilio.parse_inbound."""
    sid = data.get("message_uuid")
    if not isinstance(sid, str) or not sid:
        raise WebhookError("message_uuid is missing")
    channel = data.get("channel")
    if channel not in ("sms", "mms"):
        raise WebhookError(f"channel {channel!r} is not sms or mms")
    to_number = _number(data.get("to"), None)
    from_number = _number(data.get("from"), country_of(to_number))
    kind = data.get("message_type")
    media: list[MediaRef] = []
    if kind == "text":
        body = data.get("text")
        if not isinstance(body, str):
            raise WebhookError("text is missing")
    elif kind in MEDIA_TYPES:
        part = data.get(kind)
        if not isinstance(part, Mapping):
            raise WebhookError(f"{kind} is missing")
        url = part.get("url")
        if not isinstance(url, str) or not url.startswith(("https://", "http://")):
            raise WebhookError(f"{kind}.url is missing or not a URL")
        media.append(MediaRef(url, None))
        caption = part.get("caption") or data.get("text") or ""
        body = caption if isinstance(caption, str) else ""
    else:
        raise WebhookError(f"message_type {kind!r} is not one the desk takes")
    return InboundMessage(PROVIDER, sid, from_number, to_number, body, {}, tuple(media))


def parse_status(data: Mapping[str, Any]) -> DeliveryStatus:
    sid, status = data.get("message_uuid"), data.get("status")
    if not isinstance(sid, str) or not sid or not isinstance(status, str):
        raise WebhookError("message_uuid and status are required")
    state = STATUS_STATES.get(status.lower())
    if state is None:
        raise WebhookError(f"status {status!r} is not one Vonage documents")
    code = _error_code(data.get("error"))
    return DeliveryStatus(PROVIDER, sid, state, code, opted_out=code == OPTED_OUT_ERROR)


def _error_code(error: object) -> str | None:
    """The code of a Messages API error object: `title` is the code in status webhooks
    (1240), `type` ends with it (…/api-errors/messages#1240) in answers to a send."""
    if not isinstance(error, Mapping):
        return None
    title = error.get("title")
    if isinstance(title, int) or (isinstance(title, str) and title.isdigit()):
        return str(title)
    kind = error.get("type")
    if isinstance(kind, str) and "#" in kind:
        code = kind.rsplit("#", 1)[1]
        return code if code.isdigit() else None
    return None


def client_ref(from_number: str, to_number: str, body: str) -> str:
    """The same for every try of one reply (what a lookup after a timeout matches on)."""
    digest = hashlib.sha256(f"{from_number}\n{to_number}\n{body}".encode()).hexdigest()
    return "smsdesk-" + digest[:40]


def _digits(number: str) -> str:
    return number.lstrip("+")


def _problem(response: httpx.Response) -> tuple[str | None, str]:
    """(code, what Vonage said) of an RFC 7807 error answer."""
    try:
        detail = response.json()
    except ValueError:
        detail = {}
    if not isinstance(detail, dict):
        detail = {}
    code = _error_code(detail)
    said = detail.get("detail") or detail.get("title") or response.reason_phrase
    return code, str(said)


class VonageSender:
    """Sends SMS through Vonage's Messages API for one application."""

    name = PROVIDER

    def __init__(self, application_id: str, private_key: str, api_key: str, api_secret: str,
                 api_url: str = DEFAULT_API_URL, status_url: str | None = None,
                 timeout: float = 10.0,
                 media_deadline: float = twilio_media.DEFAULT_DEADLINE):
        self._application_id = application_id
        self._private_key = private_key
        self._api = api_url.rstrip("/")
        self._status_url = status_url
        self._basic = (api_key, api_secret)
        self._timeout = timeout
        self._client = httpx.Client(timeout=timeout)
        # Media: no credentials of its own and no redirect followed by itself (see
        # vonage_media): the JWT goes to Vonage's media hosts only.
        self._media_client = httpx.Client(follow_redirects=False)
        self._media_origin = vonage_media.origin_of_api(self._api)
        self._media_deadline = media_deadline

    def app_token(self) -> str:
        """A JWT for the Messages API, signed with the application's private key."""
        now = int(time.time())
        return jwt.encode({"application_id": self._application_id, "iat": now,
                           "exp": now + APP_TOKEN_SECONDS, "jti": str(uuid.uuid4())},
                          self._private_key, algorithm="RS256")

    def _bearer(self) -> dict[str, str]:
        try:
            return {"Authorization": f"Bearer {self.app_token()}"}
        except (ValueError, TypeError, jwt.PyJWTError) as error:
            raise SendError("VONAGE_PRIVATE_KEY is not the application's PEM private key",
                            permanent=True) from error

    def send(self, *, from_number: str, to_number: str, body: str) -> SendResult:
        payload: dict[str, Any] = {
            "message_type": "text", "channel": "sms", "text": body,
            "to": _digits(to_number), "from": _digits(from_number),
            "client_ref": client_ref(from_number, to_number, body),
        }
        if self._status_url:
            payload["webhook_url"] = self._status_url
        try:
            response = self._client.post(f"{self._api}/v1/messages", json=payload,
                                         headers=self._bearer())
        except httpx.HTTPError as error:
            raise SendError(f"Vonage unreachable: {error.__class__.__name__}") from error
        if response.status_code >= 400:
            code, said = _problem(response)
            raise SendError(
                f"Vonage {response.status_code}: {ERROR_MESSAGES.get(code or '', said)}",
                code=code, permanent=_permanent(response.status_code, code),
                opted_out=code == OPTED_OUT_ERROR)
        uuid_ = (response.json() or {}).get("message_uuid")
        if not uuid_:
            raise SendError("Vonage answered without a message_uuid")
        # Accepted (202): what follows comes in status webhooks (submitted, delivered…).
        return SendResult(provider_sid=uuid_, status="queued")

    def find_sent(self, *, from_number: str, to_number: str, body: str,
                  since: datetime) -> list[SendResult]:
        """The SMS an unanswered try may have left at Vonage: the Reports API's outbound
        MESSAGES records since `since` with this reply's client_ref, newest first (at most
        LOOKUP_PAGES pages of them). Raises SendError when Vonage cannot answer (the send
        job waits and asks again)."""
        ref = client_ref(from_number, to_number, body)
        now = datetime.now(UTC)
        # A synchronous query spans 24 hours at most.
        start = max(since, now - REPORTS_WINDOW)
        url: str | None = f"{self._api}/v2/reports/records"
        params: dict[str, str] | None = {
            "account_id": self._basic[0], "product": "MESSAGES", "direction": "outbound",
            "include_message": "true", "date_start": _iso(start), "date_end": _iso(now)}
        found = []
        for _page in range(LOOKUP_PAGES):
            if url is None:
                break
            page = self._records_page(url, params)
            for record in page.get("records") or []:
                if record.get("client_ref") != ref:
                    continue
                if record.get("message_body") not in (None, body):
                    continue
                sid = record.get("message_id") or record.get("message_uuid")
                if sid:
                    found.append((str(record.get("date_received") or ""), SendResult(
                        provider_sid=sid, status=_record_state(record.get("status")))))
            # The next batch's link carries the query; only Vonage's own is followed.
            following = ((page.get("_links") or {}).get("next") or {}).get("href")
            url = following if isinstance(following, str) \
                and following.startswith(self._api + "/") else None
            params = None
        return [result for _at, result in sorted(found, key=lambda f: f[0], reverse=True)]

    def _records_page(self, url: str, params: dict[str, str] | None) -> dict[str, Any]:
        try:
            response = self._client.get(url, params=params, auth=self._basic)
        except httpx.HTTPError as error:
            raise SendError(f"Vonage unreachable: {error.__class__.__name__}") from error
        if response.status_code >= 400:
            raise SendError(f"Vonage {response.status_code}: could not list messages "
                            "(Reports API)", permanent=response.status_code in (401, 403))
        page = response.json()
        return page if isinstance(page, dict) else {}

    def check(self) -> str:
        """Readiness: the application, read with the API key and secret (free), and the
        private key matched against the public key Vonage holds for it."""
        try:
            response = self._client.get(
                f"{self._api}/v2/applications/{self._application_id}", auth=self._basic)
        except httpx.HTTPError as error:
            raise SendError(f"Vonage unreachable: {error.__class__.__name__}") from error
        if response.status_code in (401, 403):
            raise SendError(f"Vonage {response.status_code}: the API key or secret is wrong",
                            permanent=True)
        if response.status_code == 404:
            raise SendError("Vonage 404: no application has VONAGE_APPLICATION_ID",
                            permanent=True)
        if response.status_code >= 400:
            raise SendError(f"Vonage {response.status_code}: {response.reason_phrase}")
        application = response.json() or {}
        public = ((application.get("keys") or {}).get("public_key") or "").strip()
        if public and not vonage_media.key_pair_matches(self._private_key, public):
            raise SendError("VONAGE_PRIVATE_KEY is not the private key of this application",
                            permanent=True)
        if "messages" not in (application.get("capabilities") or {}):
            raise SendError("the Vonage application has no Messages capability",
                            permanent=True)
        return f"Vonage application {application.get('name') or self._application_id} ready"

    def fetch_media(self, url: str, max_bytes: int) -> tuple[bytes, str | None]:
        """One MMS file, from Vonage's media hosts only, with the application's JWT."""
        try:
            return twilio_media.fetch(self._media_client, self._media_origin, url,
                                      auth=vonage_media.BearerAuth(self.app_token),
                                      max_bytes=max_bytes, deadline=self._media_deadline,
                                      timeout=self._timeout)
        except MediaFetchError as error:
            # The download is twilio_media's; its refusals name Twilio.
            said = str(error)
            if said == twilio_media.NOT_PROVIDER:
                said = vonage_media.NOT_PROVIDER
            raise MediaFetchError(said.replace("Twilio", "Vonage"),
                                  permanent=error.permanent) from error

    def delete_message(self, sid: str, media: list[list[str]] | None = None) -> bool:
        """An erasure: the Redact API removes a message's content from Vonage's records
        (the message is kept as a record without its text). The desk does not say which
        way a sid went, so outbound is asked first, then inbound."""
        for direction in ("outbound", "inbound"):
            try:
                response = self._client.post(
                    f"{self._api}/v1/redact/transaction", auth=self._basic,
                    json={"id": sid, "product": "messages", "type": direction})
            except httpx.HTTPError as error:
                raise SendError(f"Vonage unreachable: {error.__class__.__name__}") from error
            if response.status_code in (200, 204):
                return True
            if response.status_code != 404:
                code, said = _problem(response)
                raise SendError(f"Vonage {response.status_code}: {said}", code=code,
                                permanent=_permanent(response.status_code, code))
        return False

    def close(self) -> None:
        self._client.close()
        self._media_client.close()


def _permanent(status: int, code: str | None) -> bool:
    if code in RETRYABLE_ERRORS or status == 429 or status >= 500:
        return False
    return 400 <= status < 500


def _record_state(status: object) -> str:
    text = str(status or "").lower()
    return STATUS_STATES.get(text, "queued" if text in ("", "accepted") else "sent")


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def vonage_sender(config, *, status_url: str | None) -> VonageSender:
    """The sender for Env's `vonage` settings (bot.config.env.VonageEnv), which this module
    may not import."""
    return VonageSender(config.application_id, config.private_key, config.api_key,
                        config.api_secret, config.api_url, status_url=status_url)
