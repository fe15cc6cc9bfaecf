"""The fake Slack's answers to slash commands: where an app answers one after its ack.

Slack sends a `response_url` with every slash command; the app POSTs a message to it as
JSON, up to five times within 30 minutes. By default the message is ephemeral: only the
person who typed the command sees it, in the channel they typed it in. Slack answers `ok` in
plain text, or an HTTP error with the reason as the body. (The response_urls of clicks, which
replace or delete the clicked message, are another matter.)

Differs from Slack: the URLs live on the fake's loopback server, not hooks.slack.com; what
was sent is kept per URL (`command_responses`), not shown among the channel's ephemerals.
"""

from __future__ import annotations

import copy
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from tests.fakes._http import HttpRequest, HttpResponse
from tests.fakes.slack.rules import Refusal, check_message_content

COMMAND_RESPONSE_PREFIX = "/commands/"
USES = 5
LIFETIME_SECONDS = 30 * 60


@dataclass
class _CommandUrl:
    team_id: str
    user_id: str
    channel_id: str
    issued_at: float
    answers: list[dict[str, Any]] = field(default_factory=list)


class CommandResponses:
    """FakeSlack's slash-command response_urls (a mixin: it runs under FakeSlack's lock)."""

    def _init_command_responses(self) -> None:
        self._command_urls: dict[str, _CommandUrl] = {}

    def command_response_url(self, user_id: str, channel_id: str,
                             team_id: str | None = None) -> str:
        """The response_url a slash command typed by `user_id` in `channel_id` carries."""
        team_id = team_id or self.team_id
        path = f"{COMMAND_RESPONSE_PREFIX}{team_id}/{time.time_ns()}/{secrets.token_hex(12)}"
        with self._lock:
            self._command_urls[path] = _CommandUrl(team_id, user_id, channel_id,
                                                   time.monotonic())
        return self._server.base_url + path

    def command_responses(self, response_url: str) -> list[dict[str, Any]]:
        """The messages posted to `response_url`, oldest first: each as sent, with the
        `user` who sees it and the `channel` it shows in."""
        path = response_url.removeprefix(self._server.base_url)
        with self._lock:
            found = self._command_urls.get(path)
            return copy.deepcopy(found.answers) if found else []

    def _handle_command_response(self, request: HttpRequest) -> HttpResponse:
        with self._lock:
            issued = self._command_urls.get(request.path)
            if issued is None or request.method != "POST":
                return _refused(404, "no_service")
            if time.monotonic() - issued.issued_at > LIFETIME_SECONDS:
                return _refused(404, "expired_url")
            if len(issued.answers) >= USES:
                return _refused(404, "used_url")
            try:
                message = json.loads(request.body or b"")
                if not isinstance(message, dict):
                    raise ValueError("not an object")
                check_message_content(message)
            except ValueError:
                return _refused(400, "invalid_payload")
            except Refusal as refusal:
                return _refused(400, refusal.error)
            issued.answers.append({
                **message, "response_type": message.get("response_type") or "ephemeral",
                "user": issued.user_id, "channel": issued.channel_id})
        return HttpResponse(200, b"ok", {"Content-Type": "text/html"})


def _refused(status: int, error: str) -> HttpResponse:
    return HttpResponse(status, error.encode(), {"Content-Type": "text/html"})
