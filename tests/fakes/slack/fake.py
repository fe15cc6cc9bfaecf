"""A fake Slack Web API on loopback HTTP: records every call and answers the way Slack does.

Point `slack_sdk.WebClient(base_url=fake.url)` at it. It keeps just enough state (channels,
users, messages, views, trigger ids) to give back real-looking `ts` and `channel` values and to
refuse what Slack refuses, so a test fails here rather than in production.

FakeSlack is put together from one mixin per surface of the API, each with its own state (set
up by its `_init_…`), its Web API methods and what a test reads back; each module says where it
deliberately differs from Slack:
- `messages`: chat.*, reactions.*, conversations.history/replies;
- `views`: views.*, trigger ids;
- `directory`: users, user groups, channels and DMs;
- `files`: uploads, sharing, files.info and files.delete;
- `faults`: failures and rate limits on demand;
- `responses`: the response_urls of clicks, and their uses.
- `command_responses`: where an app answers a slash command after its ack.
This module holds what they share: the lock every call runs under, the tokens and the bot each
one speaks for, the log of calls, and the HTTP side that dispatches to the methods.
"""

from __future__ import annotations

import base64
import json
import math
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from tests.fakes import wait_until
from tests.fakes._http import HttpRequest, HttpResponse, LoopbackServer
from tests.fakes.slack.command_responses import COMMAND_RESPONSE_PREFIX, CommandResponses
from tests.fakes.slack.directory import Directory
from tests.fakes.slack.faults import Faults
from tests.fakes.slack.files import UPLOAD, UPLOAD_PREFIX, Files
from tests.fakes.slack.messages import Messages
from tests.fakes.slack.oauth import SlackOAuth
from tests.fakes.slack.responses import RESPONSE_URL, RESPONSE_URL_PREFIX, Responses
from tests.fakes.slack.rules import Refusal
from tests.fakes.slack.views import Views

API_PREFIX = "/api/"
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
class Bot:
    """The bot a token speaks for: its workspace, its user id and its bot id."""

    team_id: str
    bot_user_id: str
    bot_id: str


class FakeSlack(Messages, Views, Directory, Files, Faults, Responses,
                CommandResponses):
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
        self._bots = {bot_token: Bot(team_id, bot_user_id, bot_id)}
        self._calls: list[Call] = []
        self._serving: Bot | None = None  # the bot of the call being answered
        self._token_expiry: dict[str, float] = {}  # rotating tokens: token -> epoch seconds
        self.oauth = SlackOAuth(self)
        # App-level tokens (xapp-…, Socket Mode): they open connections and nothing else.
        self.app_tokens: set[str] = {"xapp-1-test"}
        self._init_messages()
        self._init_views()
        self._init_directory()
        self._init_files()
        self._init_faults()
        self._init_responses()
        self._init_command_responses()
        self._methods: dict[str, Callable[[Bot, dict[str, Any]], dict[str, Any]]] = {
            "auth.test": self._auth_test,
            **self._message_methods(),
            **self._directory_methods(),
            **self._file_methods(),
            **self._view_methods(),
        }

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> FakeSlack:
        self._server.start()
        return self

    def stop(self) -> None:
        self._unstall.set()  # answers the calls stall_next holds
        self._server.stop()

    def __enter__(self) -> FakeSlack:
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
            self._bots[token] = Bot(
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

    # -- what happened ---------------------------------------------------------------------

    @property
    def calls(self) -> list[Call]:
        with self._lock:
            return list(self._calls)

    def calls_to(self, method: str) -> list[Call]:
        with self._lock:
            return [call for call in self._calls if call.method == method]

    def wait_for(
        self, predicate: Callable[[FakeSlack], Any], timeout: float = 5.0, message: str = ""
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
        if request.path.startswith(RESPONSE_URL_PREFIX):
            return self._handle_response_url(request)
        if request.path.startswith(COMMAND_RESPONSE_PREFIX):
            return self._handle_command_response(request)
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
            stalled = not parse_failed and self._stalls_now(method)
            if stalled:
                self._calls.append(Call(method=method, params=params, token=token, at=at,
                                        failed=True, error="stalled: never answered"))
        if stalled:
            self._unstall.wait()
            return HttpResponse.json(503, {"ok": False, "error": "service_unavailable"})
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

    def _handle_response_url(self, request: HttpRequest) -> HttpResponse:
        """A POST to a click's response_url: answered in plain text, as Slack's hooks do;
        recorded as a call to `RESPONSE_URL`."""
        at = time.monotonic()
        with self._lock:
            status, text, body = self._answer_response_url(request)
            self._calls.append(Call(method=RESPONSE_URL, params={"url": request.path, **body},
                                    token="", at=at, failed=status != 200,
                                    error=None if status == 200 else text))
        return HttpResponse(status, text.encode(), {"Content-Type": "text/plain; charset=utf-8"})

    def _answer(
        self, method: str, params: dict[str, Any], token: str
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        failure = self._injected_failure(method)
        if failure is not None:
            return failure
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

    def _auth_test(self, bot: Bot, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": f"https://{bot.team_id.lower()}.slack.com/",
            "team": f"Team {bot.team_id}",
            "user": "smsdesk",
            "team_id": bot.team_id,
            "user_id": bot.bot_user_id,
            "bot_id": bot.bot_id,
            "is_enterprise_install": False,
        }

    def _apps_connections_open(self, token: str) -> dict[str, Any]:
        """Socket Mode's WebSocket address, for an app-level token only (a bot token is
        not_allowed_token_type). Nothing connects to it here."""
        if token in self.app_tokens:
            return {"ok": True, "url": f"wss://wss.invalid/link/?ticket={uuid.uuid4().hex}"}
        if token in self._bots:
            return {"ok": False, "error": "not_allowed_token_type"}
        return {"ok": False, "error": "invalid_auth" if token else "not_authed"}


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
