"""Queues and per-agent overrides from the settings: who may take what, how many, how answered.

Business numbers map to queues; a queue has member agents (Slack user ids and/or user groups)
and a supervisor channel. With no [[queues]] configured the desk has one queue, "SMS", that
every agent belongs to: the behaviour of a small team with no setup.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_QUEUE = "SMS"
THREAD_HOMES = ("channel", "dm")


class QueueConfigError(ValueError):
    pass


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

    @property
    def everyone(self) -> bool:
        return not self.members and not self.member_groups


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


def parse_queues(raw: object, where: str) -> tuple[Queue, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise QueueConfigError(f"{where}: [[queues]] must be a list of tables")
    queues, names, numbers = [], set(), {}
    for index, table in enumerate(raw, start=1):
        here = f"{where}: queue #{index}"
        if not isinstance(table, dict) or not str(table.get("name", "")).strip():
            raise QueueConfigError(f"{here} needs a name")
        name = str(table["name"]).strip()
        if name in names:
            raise QueueConfigError(f"{here}: the name {name!r} is used twice")
        names.add(name)
        unknown = set(table) - {"name", "numbers", "members", "member_groups",
                                "supervisor_channel", "capacity", "auto_answer",
                                "auto_answer_preview_seconds", "auto_answer_allow_reject",
                                "threads"}
        if unknown:
            raise QueueConfigError(f"{here} ({name}): unknown keys {sorted(unknown)}")
        for number in table.get("numbers", []):
            if number in numbers:
                raise QueueConfigError(f"{here} ({name}): {number} already belongs to queue "
                                       f"{numbers[number]!r}")
            numbers[number] = name
        capacity = table.get("capacity")
        if capacity is not None and (not isinstance(capacity, int) or capacity < 1):
            raise QueueConfigError(f"{here} ({name}): capacity must be a whole number >= 1")
        preview = table.get("auto_answer_preview_seconds", 0)
        if not isinstance(preview, int) or not 0 <= preview <= 300:
            raise QueueConfigError(f"{here} ({name}): auto_answer_preview_seconds must be "
                                   "0 to 300")
        threads = table.get("threads", "channel")
        if threads not in THREAD_HOMES:
            raise QueueConfigError(f"{here} ({name}): threads must be \"channel\" (the desk "
                                   "channel) or \"dm\" (each agent's DM with the app)")
        queues.append(Queue(
            name=name,
            numbers=tuple(table.get("numbers", ())),
            members=tuple(table.get("members", ())),
            member_groups=tuple(table.get("member_groups", ())),
            supervisor_channel=table.get("supervisor_channel"),
            capacity=capacity,
            # Flags are checked true/false by bot/config.py first (bool("false") is True).
            auto_answer=table.get("auto_answer", False),
            auto_answer_preview_seconds=preview,
            auto_answer_allow_reject=table.get("auto_answer_allow_reject", True),
            threads=threads,
        ))
    return tuple(queues)


def parse_agent_overrides(raw: object, where: str) -> tuple[AgentOverride, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, dict):
        raise QueueConfigError(f"{where}: [agents] must be a table of user ids")
    overrides = []
    for user_id, table in raw.items():
        if not isinstance(table, dict):
            raise QueueConfigError(f"{where}: [agents.{user_id}] must be a table")
        capacity = table.get("capacity")
        if capacity is not None and (not isinstance(capacity, int) or capacity < 1):
            raise QueueConfigError(f"{where}: agents.{user_id}.capacity must be >= 1")
        auto = table.get("auto_answer")
        overrides.append(AgentOverride(user_id, capacity, auto))
    return tuple(overrides)
