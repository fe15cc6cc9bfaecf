"""Fetching an MMS file from Telnyx: only from Telnyx's hosts, the API key only to its API.

An inbound MMS's payload.media[].url points at Telnyx's media storage (a host under
telnyx.com) or at the API itself. Any other address is refused before a request is made:
a forged URL would otherwise make the desk fetch whatever an attacker names. The API key
goes only to the API's own origin; storage URLs are fetched without it. Redirects are
followed only to https hosts of Telnyx's (or, in tests, a loopback fake's own origin), at
most twice, all within one deadline (the download itself is twilio_media's, shared).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import httpx

from bot.desk.messages import MediaFetchError
from bot.sms import twilio_media

DEFAULT_DEADLINE = twilio_media.DEFAULT_DEADLINE
MAX_REDIRECTS = 2
TELNYX_DOMAIN = "telnyx.com"
NOT_PROVIDER = "its address is not on Telnyx's hosts, so it was not fetched"


@dataclass(frozen=True)
class MediaOrigin:
    scheme: str
    host: str
    port: int | None

    @classmethod
    def of_api(cls, api_url: str) -> MediaOrigin:
        url = httpx.URL(api_url)
        return cls(url.scheme, url.host, url.port)

    def is_api(self, url: httpx.URL) -> bool:
        return (url.scheme == self.scheme and url.host == self.host and url.port == self.port
                and not url.userinfo)

    def holds(self, url: httpx.URL) -> bool:
        """On Telnyx: its API, or https on a host under telnyx.com."""
        if url.userinfo:
            return False
        if self.is_api(url):
            return True
        host = url.host.lower().rstrip(".")
        return url.scheme == "https" and url.port in (None, 443) and (
            host == TELNYX_DOMAIN or host.endswith("." + TELNYX_DOMAIN))


def fetch(client: httpx.Client, origin: MediaOrigin, url: str, *, api_key: str,
          max_bytes: int, deadline: float, timeout: float) -> tuple[bytes, str | None]:
    try:
        target = httpx.URL(url)
    except httpx.InvalidURL as error:
        raise MediaFetchError("its address is not a valid URL", permanent=True) from error
    if not origin.holds(target):
        raise MediaFetchError(NOT_PROVIDER, permanent=True)
    ends = time.monotonic() + deadline
    try:
        for _hop in range(MAX_REDIRECTS + 1):
            remaining = ends - time.monotonic()
            if remaining <= 0:
                raise twilio_media._too_slow(deadline)
            headers = {"Authorization": f"Bearer {api_key}"} if origin.is_api(target) else {}
            with client.stream("GET", target, headers=headers,
                               timeout=min(timeout, remaining)) as response:
                if response.is_redirect:
                    try:
                        target = target.join(response.headers["location"])
                    except httpx.InvalidURL as error:
                        raise MediaFetchError("Telnyx redirected it to an invalid address",
                                              permanent=True) from error
                    if not origin.holds(target):
                        raise MediaFetchError("Telnyx redirected it off Telnyx's hosts",
                                              permanent=True)
                    continue
                return twilio_media._body(response, max_bytes, ends, deadline)
    except httpx.TimeoutException as error:
        if time.monotonic() >= ends:
            raise twilio_media._too_slow(deadline) from error
        raise MediaFetchError(f"provider unreachable: {error.__class__.__name__}") from error
    except httpx.HTTPError as error:
        raise MediaFetchError(f"provider unreachable: {error.__class__.__name__}") from error
    raise MediaFetchError(f"Telnyx redirected it more than {MAX_REDIRECTS} times",
                          permanent=True)
