"""The fake Slack's failures on demand: errors, 429s, outages, late answers, rate limits.

Off unless a test asks: `fail_next` fails the next calls of a method, `set_down` answers 503
to everything, `answer_late` does a call but answers it later, `stall_next` neither does a
call nor answers it, and `enforce_rate_limits` (or `rate_limit_everything`,
`rate_limit_channel`) answers 429 with Retry-After as Slack does.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

from tests.fakes.slack.files import UPLOAD
from tests.fakes.slack.rules import Refusal

# Slack's published per-workspace limits (calls a second, burst) of the methods the desk uses,
# as benches enforce them: Tier 3 about 50 a minute, Tier 4 about 100, chat.postMessage "several
# hundred" beside its one a second per channel.
SLACK_METHOD_LIMITS: dict[str, tuple[float, float]] = {
    "chat.postMessage": (300 / 60, 30),
    "chat.update": (50 / 60, 5),
    "chat.delete": (50 / 60, 5),
    "reactions.add": (50 / 60, 5),
    "reactions.remove": (50 / 60, 5),
    "chat.postEphemeral": (100 / 60, 10),
    "chat.getPermalink": (100 / 60, 10),
    "views.publish": (100 / 60, 10),
    "users.info": (100 / 60, 20),
    "conversations.open": (50 / 60, 5),
}


@dataclass(frozen=True)
class _Fault:
    status: int
    retry_after: int
    error: str | None

    def answer(self) -> tuple[int, dict[str, Any], dict[str, str]]:
        if self.error is not None:
            return 200, {"ok": False, "error": self.error}, {}
        if self.status == 429:
            headers = {"Retry-After": str(self.retry_after)}
            return 429, {"ok": False, "error": "ratelimited"}, headers
        return self.status, {"ok": False, "error": "internal_error"}, {}


class _Budget:
    """One of Slack's rate limits: `per_second` refilling up to `burst` calls."""

    def __init__(self, per_second: float, burst: float) -> None:
        self.per_second, self.burst = per_second, burst
        self.tokens, self.updated = float(burst), time.monotonic()

    def take(self) -> float:
        """0 if a call may go now (and counts it), else the seconds until one may."""
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.per_second)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.per_second


class Faults:
    """FakeSlack's injected failures and rate limits (a mixin: it runs under FakeSlack's lock)."""

    def _init_faults(self) -> None:
        self._faults: dict[str, deque[_Fault]] = {}
        self._down = False
        self._late: dict[str, deque[float]] = {}  # method -> answer delays (answer_late)
        self._stalls: dict[str, int] = {}  # method -> calls still to stall (stall_next)
        self.stalled: list[str] = []  # methods of the calls held unanswered, in order
        self._unstall = threading.Event()  # set when the fake stops
        # Rate limits, off unless a test turns them on (enforce_rate_limits).
        self._post_limit: tuple[float, float] | None = None
        self._method_limits: dict[str, tuple[float, float]] = {}
        self._budgets: dict[tuple[str, ...], _Budget] = {}
        self.rate_limited: list[tuple[str, str | None]] = []  # (method, channel) answered 429
        self._limited_until = 0.0  # rate_limit_everything: a 429 storm until then
        self._channel_limited: dict[str, float] = {}  # channel -> 429s for posts until then

    # -- fault injection -------------------------------------------------------------------

    def answer_late(self, method: str, seconds: float, times: int = 1) -> None:
        """Carry out the next `times` calls of `method` at once but answer them `seconds`
        later: the window in which an app that dies has done the call and not heard back."""
        with self._lock:
            self._late.setdefault(method, deque()).extend([seconds] * times)

    def stall_next(self, method: str, times: int = 1) -> None:
        """Hold the next `times` calls of `method` unanswered and not carried out until the
        fake stops (then 503): calls in flight, nothing done yet, when the app dies."""
        with self._lock:
            self._stalls[method] = self._stalls.get(method, 0) + times

    def fail_next(
        self,
        method: str,
        times: int = 1,
        status: int = 429,
        retry_after: int = 1,
        error: str | None = None,
    ) -> None:
        """Make the next `times` calls of `method` fail.

        With `error`, Slack's usual HTTP 200 `{"ok": false}`; otherwise HTTP 429 with
        Retry-After, or an HTTP 5xx. `method` may be `UPLOAD` ("upload"): the POST of a file's
        bytes to its upload URL, which fails by HTTP status only.
        """
        if error is None and status != 429 and status < 500:
            raise ValueError("status must be 429 or 5xx unless an error code is given")
        if method == UPLOAD and error is not None:
            raise ValueError("an upload URL fails by HTTP status, not with an error code")
        with self._lock:
            self._faults.setdefault(method, deque()).extend(
                [_Fault(status, retry_after, error)] * times
            )

    def enforce_rate_limits(
        self,
        per_channel_post: tuple[float, float] | None = (1.0, 3),
        methods: dict[str, tuple[float, float]] | None = None,
    ) -> None:
        """Answer 429 with Retry-After past Slack's limits, as Slack does: chat.postMessage
        per channel (calls per second, burst), and per method for the workspace."""
        with self._lock:
            self._post_limit = per_channel_post
            self._method_limits = dict(methods or {})
            self._budgets = {}

    def rate_limit_everything(self, seconds: float) -> None:
        """Every call answers 429 (Retry-After: the time left) for `seconds`."""
        with self._lock:
            self._limited_until = time.monotonic() + seconds

    def rate_limit_channel(self, channel: str, seconds: float) -> None:
        """Posts to `channel` answer 429 (Retry-After: the time left) for `seconds`."""
        with self._lock:
            self._channel_limited[channel] = time.monotonic() + seconds

    def set_down(self, down: bool = True) -> None:
        """While down, every call answers HTTP 503, as during a Slack outage."""
        with self._lock:
            self._down = down

    # -- helpers ---------------------------------------------------------------------------

    def _stalls_now(self, method: str) -> bool:
        """Whether this call of `method` is one stall_next asked for (counted if so)."""
        if not self._stalls.get(method):
            return False
        self._stalls[method] -= 1
        self.stalled.append(method)
        return True

    def _injected_failure(self, method: str) -> tuple[int, dict[str, Any], dict[str, str]] | None:
        """The answer an outage or a fault queued for `method` gives instead, if any."""
        if self._down:
            return 503, {"ok": False, "error": "service_unavailable"}, {}
        faults = self._faults.get(method)
        if faults:
            return faults.popleft().answer()
        return None

    def _over_limit(self, method: str, params: dict[str, Any]) -> float:
        now = time.monotonic()
        if now < self._limited_until:
            return self._limited_until - now
        until = self._channel_limited.get(str(params.get("channel") or ""), 0.0)
        if method == "chat.postMessage" and now < until:
            return until - now
        keys: list[tuple[tuple[str, ...], tuple[float, float]]] = []
        if method == "chat.postMessage" and self._post_limit is not None:
            channel = str(params.get("channel") or "")
            try:
                channel = self._resolve_channel(channel, allow_user=True).id
            except Refusal:
                pass
            keys.append((("channel", channel), self._post_limit))
        if method in self._method_limits:
            keys.append((("method", method), self._method_limits[method]))
        for key, (per_second, burst) in keys:
            budget = self._budgets.setdefault(key, _Budget(per_second, burst))
            wait = budget.take()
            if wait > 0:
                return wait
        return 0.0
