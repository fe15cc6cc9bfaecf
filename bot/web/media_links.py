"""Expiring signed links to MMS files: the only way a file leaves the app, never a public URL."""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass
from urllib.parse import urlencode

PURPOSES = ("view", "save", "original")
LIFETIME_SECONDS = 600


@dataclass(frozen=True)
class MediaLinks:
    secret: bytes
    public_url: str

    def _signature(self, team_id: str, media_id: int, purpose: str, expires: int) -> str:
        message = f"{team_id}:{media_id}:{purpose}:{expires}".encode()
        return hmac.new(self.secret, message, hashlib.sha256).hexdigest()

    def url_for(self, team_id: str, media_id: int, purpose: str,
                now: float | None = None) -> str:
        expires = int((now or time.time()) + LIFETIME_SECONDS)
        query = urlencode({"team": team_id, "expires": expires,
                           "sig": self._signature(team_id, media_id, purpose, expires)})
        return f"{self.public_url}/media/{media_id}/{purpose}?{query}"

    def is_valid(self, team_id: str, media_id: int, purpose: str, expires: str,
                 signature: str, now: float | None = None) -> bool:
        if purpose not in PURPOSES or not expires.isdigit():
            return False
        if int(expires) < (now or time.time()):
            return False
        expected = self._signature(team_id, media_id, purpose, int(expires))
        return hmac.compare_digest(expected, signature)


def link_secret(*candidates: str | None) -> bytes:
    """A key for the links, derived from a secret the deployment already has.

    Every instance derives the same key, so a link made by one is honoured by another.
    """
    for candidate in candidates:
        if candidate:
            return hmac.new(candidate.encode(), b"smsdesk media links", hashlib.sha256).digest()
    raise ValueError("no secret to sign media links with")
