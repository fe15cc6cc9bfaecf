"""The SMS providers flow tests run against: one kit per provider, behind one interface.

A kit starts the provider's fake REST API (tests/fakes/), gives the desk the variables that
point it there, and plays the provider's side of the webhooks: a customer's text or MMS,
a delivery report, each signed the provider's way (or forged, unsigned, stale, tampered).
The harness (tests/harness.py) goes through the kit, so `desk.customer_texts`,
`desk.customer_sends_mms` and `desk.carrier_reports` mean the same whichever provider the
desk runs with, and `desk.provider` is the kit's fake.

Every fake offers FakeTwilio's test-facing interface: `sent` / `sent_to` records (.sid, .to,
.from_, .body, .media_urls, .status_callback), `wait_for`, `fail_next(times, status, code)`,
`recover`, `delay_next`, `hold_next_answer`, `report_before_answering(*desk states)`,
`early_report_answers`, `calls` (.method, .path), `add_media`, `start`/`stop`.

To add a provider: write its fake in tests/fakes/, a ProviderKit subclass here, and add it
to KITS. Every test that asks for the `provider` fixture (tests/conftest.py) then runs for
it too. What those tests expect of the provider's side:
- `report` and `report_before_answering` take the desk's state names and word them the
  provider's way; `sent[i].status_callback` is where its reports go (desk.url + status_path);
- the adapter's SendError reads "{label} {HTTP status}: ..." (the thread shows it), marks
  the provider's opted-out code `opted_out=True` (DeliveryStatus too), and a 5xx or 429 is
  retryable; a refused media address says `foreign_media_note`;
- the fake's `calls` hold one POST per send attempt (tests count them);
- the app side: SMS_PROVIDER in bot/config/env.py (PROVIDER_VARIABLES and problems),
  bot/runtime.py and bot/doctor.py `_sender`, bot/health.py SMS_FIXES, a blueprint in
  bot/web/app.py that answers 404 unless the desk runs with that provider.
"""

from __future__ import annotations

import time
import uuid
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlencode

import httpx

from bot.desk.ports import SmsSender
from bot.sms.twilio import expected_signature
from storage.clock import utcnow
from tests.fakes.telnyx_api import FakeTelnyx
from tests.fakes.twilio_api import FakeTwilio
from tests.fakes.vonage_api import FakeVonage, sign_webhook

if TYPE_CHECKING:
    from tests.harness import Desk


class ProviderKit:
    """One provider's fake and its side of the webhooks. Subclasses fill every part."""

    name: ClassVar[str]  # SMS_PROVIDER
    label: ClassVar[str]  # how the adapter names the provider to the agent ("Twilio 503")
    inbound_path: ClassVar[str]  # where the provider posts a customer's text
    status_path: ClassVar[str]  # where it posts delivery reports
    # fail_next(**opted_out): a send refused because the recipient texted STOP.
    opted_out: ClassVar[dict[str, Any]]
    # What the agent reads when an MMS file is on a host that is not the provider's.
    foreign_media_note: ClassVar[str]
    # Case information: (fields a test adds to a customer's text, what the preview then
    # shows), or None when the provider sends none.
    case_information: ClassVar[tuple[dict[str, str], str] | None]
    # The ways `forged` can forge a webhook of this provider (a provider whose signature
    # covers a time adds "stale": signed as the provider signs, too long ago).
    forgeries: ClassVar[tuple[str, ...]] = ("unsigned", "wrong key", "tampered")
    # Why an MMS of several files cannot be played as one message (None: it can). Vonage's
    # inbound message holds one file (`image`, `video`…), so each file is a text of its own.
    one_file_per_message: ClassVar[str | None] = None
    fake: Any

    def env(self) -> dict[str, str]:
        """The variables that point the desk at the fake (beside SMS_PROVIDER)."""
        raise NotImplementedError

    def sender(self, desk_url: str, **options: Any) -> SmsSender:
        """The desk's adapter built with `options` (say timeout=0.5), talking to the fake."""
        raise NotImplementedError

    def inbound(self, desk: Desk, from_number: str, to_number: str, body: str, *,
                sid: str | None = None, media: tuple[tuple[bytes, str], ...] = (),
                media_urls: tuple[tuple[str, str], ...] = (),
                extra: dict[str, str] | None = None) -> httpx.Response:
        """A customer's text, signed as the provider signs it, posted to the desk. An MMS
        with `media`, (content, content type) the fake serves, or `media_urls`, (address,
        content type) of files anywhere (a forged address on another host)."""
        raise NotImplementedError

    def report(self, desk: Desk, sms: Any, status: str,
               error_code: str | None = None) -> httpx.Response:
        """A delivery report for `sms` (a `sent` record) in the desk's words (queued, sent,
        delivered, undelivered, failed), as the provider words and signs it."""
        raise NotImplementedError

    def forged(self, desk: Desk, from_number: str, to_number: str, body: str, *,
               how: str) -> httpx.Response:
        """A customer's text that is not the provider's: `how` is one of `forgeries`:
        "unsigned", "wrong key" (signed with another account's secret), "tampered" (a real
        signature of another body), "stale". Each must be refused with 403, stored nowhere."""
        raise NotImplementedError

    def stop(self) -> None:
        self.fake.stop()


class TwilioKit(ProviderKit):
    name = "twilio"
    label = "Twilio"
    inbound_path = "/sms/twilio/inbound"
    status_path = "/sms/twilio/status"
    opted_out = {"status": 400, "code": 21610}
    foreign_media_note = "not on Twilio's API"
    case_information = ({"FromCity": "SAN FRANCISCO", "FromState": "CA"}, "SAN FRANCISCO")

    def __init__(self, fake: FakeTwilio | None = None) -> None:
        self.fake = fake or FakeTwilio().start()

    def env(self) -> dict[str, str]:
        return {"TWILIO_ACCOUNT_SID": self.fake.account_sid,
                "TWILIO_AUTH_TOKEN": self.fake.auth_token, "TWILIO_API_URL": self.fake.url}

    def sender(self, desk_url: str, **options: Any) -> SmsSender:
        from bot.sms.twilio import TwilioSender

        return TwilioSender(self.fake.account_sid, self.fake.auth_token, self.fake.url,
                            status_callback_url=f"{desk_url}{self.status_path}", **options)

    def post(self, desk: Desk, path: str, params: dict[str, str], *, sign: bool = True,
             signature: str | None = None, token: str | None = None) -> httpx.Response:
        headers = {}
        if sign:
            headers["X-Twilio-Signature"] = signature or expected_signature(
                token or self.fake.auth_token, desk.url + path,
                {k: [v] for k, v in params.items()})
        return desk.http.post(desk.url + path, content=urlencode(params), headers={
            "Content-Type": "application/x-www-form-urlencoded", **headers})

    def _params(self, from_number: str, to_number: str, body: str, sid: str | None,
                media: tuple[tuple[bytes, str], ...], extra: dict[str, str],
                media_urls: tuple[tuple[str, str], ...] = ()) -> dict[str, str]:
        urls = [*media_urls, *(
            (self.fake.add_media(
                f"/2010-04-01/Accounts/{self.fake.account_sid}/Messages/MM1/Media/ME{index}",
                content, content_type), content_type)
            for index, (content, content_type) in enumerate(media))]
        params = {"MessageSid": sid or "SM" + uuid.uuid4().hex,
                  "AccountSid": self.fake.account_sid, "From": from_number, "To": to_number,
                  "Body": body, "NumMedia": str(len(urls))}
        for index, (url, content_type) in enumerate(urls):
            params[f"MediaUrl{index}"] = url
            params[f"MediaContentType{index}"] = content_type
        return {**params, **extra}

    def inbound(self, desk: Desk, from_number: str, to_number: str, body: str, *,
                sid: str | None = None, media: tuple[tuple[bytes, str], ...] = (),
                media_urls: tuple[tuple[str, str], ...] = (),
                extra: dict[str, str] | None = None) -> httpx.Response:
        return self.post(desk, self.inbound_path, self._params(
            from_number, to_number, body, sid, media, extra or {}, media_urls))

    def report(self, desk: Desk, sms: Any, status: str,
               error_code: str | None = None) -> httpx.Response:
        _url, params = self.fake.status_callback(sms, status, error_code)
        return self.post(desk, self.status_path, params)

    def forged(self, desk: Desk, from_number: str, to_number: str, body: str, *,
               how: str) -> httpx.Response:
        params = self._params(from_number, to_number, body, None, (), {})
        if how == "unsigned":
            return self.post(desk, self.inbound_path, params, sign=False)
        if how == "wrong key":
            return self.post(desk, self.inbound_path, params, token="0" * 32)
        if how == "tampered":
            signature = expected_signature(self.fake.auth_token, desk.url + self.inbound_path,
                                           {k: [v] for k, v in params.items()})
            return self.post(desk, self.inbound_path, {**params, "Body": body + "!"},
                             signature=signature)
        raise ValueError(how)


class TelnyxKit(ProviderKit):
    name = "telnyx"
    label = "Telnyx"
    inbound_path = status_path = "/sms/telnyx/webhook"  # one URL for every event
    opted_out = {"status": 400, "code": "40300"}
    foreign_media_note = "not on Telnyx's hosts"
    case_information = ({}, "T-MOBILE USA, INC.")  # the fake's carrier of the customer
    forgeries = (*ProviderKit.forgeries, "stale")

    def __init__(self, fake: FakeTelnyx | None = None) -> None:
        self.fake = fake or FakeTelnyx().start()

    def env(self) -> dict[str, str]:
        return {"TELNYX_API_KEY": self.fake.api_key, "TELNYX_PUBLIC_KEY": self.fake.public_key,
                "TELNYX_API_URL": self.fake.url}

    def sender(self, desk_url: str, **options: Any) -> SmsSender:
        from bot.sms.telnyx import TelnyxSender

        return TelnyxSender(self.fake.api_key, self.fake.url,
                            webhook_url=f"{desk_url}{self.status_path}", **options)

    def post(self, desk: Desk, body: bytes, headers: dict[str, str]) -> httpx.Response:
        return desk.http.post(desk.url + self.inbound_path, content=body, headers=headers)

    def _body(self, from_number: str, to_number: str, body: str, sid: str | None,
              media: tuple[tuple[bytes, str], ...],
              media_urls: tuple[tuple[str, str], ...] = ()) -> bytes:
        urls = [*media_urls, *(
            (self.fake.add_media(f"/media/{uuid.uuid4().hex}/{index}", content, kind), kind)
            for index, (content, kind) in enumerate(media))]
        return self.fake.inbound(from_number, to_number, body, sid=sid, media=urls)

    def inbound(self, desk: Desk, from_number: str, to_number: str, body: str, *,
                sid: str | None = None, media: tuple[tuple[bytes, str], ...] = (),
                media_urls: tuple[tuple[str, str], ...] = (),
                extra: dict[str, str] | None = None) -> httpx.Response:
        if extra:
            raise TypeError(f"Telnyx's webhook has no fields {sorted(extra)}")
        payload = self._body(from_number, to_number, body, sid, media, media_urls)
        return self.post(desk, payload, self.fake.sign(payload))

    def report(self, desk: Desk, sms: Any, status: str,
               error_code: str | None = None) -> httpx.Response:
        _url, payload = self.fake.delivery_report(sms, status, error_code)
        return self.post(desk, payload, self.fake.sign(payload))

    def forged(self, desk: Desk, from_number: str, to_number: str, body: str, *,
               how: str) -> httpx.Response:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        payload = self._body(from_number, to_number, body, None, ())
        if how == "unsigned":
            return self.post(desk, payload, {"Content-Type": "application/json"})
        if how == "wrong key":
            return self.post(desk, payload,
                             self.fake.sign(payload, key=Ed25519PrivateKey.generate()))
        if how == "tampered":
            other = self._body(from_number, to_number, body + "!", None, ())
            return self.post(desk, other, self.fake.sign(payload))
        if how == "stale":  # a captured webhook replayed, past Telnyx's tolerance
            return self.post(desk, payload, self.fake.sign(payload, int(time.time()) - 301))
        raise ValueError(how)


class VonageKit(ProviderKit):
    name = "vonage"
    label = "Vonage"
    inbound_path = "/sms/vonage/inbound"
    status_path = "/sms/vonage/status"
    # Vonage reports an opt-out after taking the send (a rejected status, error 1240:
    # test_flow_vonage.py); a send it refuses at once with that code is handled the same.
    opted_out = {"status": 422, "code": 1240}
    foreign_media_note = "not on Vonage's media hosts"
    case_information = None
    # Unsigned is not among them: Vonage may send an unsigned callback on an error of its
    # own and retries on a 5xx, so the desk answers that 503 (test_flow_vonage.py).
    forgeries = ("wrong key", "tampered", "stale")
    one_file_per_message = ("Vonage's inbound MMS webhook carries one file: several files "
                            "arrive as several texts")

    def __init__(self, fake: FakeVonage | None = None) -> None:
        self.fake = fake or FakeVonage().start()

    def env(self) -> dict[str, str]:
        return self.fake.environ()

    def sender(self, desk_url: str, **options: Any) -> SmsSender:
        from bot.sms.vonage import VonageSender

        fake = self.fake
        return VonageSender(fake.application_id, fake.private_key, fake.api_key,
                            fake.api_secret, fake.url,
                            status_url=f"{desk_url}{self.status_path}", **options)

    def post(self, desk: Desk, path: str, payload: dict[str, Any], *,
             authorization: str | None = None) -> httpx.Response:
        """`payload` as Vonage posts it: JSON, with its signed JWT (or `authorization`)."""
        import json

        body = json.dumps(payload).encode()
        return desk.http.post(desk.url + path, content=body, headers={
            "Content-Type": "application/json",
            "Authorization": sign_webhook(body) if authorization is None else authorization})

    def inbound(self, desk: Desk, from_number: str, to_number: str, body: str, *,
                sid: str | None = None, media: tuple[tuple[bytes, str], ...] = (),
                media_urls: tuple[tuple[str, str], ...] = (),
                extra: dict[str, str] | None = None) -> httpx.Response:
        if extra:
            raise TypeError(f"Vonage's webhook has no fields {sorted(extra)}")
        files = [*media_urls, *((self.fake.add_media(content, kind), kind)
                                for content, kind in media)]
        if not files:
            return self.post(desk, self.inbound_path, self.fake.inbound_payload(
                from_number, to_number, body, sid=sid))
        # Vonage posts an MMS's files one webhook each, the text as the first's caption.
        answer = None
        for index, (url, kind) in enumerate(files):
            answer = self.post(desk, self.inbound_path, self.fake.media_payload(
                from_number, to_number, body if index == 0 else "", url, kind,
                sid=sid if index == 0 else None))
            if answer.status_code >= 300:
                break
        assert answer is not None
        return answer

    def report(self, desk: Desk, sms: Any, status: str,
               error_code: str | None = None) -> httpx.Response:
        return self.post(desk, self.status_path,
                         self.fake.status_payload(sms, status, error_code))

    def forged(self, desk: Desk, from_number: str, to_number: str, body: str, *,
               how: str) -> httpx.Response:
        import json

        payload = self.fake.inbound_payload(from_number, to_number, body)
        raw = json.dumps(payload).encode()
        if how == "unsigned":
            return self.post(desk, self.inbound_path, payload, authorization="")
        if how == "wrong key":
            return self.post(desk, self.inbound_path, payload,
                             authorization=sign_webhook(raw, "another account's secret " * 3))
        if how == "tampered":  # a real token, for another body
            other = json.dumps({**payload, "text": body + "!"}).encode()
            return self.post(desk, self.inbound_path, payload,
                             authorization=sign_webhook(other))
        if how == "stale":  # a captured webhook replayed, past the 5 minutes
            return self.post(desk, self.inbound_path, payload,
                             authorization=sign_webhook(raw, issued=utcnow().timestamp() - 301))
        raise ValueError(how)


KITS: dict[str, type[ProviderKit]] = {"twilio": TwilioKit, "telnyx": TelnyxKit,
                                      "vonage": VonageKit}
PROVIDERS = tuple(KITS)
