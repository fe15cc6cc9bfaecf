"""The fake Slack's response_urls: the address a click's payload carries for answering it.

Slack puts a `response_url` in a `block_actions` payload from a message; the app POSTs JSON
to it (no token: the URL is the credential) to replace the clicked message
(`replace_original`), delete it (`delete_original`), or post a new message, ephemeral unless
`response_type` is `in_channel`. A URL serves five uses within thirty minutes; it is no Web
API method, so it spends none of a method's budget (chat.update's among them). Each use is
recorded among the calls as method `RESPONSE_URL`, apart from chat.update.

Where the fake deliberately differs from Slack: a spent or expired URL answers HTTP 404 with
`expired_url` whichever it is, and a body Slack would refuse answers 400 with the
chat.* error code.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from typing import Any

from tests.fakes._http import HttpRequest
from tests.fakes.slack.messages import _as_slack
from tests.fakes.slack.rules import Refusal, check_message_content

RESPONSE_URL = "response_url"  # the method a use of a response_url is recorded as
RESPONSE_URL_PREFIX = "/actions/"
USES = 5
LIFETIME_SECONDS = 30 * 60


@dataclass
class _ResponseUrl:
    channel: str
    ts: str
    user: str
    expires_at: float
    uses: int = 0


class Responses:
    """FakeSlack's response_urls (a mixin: it runs under FakeSlack's lock)."""

    def _init_responses(self) -> None:
        self._response_urls: dict[str, _ResponseUrl] = {}
        # Seconds a response_url handed out from now on serves; 0: born expired, as if the
        # app came to use it after Slack's thirty minutes.
        self.response_url_lifetime: float = LIFETIME_SECONDS

    def response_url_for(self, channel: str, ts: str, user_id: str) -> str:
        """The response_url of a click by `user_id` on message `ts` in `channel`."""
        with self._lock:
            path = f"{RESPONSE_URL_PREFIX}{self.team_id}/{len(self._response_urls) + 1}/" \
                   f"{uuid.uuid4().hex}"
            self._response_urls[path] = _ResponseUrl(
                self._channel_id(channel), ts, user_id,
                time.monotonic() + self.response_url_lifetime)
            return self._server.base_url + path

    def message_with_button(self, user_id: str, action_id: str,
                            value: str) -> tuple[str, str] | None:
        """(channel id, ts) of the message carrying this button, the one `user_id` sees
        first (their DM's before any channel's); None when no message does."""
        with self._lock:
            dm = self._channel_id(user_id)
            for channel_id in sorted(self._messages, key=lambda c: c != dm):
                for message in self._messages[channel_id]:
                    if _has_button(message, action_id, value):
                        return channel_id, message["ts"]
            return None

    def clicked_in(self, user_id: str, channel: str, ts: str) -> dict[str, Any] | None:
        """What a block_actions payload says of the message `user_id` clicked in: its
        container, channel, the message itself and the click's response_url. None when the
        fake holds no such message."""
        with self._lock:
            channel_id = self._channel_id(channel)
            message = self._find_message(channel_id, ts)
            if message is None:
                return None
            found = self._channels.get(channel_id)
            name = "directmessage" if channel_id.startswith("D") or found is None \
                else found.name
            return {
                "container": {"type": "message", "message_ts": ts, "channel_id": channel_id,
                              "is_ephemeral": False},
                "channel": {"id": channel_id, "name": name},
                "message": _as_slack(message),
                "response_url": self.response_url_for(channel_id, ts, user_id),
            }

    def _answer_response_url(self, request: HttpRequest) -> tuple[int, str, dict[str, Any]]:
        """(HTTP status, plain-text body, what to record) for a POST to a response_url."""
        try:
            body = json.loads(request.body or b"{}")
        except json.JSONDecodeError:
            return 400, "invalid_payload", {}
        if not isinstance(body, dict):
            return 400, "invalid_payload", {}
        response_url = self._response_urls.get(request.path)
        if response_url is None:
            return 404, "no_service", body
        if response_url.uses >= USES or time.monotonic() >= response_url.expires_at:
            return 404, "expired_url", body
        response_url.uses += 1
        try:
            self._respond(response_url, body)
        except Refusal as refusal:
            return 400, refusal.error, body
        return 200, "ok", body

    def _respond(self, response_url: _ResponseUrl, body: dict[str, Any]) -> None:
        message = self._find_message(response_url.channel, response_url.ts)
        if body.get("delete_original"):
            if message is not None:
                self._messages[response_url.channel].remove(message)
            return
        check_message_content(body)
        if body.get("replace_original"):
            if message is None:
                raise Refusal("message_not_found")
            message["edits"].append(
                {"text": message["text"], "blocks": message["blocks"], "at": time.monotonic()})
            # The whole message is replaced: what the body leaves out is gone.
            message["text"] = str(body.get("text") or "")
            message["blocks"] = body.get("blocks") or []
            message["attachments"] = body.get("attachments") or []
            return
        if body.get("response_type") == "in_channel":
            self._append_message(response_url.channel, None, text=str(body.get("text") or ""),
                                 blocks=body.get("blocks") or [],
                                 attachments=body.get("attachments") or [],
                                 user=self.bot_user_id, bot_id=self.bot_id, team=self.team_id)
            return
        self._ephemerals.append({
            "channel": response_url.channel, "user": response_url.user, "ts": self._new_ts(),
            "text": str(body.get("text") or ""), "blocks": body.get("blocks") or [],
            "thread_ts": None})


def _has_button(message: dict[str, Any], action_id: str, value: str) -> bool:
    blocks = [*message["blocks"], *(block for attachment in message["attachments"]
                                     for block in attachment.get("blocks") or [])]
    return any(element.get("action_id") == action_id and element.get("value") == value
               for block in blocks
               for element in [block.get("accessory") or {}, *block.get("elements", [])]
               if isinstance(element, dict))
