"""The confirmation of `/sms-admin purge`: what will be deleted, what is kept."""

from __future__ import annotations

from bot.slack import ids
from bot.slack.mrkdwn import escape

TITLE = "Delete desk data"


def build_purge_confirmation(deleted: list[str], kept: list[str]) -> dict:
    """`deleted`: "12 messages" lines; `kept`: what stays, and why."""
    gone = "\n".join(f"• {escape(line)}" for line in deleted) or "• nothing: the desk is empty"
    stays = "\n".join(f"• {escape(line)}" for line in kept)
    return {
        "type": "modal", "callback_id": ids.ADMIN_PURGE_VIEW,
        "title": {"type": "plain_text", "text": TITLE},
        "submit": {"type": "plain_text", "text": "Delete everything"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": (
                ":warning: *This deletes all of this workspace's SMS desk data now, for "
                "good.* It cannot be undone. Agents can keep working; the desk starts "
                "empty.")}},
            {"type": "section", "text": {"type": "mrkdwn", "text": "*Deleted:*\n" + gone}},
            {"type": "section", "text": {"type": "mrkdwn", "text": "*Kept:*\n" + stays}},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": (
                "Messages already posted in Slack stay in Slack. The change log records "
                "the purge and what it deleted.")}]},
        ],
    }


def build_purge_started() -> dict:
    return {"type": "modal", "title": {"type": "plain_text", "text": TITLE},
            "close": {"type": "plain_text", "text": "Close"},
            "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": (
                "Deleting the desk's data now. `/sms-admin log` shows when it is done and "
                "how much was deleted.")}}]}
