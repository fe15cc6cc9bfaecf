"""A fake Twilio REST API on loopback HTTP: records outbound SMS and fails or stalls on demand;
it can post a send's status callbacks before answering the send (report_before_answering).

The app posts to `{url}/2010-04-01/Accounts/{sid}/Messages.json` with HTTP Basic auth, exactly as
it would to api.twilio.com. Answers and errors carry Twilio's JSON shapes and error codes, so the
app's error handling is exercised against what it will really see.

Where the fake is stricter than Twilio: `To` must already be E.164 (Twilio sometimes guesses a
country for bare national numbers; the desk must never rely on that).
"""

import base64
import math
import re
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import formatdate
from typing import Any
from urllib.parse import parse_qs

import httpx

from bot.sms.twilio import expected_signature
from tests.fakes import wait_until
from tests.fakes._http import HttpRequest, HttpResponse, LoopbackServer

DEFAULT_ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
DEFAULT_AUTH_TOKEN = "fedcba9876543210" * 2
API_VERSION = "2010-04-01"
MAX_BODY_CHARS = 1600
E164 = re.compile(r"^\+[1-9]\d{6,14}$")
MESSAGES_PATH = re.compile(rf"^/{API_VERSION}/Accounts/(?P<sid>[^/]+)/Messages\.json$")
# DELETE of a message, or of one of its media files (how an app erases what Twilio keeps).
MESSAGE_PATH = re.compile(rf"^/{API_VERSION}/Accounts/(?P<sid>[^/]+)/Messages/"
                          r"(?P<message>[A-Za-z0-9]+)(?:/Media/(?P<media>[A-Za-z0-9]+))?\.json$")

# GSM 03.38: a body using only these characters is sent in 7-bit segments; anything else
# forces UCS-2, which more than halves what fits in one segment.
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = frozenset("^{}\\[~]|€\f")  # each costs two septets (escape + char)


@dataclass(frozen=True)
class SentSms:
    """A message Twilio accepted for delivery. `at` is time.monotonic()."""

    sid: str
    to: str
    from_: str | None
    body: str
    status_callback: str | None
    at: float
    messaging_service_sid: str | None = None
    media_urls: tuple[str, ...] = ()


@dataclass(frozen=True)
class TwilioCall:
    """Any request the fake received, accepted or not, with the HTTP status it answered."""

    method: str
    path: str
    params: dict[str, str]
    status: int
    at: float


@dataclass(frozen=True)
class _Fault:
    status: int
    code: int
    message: str


@dataclass(frozen=True)
class _Media:
    content: bytes
    content_type: str


class FakeTwilio:
    """Twilio's Messages resource for one account, in memory, behind a loopback server."""

    def __init__(
        self, account_sid: str = DEFAULT_ACCOUNT_SID, auth_token: str = DEFAULT_AUTH_TOKEN
    ) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server = LoopbackServer(self._handle)
        self._sent: list[SentSms] = []
        self._calls: list[TwilioCall] = []
        self._faults: deque[_Fault] = deque()
        self._delays: deque[float] = deque()
        self._holds: deque[threading.Event] = deque()
        self._media: dict[str, _Media] = {}
        self._redirects: dict[str, tuple[int, str]] = {}  # path -> (status, Location)
        self._resources: list[dict[str, Any]] = []  # message resources, as Twilio lists them
        self._deleted: list[str] = []  # "MM…" or "MM…/ME…", in the order deleted
        self._early_reports: deque[tuple[str, ...]] = deque()  # report_before_answering
        self._early_answers: list[int] = []

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> "FakeTwilio":
        self._stopping.clear()
        self._server.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # releases any answer held back by delay_next
        self._server.stop()

    def __enter__(self) -> "FakeTwilio":
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """Base URL standing in for https://api.twilio.com (no trailing slash)."""
        return self._server.base_url

    @property
    def account_path(self) -> str:
        """The account resource (a GET of it is how the app checks its credentials)."""
        return f"/{API_VERSION}/Accounts/{self.account_sid}.json"

    @property
    def messages_url(self) -> str:
        return f"{self.url}/{API_VERSION}/Accounts/{self.account_sid}/Messages.json"

    # -- arranging -------------------------------------------------------------------------

    def add_media(self, path: str, content: bytes, content_type: str) -> str:
        """Serve `content` at GET `{url}{path}` (Basic auth required); returns the full URL."""
        if not path.startswith("/"):
            raise ValueError("path must start with '/'")
        with self._lock:
            self._media[path] = _Media(content, content_type)
        return self.url + path

    def redirect_media(self, path: str, location: str, status: int = 307) -> str:
        """Answer GET `{url}{path}` (Basic auth required) with a redirect to `location`, as
        Twilio answers a MediaUrl with one to its storage; returns the full URL."""
        if not path.startswith("/"):
            raise ValueError("path must start with '/'")
        with self._lock:
            self._redirects[path] = (status, location)
        return self.url + path

    def fail_next(
        self, times: int = 1, status: int = 500, code: int | None = None, message: str | None = None
    ) -> None:
        """Make the next `times` message sends fail with `status` and a Twilio error body.

        A 4xx needs the Twilio error `code` (e.g. 21610, unsubscribed recipient); 5xx and 429
        get Twilio's generic codes.
        """
        if code is None:
            if status == 429:
                code, default = 20429, "Too Many Requests"
            elif status >= 500:
                code = 20503 if status == 503 else 20500
                default = "Service Unavailable" if status == 503 else "Internal Server Error"
            else:
                raise ValueError("a 4xx failure needs a Twilio error code")
        else:
            default = f"Twilio error {code}"
        with self._lock:
            self._faults.extend([_Fault(status, code, message or default)] * times)

    def recover(self) -> None:
        """The outage is over: sends still waiting to fail (fail_next) succeed instead."""
        with self._lock:
            self._faults.clear()

    def delay_next(self, seconds: float, times: int = 1) -> None:
        """Hold back the answer to the next `times` sends, to make the app's client time out.

        The message still counts as sent: after a timeout the app cannot know whether Twilio
        accepted it, and this is the case that must not turn into a duplicate text.
        """
        with self._lock:
            self._delays.extend([seconds] * times)

    def report_before_answering(self, *statuses: str) -> None:
        """For the next send: POST its status callbacks (`statuses`, in that order, signed as
        Twilio signs them) and wait for each answer before answering the send itself. The
        delivery report overtakes the answer to the request, as it can under load."""
        with self._lock:
            self._early_reports.append(statuses)

    def hold_next_answer(self) -> threading.Event:
        """Hold back the answer to the next send until the returned event is set (or 30 s
        pass): the SMS is taken, but the app hears so only then. What happens meanwhile
        happens, deterministically, before the app records the send."""
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
    def deleted(self) -> list[str]:
        """Messages ("SM…") and media ("MM…/ME…") deleted through the API, in that order.
        Any sid may be deleted once (inbound messages are not otherwise known to the fake);
        a second DELETE answers 404, as Twilio does for a resource that is gone."""
        with self._lock:
            return list(self._deleted)

    @property
    def early_report_answers(self) -> list[int]:
        """The HTTP statuses the app answered the reports of report_before_answering with."""
        with self._lock:
            return list(self._early_answers)

    @property
    def calls(self) -> list[TwilioCall]:
        with self._lock:
            return list(self._calls)

    def wait_for(
        self, predicate: Callable[["FakeTwilio"], Any], timeout: float = 5.0, message: str = ""
    ) -> Any:
        return wait_until(
            lambda: predicate(self), timeout, lambda: f"{message}\n{self._describe_recent()}"
        )

    def status_callback(
        self, sms: SentSms, status: str, error_code: str | None = None
    ) -> tuple[str, dict[str, str]]:
        """The URL and form Twilio would POST to report `status` for `sms` (unsigned)."""
        if not sms.status_callback:
            raise ValueError(f"{sms.sid} was sent without a StatusCallback")
        params = {
            "MessageSid": sms.sid,
            "SmsSid": sms.sid,
            "MessageStatus": status,
            "SmsStatus": status,
            "AccountSid": self.account_sid,
            "To": sms.to,
            "ApiVersion": API_VERSION,
        }
        if sms.from_:
            params["From"] = sms.from_
        if sms.messaging_service_sid:
            params["MessagingServiceSid"] = sms.messaging_service_sid
        if error_code is not None:
            params["ErrorCode"] = str(error_code)
        return sms.status_callback, params

    def _describe_recent(self, count: int = 15) -> str:
        calls = self.calls
        lines = [f"recent Twilio requests ({min(count, len(calls))} of {len(calls)}):"]
        for call in calls[-count:]:
            to = f" To={call.params['To']}" if "To" in call.params else ""
            lines.append(f"  {call.method} {call.path}{to} -> {call.status}")
        return "\n".join(lines)

    # -- HTTP ------------------------------------------------------------------------------

    def _handle(self, request: HttpRequest) -> HttpResponse:
        at = time.monotonic()
        form = parse_qs(request.body.decode(), keep_blank_values=True) if request.body else {}
        delay = 0.0
        early: tuple[SentSms, tuple[str, ...]] | None = None
        held: threading.Event | None = None
        with self._lock:
            match = MESSAGES_PATH.match(request.path)
            if not self._authorized(request):
                response = _error(401, 20003, "Authenticate")
                response.headers["WWW-Authenticate"] = 'Basic realm="Twilio API"'
            elif request.method == "GET" and request.path in self._media:
                media = self._media[request.path]
                response = HttpResponse(200, media.content, {"Content-Type": media.content_type})
            elif request.method == "GET" and request.path in self._redirects:
                status, location = self._redirects[request.path]
                response = HttpResponse(status, b"", {"Location": location})
            elif request.method == "GET" and request.path == self.account_path:
                response = HttpResponse.json(200, {"sid": self.account_sid, "status": "active",
                                                   "type": "Full"})
            elif request.method == "GET" and match and match["sid"] == self.account_sid:
                response = self._list_messages(request.query)
            elif request.method == "POST" and match and match["sid"] == self.account_sid:
                delay = self._delays.popleft() if self._delays else 0.0
                held = self._holds.popleft() if self._holds else None
                response = self._create_message(form, at)
                if response.status == 201 and self._early_reports:
                    early = (self._sent[-1], self._early_reports.popleft())
            elif request.method == "DELETE" and (found := MESSAGE_PATH.match(request.path)) \
                    and found["sid"] == self.account_sid:
                response = self._delete(found["message"], found["media"])
            else:
                response = _error(
                    404, 20404, f"The requested resource {request.path} was not found"
                )
            self._calls.append(
                TwilioCall(
                    method=request.method,
                    path=request.path,
                    params={key: values[-1] for key, values in form.items()},
                    status=response.status,
                    at=at,
                )
            )
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
        """POST `sms`'s status callbacks as Twilio does: a signed form, one per status."""
        for status in statuses:
            url, params = self.status_callback(sms, status)
            signature = expected_signature(self.auth_token, url,
                                           {key: [value] for key, value in params.items()})
            answer = httpx.post(url, data=params, headers={"X-Twilio-Signature": signature},
                                timeout=10)
            with self._lock:
                self._early_answers.append(answer.status_code)

    def _list_messages(self, query: dict[str, list[str]]) -> HttpResponse:
        """GET Messages.json: the account's messages, newest first, filtered by To and From
        as Twilio filters them (how an app finds out whether a timed-out send went out)."""
        to, from_ = _field(query, "To"), _field(query, "From")
        page_size = int(_field(query, "PageSize") or 50)
        found = [m for m in reversed(self._resources)
                 if (to is None or m["to"] == to) and (from_ is None or m["from"] == from_)]
        uri = f"/{API_VERSION}/Accounts/{self.account_sid}/Messages.json"
        return HttpResponse.json(200, {
            "messages": found[:page_size], "page": 0, "page_size": page_size, "start": 0,
            "end": max(min(len(found), page_size) - 1, 0), "uri": uri,
            "first_page_uri": uri, "next_page_uri": None, "previous_page_uri": None})

    def _delete(self, message_sid: str, media_sid: str | None) -> HttpResponse:
        key = f"{message_sid}/{media_sid}" if media_sid else message_sid
        if key in self._deleted:
            return _error(404, 20404, f"The requested resource {key} was not found")
        self._deleted.append(key)
        if media_sid is None:
            self._resources = [r for r in self._resources if r["sid"] != message_sid]
        else:
            for path in [p for p in self._media if p.endswith(f"/{message_sid}/Media/{media_sid}")]:
                del self._media[path]
        return HttpResponse(204, b"", {})

    def _authorized(self, request: HttpRequest) -> bool:
        scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            decoded = base64.b64decode(encoded, validate=True).decode()
        except ValueError:
            return False
        return decoded == f"{self.account_sid}:{self.auth_token}"

    def _create_message(self, form: dict[str, list[str]], at: float) -> HttpResponse:
        if self._faults:
            fault = self._faults.popleft()
            return _error(fault.status, fault.code, fault.message)
        to = _field(form, "To")
        from_ = _field(form, "From")
        service_sid = _field(form, "MessagingServiceSid")
        body = _field(form, "Body") or ""
        media_urls = tuple(form.get("MediaUrl", []))
        if not to:
            return _error(400, 21604, "A 'To' phone number is required.")
        if not E164.match(to):
            return _error(400, 21211, f"The 'To' number {to} is not a valid phone number.")
        if not from_ and not service_sid:
            return _error(400, 21603, "A 'From' phone number is required.")
        if not body and not media_urls:
            return _error(400, 21602, "Message body is required.")
        if len(body) > MAX_BODY_CHARS:
            return _error(
                400,
                21617,
                f"The concatenated message body exceeds the {MAX_BODY_CHARS} character limit.",
            )
        sms = SentSms(
            sid="SM" + uuid.uuid4().hex,
            to=to,
            from_=from_,
            body=body,
            status_callback=_field(form, "StatusCallback"),
            at=at,
            messaging_service_sid=service_sid,
            media_urls=media_urls,
        )
        self._sent.append(sms)
        now = formatdate(usegmt=True)
        uri = f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{sms.sid}"
        resource = {
            "account_sid": self.account_sid,
            "api_version": API_VERSION,
            "body": body,
            "date_created": now,
            "date_sent": None,
            "date_updated": now,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": from_,
            "messaging_service_sid": service_sid,
            "num_media": str(len(media_urls)),
            "num_segments": str(count_segments(body)),
            "price": None,
            "price_unit": "USD",
            "sid": sms.sid,
            # Twilio says "accepted" until a service has picked the sending number.
            "status": "queued" if from_ else "accepted",
            "subresource_uris": {"media": f"{uri}/Media.json"},
            "to": to,
            "uri": f"{uri}.json",
            }
        self._resources.append(resource)
        return HttpResponse.json(201, resource)


def count_segments(body: str) -> int:
    """How many SMS segments Twilio bills for `body` (GSM-7 when possible, else UCS-2)."""
    if all(ch in GSM7_BASIC or ch in GSM7_EXTENDED for ch in body):
        units = len(body) + sum(ch in GSM7_EXTENDED for ch in body)
        single, multi = 160, 153
    else:
        units = len(body.encode("utf-16-le")) // 2
        single, multi = 70, 67
    return 1 if units <= single else math.ceil(units / multi)


def _field(form: dict[str, list[str]], name: str) -> str | None:
    values = form.get(name)
    return values[-1] if values else None


def _error(status: int, code: int, message: str) -> HttpResponse:
    return HttpResponse.json(
        status,
        {
            "code": code,
            "message": message,
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status,
        },
    )
