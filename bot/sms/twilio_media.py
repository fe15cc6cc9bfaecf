"""Fetching an MMS file from Twilio: credentials to Twilio only, every redirect checked, one
deadline for the whole download.

A MediaUrl arrives in a webhook. Fetched as given, it is a request to wherever it points
with the account's Basic-auth credentials attached. So:
- the MediaUrl must be on the Twilio API itself (TWILIO_API_URL, https://api.twilio.com in
  production); any other address is refused before a request is made;
- the credentials go only to that API. Twilio answers with a redirect to its storage (a
  signed URL on a CDN or S3), fetched without them;
- a redirect may only lead to https on a public address: no loopback, private or link-local
  network (169.254.169.254 is the cloud metadata service). Plain http to loopback is allowed
  only when the API itself is loopback http, which is how tests reach the fakes. At most
  MAX_REDIRECTS hops;
- one deadline covers every hop and every read, so a server that sends a byte now and then
  cannot hold a worker thread for longer. (httpx times each read on its own: a hop's read
  timeout is what remained of the deadline when the hop began, and the deadline is checked
  after every chunk, so one stalled read may overrun it by at most that much.)

The address check resolves the host name just before the request; a name whose answer
changes in between (DNS rebinding) could still slip through. Reaching the storage host
at all takes a redirect from Twilio itself, which is what keeps that window narrow.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from dataclasses import dataclass

import httpx

from bot.desk.messages import MediaFetchError

MAX_REDIRECTS = 3  # Twilio uses one, to its storage
# Seconds for a whole fetch: Twilio's largest MMS file (5 MB) at a slow 200 KB/s is 25 s.
DEFAULT_DEADLINE = 30.0
# Every MediaUrl Twilio sends is a Media resource of a message of an account.
MEDIA_PATH = "/2010-04-01/Accounts/"

NOT_PROVIDER = "its address is not on Twilio's API, so it was not fetched"


@dataclass(frozen=True)
class MediaOrigin:
    """Where a MediaUrl may point, and where the redirects it answers with may lead."""

    scheme: str
    host: str
    port: int | None
    path: str  # what a MediaUrl's path starts with

    @classmethod
    def of_api(cls, api_url: str) -> MediaOrigin:
        url = httpx.URL(api_url.rstrip("/"))
        return cls(url.scheme, url.host, url.port, url.path.rstrip("/") + MEDIA_PATH)

    @property
    def is_loopback_http(self) -> bool:
        """A fake on this machine (tests): its storage may be plain http on loopback too."""
        return self.scheme == "http" and _is_loopback_name(self.host)

    def holds(self, url: httpx.URL) -> bool:
        """On the provider's API: the one place the account's credentials may go."""
        return (url.scheme == self.scheme and url.host == self.host and url.port == self.port
                and not url.userinfo and url.path.startswith(self.path))

    def refuses_redirect(self, url: httpx.URL) -> str | None:
        """Why a redirect to `url` is not followed (None: it may be)."""
        loopback_ok = self.is_loopback_http
        if url.userinfo:
            return "Twilio redirected it to an address with credentials in it"
        if url.scheme != "https" and not (url.scheme == "http" and loopback_ok
                                          and _is_loopback_name(url.host)):
            return "Twilio redirected it to an address that is not https"
        for address in _addresses(url.host, url.port or (443 if url.scheme == "https" else 80)):
            if not (address.is_global and not address.is_multicast) \
                    and not (loopback_ok and address.is_loopback):
                return "Twilio redirected it to a private or local network address"
        return None


def fetch(client: httpx.Client, origin: MediaOrigin, url: str, *,
          auth: tuple[str, str] | httpx.Auth,
          max_bytes: int, deadline: float, timeout: float) -> tuple[bytes, str | None]:
    """The file at `url` and its content type, or MediaFetchError (permanent when asking
    again cannot help). `client` must not follow redirects or carry credentials itself."""
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
                raise _too_slow(deadline)
            with client.stream("GET", target, auth=auth if origin.holds(target) else None,
                               timeout=min(timeout, remaining)) as response:
                if response.is_redirect:
                    target = _next_hop(origin, target, response)
                    continue
                return _body(response, max_bytes, ends, deadline)
    except httpx.TimeoutException as error:
        if time.monotonic() >= ends:
            raise _too_slow(deadline) from error
        raise MediaFetchError(f"provider unreachable: {error.__class__.__name__}") from error
    except httpx.HTTPError as error:
        raise MediaFetchError(f"provider unreachable: {error.__class__.__name__}") from error
    raise MediaFetchError(f"Twilio redirected it more than {MAX_REDIRECTS} times",
                          permanent=True)


def _next_hop(origin: MediaOrigin, current: httpx.URL, response: httpx.Response) -> httpx.URL:
    try:
        target = current.join(response.headers["location"])
    except httpx.InvalidURL as error:
        raise MediaFetchError("Twilio redirected it to an invalid address",
                              permanent=True) from error
    refusal = origin.refuses_redirect(target)
    if refusal:
        raise MediaFetchError(refusal, permanent=True)
    return target


def _body(response: httpx.Response, max_bytes: int, ends: float,
          deadline: float) -> tuple[bytes, str | None]:
    if response.status_code == 404:
        raise MediaFetchError("the provider no longer has this file", permanent=True)
    if response.status_code >= 300:
        raise MediaFetchError(f"the provider answered {response.status_code}")
    too_big = MediaFetchError(f"file is over {max_bytes // (1024 * 1024)} MB", permanent=True)
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise too_big
    chunks, size = [], 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > max_bytes:
            raise too_big
        if time.monotonic() >= ends:
            raise _too_slow(deadline)
        chunks.append(chunk)
    return b"".join(chunks), response.headers.get("content-type")


def _too_slow(deadline: float) -> MediaFetchError:
    # Not permanent: a slow hour at the provider passes; the job asks again later.
    return MediaFetchError(f"downloading it took longer than {deadline:g} seconds")


def _addresses(host: str, port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        found = [ipaddress.ip_address(host)]
    except ValueError:
        try:
            answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as error:
            raise MediaFetchError("Twilio's storage host could not be found") from error
        found = [ipaddress.ip_address(str(answer[4][0]).split("%")[0]) for answer in answers]
    # ::ffff:10.0.0.1 reaches 10.0.0.1: judge the IPv4 address it carries.
    return [getattr(address, "ipv4_mapped", None) or address for address in found]


def _is_loopback_name(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
