"""A fake Slack Web API on loopback HTTP: records every call and answers the way Slack does.

Point `slack_sdk.WebClient(base_url=fake.url)` at it. It keeps just enough state (channels,
users, messages, views, trigger ids) to give back real-looking `ts` and `channel` values and to
refuse what Slack refuses, so a test fails here rather than in production.

Where the fake deliberately differs from Slack:
- A `thread_ts` that matches no message is refused with `thread_not_found` (Slack may quietly
  post a top-level message instead, which is never what the app meant).
- `conversations.open` with several users opens a group DM whose id is derived from them.
- `chat.postEphemeral` checks the user's membership only for channels given `members`.
- A private channel without the bot answers `not_in_channel`, like a public one (Slack says
  `channel_not_found`, since the bot cannot see it); either way the fix is to invite the bot.

Files go up as `WebClient.files_upload_v2` sends them: `files.getUploadURLExternal` hands out an
upload URL on this same server, the bytes are POSTed there raw (no token, no multipart), and
`files.completeUploadExternal` shares the files in one message per channel. There:
- An upload URL takes one successful POST; the byte count must equal the declared `length`, or
  the URL answers HTTP 400 and keeps waiting (Slack may not check; the fake does, so a wrong
  `length` fails in tests). Only bytes POSTed raw are understood, which is what slack_sdk sends.
- Sharing happens before `files.completeUploadExternal` answers; Slack shares in the background,
  so its answer leaves out `shares` (as Slack's often does), while `files.info` has them.
- Only a file uploaded and not yet completed can be completed; anything else is
  `file_not_found`.
"""

import base64
import copy
import itertools
import json
import math
import mimetypes
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, quote

from tests.fakes import wait_until
from tests.fakes._http import HttpRequest, HttpResponse, LoopbackServer
from tests.fakes.slack.oauth import SlackOAuth
from tests.fakes.slack.rules import (
    MAX_VIEW_BLOCKS,
    Refusal,
    check_blocks,
    check_message_content,
    check_modal,
)

API_PREFIX = "/api/"
UPLOAD_PREFIX = "/upload/v1/"
# The name `fail_next` and `calls_to` use for the POST of a file's bytes to its upload URL.
UPLOAD = "upload"
MAX_ALT_TEXT = 1000
FIRST_TS_MICROS = 1_700_000_000_000_100
TRIGGER_LIFETIME = 3.0
# Form posts carry these as JSON text; JSON posts may too, since slack_sdk accepts strings.
JSON_ENCODED_PARAMS = ("blocks", "attachments", "view", "metadata", "files")


@dataclass(frozen=True)
class Call:
    """One request the fake received. `at` is time.monotonic(), for measuring pacing."""

    method: str
    params: dict[str, Any]
    token: str
    at: float
    failed: bool = False
    error: str | None = None


@dataclass(frozen=True)
class _Bot:
    team_id: str
    bot_user_id: str
    bot_id: str


@dataclass
class _Channel:
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


@dataclass(frozen=True)
class _Fault:
    status: int
    retry_after: int
    error: str | None

    def answer(self) -> tuple[int, dict[str, Any], dict[str, str]]:
        if self.error is not None:
            return 200, {"ok": False, "error": self.error}, {}
        if self.status == 429:
            headers = {"Retry-After": str(self.retry_after)}
            return 429, {"ok": False, "error": "ratelimited"}, headers
        return self.status, {"ok": False, "error": "internal_error"}, {}


class _Budget:
    """One of Slack's rate limits: `per_second` refilling up to `burst` calls."""

    def __init__(self, per_second: float, burst: float) -> None:
        self.per_second, self.burst = per_second, burst
        self.tokens, self.updated = float(burst), time.monotonic()

    def take(self) -> float:
        """0 if a call may go now (and counts it), else the seconds until one may."""
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.per_second)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.per_second


@dataclass
class _File:
    """A file from `files.getUploadURLExternal` on: waiting for bytes, uploaded, completed."""

    id: str
    team_id: str
    user: str
    name: str
    length: int
    upload_path: str
    alt_txt: str | None = None
    snippet_type: str | None = None
    content: bytes | None = None
    title: str = ""
    created: int = 0
    completed: bool = False
    # (channel, thread_ts or None, ts of the message that shares it)
    shares: list[tuple[str, str | None, str]] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """The file as Slack shows it in messages and answers, without where it is shared."""
        mimetype = mimetypes.guess_type(self.name)[0] or "application/octet-stream"
        extension = self.name.rpartition(".")[2].lower() if "." in self.name else ""
        base = f"https://files.slack.com/files-pri/{self.team_id}-{self.id}"
        shown = {
            "id": self.id,
            "created": self.created,
            "timestamp": self.created,
            "name": self.name,
            "title": self.title,
            "mimetype": mimetype,
            "filetype": {"jpeg": "jpg"}.get(extension, extension or "binary"),
            "user": self.user,
            "user_team": self.team_id,
            "mode": "hosted",
            "is_external": False,
            "is_public": False,
            "size": self.length,
            "url_private": f"{base}/{quote(self.name)}",
            "url_private_download": f"{base}/download/{quote(self.name)}",
            "permalink": (
                f"https://{self.team_id.lower()}.slack.com/files/{self.user}/{self.id}/"
                f"{quote(self.name)}"
            ),
        }
        if self.alt_txt:
            shown["alt_txt"] = self.alt_txt
        return shown


class FakeSlack:
    """The Slack Web API for one or more workspaces, in memory, behind a loopback server."""

    def __init__(
        self,
        team_id: str = "T0001",
        bot_user_id: str = "UBOT",
        bot_id: str = "BBOT",
        bot_token: str = "xoxb-test",
    ) -> None:
        self.team_id = team_id
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.bot_token = bot_token
        self._lock = threading.RLock()
        self._server = LoopbackServer(self._handle)
        self._bots = {bot_token: _Bot(team_id, bot_user_id, bot_id)}
        self._calls: list[Call] = []
        self._users: dict[str, dict[str, Any]] = {}
        self._channels: dict[str, _Channel] = {}
        self._messages: dict[str, list[dict[str, Any]]] = {}
        self._ephemerals: list[dict[str, Any]] = []
        self._home_views: dict[str, str] = {}  # user id -> view id
        self._views: dict[str, dict[str, Any]] = {}
        self._modal_ids: list[str] = []
        self._triggers: dict[str, float] = {}
        self._used_triggers: set[str] = set()
        self._faults: dict[str, deque[_Fault]] = {}
        self._files: dict[str, _File] = {}
        self._upload_paths: dict[str, str] = {}  # upload URL path -> file id
        self._deleted_files: set[str] = set()
        self._user_groups: dict[str, list[str]] = {}  # group id (S…) -> member user ids
        self._down = False
        self._serving: _Bot | None = None  # the bot of the call being answered
        self._token_expiry: dict[str, float] = {}  # rotating tokens: token -> epoch seconds
        self.oauth = SlackOAuth(self)
        # App-level tokens (xapp-…, Socket Mode): they open connections and nothing else.
        self.app_tokens: set[str] = {"xapp-1-test"}
        # Rate limits, off unless a test turns them on (enforce_rate_limits).
        self._post_limit: tuple[float, float] | None = None
        self._method_limits: dict[str, tuple[float, float]] = {}
        self._budgets: dict[tuple[str, ...], _Budget] = {}
        self.rate_limited: list[tuple[str, str | None]] = []  # (method, channel) answered 429
        self._limited_until = 0.0  # rate_limit_everything: a 429 storm until then
        self._channel_limited: dict[str, float] = {}  # channel -> 429s for posts until then
        # Like Slack, a ts is never handed out twice, even by a fake started again later
        # for an app whose database remembers the earlier ones.
        self._ts_micros = max(FIRST_TS_MICROS, time.time_ns() // 1000)
        self._serial = itertools.count(1)
        self._late: dict[str, deque[float]] = {}  # method -> answer delays (answer_late)
        self._methods: dict[str, Callable[[_Bot, dict[str, Any]], dict[str, Any]]] = {
            "auth.test": self._auth_test,
            "chat.postMessage": self._chat_post_message,
            "chat.update": self._chat_update,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.delete": self._chat_delete,
            "chat.getPermalink": self._chat_get_permalink,
            "reactions.add": self._reactions_add,
            "reactions.remove": self._reactions_remove,
            "users.info": self._users_info,
            "usergroups.users.list": self._usergroups_users_list,
            "conversations.info": self._conversations_info,
            "conversations.join": self._conversations_join,
            "conversations.open": self._conversations_open,
            "conversations.history": self._conversations_history,
            "conversations.replies": self._conversations_replies,
            "files.getUploadURLExternal": self._files_get_upload_url_external,
            "files.completeUploadExternal": self._files_complete_upload_external,
            "files.info": self._files_info,
            "files.delete": self._files_delete,
            "views.publish": self._views_publish,
            "views.open": self._views_open,
            "views.push": self._views_push,
            "views.update": self._views_update,
        }

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> "FakeSlack":
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    def __enter__(self) -> "FakeSlack":
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """Base URL for `WebClient(base_url=...)`; ends with `/api/` as slack_sdk expects."""
        return self._server.base_url + API_PREFIX

    # -- arranging a workspace -------------------------------------------------------------

    def add_token(
        self, token: str, team_id: str, bot_user_id: str | None = None, bot_id: str | None = None
    ) -> None:
        with self._lock:
            self._bots[token] = _Bot(
                team_id, bot_user_id or self.bot_user_id, bot_id or self.bot_id
            )

    def add_rotating_token(self, token: str, team_id: str, bot_user_id: str,
                           expires_at: float) -> None:
        with self._lock:
            self.add_token(token, team_id, bot_user_id)
            self._token_expiry[token] = expires_at

    def revoke_token(self, token: str) -> None:
        with self._lock:
            self._bots.pop(token, None)

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
            self._channels[channel_id] = _Channel(
                channel_id, name, is_private, set(members), bot_is_member, team_id=team_id
            )

    def add_user_group(self, group_id: str, members: Iterable[str]) -> None:
        """Create (or replace the members of) a user group, as an admin would in Slack."""
        with self._lock:
            self._user_groups[group_id] = list(members)

    def new_trigger_id(self, age: float = 0.0) -> str:
        """Issue a trigger id as an interaction payload would carry; `age` backdates it."""
        with self._lock:
            trigger_id = f"{13345224609 + next(self._serial)}.738474920.{uuid.uuid4().hex[:20]}"
            self._triggers[trigger_id] = time.monotonic() - age
            return trigger_id

    # -- fault injection -------------------------------------------------------------------

    def answer_late(self, method: str, seconds: float, times: int = 1) -> None:
        """Carry out the next `times` calls of `method` at once but answer them `seconds`
        later: the window in which an app that dies has done the call and not heard back."""
        with self._lock:
            self._late.setdefault(method, deque()).extend([seconds] * times)

    def fail_next(
        self,
        method: str,
        times: int = 1,
        status: int = 429,
        retry_after: int = 1,
        error: str | None = None,
    ) -> None:
        """Make the next `times` calls of `method` fail.

        With `error`, Slack's usual HTTP 200 `{"ok": false}`; otherwise HTTP 429 with
        Retry-After, or an HTTP 5xx. `method` may be `UPLOAD` ("upload"): the POST of a file's
        bytes to its upload URL, which fails by HTTP status only.
        """
        if error is None and status != 429 and status < 500:
            raise ValueError("status must be 429 or 5xx unless an error code is given")
        if method == UPLOAD and error is not None:
            raise ValueError("an upload URL fails by HTTP status, not with an error code")
        with self._lock:
            self._faults.setdefault(method, deque()).extend(
                [_Fault(status, retry_after, error)] * times
            )

    def enforce_rate_limits(
        self,
        per_channel_post: tuple[float, float] | None = (1.0, 3),
        methods: dict[str, tuple[float, float]] | None = None,
    ) -> None:
        """Answer 429 with Retry-After past Slack's limits, as Slack does: chat.postMessage
        per channel (calls per second, burst), and per method for the workspace."""
        with self._lock:
            self._post_limit = per_channel_post
            self._method_limits = dict(methods or {})
            self._budgets = {}

    def rate_limit_everything(self, seconds: float) -> None:
        """Every call answers 429 (Retry-After: the time left) for `seconds`."""
        with self._lock:
            self._limited_until = time.monotonic() + seconds

    def rate_limit_channel(self, channel: str, seconds: float) -> None:
        """Posts to `channel` answer 429 (Retry-After: the time left) for `seconds`."""
        with self._lock:
            self._channel_limited[channel] = time.monotonic() + seconds

    def _over_limit(self, method: str, params: dict[str, Any]) -> float:
        now = time.monotonic()
        if now < self._limited_until:
            return self._limited_until - now
        until = self._channel_limited.get(str(params.get("channel") or ""), 0.0)
        if method == "chat.postMessage" and now < until:
            return until - now
        keys: list[tuple[tuple[str, ...], tuple[float, float]]] = []
        if method == "chat.postMessage" and self._post_limit is not None:
            channel = str(params.get("channel") or "")
            try:
                channel = self._resolve_channel(channel, allow_user=True).id
            except Refusal:
                pass
            keys.append((("channel", channel), self._post_limit))
        if method in self._method_limits:
            keys.append((("method", method), self._method_limits[method]))
        for key, (per_second, burst) in keys:
            budget = self._budgets.setdefault(key, _Budget(per_second, burst))
            wait = budget.take()
            if wait > 0:
                return wait
        return 0.0

    def set_down(self, down: bool = True) -> None:
        """While down, every call answers HTTP 503, as during a Slack outage."""
        with self._lock:
            self._down = down

    # -- what happened ---------------------------------------------------------------------

    @property
    def calls(self) -> list[Call]:
        with self._lock:
            return list(self._calls)

    def calls_to(self, method: str) -> list[Call]:
        with self._lock:
            return [call for call in self._calls if call.method == method]

    def channels_like(self, prefix: str) -> list[str]:
        """Ids of the channels (group DMs: "G") whose id starts with `prefix`."""
        with self._lock:
            return sorted(c for c in self._channels if c.startswith(prefix))

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

    def home_view(self, user_id: str) -> dict[str, Any] | None:
        with self._lock:
            view_id = self._home_views.get(user_id)
            return None if view_id is None else copy.deepcopy(self._views[view_id])

    def view(self, view_id: str) -> dict[str, Any] | None:
        with self._lock:
            found = self._views.get(view_id)
            return None if found is None else copy.deepcopy(found)

    def modals(self) -> list[dict[str, Any]]:
        """Every modal opened or pushed, in that order, each as last updated."""
        with self._lock:
            return copy.deepcopy([self._views[view_id] for view_id in self._modal_ids])

    def files(self) -> list[dict[str, Any]]:
        """Every completed, undeleted file, oldest first: see `file()` for the shape."""
        with self._lock:
            return [_file_record(f) for f in self._files.values() if f.completed]

    def file(self, file_id: str) -> dict[str, Any]:
        """A completed file as Slack describes it, plus the bytes uploaded under `content` and
        `shares`, a list of (channel, thread_ts or None) where it was shared."""
        with self._lock:
            found = self._files.get(file_id)
            if found is None or not found.completed:
                raise KeyError(f"no completed file {file_id}")
            return _file_record(found)

    def user_posts(
        self, channel: str, user_id: str, text: str, thread_ts: str | None = None
    ) -> str:
        """A person (not the app) writes a message, as a Slack client would; returns its ts.

        The test then sends the matching `message` event to the app.
        """
        with self._lock:
            channel_id = self._channel_id(channel)
            if thread_ts is not None and self._find_message(channel_id, thread_ts) is None:
                raise KeyError(f"no message {thread_ts} in {channel_id} to reply to")
            message = self._append_message(
                channel_id, thread_ts, text=text, user=user_id, team=self.team_id
            )
            return message["ts"]

    def dm_channel(self, user_id: str) -> str:
        return "D" + user_id[1:]

    def wait_for(
        self, predicate: Callable[["FakeSlack"], Any], timeout: float = 5.0, message: str = ""
    ) -> Any:
        return wait_until(
            lambda: predicate(self), timeout, lambda: f"{message}\n{self._describe_recent()}"
        )

    def _describe_recent(self, count: int = 15) -> str:
        calls = self.calls
        lines = [f"recent Slack calls ({min(count, len(calls))} of {len(calls)}):"]
        for call in calls[-count:]:
            target = next(
                (
                    f" {key}={call.params[key]}"
                    for key in ("channel", "channel_id", "user", "user_id", "file_id")
                    if key in call.params
                ),
                "",
            )
            outcome = f"failed: {call.error}" if call.failed else "ok"
            lines.append(f"  {call.method}{target} -> {outcome}")
        return "\n".join(lines)

    # -- HTTP ------------------------------------------------------------------------------

    def _handle(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(UPLOAD_PREFIX):
            return self._handle_upload(request)
        if not request.path.startswith(API_PREFIX):
            return HttpResponse(404, b"Not Found", {"Content-Type": "text/plain"})
        method = request.path[len(API_PREFIX) :]
        at = time.monotonic()
        try:
            params = _parse_params(request)
        except ValueError:
            params, parse_failed = {}, True
        else:
            parse_failed = False
        token = _bearer_token(request) or str(params.pop("token", ""))
        params.update(_basic_credentials(request))  # oauth.v2.access: the app's id and secret
        with self._lock:
            if parse_failed:
                status, payload, headers = 200, {"ok": False, "error": "invalid_json"}, {}
            else:
                status, payload, headers = self._answer(method, params, token)
            self._calls.append(
                Call(
                    method=method,
                    params=params,
                    token=token,
                    at=at,
                    failed=status != 200 or not payload.get("ok"),
                    error=payload.get("error"),
                )
            )
            late = self._late.get(method)
            delay = late.popleft() if late else 0.0
        if delay:
            time.sleep(delay)
        return HttpResponse.json(status, payload, headers)

    def _handle_upload(self, request: HttpRequest) -> HttpResponse:
        """A file's bytes POSTed to the URL `files.getUploadURLExternal` gave out.

        Answers in plain text, as Slack's upload service does; recorded as a call to `UPLOAD`.
        """
        at = time.monotonic()
        with self._lock:
            file_id = self._upload_paths.get(request.path)
            status, text, headers = self._receive_upload(request, file_id)
            self._calls.append(
                Call(
                    method=UPLOAD,
                    params={"file_id": file_id, "length": len(request.body)},
                    token="",
                    at=at,
                    failed=status != 200,
                    error=None if status == 200 else text,
                )
            )
        return HttpResponse(
            status, text.encode(), {"Content-Type": "text/plain; charset=utf-8", **headers}
        )

    def _receive_upload(
        self, request: HttpRequest, file_id: str | None
    ) -> tuple[int, str, dict[str, str]]:
        if self._down:
            return 503, "service_unavailable", {}
        faults = self._faults.get(UPLOAD)
        if faults:
            status, payload, headers = faults.popleft().answer()
            return status, payload["error"], headers
        if request.method != "POST":
            return 405, "Method Not Allowed", {}
        upload = None if file_id is None else self._files.get(file_id)
        if upload is None or upload.content is not None:
            return 404, "Not Found", {}  # unknown, or already used: the URL is single-use
        if len(request.body) != upload.length:
            return 400, f"length mismatch: declared {upload.length}, got {len(request.body)}", {}
        upload.content = request.body
        return 200, f"OK - {upload.length}", {}

    def _answer(
        self, method: str, params: dict[str, Any], token: str
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        if self._down:
            return 503, {"ok": False, "error": "service_unavailable"}, {}
        faults = self._faults.get(method)
        if faults:
            return faults.popleft().answer()
        wait = self._over_limit(method, params)
        if wait > 0:
            self.rate_limited.append((method, params.get("channel")))
            return 429, {"ok": False, "error": "ratelimited"}, {
                "Retry-After": str(max(1, math.ceil(wait)))}
        if method == "oauth.v2.access":
            return 200, self.oauth.access(params), {}
        if method == "apps.connections.open":
            return 200, self._apps_connections_open(token), {}
        bot = self._bots.get(token)
        if bot is None:
            return 200, {"ok": False, "error": "invalid_auth" if token else "not_authed"}, {}
        if token in self._token_expiry and time.time() >= self._token_expiry[token]:
            return 200, {"ok": False, "error": "token_expired"}, {}
        self._serving = bot
        handler = self._methods.get(method)
        if handler is None:
            return 200, {"ok": False, "error": "unknown_method", "req_method": method}, {}
        try:
            return 200, {"ok": True, **handler(bot, params)}, {}
        except Refusal as refusal:
            return 200, {"ok": False, "error": refusal.error, **refusal.extra}, {}

    # -- methods ---------------------------------------------------------------------------

    def _auth_test(self, bot: _Bot, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": f"https://{bot.team_id.lower()}.slack.com/",
            "team": f"Team {bot.team_id}",
            "user": "smsdesk",
            "team_id": bot.team_id,
            "user_id": bot.bot_user_id,
            "bot_id": bot.bot_id,
            "is_enterprise_install": False,
        }

    def _chat_post_message(self, bot: _Bot, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve_channel(params.get("channel"), allow_user=True)
        _require_member(channel)
        check_message_content(params)
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

    def _chat_update(self, bot: _Bot, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve_channel(params.get("channel"))
        message = self._require_message(channel.id, params.get("ts"))
        # Slack keeps whichever of text/blocks/attachments an update leaves out.
        merged = {
            key: params[key] if params.get(key) is not None else message[key]
            for key in ("text", "blocks", "attachments")
        }
        check_message_content({**params, **merged})
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

    def _chat_post_ephemeral(self, bot: _Bot, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve_channel(params.get("channel"), allow_user=True)
        user = params.get("user")
        if user not in self._users:
            raise Refusal("user_not_found")
        _require_member(channel)
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

    def _chat_delete(self, bot: _Bot, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve_channel(params.get("channel"))
        message = self._require_message(channel.id, params.get("ts"))
        self._messages[channel.id].remove(message)
        return {"channel": channel.id, "ts": message["ts"]}

    def _chat_get_permalink(self, bot: _Bot, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve_channel(params.get("channel"))
        message = self._require_message(channel.id, params.get("message_ts"))
        link = (
            f"https://{bot.team_id.lower()}.slack.com/archives/{channel.id}/"
            f"p{message['ts'].replace('.', '')}"
        )
        if message["thread_ts"] not in (None, message["ts"]):
            link += f"?thread_ts={message['thread_ts']}&cid={channel.id}"
        return {"channel": channel.id, "permalink": link}

    def _reactions_add(self, bot: _Bot, params: dict[str, Any]) -> dict[str, Any]:
        message, name = self._reaction_target(params)
        if name in message["reactions"]:
            raise Refusal("already_reacted")
        message["reactions"].add(name)
        return {}

    def _reactions_remove(self, bot: _Bot, params: dict[str, Any]) -> dict[str, Any]:
        message, name = self._reaction_target(params)
        if name not in message["reactions"]:
            raise Refusal("no_reaction")
        message["reactions"].discard(name)
        return {}

    def _users_info(self, bot: _Bot, params: dict[str, Any]) -> dict[str, Any]:
        user = self._users.get(str(params.get("user", "")))
        if user is None:
            raise Refusal("user_not_found")
        return {"user": copy.deepcopy(user)}

    def _usergroups_users_list(self, bot: _Bot, params: dict[str, Any]) -> dict[str, Any]:
        group_id = str(params.get("usergroup") or "")
        if not group_id:
            raise Refusal("invalid_arguments")
        if group_id not in self._user_groups:
            raise Refusal("no_such_subteam")
        return {"users": list(self._user_groups[group_id])}

    def _apps_connections_open(self, token: str) -> dict[str, Any]:
        """Socket Mode's WebSocket address, for an app-level token only (a bot token is
        not_allowed_token_type). Nothing connects to it here."""
        if token in self.app_tokens:
            return {"ok": True, "url": f"wss://wss.invalid/link/?ticket={uuid.uuid4().hex}"}
        if token in self._bots:
            return {"ok": False, "error": "not_allowed_token_type"}
        return {"ok": False, "error": "invalid_auth" if token else "not_authed"}

    def _conversations_info(self, bot: _Bot, params: dict[str, Any]) -> dict[str, Any]:
        """By id only, as Slack: a name ("#sms-desk", "general") is channel_not_found, and so
        is a private channel the bot is not in."""
        channel = self._channels.get(str(params.get("channel") or ""))
        if channel is None or not self._visible(channel.team_id) or (
                channel.is_private and not channel.bot_is_member):
            raise Refusal("channel_not_found")
        return {"channel": channel.as_slack()}

    def _conversations_join(self, bot: _Bot, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve_channel(params.get("channel"))
        if channel.is_private or channel.dm_user is not None:
            raise Refusal("method_not_supported_for_channel_type")
        already = channel.bot_is_member
        channel.bot_is_member = True
        return {
            "channel": channel.as_slack(),
            **({"warning": "already_in_channel"} if already else {}),
        }

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

    def _readable(self, params: dict[str, Any]) -> _Channel:
        channel = self._resolve_channel(params.get("channel"))
        _require_member(channel)
        return channel

    def _conversations_history(self, bot: _Bot, params: dict[str, Any]) -> dict[str, Any]:
        """Top-level messages, newest first, at or after `oldest` (Slack leaves replies out)."""
        channel = self._readable(params)
        oldest = float(params.get("oldest") or 0)
        found = [m for m in self._messages.get(channel.id, [])
                 if m["thread_ts"] in (None, m["ts"]) and float(m["ts"]) >= oldest]
        return self._read_page(list(reversed(found)), params)

    def _conversations_replies(self, bot: _Bot, params: dict[str, Any]) -> dict[str, Any]:
        """The parent, then its replies oldest first."""
        channel = self._readable(params)
        parent = self._require_message(channel.id, params.get("ts"))
        root = parent["thread_ts"] or parent["ts"]
        found = [m for m in self._messages.get(channel.id, [])
                 if m["ts"] == root or m["thread_ts"] == root]
        return self._read_page(found, params)

    def _conversations_open(self, bot: _Bot, params: dict[str, Any]) -> dict[str, Any]:
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
                self._channels[channel_id] = _Channel(channel_id, channel_id, is_private=True,
                                                      members=set(users))
            return {"channel": {"id": channel_id}, "already_open": already, "no_op": already}
        already_open = self.dm_channel(users[0]) in self._channels
        channel = self._open_dm(users[0])
        return {"channel": {"id": channel.id}, "already_open": already_open, "no_op": already_open}

    def _files_get_upload_url_external(self, bot: _Bot, params: dict[str, Any]) -> dict[str, Any]:
        filename = str(params.get("filename") or "")
        length = _positive_int(params.get("length"))
        if not filename or length is None:
            raise Refusal("invalid_arguments")
        alt_txt = params.get("alt_txt")
        if alt_txt is not None and len(str(alt_txt)) > MAX_ALT_TEXT:
            raise Refusal("alt_txt_too_large")
        upload = _File(
            id=f"F{uuid.uuid4().hex[:10].upper()}",
            team_id=bot.team_id,
            user=bot.bot_user_id,
            name=filename,
            length=length,
            upload_path=f"{UPLOAD_PREFIX}{uuid.uuid4().hex}",
            alt_txt=None if alt_txt is None else str(alt_txt),
            snippet_type=params.get("snippet_type"),
        )
        self._files[upload.id] = upload
        self._upload_paths[upload.upload_path] = upload.id
        return {"upload_url": self._server.base_url + upload.upload_path, "file_id": upload.id}

    def _files_complete_upload_external(self, bot: _Bot, params: dict[str, Any]) -> dict[str, Any]:
        # Check everything before changing anything, so a refusal leaves no half-shared files.
        entries = params.get("files")
        if (
            not isinstance(entries, list)
            or not entries
            or not all(isinstance(e, dict) and e.get("id") for e in entries)
        ):
            raise Refusal("invalid_arguments")
        files = []
        for entry in entries:
            found = self._files.get(str(entry["id"]))
            if found is None or found.team_id != bot.team_id or found.completed:
                raise Refusal("file_not_found")
            if found.content is None:
                raise Refusal(
                    "invalid_arguments",
                    response_metadata={"messages": [f"[ERROR] {found.id} was never uploaded"]},
                )
            files.append((found, str(entry.get("title") or found.name)))
        targets = [str(params["channel_id"])] if params.get("channel_id") else []
        targets += [c for c in str(params.get("channels") or "").split(",") if c]
        channels = [self._resolve_channel(target, allow_user=True) for target in targets]
        for channel in channels:
            _require_member(channel)
        thread_ts = None
        if params.get("thread_ts"):
            if len(channels) != 1:
                raise Refusal("invalid_arguments")  # a thread needs exactly one channel
            thread_ts = self._thread_root(channels[0].id, params["thread_ts"])

        for upload, title in files:
            upload.title = title
            upload.created = int(time.time())
            upload.completed = True
        for channel in channels:
            message = self._append_message(
                channel.id,
                thread_ts,
                text=str(params.get("initial_comment") or ""),
                files=[upload.summary() for upload, _ in files],
                user=bot.bot_user_id,
                bot_id=bot.bot_id,
                team=bot.team_id,
            )
            for upload, _ in files:
                upload.shares.append((channel.id, thread_ts, message["ts"]))
        return {"files": [upload.summary() for upload, _ in files]}

    def _files_info(self, bot: _Bot, params: dict[str, Any]) -> dict[str, Any]:
        found = self._require_file(bot, params.get("file"))
        return {
            "file": self._file_as_slack(found),
            "comments": [],
            "response_metadata": {"next_cursor": ""},
        }

    def _files_delete(self, bot: _Bot, params: dict[str, Any]) -> dict[str, Any]:
        found = self._require_file(bot, params.get("file"))
        del self._files[found.id]
        self._upload_paths.pop(found.upload_path, None)
        self._deleted_files.add(found.id)
        # Messages that showed the file keep a tombstone in its place, as in Slack.
        for messages in self._messages.values():
            for message in messages:
                message["files"] = [
                    {"id": f["id"], "mode": "tombstone"} if f["id"] == found.id else f
                    for f in message["files"]
                ]
        return {}

    def _views_publish(self, bot: _Bot, params: dict[str, Any]) -> dict[str, Any]:
        user_id = str(params.get("user_id") or "")
        if not user_id:
            raise Refusal("invalid_arguments")
        view = _view_param(params, expected_type="home")
        check_blocks(view.get("blocks", []), MAX_VIEW_BLOCKS)
        view_id = self._home_views.get(user_id)
        if view_id is not None:
            _check_hash(params, self._views[view_id])
        stored = self._store_view(bot, view, view_id)
        self._home_views[user_id] = stored["id"]
        return {"view": copy.deepcopy(stored)}

    def _views_open(self, bot: _Bot, params: dict[str, Any]) -> dict[str, Any]:
        return self._open_modal(bot, params)

    def _views_push(self, bot: _Bot, params: dict[str, Any]) -> dict[str, Any]:
        return self._open_modal(bot, params)

    def _views_update(self, bot: _Bot, params: dict[str, Any]) -> dict[str, Any]:
        # Like Slack, an update names the view (id or external_id), not a trigger.
        view_id = params.get("view_id")
        if not view_id and params.get("external_id"):
            view_id = next(
                (
                    v["id"]
                    for v in self._views.values()
                    if v.get("external_id") == params["external_id"]
                ),
                None,
            )
        existing = self._views.get(str(view_id or ""))
        if existing is None:
            raise Refusal("not_found")
        _check_hash(params, existing)
        view = _view_param(params, expected_type=existing["type"])
        if view["type"] == "modal":
            check_modal(view)
        check_blocks(view.get("blocks", []), MAX_VIEW_BLOCKS)
        stored = self._store_view(bot, view, existing["id"])
        return {"view": copy.deepcopy(stored)}

    # -- helpers ---------------------------------------------------------------------------

    def _open_modal(self, bot: _Bot, params: dict[str, Any]) -> dict[str, Any]:
        trigger_id = str(params.get("trigger_id") or "")
        issued = self._triggers.get(trigger_id)
        if issued is None:
            raise Refusal("invalid_trigger_id")
        if trigger_id in self._used_triggers:
            raise Refusal("exchanged_trigger_id")
        if time.monotonic() - issued >= TRIGGER_LIFETIME:
            raise Refusal("expired_trigger_id")
        view = _view_param(params, expected_type="modal")
        check_modal(view)
        check_blocks(view.get("blocks", []), MAX_VIEW_BLOCKS)
        self._used_triggers.add(trigger_id)
        stored = self._store_view(bot, view, None)
        self._modal_ids.append(stored["id"])
        return {"view": copy.deepcopy(stored)}

    def _store_view(self, bot: _Bot, view: dict[str, Any], view_id: str | None) -> dict[str, Any]:
        view_id = view_id or f"V{next(self._serial):010d}"
        stored = {
            "id": view_id,
            "team_id": bot.team_id,
            "app_id": "AFAKEAPP",
            "bot_id": bot.bot_id,
            "blocks": [],
            "private_metadata": "",
            "callback_id": "",
            "external_id": "",
            "state": {"values": {}},
            "root_view_id": view_id,
            "previous_view_id": None,
            **copy.deepcopy(view),
            "hash": f"{FIRST_TS_MICROS // 1_000_000}.{uuid.uuid4().hex[:8]}",
        }
        self._views[view_id] = stored
        return stored

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

    def _require_file(self, bot: _Bot, file_id: Any) -> _File:
        file_id = str(file_id or "")
        if file_id in self._deleted_files:
            raise Refusal("file_deleted")
        found = self._files.get(file_id)
        if found is None or not found.completed or found.team_id != bot.team_id:
            raise Refusal("file_not_found")
        return found

    def _file_as_slack(self, upload: _File) -> dict[str, Any]:
        """A file with where it is shared, as files.info describes it."""
        shown = upload.summary()
        kinds: dict[str, list[str]] = {"channels": [], "groups": [], "ims": []}
        shares: dict[str, dict[str, list[dict[str, Any]]]] = {}
        for channel_id, thread_ts, ts in upload.shares:
            channel = self._channels[channel_id]
            kind = "ims" if channel.dm_user else "groups" if channel.is_private else "channels"
            if channel_id not in kinds[kind]:
                kinds[kind].append(channel_id)
            visibility = "public" if kind == "channels" else "private"
            entry = {"ts": ts, "channel_name": channel.name, "team_id": upload.team_id}
            if thread_ts is not None:
                entry["thread_ts"] = thread_ts
            shares.setdefault(visibility, {}).setdefault(channel_id, []).append(entry)
        return {**shown, **kinds, "shares": shares}

    def _resolve_channel(self, value: Any, allow_user: bool = False) -> _Channel:
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

    def _open_dm(self, user_id: str) -> _Channel:
        channel_id = self.dm_channel(user_id)
        if channel_id not in self._channels:
            self._channels[channel_id] = _Channel(
                channel_id, channel_id, members={user_id}, dm_user=user_id
            )
        return self._channels[channel_id]

    def _channel_id(self, channel: str) -> str:
        return self.dm_channel(channel) if channel[:1] in ("U", "W") else channel

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


def _bearer_token(request: HttpRequest) -> str:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def _basic_credentials(request: HttpRequest) -> dict[str, str]:
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return {}
    client_id, _, client_secret = base64.b64decode(encoded).decode().partition(":")
    return {"client_id": client_id, "client_secret": client_secret}


def _parse_params(request: HttpRequest) -> dict[str, Any]:
    """Request arguments from query, form or JSON body; raises ValueError on a bad JSON body."""
    params: dict[str, Any] = {key: values[-1] for key, values in request.query.items()}
    if request.content_type == "application/json":
        body = json.loads(request.body or b"{}")
        if not isinstance(body, dict):
            raise ValueError("JSON body must be an object")
        params.update(body)
    elif request.body:
        form = parse_qs(request.body.decode(), keep_blank_values=True)
        params.update({key: values[-1] for key, values in form.items()})
    for key in JSON_ENCODED_PARAMS:
        value = params.get(key)
        if isinstance(value, str) and value.strip()[:1] in ("[", "{"):
            try:
                params[key] = json.loads(value)
            except json.JSONDecodeError:
                pass  # left as a string, which validation refuses as malformed
    return params


def _positive_int(value: Any) -> int | None:
    """`value` as an int above zero (form posts carry numbers as text), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    return value if isinstance(value, int) and value > 0 else None


def _file_record(upload: _File) -> dict[str, Any]:
    """What `FakeSlack.file()` shows a test: Slack's description, the bytes, the shares."""
    return {
        **upload.summary(),
        "content": upload.content,
        "shares": [(channel, thread_ts) for channel, thread_ts, _ in upload.shares],
    }


def _require_member(channel: _Channel) -> None:
    if not channel.bot_is_member:
        raise Refusal("not_in_channel")


def _view_param(params: dict[str, Any], expected_type: str) -> dict[str, Any]:
    view = params.get("view")
    if not isinstance(view, dict):
        raise Refusal("invalid_arguments", response_metadata={"messages": ["[ERROR] view"]})
    if view.get("type") != expected_type:
        raise Refusal(
            "invalid_arguments",
            response_metadata={
                "messages": [f"[ERROR] must be {expected_type} [json-pointer:/view/type]"]
            },
        )
    return view


def _check_hash(params: dict[str, Any], existing: dict[str, Any]) -> None:
    # A stale hash means someone else changed the view since it was read: Slack refuses.
    if params.get("hash") and params["hash"] != existing["hash"]:
        raise Refusal("hash_conflict")


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
