"""Queues, per-agent overrides and the rules that read them: where a text goes, who may take
it, how many at once, how it is answered, and where its thread lives.

Business numbers map to queues; a queue has member agents (Slack user ids and/or user groups)
and a supervisor channel. With no [[queues]] configured the desk has one queue, "SMS", that
every agent belongs to: the behaviour of a small team with no setup. The settings file is
read into these values by bot/config; the rules are here, and `Settings` carries them
(`QueueRules`), so `settings.queue_for(number)` reads as the desk's own question.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.desk.hours import OpeningHours

DEFAULT_QUEUE = "SMS"
THREAD_HOMES = ("channel", "dm")
# What the simulator's phone texts when no business number is set: Twilio's test number.
SIMULATOR_BUSINESS_NUMBER = "+15005550006"


@dataclass(frozen=True)
class Queue:
    name: str
    numbers: tuple[str, ...] = ()
    members: tuple[str, ...] = ()  # Slack user ids
    member_groups: tuple[str, ...] = ()  # Slack user group ids (S…), resolved at run time
    supervisor_channel: str | None = None
    capacity: int | None = None  # per-agent capacity in this queue; None: the desk's
    auto_answer: bool = False
    # With auto-answer: >0 shows a preview counting down this many seconds, then accepts.
    auto_answer_preview_seconds: int = 0
    auto_answer_allow_reject: bool = True
    # Where its interactions' threads live: "channel" (the desk channel: teammates and
    # supervisors see them) or "dm" (each agent's DM with the app: Slack's one-post-a-second
    # per channel is then per agent, not shared by the whole desk).
    threads: str = "channel"
    # Business hours (with the queue's holidays); None: always open. Outside them a text
    # waits for opening time (or goes to after_hours_queue, when that one is open), and the
    # customer may get after_hours_reply once per closed period.
    hours: OpeningHours | None = None
    after_hours_reply: str | None = None
    after_hours_queue: str | None = None
    # Reports: an interaction accepted within this many seconds of the customer's first text
    # counts as answered within the queue's target.
    answer_within_seconds: int = 300

    @property
    def everyone(self) -> bool:
        return not self.members and not self.member_groups

    def is_open(self, at: datetime) -> bool:
        return self.hours is None or self.hours.is_open(at)

    def open_seconds_between(self, start: datetime, end: datetime) -> float:
        """Seconds of [start, end) the queue was open (all of them without hours): a wait's
        part inside opening hours; the rest of it was overnight, a weekend or a holiday."""
        if self.hours is None:
            return max(0.0, (end - start).total_seconds())
        return self.hours.open_seconds_between(start, end)


@dataclass(frozen=True)
class AgentOverride:
    user_id: str
    capacity: int | None = None
    auto_answer: bool | None = None


@dataclass(frozen=True)
class AutoAnswer:
    on: bool
    preview_seconds: int
    allow_reject: bool


class QueueRules:
    """The routing rules over a desk's queues, numbers and overrides. `Settings` is the one
    class that has these fields (bot/config/settings.py); the rules live here, in the domain."""

    desk_channel: str | None
    agent_capacity: int
    business_numbers: tuple[str, ...]
    session_numbers: tuple[str, ...]
    session_keywords: tuple[str, ...]
    queues: tuple[Queue, ...]
    agent_overrides: tuple[AgentOverride, ...]

    def all_queues(self) -> tuple[Queue, ...]:
        return self.queues or (Queue(DEFAULT_QUEUE),)

    def sending_numbers(self) -> tuple[str, ...]:
        """The business numbers a New SMS can go out from, the desk's own first."""
        numbers = list(self.business_numbers)
        for queue in self.all_queues():
            numbers += [n for n in queue.numbers if n not in numbers]
        return tuple(numbers) or (SIMULATOR_BUSINESS_NUMBER,)

    def queue_named(self, name: str | None) -> Queue:
        for queue in self.all_queues():
            if queue.name == name:
                return queue
        return self.all_queues()[0]

    def thread_home(self, queue_name: str | None, agent_user_id: str) -> str | None:
        """Where an interaction of this queue held by this agent opens its thread: the desk
        channel, or (threads = "dm") the agent's DM with the app (posting to a user id)."""
        if self.queue_named(queue_name).threads == "dm":
            return agent_user_id
        return self.desk_channel

    def threads_in_dm(self, queue_name: str | None) -> bool:
        return self.queue_named(queue_name).threads == "dm"

    def queue_for(self, business_number: str) -> Queue:
        """The queue a number belongs to; numbers no queue names go to the first queue."""
        for queue in self.all_queues():
            if business_number in queue.numbers:
                return queue
        return self.all_queues()[0]

    def _override(self, user_id: str) -> AgentOverride | None:
        return next((o for o in self.agent_overrides if o.user_id == user_id), None)

    def capacity_for(self, user_id: str, queue: Queue | None = None) -> int:
        override = self._override(user_id)
        if override and override.capacity:
            return override.capacity
        if queue is not None and queue.capacity:
            return queue.capacity
        return self.agent_capacity

    def auto_answer_for(self, user_id: str, queue: Queue) -> AutoAnswer:
        override = self._override(user_id)
        on = queue.auto_answer if override is None or override.auto_answer is None \
            else override.auto_answer
        return AutoAnswer(on, queue.auto_answer_preview_seconds if on else 0,
                          queue.auto_answer_allow_reject)

    def mode_for(self, business_number: str, body: str) -> str:
        """Page mode unless the number or the message's first word is set up for sessions."""
        if business_number in self.session_numbers:
            return "session"
        first_word = body.strip().split(maxsplit=1)[0].upper() if body.strip() else ""
        if first_word and first_word in self.session_keywords:
            return "session"
        return "page"
