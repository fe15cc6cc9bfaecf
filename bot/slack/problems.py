"""Slack error codes an admin must act on, and the sentence that tells them how.

Shared by `smsdesk doctor`, /readyz and the worker's admin alerts, so one problem reads the
same everywhere. Only codes no retry can cure are here; anything else is Slack having a bad
minute and the outbox retries it.
"""

from __future__ import annotations

# The token itself is broken: no DM can reach an admin, so these go to the log at ERROR.
TOKEN_PROBLEMS = {"invalid_auth", "account_inactive", "token_revoked", "not_authed"}
CHANNEL_PROBLEMS = {"not_in_channel", "channel_not_found", "is_archived"}
ADMIN_PROBLEMS = TOKEN_PROBLEMS | CHANNEL_PROBLEMS | {"missing_scope"}

_TOKEN_FIX = ("copy the Bot User OAuth Token (xoxb-...) again from OAuth & Permissions at "
              "https://api.slack.com/apps into SLACK_BOT_TOKEN, and restart smsdesk")


def where(channel: str | None) -> str:
    if not channel:
        return "the channel"
    # A user id means an agent's DM with the app (queues with threads = "dm").
    return f"<#{channel}>" if channel[:1] in ("C", "G") else channel


def fix_for(error: str, channel: str | None = None) -> str:
    """What an admin does about `error` (a Slack error code), in one sentence."""
    if error == "invalid_auth" or error == "not_authed":
        return _TOKEN_FIX
    if error == "token_revoked":
        return "the app was uninstalled or its token revoked: reinstall it, then " + _TOKEN_FIX
    if error == "account_inactive":
        return ("the token belongs to a deactivated app or workspace: reinstall the app, then "
                + _TOKEN_FIX)
    if error == "not_in_channel":
        return f"invite @smsdesk to {where(channel)} (/invite @smsdesk in that channel)"
    if error == "channel_not_found":
        return (f"{where(channel)} does not exist or is private without the app: check "
                "desk.channel (SMSDESK_DESK_CHANNEL) and the queues' channels in the settings, "
                "and invite @smsdesk")
    if error == "is_archived":
        return (f"{where(channel)} is archived: unarchive it, or point the settings at a live "
                "channel")
    if error == "missing_scope":
        return ("the app lacks a scope it needs: update the app from manifests/ (smsdesk "
                "manifest), then reinstall it from OAuth & Permissions")
    return "see https://api.slack.com/methods for what this error means"
