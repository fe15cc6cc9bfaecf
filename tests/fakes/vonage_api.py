"""A fake Vonage on loopback HTTP: the Messages API (POST /v1/messages), the bits of the
Reports, Application, Redact and media APIs the desk uses, and the signer of Vonage's
webhooks.

Shapes, from Vonage's documentation:
- a send is JSON (`message_type`, `channel`, `to` and `from` in E.164 without "+", `text`,
  `client_ref`, `webhook_url`) with `Authorization: Bearer <JWT>` signed RS256 by the
  application's private key; Vonage answers 202 `{"message_uuid": …}`, or an RFC 7807
  problem (`type` …/api-errors/messages#<code>, `title`, `detail`, `instance`);
- status webhooks: `{"message_uuid", "to", "from", "timestamp", "status", "channel",
  "client_ref", "error": {"type", "title": <code>, "detail"}}`, states submitted, delivered,
  rejected, undeliverable (read is for other channels);
- inbound webhooks: `{"channel": "sms"|"mms", "message_uuid", "to", "from", "timestamp",
  "message_type": "text", "text"}`, or for MMS `"message_type": "image"` and
  `"image": {"url", "caption"}`;
- every webhook carries `Authorization: Bearer <JWT>`, HS256 with the signature secret,
  claims `iat`, `jti`, `iss: "Vonage"`, `payload_hash` (SHA-256 hex of the body),
  `api_key`, `application_id`.

Where the fake is stricter than Vonage: `to` must be E.164 digits (Vonage may guess).
"""

from __future__ import annotations

import base64
import functools
import hashlib
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
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from storage.clock import utcnow
from tests.fakes import wait_until
from tests.fakes._http import HttpRequest, HttpResponse, LoopbackServer

APPLICATION_ID = "aaaaaaaa-bbbb-cccc-dddd-0123456789ab"
API_KEY = "abcd1234"
API_SECRET = "Secret12345678"
SIGNATURE_SECRET = "sig-" + "0123456789abcdef" * 4
DIGITS = re.compile(r"^[1-9]\d{6,14}$")
MAX_TEXT = 1000  # the Messages API's limit for an SMS text
ERRORS_URL = "https://developer.vonage.com/api-errors/messages"


@functools.cache
def application_keys() -> tuple[str, str]:
    """(private PEM, public PEM) of the fake application: made once per test process."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM,
                                serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return private, public


# The desk's states in Vonage's words (status webhooks say these).
VONAGE_STATUS = {"queued": "submitted", "sent": "submitted", "delivered": "delivered",
                 "failed": "rejected", "undelivered": "undeliverable"}


def sign_webhook(body: bytes, secret: str = SIGNATURE_SECRET, *, issued: float | None = None,
                 payload_hash: str | None = None, algorithm: str = "HS256",
                 application_id: str = APPLICATION_ID) -> str:
    """The Authorization header Vonage sends with `body`; the keywords forge it."""
    claims = {
        "iat": int(utcnow().timestamp() if issued is None else issued),
        "jti": str(uuid.uuid4()), "iss": "Vonage",
        "payload_hash": payload_hash or hashlib.sha256(body).hexdigest(),
        "api_key": API_KEY, "application_id": application_id,
    }
    return "Bearer " + jwt.encode(claims, secret, algorithm=algorithm)


def _timestamp() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


@dataclass(frozen=True)
class SentSms:
    """A message Vonage accepted. `to`/`from_` in E.164 with "+"; `at` is time.monotonic()."""

    sid: str
    to: str
    from_: str
    body: str
    status_callback: str | None  # the send's webhook_url
    client_ref: str | None
    at: float
    media_urls: tuple[str, ...] = ()  # (the desk sends SMS only)


@dataclass(frozen=True)
class VonageCall:
    method: str
    path: str
    payload: dict[str, Any]
    status: int
    at: float


@dataclass(frozen=True)
class _Fault:
    status: int
    code: int
    title: str
    detail: str


class FakeVonage:
    """One Vonage account with one Messages application, in memory."""

    def __init__(self) -> None:
        self.application_id = APPLICATION_ID
        self.api_key, self.api_secret = API_KEY, API_SECRET
        self.signature_secret = SIGNATURE_SECRET
        self.private_key, self.public_key = application_keys()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server = LoopbackServer(self._handle)
        self._sent: list[SentSms] = []
        self._calls: list[VonageCall] = []
        self._faults: deque[_Fault] = deque()
        self._delays: deque[float] = deque()
        self._holds: deque[threading.Event] = deque()
        self._early_reports: deque[tuple[tuple[str, str | None], ...]] = deque()
        self._early_answers: list[int] = []
        self._media: dict[str, tuple[bytes, str]] = {}
        self._redacted: list[tuple[str, str]] = []
        self.records_lag = False  # True: the Reports API does not list recent sends yet
        self.records_page = 1000  # records in one batch of the Reports API

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> FakeVonage:
        self._stopping.clear()
        self._server.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._server.stop()

    def __enter__(self) -> FakeVonage:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return self._server.base_url

    def environ(self) -> dict[str, str]:
        """SMS_PROVIDER=vonage's variables pointing at this fake."""
        return {"VONAGE_APPLICATION_ID": self.application_id,
                "VONAGE_PRIVATE_KEY": self.private_key, "VONAGE_API_KEY": self.api_key,
                "VONAGE_API_SECRET": self.api_secret,
                "VONAGE_SIGNATURE_SECRET": self.signature_secret,
                "VONAGE_API_URL": self.url}

    # -- arranging -------------------------------------------------------------------------

    def add_media(self, content: bytes, content_type: str) -> str:
        """Serve `content` on the media service (the application's JWT required)."""
        path = f"/v3/media/{uuid.uuid4()}"
        with self._lock:
            self._media[path] = (content, content_type)
        return self.url + path

    def fail_next(self, times: int = 1, status: int = 500, code: int | str | None = None,
                  detail: str | None = None, message: str | None = None) -> None:
        """The next `times` sends answer `status` with a Messages API problem body."""
        detail = detail or message
        code = None if code is None else int(code)
        if code is None:
            if status == 429:
                code = 1000
            elif status >= 500:
                code = 1030
            else:
                raise ValueError("a 4xx failure needs a Messages API error code")
        title = {1000: "Throttled", 1030: "Internal error"}.get(code, "Rejected")
        with self._lock:
            self._faults.extend([_Fault(status, code, title, detail or f"error {code}")] * times)

    def recover(self) -> None:
        """The outage is over: sends still waiting to fail succeed instead."""
        with self._lock:
            self._faults.clear()

    def hold_next_answer(self) -> threading.Event:
        """Hold back the answer to the next send until the event is set (or 30 s pass)."""
        held = threading.Event()
        with self._lock:
            self._holds.append(held)
        return held

    def delay_next(self, seconds: float, times: int = 1) -> None:
        """Hold back the answer to the next sends (the message still counts as sent)."""
        with self._lock:
            self._delays.extend([seconds] * times)

    def report_before_answering(self, *statuses: str, error_code: int | None = None) -> None:
        """For the next send: POST its status webhooks, signed, before answering it.
        `statuses` in Vonage's words (submitted…) or the desk's (sent, undelivered…)."""
        code = None if error_code is None else str(error_code)
        with self._lock:
            self._early_reports.append(tuple((VONAGE_STATUS.get(status, status), code)
                                             for status in statuses))

    # -- what happened ---------------------------------------------------------------------

    @property
    def sent(self) -> list[SentSms]:
        with self._lock:
            return list(self._sent)

    def sent_to(self, number: str) -> list[SentSms]:
        return [sms for sms in self.sent if sms.to == number]

    @property
    def calls(self) -> list[VonageCall]:
        with self._lock:
            return list(self._calls)

    @property
    def early_report_answers(self) -> list[int]:
        with self._lock:
            return list(self._early_answers)

    @property
    def redacted(self) -> list[tuple[str, str]]:
        with self._lock:
            return list(self._redacted)

    def wait_for(self, predicate: Callable[[FakeVonage], Any], timeout: float = 5.0,
                 message: str = "") -> Any:
        return wait_until(lambda: predicate(self), timeout,
                          lambda: f"{message}\nrecent Vonage requests: "
                                  + ", ".join(f"{c.method} {c.path} -> {c.status}"
                                              for c in self.calls[-10:]))

    # -- webhooks, as Vonage makes them ---------------------------------------------------

    def status_payload(self, sms: SentSms, status: str,
                       error_code: str | int | None = None) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "message_uuid": sms.sid, "to": sms.to.lstrip("+"), "from": sms.from_.lstrip("+"),
            "timestamp": _timestamp(), "status": VONAGE_STATUS.get(status, status),
            "channel": "sms",
            "usage": {"currency": "EUR", "price": "0.0333"}, "sms": {"count_total": "1"},
        }
        if getattr(sms, "client_ref", None):
            payload["client_ref"] = sms.client_ref
        if error_code is not None:
            payload["error"] = {"type": f"{ERRORS_URL}#{error_code}", "title": int(error_code),
                                "detail": f"error {error_code}",
                                "instance": str(uuid.uuid4())}
        return payload

    @staticmethod
    def inbound_payload(from_number: str, to_number: str, text: str, *,
                        sid: str | None = None) -> dict[str, Any]:
        return {"channel": "sms", "message_uuid": sid or str(uuid.uuid4()),
                "to": to_number.lstrip("+"), "from": from_number.lstrip("+"),
                "timestamp": _timestamp(), "message_type": "text", "text": text,
                "sms": {"num_messages": "1"}, "context_status": "none"}

    def mms_payload(self, from_number: str, to_number: str, caption: str,
                    content: bytes, content_type: str) -> dict[str, Any]:
        return self.media_payload(from_number, to_number, caption,
                                  self.add_media(content, content_type), content_type)

    @staticmethod
    def media_payload(from_number: str, to_number: str, caption: str, url: str,
                      content_type: str, *, sid: str | None = None) -> dict[str, Any]:
        """An inbound MMS of one file at `url`: Vonage sends one webhook per file, its
        message_type the file's kind (image, video, audio, file)."""
        kind = content_type.split("/")[0]
        kind = kind if kind in ("image", "video", "audio") else "file"
        part: dict[str, Any] = {"url": url}
        if caption:
            part["caption"] = caption
        return {"channel": "mms", "message_uuid": sid or str(uuid.uuid4()),
                "to": to_number.lstrip("+"), "from": from_number.lstrip("+"),
                "timestamp": _timestamp(), "message_type": kind, kind: part}

    def post_webhook(self, url: str, payload: dict[str, Any]) -> httpx.Response:
        body = json.dumps(payload).encode()
        return httpx.post(url, content=body, timeout=10, headers={
            "Content-Type": "application/json", "Authorization": sign_webhook(body)})

    # -- HTTP ------------------------------------------------------------------------------

    def _handle(self, request: HttpRequest) -> HttpResponse:
        at = time.monotonic()
        try:
            payload = json.loads(request.body) if request.body else {}
        except ValueError:
            payload = None
        delay = 0.0
        early = None
        held: threading.Event | None = None
        with self._lock:
            path = request.path
            if request.method == "POST" and path == "/v1/messages":
                if not self._app_authorized(request):
                    response = _problem(401, 1010, "Unauthorized",
                                        "You did not provide correct credentials.")
                elif not isinstance(payload, dict):
                    response = _problem(422, 1020, "Invalid params", "The body is not JSON.")
                else:
                    delay = self._delays.popleft() if self._delays else 0.0
                    held = self._holds.popleft() if self._holds else None
                    response = self._create(payload, at)
                    if response.status == 202 and self._early_reports:
                        early = (self._sent[-1], self._early_reports.popleft())
            elif request.method == "GET" and path in self._media:
                if not self._app_authorized(request):
                    response = _problem(401, 1010, "Unauthorized", "A JWT is required.")
                else:
                    content, kind = self._media[path]
                    response = HttpResponse(200, content, {"Content-Type": kind})
            elif not self._basic_authorized(request):
                response = _problem(401, 1010, "Unauthorized",
                                    "You did not provide correct credentials.")
            elif request.method == "GET" and path == "/v2/reports/records":
                response = self._records(request.query)
            elif request.method == "GET" and path == f"/v2/applications/{self.application_id}":
                response = HttpResponse.json(200, {
                    "id": self.application_id, "name": "smsdesk",
                    "capabilities": {"messages": {"webhooks": {}}},
                    "keys": {"public_key": self.public_key}})
            elif request.method == "POST" and path == "/v1/redact/transaction":
                response = self._redact(payload or {})
            else:
                response = _problem(404, 1020, "Not found", f"{path} is not a resource")
            self._calls.append(VonageCall(request.method, path,
                                          payload if isinstance(payload, dict) else {},
                                          response.status, at))
        if early is not None:
            sms, reports = early
            for status, code in reports:
                answer = self.post_webhook(sms.status_callback or "",
                                           self.status_payload(sms, status, code))
                with self._lock:
                    self._early_answers.append(answer.status_code)
        if delay:
            self._stopping.wait(delay)
        if held is not None:
            deadline = time.monotonic() + 30
            while not (held.wait(0.05) or self._stopping.is_set()
                       or time.monotonic() > deadline):
                pass
        return response

    def _app_authorized(self, request: HttpRequest) -> bool:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer":
            return False
        try:
            claims = jwt.decode(token, self.public_key, algorithms=["RS256"])
        except jwt.InvalidTokenError:
            return False
        return claims.get("application_id") == self.application_id

    def _basic_authorized(self, request: HttpRequest) -> bool:
        scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            decoded = base64.b64decode(encoded, validate=True).decode()
        except ValueError:
            return False
        return decoded == f"{self.api_key}:{self.api_secret}"

    def _create(self, payload: dict[str, Any], at: float) -> HttpResponse:
        if self._faults:
            fault = self._faults.popleft()
            return _problem(fault.status, fault.code, fault.title, fault.detail)
        to, from_, text = payload.get("to"), payload.get("from"), payload.get("text")
        if payload.get("channel") != "sms" or payload.get("message_type") != "text":
            return _problem(422, 1020, "Invalid params", "channel sms takes message_type text")
        if not isinstance(to, str) or not DIGITS.match(to):
            return _problem(422, 1170, "Invalid or Missing Msisdn Param",
                            "The `to` parameter is invalid.")
        if not isinstance(from_, str) or not from_:
            return _problem(422, 1010, "Missing params", "The `from` parameter is missing.")
        if not isinstance(text, str) or not text or len(text) > MAX_TEXT:
            return _problem(422, 1020, "Invalid params",
                            f"text must be 1 to {MAX_TEXT} characters.")
        sms = SentSms(str(uuid.uuid4()), "+" + to, "+" + from_, text,
                      payload.get("webhook_url"), payload.get("client_ref"), at)
        self._sent.append(sms)
        return HttpResponse.json(202, {"message_uuid": sms.sid})

    def _records(self, query: dict[str, list[str]]) -> HttpResponse:
        if (query.get("product") or [""])[0] != "MESSAGES" or \
                (query.get("account_id") or [""])[0] != self.api_key:
            return HttpResponse.json(400, {"title": "Bad request"})
        sent = [] if self.records_lag else list(self._sent)
        every = [{"account_id": self.api_key, "message_id": sms.sid,
                    "client_ref": sms.client_ref, "direction": "outbound",
                    "from": sms.from_.lstrip("+"), "to": sms.to.lstrip("+"),
                    "message_body": sms.body, "status": "submitted", "product": "MESSAGES",
                    "date_received": _timestamp()} for sms in reversed(sent)]
        # In batches of records_page, each answer linking the next (as Vonage's do).
        at = int((query.get("cursor") or ["0"])[0])
        answer: dict[str, Any] = {"request_status": "SUCCESS",
                                  "records": every[at:at + self.records_page]}
        if at + self.records_page < len(every):
            answer["_links"] = {"next": {"href": f"{self.url}/v2/reports/records?account_id="
                                                 f"{self.api_key}&product=MESSAGES"
                                                 f"&cursor={at + self.records_page}"}}
        return HttpResponse.json(200, answer)

    def _redact(self, payload: dict[str, Any]) -> HttpResponse:
        sid, kind = payload.get("id"), payload.get("type")
        known = any(sms.sid == sid for sms in self._sent) if kind == "outbound" else False
        if not known or (sid, kind) in self._redacted:
            return _problem(404, 1020, "Not found", f"no {kind} message {sid}")
        self._redacted.append((str(sid), str(kind)))
        return HttpResponse(204)


def _problem(status: int, code: int, title: str, detail: str) -> HttpResponse:
    return HttpResponse.json(status, {"type": f"{ERRORS_URL}#{code}", "title": title,
                                      "detail": detail, "instance": str(uuid.uuid4())},
                             {"Content-Type": "application/problem+json"})
