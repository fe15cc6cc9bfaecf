"""What the desk needs from an SMS provider, whichever it is (bot/sms/ holds the adapters).

One port, complete: every call a job makes is declared here, so the worker calls it
directly rather than asking an adapter at run time whether it can.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from bot.desk.messages import SendResult


class SmsSender(Protocol):
    name: str

    def send(self, *, from_number: str, to_number: str, body: str) -> SendResult: ...

    def fetch_media(self, url: str, max_bytes: int) -> tuple[bytes, str | None]: ...

    # After a send whose answer never came (a timeout): did the provider take it anyway?
    # The SMS it took from, to, with body, created at `since` or later (newest first).
    def find_sent(self, *, from_number: str, to_number: str, body: str,
                  since: datetime) -> list[SendResult]: ...

    # An erasure: delete a message the provider keeps, with its media ([message sid,
    # media sid] pairs). True when deleted, False when the provider no longer had it;
    # SendError, `permanent` when the provider refuses.
    def delete_message(self, sid: str, media: list[list[str]] | None = None) -> bool: ...

    def close(self) -> None: ...

    def check(self) -> str: ...  # readiness: what was reached, or raise SendError
