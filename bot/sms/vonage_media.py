"""Fetching an inbound MMS file from Vonage: the application's JWT to Vonage's media hosts
only, every redirect checked, one deadline (twilio_media.fetch does the download).

An inbound MMS names its file by a URL on Vonage's media service (for example
https://api-us.nexmo.com/v3/media/<uuid>); with "secure inbound media" on (the application's
Messages settings) it is served only with a JWT of the application. So the URL must be
on one of Vonage's API hosts (or VONAGE_API_URL's, where tests reach the fake) under
/v3/media/, the token goes there only, and any redirect is followed without it under
twilio_media's rules (https, public addresses, at most a few hops).
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass, field

import httpx
from cryptography.hazmat.primitives import serialization

from bot.sms import twilio_media

MEDIA_PATH = "/v3/media/"
NOT_PROVIDER = "its address is not on Vonage's media hosts, so it was not fetched"
# Vonage's API hosts, the default and each region's: where its media service answers.
VONAGE_HOSTS = frozenset({"api.nexmo.com", "api-us.nexmo.com", "api-eu.nexmo.com",
                          "api-ap.nexmo.com"})


@dataclass(frozen=True)
class VonageMediaOrigin(twilio_media.MediaOrigin):
    """VONAGE_API_URL's origin, plus Vonage's regional hosts over https."""

    hosts: frozenset[str] = field(default=VONAGE_HOSTS)

    def holds(self, url: httpx.URL) -> bool:
        if url.userinfo or not url.path.startswith(MEDIA_PATH):
            return False
        if (url.scheme, url.host, url.port) == (self.scheme, self.host, self.port):
            return True
        return url.scheme == "https" and url.host in self.hosts and url.port in (None, 443)

    def refuses_redirect(self, url: httpx.URL) -> str | None:
        reason = super().refuses_redirect(url)
        return reason.replace("Twilio", "Vonage") if reason else None


def origin_of_api(api_url: str) -> VonageMediaOrigin:
    url = httpx.URL(api_url.rstrip("/"))
    return VonageMediaOrigin(url.scheme, url.host, url.port, MEDIA_PATH)


class BearerAuth(httpx.Auth):
    """A fresh application JWT on each request it is given to (twilio_media gives it only
    to requests on the origin)."""

    def __init__(self, token: Callable[[], str]):
        self._token = token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response,
                                                             None]:
        request.headers["Authorization"] = f"Bearer {self._token()}"
        yield request


def key_pair_matches(private_pem: str, public_pem: str) -> bool:
    """Is `public_pem` (what Vonage holds for the application) the public half of
    `private_pem`? False when either does not load."""
    try:
        private = serialization.load_pem_private_key(private_pem.encode(), password=None)
        public = serialization.load_pem_public_key(public_pem.encode())
    except (ValueError, TypeError):
        return False
    der = serialization.Encoding.DER
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    return private.public_key().public_bytes(der, spki) == public.public_bytes(der, spki)
