"""What the settings must name before a desk can work, as `serve` requires it: one rule that
`serve` and `socket` refuse on, `doctor` reports and `config check` summarises."""

from __future__ import annotations

from dataclasses import dataclass

from bot.config import Settings


@dataclass(frozen=True)
class DeskChannel:
    """Where one desk's threads open: `team_id` None is the single-workspace desk."""

    team_id: str | None
    channel: str | None


def desk_channels(settings: Settings, *, oauth: bool) -> list[DeskChannel]:
    """The desk channels this configuration needs. Installed by "Add to Slack", each
    [workspaces.T…] table is a desk and the top level is only shared defaults; with one bot
    token the top level (or SMSDESK_DESK_CHANNEL) is the desk."""
    if oauth:
        return [DeskChannel(w.team_id, w.settings.desk_channel) for w in settings.workspaces]
    return [DeskChannel(None, settings.desk_channel)]


def desk_channel_problems(settings: Settings, *, oauth: bool, settings_file: str) -> list[str]:
    found = []
    for desk in desk_channels(settings, oauth=oauth):
        if desk.channel:
            continue
        if desk.team_id is None:
            found.append("no desk channel: set SMSDESK_DESK_CHANNEL (or desk.channel in "
                         f"{settings_file}) to the id of the channel where interaction threads "
                         "live, e.g. C0123456789, and invite the app there")
        else:
            found.append(f"no desk channel for workspace {desk.team_id}: set channel in "
                         f"[workspaces.{desk.team_id}.desk] of {settings_file} and invite the "
                         "app there")
    return found
