"""What an agent wrote in a desk thread, as the Slack event said it: the input of taking a
reply in (bot/desk/replies/intake.py), and the payload of the job that looks at it again."""

from __future__ import annotations

from dataclasses import dataclass


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
