"""The fake Slack's messages: chat.*, reactions.*, and channels and threads read back.

Where the fake deliberately differs from Slack:
- A `thread_ts` that matches no message is refused with `thread_not_found` (Slack may quietly
  post a top-level message instead, which is never what the app meant).
- `chat.postEphemeral` checks the user's membership only for channels given `members`.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from tests.fakes.slack.directory import Channel, require_member
from tests.fakes.slack.rules import Refusal, check_message_content

if TYPE_CHECKING:
    from tests.fakes.slack.fake import Bot

FIRST_TS_MICROS = 1_700_000_000_000_100


class Messages:
    """FakeSlack's messages, ephemerals and reactions (a mixin: it runs under FakeSlack's lock)."""

    def _init_messages(self) -> None:
        self._messages: dict[str, list[dict[str, Any]]] = {}
        self._ephemerals: list[dict[str, Any]] = []
        # Like Slack, a ts is never handed out twice, even by a fake started again later
        # for an app whose database remembers the earlier ones.
        self._ts_micros = max(FIRST_TS_MICROS, time.time_ns() // 1000)

    def _message_methods(self) -> dict[str, Callable[[Bot, dict[str, Any]], dict[str, Any]]]:
        return {
            "chat.postMessage": self._chat_post_message,
            "chat.update": self._chat_update,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.delete": self._chat_delete,
            "chat.getPermalink": self._chat_get_permalink,
            "reactions.add": self._reactions_add,
            "reactions.remove": self._reactions_remove,
            "conversations.history": self._conversations_history,
            "conversations.replies": self._conversations_replies,
        }

    # -- what happened ---------------------------------------------------------------------

    def messages(self, channel: str) -> list[dict[str, Any]]:
        """Top-level messages of a channel (or of the DM with a user id), oldest first.

        Like conversations.history, thread replies are left out: see `thread()`.
        """
        with self._lock:
            found = self._messages.get(self._channel_id(channel), [])
            return copy.deepcopy([m for m in found if m["thread_ts"] in (None, m["ts"])])

    def thread(self, channel: str, ts: str) -> list[dict[str, Any]]:
        """Replies in the thread under `ts`, oldest first, without the parent."""
        with self._lock:
            found = self._messages.get(self._channel_id(channel), [])
            return copy.deepcopy([m for m in found if m["thread_ts"] == ts and m["ts"] != ts])

    def message(self, channel: str, ts: str) -> dict[str, Any]:
        with self._lock:
            found = self._find_message(self._channel_id(channel), ts)
            if found is None:
                raise KeyError(f"no message {ts} in {channel}")
            return copy.deepcopy(found)

    def reactions(self, channel: str, ts: str) -> set[str]:
        return self.message(channel, ts)["reactions"]

    def ephemerals(self, channel: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            wanted = None if channel is None else self._channel_id(channel)
            return copy.deepcopy(
                [e for e in self._ephemerals if wanted is None or e["channel"] == wanted]
            )

    def user_posts(
        self, channel: str, user_id: str, text: str, thread_ts: str | None = None,
        blocks: list[dict[str, Any]] | None = None,
    ) -> str:
        """A person (not the app) writes a message, as a Slack client would; returns its ts.

        The test then sends the matching `message` event to the app.
        """
        with self._lock:
            channel_id = self._channel_id(channel)
            if thread_ts is not None and self._find_message(channel_id, thread_ts) is None:
                raise KeyError(f"no message {thread_ts} in {channel_id} to reply to")
            message = self._append_message(
                channel_id, thread_ts, text=text, user=user_id, team=self.team_id,
                blocks=blocks or [],
            )
            return message["ts"]

    # -- methods ---------------------------------------------------------------------------

    def _chat_post_message(self, bot: Bot, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve_channel(params.get("channel"), allow_user=True)
        require_member(channel)
        check_message_content(params)
        self.check_slack_files(bot, params.get("blocks"))
        thread_ts = self._thread_root(channel.id, params.get("thread_ts"))
        message = self._append_message(
            channel.id,
            thread_ts,
            text=str(params.get("text") or ""),
            blocks=params.get("blocks") or [],
            attachments=params.get("attachments") or [],
            username=params.get("username"),
            icon_emoji=params.get("icon_emoji"),
            icon_url=params.get("icon_url"),
            metadata=params.get("metadata"),
            user=bot.bot_user_id,
            bot_id=bot.bot_id,
            team=bot.team_id,
        )
        return {"channel": channel.id, "ts": message["ts"], "message": _as_slack(message)}

    def _chat_update(self, bot: Bot, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve_channel(params.get("channel"))
        message = self._require_message(channel.id, params.get("ts"))
        # Slack keeps whichever of text/blocks/attachments an update leaves out.
        merged = {
            key: params[key] if params.get(key) is not None else message[key]
            for key in ("text", "blocks", "attachments")
        }
        check_message_content({**params, **merged})
        self.check_slack_files(bot, merged["blocks"])
        message["edits"].append(
            {"text": message["text"], "blocks": message["blocks"], "at": time.monotonic()}
        )
        message["text"] = str(merged["text"] or "")
        message["blocks"] = merged["blocks"] or []
        message["attachments"] = merged["attachments"] or []
        return {
            "channel": channel.id,
            "ts": message["ts"],
            "text": message["text"],
            "message": _as_slack(message),
        }

    def _chat_post_ephemeral(self, bot: Bot, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve_channel(params.get("channel"), allow_user=True)
        user = params.get("user")
        if user not in self._users:
            raise Refusal("user_not_found")
        require_member(channel)
        if channel.members and user not in channel.members:
            raise Refusal("user_not_in_channel")
        check_message_content(params)
        ts = self._new_ts()
        self._ephemerals.append(
            {
                "channel": channel.id,
                "user": user,
                "ts": ts,
                "text": str(params.get("text") or ""),
                "blocks": params.get("blocks") or [],
                "thread_ts": params.get("thread_ts"),
            }
        )
        return {"message_ts": ts}

    def _chat_delete(self, bot: Bot, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve_channel(params.get("channel"))
        message = self._require_message(channel.id, params.get("ts"))
        self._messages[channel.id].remove(message)
        return {"channel": channel.id, "ts": message["ts"]}

    def _chat_get_permalink(self, bot: Bot, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve_channel(params.get("channel"))
        message = self._require_message(channel.id, params.get("message_ts"))
        link = (
            f"https://{bot.team_id.lower()}.slack.com/archives/{channel.id}/"
            f"p{message['ts'].replace('.', '')}"
        )
        if message["thread_ts"] not in (None, message["ts"]):
            link += f"?thread_ts={message['thread_ts']}&cid={channel.id}"
        return {"channel": channel.id, "permalink": link}

    def _reactions_add(self, bot: Bot, params: dict[str, Any]) -> dict[str, Any]:
        message, name = self._reaction_target(params)
        if name in message["reactions"]:
            raise Refusal("already_reacted")
        message["reactions"].add(name)
        return {}

    def _reactions_remove(self, bot: Bot, params: dict[str, Any]) -> dict[str, Any]:
        message, name = self._reaction_target(params)
        if name not in message["reactions"]:
            raise Refusal("no_reaction")
        message["reactions"].discard(name)
        return {}

    def _read_page(self, found: list[dict[str, Any]], params: dict[str, Any]) -> dict[str, Any]:
        """One page of messages as Slack answers a read: `limit` (default 100) from `cursor`
        (here an offset), metadata only when include_all_metadata asks for it."""
        start = int(params.get("cursor") or 0)
        limit = max(1, min(int(params.get("limit") or 100), 1000))
        page = found[start:start + limit]
        with_metadata = str(params.get("include_all_metadata", "")).lower() in ("1", "true")
        shown = []
        for message in page:
            answer = _as_slack(message)
            if with_metadata and message.get("metadata"):
                answer["metadata"] = copy.deepcopy(message["metadata"])
            shown.append(answer)
        more = start + limit < len(found)
        return {"messages": shown, "has_more": more,
                "response_metadata": {"next_cursor": str(start + limit) if more else ""}}

    def _readable(self, params: dict[str, Any]) -> Channel:
        channel = self._resolve_channel(params.get("channel"))
        require_member(channel)
        return channel

    def _conversations_history(self, bot: Bot, params: dict[str, Any]) -> dict[str, Any]:
        """Top-level messages, newest first, at or after `oldest` (Slack leaves replies out)."""
        channel = self._readable(params)
        oldest = float(params.get("oldest") or 0)
        found = [m for m in self._messages.get(channel.id, [])
                 if m["thread_ts"] in (None, m["ts"]) and float(m["ts"]) >= oldest]
        return self._read_page(list(reversed(found)), params)

    def _conversations_replies(self, bot: Bot, params: dict[str, Any]) -> dict[str, Any]:
        """The parent, then its replies oldest first."""
        channel = self._readable(params)
        parent = self._require_message(channel.id, params.get("ts"))
        root = parent["thread_ts"] or parent["ts"]
        found = [m for m in self._messages.get(channel.id, [])
                 if m["ts"] == root or m["thread_ts"] == root]
        return self._read_page(found, params)

    # -- helpers ---------------------------------------------------------------------------

    def _append_message(
        self, channel_id: str, thread_ts: str | None, **fields: Any
    ) -> dict[str, Any]:
        """Store a new message; `thread_ts`, when given, must name an existing thread root."""
        message = {
            "type": "message",
            "channel": channel_id,
            "ts": self._new_ts(),
            "text": "",
            "blocks": [],
            "attachments": [],
            "files": [],
            "thread_ts": thread_ts,
            "username": None,
            "icon_emoji": None,
            "icon_url": None,
            "metadata": None,
            "user": None,
            "bot_id": None,
            "team": self.team_id,
            "reply_count": 0,
            "reactions": set(),
            "edits": [],  # earlier versions, oldest first, each {"text", "blocks", "at"}
            **fields,
        }
        if thread_ts is not None:
            root = self._find_message(channel_id, thread_ts)
            assert root is not None, "callers check the thread root exists"
            root["thread_ts"] = thread_ts
            root["reply_count"] += 1
        self._messages.setdefault(channel_id, []).append(message)
        return message

    def _find_message(self, channel_id: str, ts: Any) -> dict[str, Any] | None:
        return next((m for m in self._messages.get(channel_id, []) if m["ts"] == ts), None)

    def _require_message(self, channel_id: str, ts: Any) -> dict[str, Any]:
        found = self._find_message(channel_id, ts)
        if found is None:
            raise Refusal("message_not_found")
        return found

    def _thread_root(self, channel_id: str, thread_ts: Any) -> str | None:
        if not thread_ts:
            return None
        parent = self._find_message(channel_id, thread_ts)
        if parent is None:
            raise Refusal("thread_not_found")
        # Replying to a reply lands in the parent's thread, as in Slack.
        return parent["thread_ts"] or parent["ts"]

    def _reaction_target(self, params: dict[str, Any]) -> tuple[dict[str, Any], str]:
        channel = self._resolve_channel(params.get("channel"))
        message = self._require_message(channel.id, params.get("timestamp"))
        name = str(params.get("name") or "")
        if not name:
            raise Refusal("invalid_name")
        return message, name

    def _new_ts(self) -> str:
        seconds, micros = divmod(self._ts_micros, 1_000_000)
        self._ts_micros += 100
        return f"{seconds}.{micros:06d}"


def _as_slack(message: dict[str, Any]) -> dict[str, Any]:
    """A stored message as Slack returns it in API answers."""
    shown: dict[str, Any] = {
        "type": "message",
        "text": message["text"],
        "user": message["user"],
        "bot_id": message["bot_id"],
        "team": message["team"],
        "ts": message["ts"],
    }
    for key in ("blocks", "attachments", "files"):
        if message[key]:
            shown[key] = copy.deepcopy(message[key])
    if message["files"]:
        shown["upload"] = True
    if message["thread_ts"]:
        shown["thread_ts"] = message["thread_ts"]
    if message["username"]:
        shown["subtype"] = "bot_message"
        shown["username"] = message["username"]
    icons = {"emoji": message["icon_emoji"], "image_48": message["icon_url"]}
    if any(icons.values()):
        shown["icons"] = {key: value for key, value in icons.items() if value}
    if message["reactions"]:
        shown["reactions"] = [
            {"name": name, "users": [message["user"]], "count": 1}
            for name in sorted(message["reactions"])
        ]
    return shown
