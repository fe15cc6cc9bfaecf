"""A fake Telnyx Messaging API v2 on loopback HTTP, with Telnyx's webhook signer.

The app posts JSON to `{url}/v2/messages` with `Authorization: Bearer <API key>`, as it would
to api.telnyx.com; answers and errors carry the shapes of Telnyx's API reference ({"data":
{...}} and {"errors": [{"code", "title", "detail"}]}). It also serves the message detail
records search (GET /v2/detail_records, how the app finds out whether a timed-out send went
out), the balance (GET /v2/balance, the app's credentials check) and inbound MMS media.

Webhooks are signed as Telnyx signs them: Ed25519 over `{timestamp}|{body}` with a key pair
generated here; `public_key` is what the portal shows (base64 of the raw 32 bytes).

The test-facing interface is FakeTwilio's (tests/fakes/twilio_api.py): `sent` records with
.to/.body/.media_urls/.status_callback, `wait_for`, `fail_next`, `recover`, `delay_next`,
`hold_next_answer`, `report_before_answering`, `calls`, `add_media`.
"""

import base64
import json
import re
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from tests.fakes import wait_until
from tests.fakes._http import HttpRequest, HttpResponse, LoopbackServer
from tests.fakes.twilio_api import GSM7_BASIC, GSM7_EXTENDED, count_segments

DEFAULT_API_KEY = "KEY0123456789ABCDEF_fake_telnyx_api_key"
MAX_TEXT_CHARS = 1600
E164 = re.compile(r"^\+[1-9]\d{6,14}$")
# Telnyx's own status names for the desk's, as its webhooks carry them.
NATIVE = {"queued": "queued", "sending": "sending", "sent": "sent", "delivered": "delivered",
          "undelivered": "delivery_failed", "failed": "sending_failed"}
FINAL = {"delivered", "delivery_failed", "sending_failed", "expired", "delivery_unconfirmed"}


@dataclass(frozen=True)
class SentSms:
    """A message Telnyx accepted. `status_callback` is the webhook_url the send named."""

    sid: str
    to: str
    from_: str | None
    body: str
    status_callback: str | None
    at: float
    media_urls: tuple[str, ...] = ()


@dataclass(frozen=True)
class TelnyxCall:
    method: str
    path: str
    params: dict[str, str]
    status: int
    at: float


@dataclass(frozen=True)
class _Fault:
    status: int
    code: str
    message: str


def encoding_of(text: str) -> str:
    return "GSM-7" if all(c in GSM7_BASIC or c in GSM7_EXTENDED for c in text) else "UCS-2"


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class FakeTelnyx:
    """Telnyx's messages for one account, in memory, behind a loopback server."""

    def __init__(self, api_key: str = DEFAULT_API_KEY) -> None:
        self.api_key = api_key
        self._signing_key = Ed25519PrivateKey.generate()
        self.messaging_profile_id = str(uuid.uuid4())
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server = LoopbackServer(self._handle)
        self._sent: list[SentSms] = []
        self._records: list[dict[str, Any]] = []  # detail records, oldest first
        self._calls: list[TelnyxCall] = []
        self._faults: deque[_Fault] = deque()
        self._delays: deque[float] = deque()
        self._holds: deque[threading.Event] = deque()
        self._media: dict[str, tuple[bytes, str]] = {}
        self._redirects: dict[str, tuple[int, str]] = {}
        self._early_reports: deque[tuple[str, ...]] = deque()
        self._early_answers: list[int] = []

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> "FakeTelnyx":
        self._stopping.clear()
        self._server.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._server.stop()

    @property
    def url(self) -> str:
        """Base URL standing in for https://api.telnyx.com (no trailing slash)."""
        return self._server.base_url

    @property
    def public_key(self) -> str:
        """The account's public key as the portal shows it: base64 of the raw 32 bytes."""
        raw = self._signing_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        return base64.b64encode(raw).decode()

    # -- webhooks --------------------------------------------------------------------------

    def sign(self, body: bytes, timestamp: int | None = None,
             key: Ed25519PrivateKey | None = None) -> dict[str, str]:
        """The headers Telnyx sends with `body`: its Ed25519 signature and timestamp."""
        stamp = str(int(time.time()) if timestamp is None else timestamp)
        signature = (key or self._signing_key).sign(stamp.encode() + b"|" + body)
        return {"telnyx-signature-ed25519": base64.b64encode(signature).decode(),
                "telnyx-timestamp": stamp, "Content-Type": "application/json"}

    @staticmethod
    def event(event_type: str, payload: dict[str, Any]) -> bytes:
        """A webhook body as Telnyx posts it."""
        return json.dumps({"data": {
            "record_type": "event", "id": str(uuid.uuid4()), "event_type": event_type,
            "occurred_at": now_iso(), "payload": payload},
            "meta": {"attempt": 1, "delivered_to": "https://example.com/hooks"}}).encode()

    def inbound(self, from_number: str, to_number: str, text: str, *, sid: str | None = None,
                media: list[tuple[str, str]] | None = None) -> bytes:
        """message.received for an SMS (or, with `media` [(url, content type)], an MMS)."""
        return self.event("message.received", {
            "record_type": "message", "direction": "inbound",
            "id": sid or str(uuid.uuid4()), "type": "MMS" if media else "SMS",
            "messaging_profile_id": self.messaging_profile_id,
            "from": {"phone_number": from_number, "carrier": "T-MOBILE USA, INC.",
                     "line_type": "Wireless"},
            "to": [{"phone_number": to_number, "status": "webhook_delivered",
                    "carrier": "TELNYX LLC", "line_type": "VoIP"}],
            "cc": [], "text": text,
            "media": [{"url": url, "content_type": content_type, "size": None,
                       "hash_sha256": None} for url, content_type in media or []],
            "encoding": encoding_of(text), "parts": count_segments(text), "tags": [],
            "received_at": now_iso(),
            "sent_at": None, "completed_at": None, "valid_until": None, "errors": []})

    def delivery_report(self, sms: SentSms, status: str,
                        error_code: str | None = None) -> tuple[str, bytes]:
        """The URL and body Telnyx would POST to report `status` (the desk's name or
        Telnyx's) for `sms`: message.sent, or message.finalized for a final state."""
        if not sms.status_callback:
            raise ValueError(f"{sms.sid} was sent without a webhook_url")
        native = NATIVE.get(status, status)
        errors = [] if error_code is None else [
            {"code": str(error_code), "title": f"Telnyx error {error_code}", "detail": ""}]
        return sms.status_callback, self.event(
            "message.finalized" if native in FINAL else "message.sent", {
                "record_type": "message", "direction": "outbound", "id": sms.sid,
                "type": "SMS", "messaging_profile_id": self.messaging_profile_id,
                "from": {"phone_number": sms.from_, "carrier": "TELNYX LLC",
                         "line_type": "VoIP"},
                "to": [{"phone_number": sms.to, "status": native,
                        "carrier": "T-MOBILE USA, INC.", "line_type": "Wireless"}],
                "text": sms.body, "media": [], "parts": count_segments(sms.body),
                "encoding": encoding_of(sms.body), "errors": errors, "sent_at": now_iso(),
                "completed_at": now_iso() if native in FINAL else None})

    # -- arranging (FakeTwilio's interface) --------------------------------------------------

    def add_media(self, path: str, content: bytes, content_type: str) -> str:
        if not path.startswith("/"):
            raise ValueError("path must start with '/'")
        with self._lock:
            self._media[path] = (content, content_type)
        return self.url + path

    def redirect_media(self, path: str, location: str, status: int = 307) -> str:
        """Answer GET `{url}{path}` with a redirect to `location`; returns the full URL."""
        with self._lock:
            self._redirects[path] = (status, location)
        return self.url + path

    def fail_next(self, times: int = 1, status: int = 500, code: int | str | None = None,
                  message: str | None = None) -> None:
        """The next `times` sends fail with `status` and Telnyx's error body. A 4xx needs
        Telnyx's error `code` (40300: the recipient texted STOP); 5xx and 429 get generic ones."""
        if code is None:
            if status == 429:
                code, default = "10011", "Too many requests"
            elif status >= 500:
                code, default = "10007", "Unexpected error"
            else:
                raise ValueError("a 4xx failure needs a Telnyx error code")
        else:
            default = f"Telnyx error {code}"
        with self._lock:
            self._faults.extend([_Fault(status, str(code), message or default)] * times)

    def recover(self) -> None:
        with self._lock:
            self._faults.clear()

    def delay_next(self, seconds: float, times: int = 1) -> None:
        """Hold back the answer to the next `times` sends; the message still counts as sent."""
        with self._lock:
            self._delays.extend([seconds] * times)

    def report_before_answering(self, *statuses: str) -> None:
        """For the next send: POST its delivery webhooks (signed) before answering it."""
        with self._lock:
            self._early_reports.append(statuses)

    def hold_next_answer(self) -> threading.Event:
        held = threading.Event()
        with self._lock:
            self._holds.append(held)
        return held

    # -- what happened ---------------------------------------------------------------------

    @property
    def sent(self) -> list[SentSms]:
        with self._lock:
            return list(self._sent)

    def sent_to(self, number: str) -> list[SentSms]:
        with self._lock:
            return [sms for sms in self._sent if sms.to == number]

    @property
    def early_report_answers(self) -> list[int]:
        with self._lock:
            return list(self._early_answers)

    @property
    def calls(self) -> list[TelnyxCall]:
        with self._lock:
            return list(self._calls)

    def wait_for(self, predicate: Callable[["FakeTelnyx"], Any], timeout: float = 5.0,
                 message: str = "") -> Any:
        return wait_until(lambda: predicate(self), timeout,
                          lambda: f"{message}\n{self._describe_recent()}")

    def _describe_recent(self, count: int = 15) -> str:
        calls = self.calls
        lines = [f"recent Telnyx requests ({min(count, len(calls))} of {len(calls)}):"]
        lines += [f"  {c.method} {c.path} to={c.params.get('to', '')} -> {c.status}"
                  for c in calls[-count:]]
        return "\n".join(lines)

    # -- HTTP ------------------------------------------------------------------------------

    def _handle(self, request: HttpRequest) -> HttpResponse:
        at = time.monotonic()
        delay = 0.0
        held: threading.Event | None = None
        early: tuple[SentSms, tuple[str, ...]] | None = None
        params: dict[str, str] = {}
        with self._lock:
            if request.method == "GET" and request.path in self._media:
                # Telnyx's media links are fetched as given, without the API key.
                content, content_type = self._media[request.path]
                response = HttpResponse(200, content, {"Content-Type": content_type})
            elif request.method == "GET" and request.path in self._redirects:
                status, location = self._redirects[request.path]
                response = HttpResponse(status, b"", {"Location": location})
            elif request.headers.get("authorization") != f"Bearer {self.api_key}":
                response = _error(401, "10009", "Authentication failed",
                                  "The required authentication headers were either invalid "
                                  "or not included in the request.")
            elif request.method == "POST" and request.path == "/v2/messages":
                try:
                    form = json.loads(request.body or b"{}")
                except ValueError:
                    form = None
                if not isinstance(form, dict) or request.content_type != "application/json":
                    response = _error(400, "10015", "Bad Request", "The request failed because "
                                      "it was not well-formed.")
                else:
                    params = {k: str(v) for k, v in form.items()}
                    delay = self._delays.popleft() if self._delays else 0.0
                    held = self._holds.popleft() if self._holds else None
                    response = self._create_message(form, at)
                    if response.status == 200 and self._early_reports:
                        early = (self._sent[-1], self._early_reports.popleft())
            elif request.method == "GET" and request.path == "/v2/detail_records":
                response = self._detail_records(request.query)
            elif request.method == "GET" and request.path == "/v2/balance":
                response = HttpResponse.json(200, {"data": {
                    "record_type": "balance", "balance": "300.00", "credit_limit": "100.00",
                    "available_credit": "400.00", "currency": "USD"}})
            else:
                response = _error(404, "10005", "Resource not found",
                                  f"The requested resource {request.path} could not be found.")
            self._calls.append(TelnyxCall(request.method, request.path, params,
                                          response.status, at))
        if early is not None:
            self._report(*early)
        if delay:
            self._stopping.wait(delay)
        if held is not None:
            deadline = time.monotonic() + 30
            while not (held.wait(0.05) or self._stopping.is_set()
                       or time.monotonic() > deadline):
                pass
        return response

    def _report(self, sms: SentSms, statuses: tuple[str, ...]) -> None:
        for status in statuses:
            url, body = self.delivery_report(sms, status)
            answer = httpx.post(url, content=body, headers=self.sign(body), timeout=10)
            with self._lock:
                self._early_answers.append(answer.status_code)

    def _create_message(self, form: dict[str, Any], at: float) -> HttpResponse:
        if self._faults:
            fault = self._faults.popleft()
            return _error(fault.status, fault.code, fault.message, fault.message)
        to, from_ = form.get("to"), form.get("from")
        text = form.get("text") or ""
        media_urls = tuple(form.get("media_urls") or ())
        if not isinstance(to, str) or not E164.match(to):
            return _error(400, "40310", "Invalid 'to' address",
                          "The 'to' address should be a string in +E.164 format.")
        if not isinstance(from_, str) or not E164.match(from_):
            return _error(400, "40013", "Invalid source number",
                          "The source number is not a valid Telnyx number.")
        if not text and not media_urls:
            return _error(400, "40005", "Invalid message body",
                          "Either text or media_urls is required.")
        if len(text) > MAX_TEXT_CHARS:
            return _error(400, "40009", "Invalid message body", "The text is too long.")
        sms = SentSms(sid=str(uuid.uuid4()), to=to, from_=from_, body=text,
                      status_callback=form.get("webhook_url"), at=at, media_urls=media_urls)
        self._sent.append(sms)
        parts = count_segments(text)
        created = now_iso()
        self._records.append({
            "record_type": "message_detail_record", "id": sms.sid, "direction": "outbound",
            "cli": from_, "cld": to, "status": "queued", "parts": parts,
            "created_at": created, "sent_at": created, "message_type": "SMS"})
        return HttpResponse.json(200, {"data": {
            "record_type": "message", "direction": "outbound", "id": sms.sid,
            "type": "MMS" if media_urls else "SMS",
            "messaging_profile_id": form.get("messaging_profile_id")
            or self.messaging_profile_id,
            "from": {"phone_number": from_, "carrier": "TELNYX LLC", "line_type": "VoIP"},
            "to": [{"phone_number": to, "status": "queued", "carrier": "T-MOBILE USA, INC.",
                    "line_type": "Wireless"}],
            "text": text, "media": [{"url": url} for url in media_urls],
            "webhook_url": form.get("webhook_url"),
            "webhook_failover_url": form.get("webhook_failover_url"),
            "encoding": encoding_of(text), "parts": parts, "tags": [], "cost": None,
            "received_at": created, "sent_at": None, "completed_at": None,
            "valid_until": None, "errors": []}})

    def _detail_records(self, query: dict[str, list[str]]) -> HttpResponse:
        def one(name: str) -> str | None:
            values = query.get(name)
            return values[-1] if values else None

        if one("filter[record_type]") != "messaging":
            return _error(400, "10015", "Bad Request", "filter[record_type] is required")
        size = int(one("page[size]") or 20)
        found = [r for r in reversed(self._records)
                 if all(one(f"filter[{field}]") in (None, r[field])
                        for field in ("cli", "cld", "direction"))]
        return HttpResponse.json(200, {"data": found[:size], "meta": {
            "page_number": 1, "page_size": size, "total_pages": 1,
            "total_results": min(len(found), size)}})


def _error(status: int, code: str, title: str, detail: str) -> HttpResponse:
    return HttpResponse.json(status, {"errors": [{
        "code": code, "title": title, "detail": detail,
        "meta": {"url": f"https://developers.telnyx.com/docs/overview/errors/{code}"}}]})
