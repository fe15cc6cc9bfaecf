"""What an agent wrote in a desk thread, as the Slack event said it and as the phone will show
it: the input of taking a reply in (bot/desk/replies/intake.py), and the payload of the job
that looks at it again."""

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
    # The text the phone gets, worked out by the Slack side (markup plain, mentions named).
    # None only in a recheck job queued before it was carried here.
    body: str | None = None
    in_direct_message: bool = False  # a thread in an agent's DM with the app
