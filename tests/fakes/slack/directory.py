"""The fake Slack's people and places: users, user groups, channels and DMs.

users.info, usergroups.users.list and conversations.info/join/open, and the lookups every
other surface uses to turn a `channel` argument into a channel the calling bot may see.

Where the fake deliberately differs from Slack:
- `conversations.open` with several users opens a group DM whose id is derived from them.
- A private channel without the bot answers `not_in_channel`, like a public one (Slack says
  `channel_not_found`, since the bot cannot see it); either way the fix is to invite the bot.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tests.fakes.slack.rules import Refusal

if TYPE_CHECKING:
    from tests.fakes.slack.fake import Bot


@dataclass
class Channel:
    id: str
    name: str
    is_private: bool = False
    members: set[str] = field(default_factory=set)
    bot_is_member: bool = True
    dm_user: str | None = None
    team_id: str | None = None  # None: seen by every workspace's bot (single-team tests)

    def as_slack(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "is_channel": self.dm_user is None and not self.is_private,
            "is_group": self.is_private,
            "is_im": self.dm_user is not None,
            "is_private": self.is_private or self.dm_user is not None,
            "is_member": self.bot_is_member,
            **({"user": self.dm_user} if self.dm_user else {}),
        }


class Directory:
    """FakeSlack's users, user groups and channels (a mixin: it runs under FakeSlack's lock)."""

    def _init_directory(self) -> None:
        self._users: dict[str, dict[str, Any]] = {}
        self._channels: dict[str, Channel] = {}
        self._user_groups: dict[str, list[str]] = {}  # group id (S…) -> member user ids

    def _directory_methods(self) -> dict[str, Callable[[Bot, dict[str, Any]], dict[str, Any]]]:
        return {
            "users.info": self._users_info,
            "usergroups.users.list": self._usergroups_users_list,
            "conversations.info": self._conversations_info,
            "conversations.join": self._conversations_join,
            "conversations.open": self._conversations_open,
        }

    # -- arranging a workspace -------------------------------------------------------------

    def add_user(
        self, user_id: str, name: str, real_name: str | None = None, team_id: str | None = None,
        guest: str | None = None,
    ) -> None:
        """`guest`: "multi" (Slack's is_restricted) or "single" (is_ultra_restricted)."""
        real_name = real_name or name
        with self._lock:
            self._users[user_id] = {
                "id": user_id,
                "team_id": team_id or self.team_id,
                "name": name,
                "real_name": real_name,
                "deleted": False,
                "is_bot": False,
                "is_restricted": guest is not None,
                "is_ultra_restricted": guest == "single",
                "tz": "America/New_York",
                "profile": {"real_name": real_name, "display_name": name},
            }

    def add_channel(
        self,
        channel_id: str,
        name: str,
        is_private: bool = False,
        members: Iterable[str] = (),
        bot_is_member: bool = True,
        team_id: str | None = None,
    ) -> None:
        with self._lock:
            self._channels[channel_id] = Channel(
                channel_id, name, is_private, set(members), bot_is_member, team_id=team_id
            )

    def add_user_group(self, group_id: str, members: Iterable[str]) -> None:
        """Create (or replace the members of) a user group, as an admin would in Slack."""
        with self._lock:
            self._user_groups[group_id] = list(members)

    # -- what happened ---------------------------------------------------------------------

    def channels_like(self, prefix: str) -> list[str]:
        """Ids of the channels (group DMs: "G") whose id starts with `prefix`."""
        with self._lock:
            return sorted(c for c in self._channels if c.startswith(prefix))

    def dm_channel(self, user_id: str) -> str:
        return "D" + user_id[1:]

    # -- methods ---------------------------------------------------------------------------

    def _users_info(self, bot: Bot, params: dict[str, Any]) -> dict[str, Any]:
        user = self._users.get(str(params.get("user", "")))
        if user is None:
            raise Refusal("user_not_found")
        return {"user": copy.deepcopy(user)}

    def _usergroups_users_list(self, bot: Bot, params: dict[str, Any]) -> dict[str, Any]:
        group_id = str(params.get("usergroup") or "")
        if not group_id:
            raise Refusal("invalid_arguments")
        if group_id not in self._user_groups:
            raise Refusal("no_such_subteam")
        return {"users": list(self._user_groups[group_id])}

    def _conversations_info(self, bot: Bot, params: dict[str, Any]) -> dict[str, Any]:
        """By id only, as Slack: a name ("#sms-desk", "general") is channel_not_found, and so
        is a private channel the bot is not in."""
        channel = self._channels.get(str(params.get("channel") or ""))
        if channel is None or not self._visible(channel.team_id) or (
                channel.is_private and not channel.bot_is_member):
            raise Refusal("channel_not_found")
        return {"channel": channel.as_slack()}

    def _conversations_join(self, bot: Bot, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve_channel(params.get("channel"))
        if channel.is_private or channel.dm_user is not None:
            raise Refusal("method_not_supported_for_channel_type")
        already = channel.bot_is_member
        channel.bot_is_member = True
        return {
            "channel": channel.as_slack(),
            **({"warning": "already_in_channel"} if already else {}),
        }

    def _conversations_open(self, bot: Bot, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("channel"):
            return {"channel": self._resolve_channel(params["channel"]).as_slack()}
        users = params.get("users") or []
        if isinstance(users, str):
            users = [u for u in users.split(",") if u]
        if not 1 <= len(users) <= 8:
            raise Refusal("invalid_arguments", detail="between 1 and 8 users")
        if any(user not in self._users for user in users):
            raise Refusal("user_not_found")
        if len(users) > 1:
            # A group DM of these people and the bot, the same one each time (as in Slack).
            channel_id = "G" + "".join(sorted(u[1:] for u in users))[:20]
            already = channel_id in self._channels
            if not already:
                self._channels[channel_id] = Channel(channel_id, channel_id, is_private=True,
                                                      members=set(users))
            return {"channel": {"id": channel_id}, "already_open": already, "no_op": already}
        already_open = self.dm_channel(users[0]) in self._channels
        channel = self._open_dm(users[0])
        return {"channel": {"id": channel.id}, "already_open": already_open, "no_op": already_open}

    # -- helpers ---------------------------------------------------------------------------

    def _resolve_channel(self, value: Any, allow_user: bool = False) -> Channel:
        value = str(value or "")
        if allow_user and value[:1] in ("U", "W"):
            if value not in self._users or not self._visible(self._users[value]["team_id"]):
                raise Refusal("channel_not_found")
            return self._open_dm(value)
        channel = self._channels.get(value)
        if channel is None:
            name = value.removeprefix("#")
            channel = next((c for c in self._channels.values() if c.name == name), None)
        if channel is None or not self._visible(channel.team_id):
            raise Refusal("channel_not_found")
        return channel

    def _visible(self, team_id: str | None) -> bool:
        """Like Slack, a bot sees only its own workspace's channels and people."""
        return team_id is None or self._serving is None or team_id == self._serving.team_id

    def _open_dm(self, user_id: str) -> Channel:
        channel_id = self.dm_channel(user_id)
        if channel_id not in self._channels:
            self._channels[channel_id] = Channel(
                channel_id, channel_id, members={user_id}, dm_user=user_id
            )
        return self._channels[channel_id]

    def _channel_id(self, channel: str) -> str:
        return self.dm_channel(channel) if channel[:1] in ("U", "W") else channel


def require_member(channel: Channel) -> None:
    if not channel.bot_is_member:
        raise Refusal("not_in_channel")
