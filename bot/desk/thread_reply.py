"""What an agent wrote in a desk thread, as the Slack event said it: the input of taking a
reply in (bot/desk/replies/intake.py), and the payload of the job that looks at it again;
and what the phone gets of it, worked out on the Slack side."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ThreadReply:
    team_id: str
    channel: str
    thread_ts: str
    ts: str
    user_id: str
    slack_text: str
    event_id: str | None = None
    has_files: bool = False
    agent_name: str | None = None  # never flagged by the spelling check
    # The event's rich_text blocks: what the agent meant, which `slack_text` only
    # approximates. None for an event without them (and for jobs written before them).
    blocks: list[dict[str, Any]] | None = None


@dataclass(frozen=True)
class PhoneText:
    """A reply as the phone gets it: plain text, with what could not go in it."""

    text: str
    custom_emoji: tuple[str, ...] = ()  # the workspace's own emoji, left out: no phone shows them
    names: tuple[str, ...] = ()  # the people it names (mentions): no spelling mistakes
