"""Several Slack workspaces on one desk: each `[workspaces.T…]` table of the settings file.

A workspace's table holds any of the top-level sections (desk, queues, roles, …); what it
names replaces the top-level value, section by section and key by key, so shared defaults
(dispositions, spelling, timeouts) are written once. Business numbers decide which
workspace a customer's text belongs to, so no number may belong to two workspaces.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.config.schema import ConfigError

if TYPE_CHECKING:
    from bot.config.settings import Settings

TEAM_ID = re.compile(r"^[TE][A-Z0-9]{2,}$")


@dataclass(frozen=True)
class Workspace:
    team_id: str
    settings: Settings


def _laid_over(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _laid_over(merged[key], value)
        else:
            merged[key] = value  # lists (queues, numbers) are replaced, never appended
    return merged


def workspace_settings(path, data: dict[str, Any],
                       build: Callable[[dict[str, Any]], Settings]) -> tuple[Workspace, ...]:
    tables = data.get("workspaces", {})
    if not isinstance(tables, dict):
        raise ConfigError(f"{path}: [workspaces] is a table of workspace tables, "
                          "e.g. [workspaces.T0123ABCD]")
    base = {k: v for k, v in data.items() if k != "workspaces"}
    found: list[Workspace] = []
    owner_of: dict[str, str] = {}
    for team_id, table in tables.items():
        if not TEAM_ID.match(team_id) or not isinstance(table, dict):
            raise ConfigError(f"{path}: [workspaces.{team_id}] must be named by a Slack team "
                              "id (T… , from the workspace's URL or auth.test)")
        try:
            settings = build(_laid_over(base, table))
        except ConfigError as error:
            raise ConfigError(f"{error} (in [workspaces.{team_id}])") from error
        for number in settings.sending_numbers():
            if number in owner_of and owner_of[number] != team_id:
                raise ConfigError(f"{path}: business number {number} belongs to both "
                                  f"[workspaces.{owner_of[number]}] and [workspaces.{team_id}]: "
                                  "a customer's text must reach one desk")
            owner_of[number] = team_id
        found.append(Workspace(team_id, settings))
    return tuple(found)
