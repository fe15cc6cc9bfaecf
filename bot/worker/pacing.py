"""Slack delivery pacing: stay inside Slack's rate limits without ever sleeping in a worker.

Slack, not our code, sets the ceiling: about one chat.postMessage a second per channel (short
bursts tolerated) and a few hundred a minute per workspace; per-workspace tiers for the other
methods (chat.update about 50 a minute); and a 429 with Retry-After past any of them. The
naive answers both hurt: slack_sdk's RateLimitErrorRetryHandler sleeps in the calling thread
(every conversation stalls behind one wait), and ignoring the limits turns into 429s.

So every Slack call a job makes first takes a token from each bucket it draws on: its
channel's (postMessage) and its method's budget for the workspace. When a bucket is empty
the call is not made: the job is put back, due when the bucket will have refilled
(`Paced`), and the worker thread moves on to other work — another channel keeps flowing. A
429 empties the bucket it hit until Retry-After has passed.

Priorities share the buckets without starving the customer: cosmetic work (supervisor
cards, countdowns, the Home tab) only takes a token while the bucket keeps some in reserve,
so a customer's message or an agent's delivery mark always finds one; and a more urgent
call goes before the slots less urgent jobs have booked (they move back a slot), so a
customer's line never queues behind a flood of previews for the workspace's posts.

A job put back spends no budget twice: the calls Slack answered before its run was put back
(a lookup, a conversation opened, a first post) are answered from memory when its next run
makes them again with the same arguments (`keep_answers`, bot/worker/paced_client.py).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from bot.desk.jobs import COSMETIC, CUSTOMER, OFFER

# Tokens a priority (bot/desk/jobs.py: lower first) leaves in a bucket for more urgent work.
RESERVE = {CUSTOMER: 0.0, OFFER: 0.5, COSMETIC: 1.5}


@dataclass(frozen=True)
class Limit:
    per_second: float
    burst: float


# Slack's published limits, with a margin. chat.postMessage: about 1/s per channel, and
# "several hundred a minute" per workspace. The rest are Tier 2-4 methods (per workspace).
PER_CHANNEL_POST = Limit(1.0, 3)
METHOD_LIMITS: dict[str, Limit] = {
    # The workspace-wide budget, beside the per-channel one: "several hundred a minute".
    "chat.postMessage": Limit(300 / 60, 20),
    "chat.update": Limit(50 / 60, 5),  # Tier 3
    "chat.delete": Limit(50 / 60, 5),  # Tier 3
    "chat.postEphemeral": Limit(100 / 60, 10),  # Tier 4
    "chat.getPermalink": Limit(100 / 60, 10),  # Tier 4
    "reactions.add": Limit(50 / 60, 5),  # Tier 3
    "reactions.remove": Limit(50 / 60, 5),  # Tier 3
    "views.publish": Limit(100 / 60, 10),  # Tier 4
    "users.info": Limit(100 / 60, 20),  # Tier 4
    "conversations.open": Limit(50 / 60, 5),  # Tier 3
    "conversations.join": Limit(50 / 60, 5),  # Tier 3
    "files.getUploadURLExternal": Limit(20 / 60, 5),  # Tier 2... documented as Tier 4; be kind
    "files.completeUploadExternal": Limit(20 / 60, 5),
    "usergroups.users.list": Limit(20 / 60, 5),  # Tier 2
    # Reading back after an interrupted job, and erasure's sweep of a thread: Tier 3.
    "conversations.history": Limit(50 / 60, 5),
    "conversations.replies": Limit(50 / 60, 5),
    "files.delete": Limit(20 / 60, 5),  # Tier 2
}
OTHER_METHODS = Limit(5.0, 20)  # anything not listed: generous, still stopped by a 429
# One Slack message is redrawn at most about once a second: nobody reads a card faster, and
# a burst of changes to one card would otherwise spend the workspace's chat.update budget
# on states that are gone before anyone sees them. The job that waits draws the latest state.
PER_MESSAGE_UPDATE = Limit(1.0, 1)
EDITS_OF_A_MESSAGE = ("chat.update",)
# Seconds a put-back job's answers are kept for its next run (it is due again long before).
ANSWERS_KEPT_FOR = 300.0
# Seconds: a booked job woken a hair early still goes. Bookings are made that much later
# than the budget allows, so going early never goes before Slack's own bucket refills.
BOOKING_SLACK = 0.05


class Bucket:
    def __init__(self, limit: Limit, now: float):
        self.limit = limit
        self.tokens = float(limit.burst)
        self.updated = now
        self.paused_until = 0.0

    def _refill(self, now: float) -> None:
        if now > self.updated:
            self.tokens = min(self.limit.burst,
                              self.tokens + (now - self.updated) * self.limit.per_second)
            self.updated = now

    def wait(self, now: float, reserve: float, lent: int = 0) -> float:
        """Seconds until one token can be taken leaving `reserve` behind (0: now). `lent`:
        tokens taken by bookings that give their slots to this call (up to a full bucket)."""
        if now < self.paused_until:
            return self.paused_until - now
        self._refill(now)
        missing = 1.0 + reserve - min(self.limit.burst, self.tokens + lent)
        return 0.0 if missing <= 0 else missing / self.limit.per_second

    def take(self, now: float) -> None:
        self._refill(now)
        self.tokens -= 1.0

    def paid_in(self, now: float, lent: int = 0) -> float:
        """Seconds until the tokens taken (debt included, but `lent`, as in `wait`) are paid
        back and it may go."""
        self._refill(now)
        tokens = min(self.limit.burst, self.tokens + lent)
        return max(self.paused_until - now, -tokens / self.limit.per_second, 0.0)

    def pause(self, now: float, seconds: float) -> None:
        # When the pause ends, one call may go (Slack said "then"), and the rest refill.
        self.paused_until = max(self.paused_until, now + seconds)
        self.tokens = min(1.0, self.limit.burst)
        self.updated = max(self.updated, now + seconds)


@dataclass(frozen=True)
class Usage:
    """What the pacer saw, for the bench: calls let through and calls put back."""

    allowed: int
    deferred: int
    rate_limited: int


class SlackPacer:
    """Token buckets per (workspace, channel) for posts and per (workspace, method).

    In-process: several instances on one database each pace themselves, and Slack's 429s
    (honoured per bucket) catch what the sum of them overshoots.
    """

    def __init__(self, *, per_channel_post: Limit = PER_CHANNEL_POST,
                 method_limits: dict[str, Limit] | None = None,
                 per_message_update: Limit = PER_MESSAGE_UPDATE,
                 clock: Callable[[], float] = time.monotonic):
        self.per_channel_post = per_channel_post
        self.per_message_update = per_message_update
        self.method_limits = METHOD_LIMITS if method_limits is None else method_limits
        self.clock = clock
        self._buckets: dict[tuple[str, ...], Bucket] = {}
        # Slots booked by jobs that were told to wait: (job, team, method, channel) -> when.
        self._booked: dict[tuple, float] = {}
        # Each booking's priority and the buckets it is booked in.
        self._booked_in: dict[tuple, tuple[int, list[tuple[str, ...]]]] = {}
        # A DM is posted to by the person's user id (a preview) and by its channel id (the
        # lines of a thread there): one channel, one budget. (team, user id) -> channel id.
        self._dms: dict[tuple[str, str], str] = {}
        # What Slack answered runs of jobs that were then put back: job -> (when, answers).
        self._answers: dict[object, tuple[float, dict[str, Any]]] = {}
        self._lock = threading.Lock()
        self._allowed = self._deferred = self._rate_limited = 0

    def _keys(self, team_id: str, method: str, channel: str | None,
              message: str | None = None) -> list[tuple[str, ...]]:
        """The bucket a 429 is about comes first: a post's channel, else the method."""
        keys: list[tuple[str, ...]] = []
        if method == "chat.postMessage" and channel:
            keys.append((team_id, "channel", self._dms.get((team_id, channel), channel)))
        keys.append((team_id, "method", method))
        if method in EDITS_OF_A_MESSAGE and channel and message:
            keys.append((team_id, "message", channel, message))
        return keys

    def _bucket(self, key: tuple[str, ...], now: float) -> Bucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            if key[1] == "message":
                self._forget_idle_messages(now)
            limit = {"channel": self.per_channel_post,
                     "message": self.per_message_update}.get(
                key[1]) or self.method_limits.get(key[2], OTHER_METHODS)
            bucket = self._buckets[key] = Bucket(limit, now)
        return bucket

    def _forget_idle_messages(self, now: float) -> None:
        """A message's bucket that has refilled is the same as a new one: drop it, so a
        long-running desk does not keep one per card it ever drew."""
        if len(self._buckets) > 2000:
            for key, bucket in list(self._buckets.items()):
                if key[1] == "message" and bucket.wait(now, 0.0) == 0 and (
                        bucket.tokens >= bucket.limit.burst):
                    del self._buckets[key]

    @staticmethod
    def _reserve(key: tuple[str, ...], priority: int) -> float:
        # Reserves share a workspace's budgets between priorities; a message's own bucket
        # is nobody else's, so it keeps none.
        return 0.0 if key[1] == "message" else RESERVE.get(priority, RESERVE[COSMETIC])

    def acquire(self, team_id: str, method: str, channel: str | None,
                priority: int, holder: object = None, message: str | None = None) -> float:
        """Seconds to wait before the call may go (0: go now, its tokens are taken).

        A job told to wait (`holder`: its id) books the next free slot: its tokens are taken
        at once, the bucket going into debt, so whoever asks after it is booked after it and
        nobody starves in a crowd retrying at the same instant. Its next try at that time
        goes through on the booking. Cosmetic work books nothing: it tries again later and
        only goes when the buckets are out of debt with a reserve left.
        """
        with self._lock:
            now = self.clock()
            keys = self._keys(team_id, method, channel, message)
            buckets = [self._bucket(key, now) for key in keys]
            booking = (holder, team_id, method, channel, message)
            if holder is not None and booking in self._booked:
                due = max([self._booked[booking]]
                          + [b.paused_until + BOOKING_SLACK for b in buckets if b.paused_until])
                if now >= due - BOOKING_SLACK:
                    del self._booked[booking]
                    self._booked_in.pop(booking, None)
                    self._allowed += 1
                    return 0.0
                self._booked[booking] = due
                return due - now
            # Slots booked by less urgent jobs are this call's to take: they move back.
            behind = {key: self._booked_behind(key, priority, now) for key in keys}
            wait = max((b.wait(now, self._reserve(key, priority), len(behind[key]))
                        for key, b in zip(keys, buckets, strict=True)), default=0.0)
            if wait <= 0:
                self._take(now, keys, buckets, behind)
                self._allowed += 1
                return 0.0
            self._deferred += 1
            if holder is None or priority >= COSMETIC:
                return wait
            self._take(now, keys, buckets, behind)
            wait = max(b.paid_in(now, len(behind[key]))
                       for key, b in zip(keys, buckets, strict=True)) + BOOKING_SLACK
            self._booked[booking] = now + wait
            self._booked_in[booking] = (priority, keys)
            self._forget_stale(now)
            return wait

    def _booked_behind(self, key: tuple[str, ...], priority: int, now: float) -> list[tuple]:
        """Bookings in bucket `key`, for a slot still to come, of jobs less urgent than
        `priority`. (One whose slot has passed is about to go; its token is spent.)"""
        return [booking for booking, (booked_priority, keys) in self._booked_in.items()
                if booked_priority > priority and key in keys and self._booked[booking] > now]

    def _take(self, now: float, keys: list[tuple[str, ...]], buckets: list[Bucket],
              behind: dict[tuple[str, ...], list[tuple]]) -> None:
        """A token from each bucket; each less urgent booking there moves back one slot."""
        for key, bucket in zip(keys, buckets, strict=True):
            bucket.take(now)
            for booking in behind[key]:
                self._booked[booking] += 1.0 / bucket.limit.per_second

    def _forget_stale(self, now: float) -> None:
        """Bookings of jobs that never came back (a crash, another path taken)."""
        if len(self._booked) > 1000:
            for booking, due in list(self._booked.items()):
                if due < now - 120:
                    del self._booked[booking]
                    self._booked_in.pop(booking, None)

    def record(self, team_id: str, method: str, channel: str | None,
               message: str | None = None) -> None:
        """A call made outside any job (a listener answering a click): it spends the same
        budget, and is never held back (Slack wants its answer within 3 s)."""
        with self._lock:
            now = self.clock()
            for key in self._keys(team_id, method, channel, message):
                self._bucket(key, now).take(now)
            self._allowed += 1

    def rate_limited(self, team_id: str, method: str, channel: str | None,
                     retry_after: float) -> None:
        """Slack answered 429: nothing more goes to that channel or method until then."""
        with self._lock:
            now = self.clock()
            self._rate_limited += 1
            # A post's 429 is about its channel; any other method's about the method.
            keys = self._keys(team_id, method, channel)
            for key in keys[:1]:
                self._bucket(key, now).pause(now, retry_after)

    def posted_to(self, team_id: str, channel: str, posted_in: str) -> None:
        """A post to `channel` (a user id) went to `posted_in` (their DM): both are paced as
        one channel from now on."""
        if channel != posted_in:
            with self._lock:
                if self._dms.get((team_id, channel)) != posted_in:
                    self._dms[(team_id, channel)] = posted_in
                    bucket = self._buckets.pop((team_id, "channel", channel), None)
                    if bucket is not None:  # what was spent under the user id still counts
                        now = self.clock()
                        dm = self._bucket((team_id, "channel", posted_in), now)
                        dm._refill(now)
                        bucket._refill(now)
                        dm.tokens += bucket.tokens - bucket.limit.burst
                        dm.paused_until = max(dm.paused_until, bucket.paused_until)

    def keep_answers(self, holder: object, answers: dict[str, Any]) -> None:
        """The job `holder` is put back after Slack answered these calls of its run (by
        their arguments): its next run is answered them again without asking Slack."""
        with self._lock:
            now = self.clock()
            self._answers[holder] = (now, dict(answers))
            if len(self._answers) > 1000:
                for job, (kept, _answers) in list(self._answers.items()):
                    if kept < now - ANSWERS_KEPT_FOR:
                        del self._answers[job]

    def take_answers(self, holder: object) -> dict[str, Any]:
        """What an earlier, put-back run of the job was answered (once; then forgotten)."""
        with self._lock:
            kept = self._answers.pop(holder, None)
            if kept is None or kept[0] < self.clock() - ANSWERS_KEPT_FOR:
                return {}
            return kept[1]

    def usage(self) -> Usage:
        with self._lock:
            return Usage(self._allowed, self._deferred, self._rate_limited)


def retry_after_seconds(headers) -> float:
    """Slack's Retry-After, in seconds (at least one)."""
    try:
        return max(1.0, float(math.ceil(float(headers.get("Retry-After", 1) or 1))))
    except (TypeError, ValueError):
        return 1.0


@dataclass(frozen=True)
class JobContext:
    team_id: str
    priority: int
    job_id: int | None = None
    # This run's calls Slack answered, by their arguments (with an earlier put-back run's,
    # taken at its first call): kept if the run is put back (SlackPacer.keep_answers).
    answered: dict[str, Any] = field(default_factory=dict)
    started: list[bool] = field(default_factory=list)  # non-empty once it made a call


_current = threading.local()


@contextmanager
def running_job(team_id: str, priority: int, job_id: int | None = None) -> Iterator[None]:
    """Slack calls made inside (on this thread) are paced with this job's priority."""
    previous = getattr(_current, "job", None)
    _current.job = JobContext(team_id, priority, job_id)
    try:
        yield
    finally:
        _current.job = previous


def current_job() -> JobContext | None:
    return getattr(_current, "job", None)
