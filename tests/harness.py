"""A running desk for flow tests: the real app on loopback HTTP, wired to the fakes.

Tests drive it the way Slack and Twilio do: signed HTTP requests with real payload shapes.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlencode

import httpx

from bot.config import Env, Settings
from bot.runtime import Runtime, build_runtime
from bot.web import server as web_server
from bot.worker.pacing import METHOD_LIMITS, Limit, SlackPacer
from tests import REPO_ROOT
from tests.fakes.slack import FakeSlack
from tests.fakes.slack import oauth as slack_oauth
from tests.fakes.twilio_api import FakeTwilio
from tests.providers import KITS, ProviderKit, TwilioKit

SIGNING_SECRET = "test-signing-secret"
BUSINESS_NUMBER = "+15005550006"
DESK_CHANNEL = "CDESK"
# A session-mode desk as `smsdesk serve` reads it (desk_process): offers time out in 30 s,
# sessions expire after 30 quiet minutes.
SESSION_DESK_TOML = f"""
[desk]
channel = "{DESK_CHANNEL}"
offer_timeout_seconds = 30
business_numbers = ["{BUSINESS_NUMBER}"]

[session]
numbers = ["{BUSINESS_NUMBER}"]
expiry_minutes = 30
"""
# Seals OAuth desks' stored tokens (SMSDESK_ENCRYPTION_KEY); a fixed key, so a test can
# restart a desk on the same database and still read them.
ENCRYPTION_KEY = "bm90LWEtc2VjcmV0LWp1c3QtZm9yLXRoZS10ZXN0cyE="
# SMSDESK_OPS_TOKEN: what a monitoring system sends as a bearer token for /metrics and the
# details of /readyz.
OPS_TOKEN = "test-ops-token"


TYPED = "typed"  # agent_writes_in_thread's default: the blocks of words typed plainly
# What Slack's `text` holds only when the words were not typed plainly: entities and <…>
# (links, mentions), emoji codes, style markers.
_SLACK_MARKUP = re.compile(r"[<>&*~`]|:[a-z0-9_+'-]+:")


def rich_text(*elements: dict) -> list[dict]:
    """A message's `blocks` as Slack sends them beside `text`: one rich_text block of these
    elements (rich_text_section, rich_text_list, rich_text_quote, rich_text_preformatted)."""
    return [{"type": "rich_text", "block_id": uuid.uuid4().hex[:5], "elements": list(elements)}]


def section(*elements: dict) -> dict:
    """A rich_text_section of text, emoji, link, user… elements."""
    return {"type": "rich_text_section", "elements": list(elements)}


def typed_blocks(text: str) -> list[dict]:
    """The `blocks` Slack sends beside `text` for words typed plainly (no emoji, style, link
    nor mention): one section holding one text element."""
    if _SLACK_MARKUP.search(text):
        raise ValueError(f"{text!r} is not plain: give the blocks Slack sends for it "
                         "(or blocks=None for an event without them)")
    return rich_text(section({"type": "text", "text": text}))


class TrackingExecutor(ThreadPoolExecutor):
    """bolt runs listeners here after ack(); the harness waits for them to finish."""

    def __init__(self) -> None:
        super().__init__(max_workers=8, thread_name_prefix="bolt-listener")
        self._busy = 0
        self._busy_lock = threading.Lock()

    def submit(self, fn, /, *args, **kwargs):
        with self._busy_lock:
            self._busy += 1
        future = super().submit(fn, *args, **kwargs)
        future.add_done_callback(self._finished)
        return future

    def _finished(self, _future) -> None:
        with self._busy_lock:
            self._busy -= 1

    @property
    def busy(self) -> bool:
        return self._busy > 0


@dataclass(frozen=True)
class SlashAnswer:
    """What the person who typed a slash command sees: the ack's own body when it has one
    (a refusal before any listener), otherwise the first message the app posted to the
    command's response_url (ephemeral unless it says otherwise); `ack` is the HTTP answer
    to Slack's request itself. `.text` and `.json()` read as an ack's body did."""

    status_code: int
    text: str
    ack: httpx.Response

    def json(self) -> dict:
        return json.loads(self.text)


@dataclass
class Desk:
    """The app under test plus the fake Slack and SMS provider it talks to."""

    runtime: Runtime
    slack: FakeSlack
    kit: ProviderKit
    url: str
    team_id: str
    http: httpx.Client
    _server: object = None
    listeners: TrackingExecutor | None = None
    owns_fakes: bool = False

    # --- as the SMS provider (tests/providers.py) ---------------------------------------
    @property
    def provider(self):
        """The fake of the provider this desk runs with (FakeTwilio's interface)."""
        return self.kit.fake

    @property
    def twilio(self) -> FakeTwilio:
        """The fake Twilio, for tests of what only Twilio does."""
        if not isinstance(self.kit.fake, FakeTwilio):
            raise AttributeError(f"this desk runs with {self.kit.name}: use desk.provider")
        return self.kit.fake

    def _twilio_post(self, path: str, params: dict[str, str], *, sign: bool = True,
                     signature: str | None = None) -> httpx.Response:
        assert isinstance(self.kit, TwilioKit), "a Twilio webhook to a desk of another provider"
        return self.kit.post(self, path, params, sign=sign, signature=signature)

    def customer_texts(self, from_number: str, body: str, *, sid: str | None = None,
                       **extra: str) -> httpx.Response:
        """A customer's text to the business number (or `To=`), signed as the desk's
        provider signs its webhooks. Other keywords are Twilio's form fields (FromCity...)."""
        to_number = extra.pop("To", BUSINESS_NUMBER)
        return self.kit.inbound(self, from_number, to_number, body, sid=sid, extra=extra)

    def customer_sends_mms(self, from_number: str, body: str,
                           files: list[tuple[bytes, str]]) -> httpx.Response:
        """An MMS: each (content, content type) served by the fake provider as its media."""
        return self.kit.inbound(self, from_number, BUSINESS_NUMBER, body, media=tuple(files))

    def carrier_reports(self, sms, status: str, error_code: str | None = None) -> httpx.Response:
        """A delivery report on `sms` (one of desk.provider.sent): queued, sent, delivered,
        undelivered or failed, worded and signed as the provider does."""
        return self.kit.report(self, sms, status, error_code)

    # --- as the simulator page (SMS_PROVIDER=simulator) --------------------------------
    @property
    def simulator_page(self) -> str:
        """The simulator's address with its key, as the log prints it at start."""
        return f"{self.url}/simulator?token={self.runtime.web.config['SMSDESK'].simulator_token}"

    @property
    def simulator_headers(self) -> dict[str, str]:
        """What the page adds to its API calls: the key it was opened with."""
        return {"X-Simulator-Token": self.runtime.web.config["SMSDESK"].simulator_token}

    # --- as the operator's monitoring -------------------------------------------------
    @property
    def ops_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {OPS_TOKEN}"}

    # --- as Slack ----------------------------------------------------------------------
    def _slack_post(self, body: str, content_type: str,
                    headers: dict[str, str] | None = None) -> httpx.Response:
        timestamp = str(int(time.time()))
        base = f"v0:{timestamp}:{body}".encode()
        signature = "v0=" + hmac.new(SIGNING_SECRET.encode(), base, hashlib.sha256).hexdigest()
        return self.http.post(self.url + "/slack/events", content=body, headers={
            "Content-Type": content_type, "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": signature, **(headers or {})})

    def _interactive(self, user_id: str, kind: str, **fields) -> httpx.Response:
        """A signed interactivity payload from `user_id`, as Slack posts it."""
        payload = {
            "type": kind,
            "team": {"id": self.team_id, "domain": "test"},
            "user": {"id": user_id, "team_id": self.team_id, "name": user_id.lower()},
            "api_app_id": "A0SMSDESK", "token": "legacy",
            "trigger_id": self.slack.new_trigger_id(),
            **fields,
        }
        return self._slack_post(urlencode({"payload": json.dumps(payload)}),
                                "application/x-www-form-urlencoded")

    def _message_action(self, user_id: str, action: dict, channel: str | None,
                        message_ts: str | None) -> httpx.Response:
        """A click in a message, as Slack posts it: in the message that carries the button
        (unless `channel` and `message_ts` say which), with that message and the click's
        response_url; a click in no message the fake holds (forged) has neither."""
        if channel is None and message_ts is None and "value" in action:
            channel, message_ts = self.slack.message_with_button(
                user_id, action["action_id"], action["value"]) or (None, None)
        clicked = self.slack.clicked_in(user_id, channel or "D0", message_ts or "1.0") or {
            "container": {"type": "message", "message_ts": message_ts or "1.0",
                          "channel_id": channel or "D0", "is_ephemeral": False},
            "channel": {"id": channel or "D0"}}
        return self._interactive(
            user_id, "block_actions", **clicked, state={"values": {}},
            actions=[{"block_id": "b", "action_ts": str(time.time()), **action}])

    def click(self, user_id: str, action_id: str, value: str, *, channel: str | None = None,
              message_ts: str | None = None) -> httpx.Response:
        return self._message_action(user_id, {"type": "button", "action_id": action_id,
                                              "value": value}, channel, message_ts)

    def submit_view(self, user_id: str, view: dict,
                    values: dict[str, dict[str, dict]]) -> httpx.Response:
        """Submit a modal as Slack does: `view` as opened (callback_id, private_metadata...),
        `values` as {block_id: {action_id: {"type": ..., "value"/"selected_option"...}}}."""
        return self._interactive(user_id, "view_submission", view={
            "id": view.get("id", "V0"), "team_id": self.team_id, "type": "modal",
            "callback_id": view["callback_id"],
            "private_metadata": view.get("private_metadata", ""),
            "blocks": view.get("blocks", []), "hash": view.get("hash", "h"),
            "state": {"values": values}})

    def choose(self, user_id: str, action_id: str, value: str, *,
               channel: str | None = None, message_ts: str | None = None) -> httpx.Response:
        """Pick an option of an overflow menu (or a static select) in a message."""
        option = {"text": {"type": "plain_text", "text": value}, "value": value}
        return self._message_action(user_id, {"type": "overflow", "action_id": action_id,
                                              "selected_option": option}, channel, message_ts)

    def pick(self, user_id: str, action_id: str, option: dict, *, block_id: str,
             channel: str | None = None, message_ts: str | None = None,
             ephemeral: bool = False) -> httpx.Response:
        """Pick `option` (as the message offers it: text and value) of a static select in a
        message; an ephemeral one (a prompt only its reader sees) says so in its container."""
        action = {"type": "static_select", "action_id": action_id, "block_id": block_id,
                  "selected_option": option, "action_ts": str(time.time())}
        return self._interactive(
            user_id, "block_actions",
            container={"type": "message", "message_ts": message_ts or "1.0",
                       "channel_id": channel or "D0", "is_ephemeral": ephemeral},
            channel={"id": channel or "D0"}, actions=[action])

    def act_on_home(self, user_id: str, action: dict) -> httpx.Response:
        """A block_actions from the person's Home tab, as published: `action` as Slack sends
        it (action_id, block_id, type, value or selected_option)."""
        view = self.slack.home_view(user_id) or {}
        return self._interactive(
            user_id, "block_actions",
            container={"type": "view", "view_id": view.get("id", "VHOME")},
            view={"id": view.get("id", "VHOME"), "team_id": self.team_id, "type": "home",
                  "blocks": view.get("blocks", []), "private_metadata": "",
                  "callback_id": "", "hash": view.get("hash", "h"), "state": {"values": {}}},
            actions=[{"action_ts": str(time.time()), **action}])

    def shortcut(self, user_id: str, callback_id: str) -> httpx.Response:
        """A global shortcut picked from Slack's shortcut menu."""
        return self._interactive(user_id, "shortcut", callback_id=callback_id,
                                 action_ts=str(time.time()))

    def slash_request(self, user_id: str, command: str,
                      text: str = "") -> tuple[httpx.Response, str]:
        """Slack's request for `/command text` typed by `user_id`: (the app's ack, the
        response_url the request carried)."""
        response_url = self.slack.command_response_url(user_id, "D0", self.team_id)
        form = {"token": "legacy", "team_id": self.team_id, "team_domain": "test",
                "channel_id": "D0", "user_id": user_id, "user_name": user_id.lower(),
                "command": command, "text": text, "api_app_id": "A0SMSDESK",
                "response_url": response_url, "trigger_id": self.slack.new_trigger_id()}
        return self._slack_post(urlencode(form), "application/x-www-form-urlencoded"), \
            response_url

    def slash(self, user_id: str, command: str, text: str = "") -> SlashAnswer:
        """Type `/command text` as `user_id`; returns what they then see (SlashAnswer)."""
        ack, response_url = self.slash_request(user_id, command, text)
        if ack.status_code != 200 or ack.content:
            return SlashAnswer(ack.status_code, ack.text, ack)

        def answered_or_done() -> list[dict] | bool:
            # The listener goes on after the ack; once it is done, what it posted is there.
            answers = self.slack.command_responses(response_url)
            return answers or (self.listeners is not None and not self.listeners.busy)

        try:
            self.slack.wait_for(lambda _s: answered_or_done(), 10, f"no answer to {command}")
        except AssertionError:
            if self.listeners is not None:
                raise
        answers = self.slack.command_responses(response_url)
        if not answers:
            return SlashAnswer(ack.status_code, "", ack)
        said = {key: value for key, value in answers[0].items() if key not in ("user", "channel")}
        return SlashAnswer(ack.status_code, json.dumps(said), ack)

    def event(self, event: dict, *, event_id: str | None = None,
              retry_num: int | None = None) -> httpx.Response:
        envelope = {
            "token": "legacy", "team_id": self.team_id, "api_app_id": "A0SMSDESK",
            "type": "event_callback", "event": event,
            "event_id": event_id or "Ev" + uuid.uuid4().hex[:10].upper(),
            "event_time": int(time.time()),
            "authorizations": [{"team_id": self.team_id, "user_id": self.slack.bot_user_id,
                                "is_bot": True}],
        }
        headers = {}
        if retry_num is not None:
            headers = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": "timeout"}
        return self._slack_post(json.dumps(envelope), "application/json", headers)

    def opens_home(self, user_id: str) -> httpx.Response:
        """The person opens the app's Home tab: app_home_opened as Slack sends it, with the
        tab's current view once one was published. Only Home tabs opened lately are redrawn
        as the desk changes, so a test reading one opens it first, as a person would."""
        event = {"type": "app_home_opened", "user": user_id, "channel": "D" + user_id[1:],
                 "tab": "home", "event_ts": f"{time.time():.6f}"}
        view = self.slack.home_view(user_id)
        if view is not None:
            event["view"] = view
        return self.event(event)

    def agent_writes_in_thread(self, user_id: str, thread_ts: str, text: str, *,
                               blocks: list[dict] | None | str = TYPED,
                               channel: str = DESK_CHANNEL, event_id: str | None = None,
                               retry_num: int | None = None) -> tuple[str, httpx.Response]:
        """Posts the agent's message into the fake (so it has a ts) and sends its event.

        `text` is the event's `text`, as Slack writes it; `blocks` what Slack sends beside it:
        by default those of words typed plainly (typed_blocks), else the rich_text blocks
        given, or None for an event without blocks (an edit from an old client)."""
        if blocks == TYPED:
            blocks = typed_blocks(text)
        client_ts = self.slack.user_posts(channel, user_id, text, thread_ts=thread_ts,
                                          blocks=blocks)
        event = {"type": "message", "channel": channel, "user": user_id, "text": text,
                 "ts": client_ts, "thread_ts": thread_ts, "channel_type": "channel",
                 "event_ts": client_ts, "team": self.team_id,
                 "client_msg_id": str(uuid.uuid4())}
        if blocks is not None:
            event["blocks"] = blocks
        return client_ts, self.event(event, event_id=event_id, retry_num=retry_num)

    # --- reading Slack back ------------------------------------------------------------
    def previews_for(self, user_id: str) -> list[dict]:
        return self.slack.messages(self.slack.dm_channel(user_id))

    def wait_for_preview(self, user_id: str, count: int = 1, timeout: float = 5.0) -> dict:
        return self.slack.wait_for(
            lambda s: len(self.previews_for(user_id)) >= count and self.previews_for(user_id),
            timeout, f"no preview #{count} for {user_id}")[count - 1]

    def cards(self) -> list[dict]:
        return self.slack.messages(DESK_CHANNEL)

    def wait_idle(self, timeout: float = 10.0) -> None:
        """Until no outbox job is due (timers far in the future do not count)."""
        from sqlalchemy import func, select

        from storage.models import Job, utcnow

        def idle() -> bool:
            if self.listeners is not None and self.listeners.busy:
                return False  # a click or event is still being handled
            with self.db.transaction() as s:
                # Jobs put back to wait for Slack's budget are work in progress, not timers.
                waiting_for_slack = Job.last_error.like("paced:%") | Job.last_error.like(
                    "rate limited%")
                return not s.scalar(select(func.count()).select_from(Job).where(
                    Job.state.in_(("pending", "running")),
                    (Job.due_at <= utcnow()) | waiting_for_slack))
        self.slack.wait_for(lambda _s: idle(), timeout, "outbox never went idle")

    @property
    def db(self):
        return self.runtime.services.db

    def in_workspace(self, team_id: str) -> Desk:
        """The same desk, driven as Slack drives it for another workspace."""
        return replace(self, team_id=team_id)

    def install_workspace(self, team_id: str, *, installer: str = "UINSTALLER",
                          expires_in: int = 43200) -> httpx.Response:
        """"Add to Slack" as an admin of `team_id` does it: the install page, Slack's
        consent (the fake's code), the redirect back. Returns the page the admin lands on."""
        page = self.http.get(self.url + "/slack/install")
        assert page.status_code == 200, page.text
        state = re.search(r"[?&]state=([^&\"']+)", page.text).group(1)
        code = self.slack.oauth.arrange_install(team_id, installer=installer,
                                                expires_in=expires_in)
        # bolt's state cookie is Secure (Slack apps are served over https); a browser on
        # this plain-http loopback would not send it, so carry it as the browser would.
        cookie = page.headers["set-cookie"].split(";", 1)[0]
        return self.http.get(self.url + "/slack/oauth_redirect",
                             params={"code": code, "state": state}, headers={"Cookie": cookie})

    def close(self) -> None:
        """Everything this desk started, threads included: a suite starts hundreds of
        desks, and their idle server and pool threads would otherwise pile up."""
        self.http.close()
        self._server.smsdesk_closing = True
        self._server.close()
        self._server.task_dispatcher.shutdown(timeout=2)
        self.runtime.close()
        if self.listeners is not None:
            self.listeners.shutdown(wait=False, cancel_futures=True)
        if self.owns_fakes:
            self.slack.stop()
            self.kit.stop()


def accept_new_interaction(desk: Desk, customer: str, text: str,
                           agent: str = "UAGENT1") -> dict:
    """A customer texts, `agent` goes Ready and accepts: returns the card, thread settled."""
    from bot.slack import ids

    desk.slash(agent, ids.COMMAND_READY)
    desk.customer_texts(customer, text)
    preview = desk.wait_for_preview(agent)
    desk.click(agent, ids.ACCEPT_OFFER, action_value(preview, ids.ACCEPT_OFFER))
    card = desk.slack.wait_for(lambda s: desk.cards() and desk.cards()[0], 5, "no card")
    desk.wait_idle()
    return card


def use_sender(desk: Desk, **options) -> None:
    """Swap the desk's provider client for one built with `options` (say, `timeout=0.5`
    where production waits 10 s), still talking to the desk's fake provider."""
    old = desk.runtime.services.sender
    desk.runtime.services.sender = desk.kit.sender(desk.url, **options)
    old.close()


use_twilio_sender = use_sender


def line_blocks(message: dict) -> list[dict]:
    """A message's blocks, with those of its attachments: a transcript line with a colour
    bar keeps its blocks in one."""
    return [*(message.get("blocks") or []),
            *(block for attachment in message.get("attachments") or []
              for block in attachment.get("blocks") or [])]


def line_text(message: dict) -> str:
    """A message's plain text: its `text`, or (a line with a colour bar, which has none) its
    attachments' fallback."""
    return message.get("text") or " ".join(
        attachment.get("fallback") or "" for attachment in message.get("attachments") or [])


def card_texts(card: dict) -> list[str]:
    """The customer's texts a thread's card (its root) carries, as it shows them: each is a
    ":iphone: Customer" context line, then the text's sections."""
    texts: list[list[str]] = []
    current: list[str] | None = None
    for block in card.get("blocks") or []:
        if block["type"] == "context" and block["elements"][0]["text"].startswith(":iphone:"):
            current = []
            texts.append(current)
        elif block["type"] == "section" and "text" in block and current is not None:
            current.append(block["text"]["text"])
        else:
            current = None
    return ["".join(text) for text in texts]


def action_value(message: dict, action_id: str) -> str:
    for block in line_blocks(message):
        for element in block.get("elements", []) if block["type"] == "actions" else []:
            if element.get("action_id") == action_id:
                return element["value"]
    raise AssertionError(f"no {action_id} button in {json.dumps(message, default=str)[:500]}")


def wait_for_modal(desk: Desk, callback_id: str, count: int = 1) -> dict:
    """The `count`-th modal with this callback_id the app opened (waits for it)."""
    def opened(s):
        found = [m for m in s.modals() if m["callback_id"] == callback_id]
        return len(found) >= count and found[count - 1]
    return desk.slack.wait_for(opened, 5, f"no {callback_id} modal #{count}")


def find_button(view: dict, action_id: str) -> dict | None:
    """A button (or other element) of a message or view, in a block or as an accessory."""
    for block in line_blocks(view):
        for element in [block.get("accessory") or {}, *block.get("elements", [])]:
            if element.get("action_id") == action_id:
                return element
    return None


def has_button(message: dict, action_id: str) -> bool:
    try:
        action_value(message, action_id)
    except AssertionError:
        return False
    return True


def in_parallel(count: int, work) -> list:
    """`work(i)` for i in range(count), on count threads released at once: a race on demand."""
    barrier = threading.Barrier(count)

    def run(index: int):
        barrier.wait()
        return work(index)

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(run, range(count)))


def fresh_postgres(url: str) -> str:
    """Empty the public schema so migrations start from zero; returns the psycopg URL.

    One schema reset per test keeps tests independent without a database per test.
    """
    from sqlalchemy import create_engine, text

    from storage.db import normalise_url

    url = normalise_url(url)
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return url


def _serve(server) -> None:
    try:
        server.run()
    except OSError:
        # close() from the test thread pulls the socket out from under select(); that is
        # how waitress stops when it is not the main loop of the process.
        if not getattr(server, "smsdesk_closing", False):
            raise


def fast_pacer() -> SlackPacer:
    return SlackPacer(per_channel_post=Limit(50.0, 150),
                      method_limits={m: Limit(limit.per_second * 50, limit.burst * 50)
                                     for m, limit in METHOD_LIMITS.items()})


def start_desk(database_url: str, *, settings: Settings | None = None,
               agents: tuple[str, ...] = ("UAGENT1", "UAGENT2"),
               sms_provider: str = "twilio",
               user_groups: dict[str, tuple[str, ...]] | None = None,
               pacer: SlackPacer | None = None, pacing: bool = True,
               worker_threads: int = 3, oauth: bool = False,
               encryption_key: str = ENCRYPTION_KEY, ops_token: str | None = OPS_TOKEN) -> Desk:
    """`sms_provider`: one of tests/providers.PROVIDERS, whose fake the desk talks to
    (`desk.provider`), or "simulator": no provider at all (a fake Twilio stays idle).
    `user_groups` exist in the fake Slack before the app starts (it reads them at start).
    `oauth=True`: no bot token; workspaces install through /slack/install (`install_workspace`);
    their tokens are stored sealed with `encryption_key` (SMSDESK_ENCRYPTION_KEY).
    `ops_token` is SMSDESK_OPS_TOKEN (None: not set)."""
    slack = FakeSlack().start()
    kit = KITS.get(sms_provider, TwilioKit)()
    for user in agents:
        slack.add_user(user, user.lower(), real_name=f"Agent {user[-1]}")
    slack.add_channel(DESK_CHANNEL, "sms-desk")
    for group_id, members in (user_groups or {}).items():
        slack.add_user_group(group_id, members)
    desk = _start_instance(database_url, slack, kit, settings=settings,
                           sms_provider=sms_provider, pacer=pacer, pacing=pacing,
                           worker_threads=worker_threads, oauth=oauth,
                           encryption_key=encryption_key, ops_token=ops_token)
    desk.owns_fakes = True  # another instance started beside it shares them
    _spelling_loaded(desk)
    return desk


def _spelling_loaded(desk: Desk) -> None:
    """Wait for the warm-up load of the spelling dictionary, as a load balancer waits for
    /readyz: once per test process (the dictionary is the process's)."""
    from bot.spelling import dictionaries

    settings = desk.runtime.services.all_settings
    if settings.spelling_enabled:
        dictionaries.preload([settings.spelling_language])


def restart_oauth_desk(desk: Desk, *, encryption_key: str) -> Desk:
    """Stop an OAuth desk and start it again on the same database and fakes (its installed
    workspaces stay installed), with SMSDESK_ENCRYPTION_KEY now `encryption_key`. Use the
    returned desk from then on (it owns the fakes)."""
    owned, desk.owns_fakes = desk.owns_fakes, False
    desk.close()
    again = _start_instance(desk.db.url, desk.slack, desk.kit,
                            settings=desk.runtime.services.all_settings, oauth=True,
                            encryption_key=encryption_key)
    again.owns_fakes = owned
    return again


def restart_desk(desk: Desk, *, settings: Settings | None = None) -> Desk:
    """Stop the desk and start it again on the same database and fakes, as a restart of the
    process would (its timers wait in the database). Use the returned desk from then on."""
    owned, desk.owns_fakes = desk.owns_fakes, False
    desk.close()
    again = _start_instance(desk.db.url, desk.slack, desk.kit,
                            settings=settings or desk.runtime.services.all_settings,
                            sms_provider=desk.runtime.services.sender.name)
    again.owns_fakes = owned
    return again


def start_another_instance(first: Desk, *, settings: Settings | None = None,
                           worker_threads: int = 3) -> Desk:
    """A second app instance beside `first`: its own web server, worker and database
    connections, on the same database and the same fake Slack and Twilio, as two replicas
    of a deployment share them. Close it before `first`."""
    return _start_instance(first.db.url, first.slack, first.kit,
                           settings=settings or first.runtime.services.all_settings,
                           sms_provider=first.runtime.services.sender.name,
                           worker_threads=worker_threads)


def _start_instance(database_url: str, slack: FakeSlack, kit: ProviderKit, *,
                    settings: Settings | None = None, sms_provider: str = "twilio",
                    pacer: SlackPacer | None = None, pacing: bool = True,
                    worker_threads: int = 3, oauth: bool = False,
                    encryption_key: str = ENCRYPTION_KEY,
                    ops_token: str | None = OPS_TOKEN) -> Desk:
    # Bind first so the public URL (which Twilio signs) is known before the app is built.
    holder: dict = {}

    def app(environ, start_response):
        return holder["web"](environ, start_response)

    server = web_server.create(app, "127.0.0.1", 0)  # as `smsdesk serve` serves
    url = f"http://127.0.0.1:{server.effective_port}"
    environ = {
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.url, "DATABASE_URL": database_url,
        "SMS_PROVIDER": sms_provider, "SMSDESK_PUBLIC_URL": url,
    }
    if ops_token is not None:
        environ["SMSDESK_OPS_TOKEN"] = ops_token
    if oauth:
        environ.update({"SLACK_CLIENT_ID": slack_oauth.CLIENT_ID,
                        "SLACK_CLIENT_SECRET": slack_oauth.CLIENT_SECRET,
                        "SMSDESK_ENCRYPTION_KEY": encryption_key})
    else:
        environ["SLACK_BOT_TOKEN"] = slack.bot_token
    if sms_provider == kit.name:
        environ.update(kit.env())
    env = Env.from_environ(environ)
    settings = settings or Settings(desk_channel=DESK_CHANNEL, offer_timeout_seconds=30)
    listeners = TrackingExecutor()
    # Tests of other features run with budgets fifty times Slack's, so they run fast; tests
    # of the delivery scheduler pass Slack's own (SlackPacer()) and a rate-limiting fake.
    runtime = build_runtime(env, settings, worker_threads=worker_threads,
                            listener_executor=listeners, pacer=pacer or fast_pacer(),
                            pacing=pacing)
    holder["web"] = runtime.web
    threading.Thread(target=_serve, args=(server,), daemon=True).start()
    runtime.worker.start()
    return Desk(runtime, slack, kit, url, runtime.team_id,
                httpx.Client(timeout=10), server, listeners)


@dataclass
class DeskProcess(Desk):
    """The app as its own process (`smsdesk serve`), for tests that kill and restart it."""

    database_url: str = ""
    env: dict = field(default_factory=dict)
    process: subprocess.Popen | None = None
    serve_args: tuple[str, ...] = ("--host", "127.0.0.1")
    _db: object = None

    @property
    def db(self):
        from storage.db import Database

        if self._db is None:
            self._db = Database(self.database_url)
        return self._db

    def start(self) -> DeskProcess:
        log = open(self.env["SMSDESK_LOG_FILE"], "a")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "serve", *self.serve_args],
            env=self.env, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError("smsdesk exited at start:\n" + self.log())
            try:
                if self.http.get(self.url + "/healthz", timeout=0.5).status_code == 200:
                    self._wait_ready()
                    return self
            except httpx.TransportError:
                time.sleep(0.1)
        raise AssertionError("smsdesk did not come up:\n" + self.log())

    def _wait_ready(self, seconds: float = 30) -> None:
        """Traffic only once /readyz says so, as a load balancer sends it (the spelling
        dictionary loads for a few seconds after start). A desk started on purpose with
        something broken never gets ready: then go on after the wait, as before."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.http.get(self.url + "/readyz", timeout=5).status_code == 200:
                return
            time.sleep(0.1)

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, as when a machine dies."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def log(self) -> str:
        return Path(self.env["SMSDESK_LOG_FILE"]).read_text(errors="replace")

    def close(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()
        self.http.close()
        if self._db is not None:
            self._db.dispose()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def desk_process(database_url: str, workdir: Path, settings_toml: str,
                 agents: tuple[str, ...] = ("UAGENT1", "UAGENT2")) -> DeskProcess:
    """Fakes in this process, the app in another; not started yet (call .start())."""
    slack = FakeSlack().start()
    twilio = FakeTwilio().start()
    for user in agents:
        slack.add_user(user, user.lower(), real_name=f"Agent {user[-1]}")
    slack.add_channel(DESK_CHANNEL, "sms-desk")
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    settings_file = workdir / "smsdesk.toml"
    settings_file.write_text(settings_toml)
    env = {
        "PATH": os.environ["PATH"], "PYTHONPATH": str(REPO_ROOT),
        "SLACK_BOT_TOKEN": slack.bot_token, "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.url, "DATABASE_URL": database_url, "SMS_PROVIDER": "twilio",
        "TWILIO_ACCOUNT_SID": twilio.account_sid, "TWILIO_AUTH_TOKEN": twilio.auth_token,
        "TWILIO_API_URL": twilio.url, "SMSDESK_PUBLIC_URL": url, "PORT": str(port),
        "SMSDESK_SETTINGS": str(settings_file),
        "SMSDESK_CLOCK_OFFSET_FILE": str(workdir / "clock-offset"),
        "SMSDESK_LOG_FILE": str(workdir / "smsdesk.log"),
    }
    return DeskProcess(runtime=None, slack=slack, kit=TwilioKit(twilio), url=url,
                       team_id=slack.team_id,
                       http=httpx.Client(timeout=10), database_url=database_url, env=env)


def move_process_clock(desk: DeskProcess, seconds: float) -> None:
    """Shift the app process's clock (it reads the offset file on every tick)."""
    path = Path(desk.env["SMSDESK_CLOCK_OFFSET_FILE"])
    current = float(path.read_text()) if path.exists() else 0.0
    path.write_text(str(current + seconds))


def _as_slack_view(desk: Desk, view: dict, values: dict | None) -> dict:
    """A stored view as a payload carries it, with the state a person left in it."""
    return {"id": view.get("id", "V0"), "team_id": desk.team_id, "type": "modal",
            "callback_id": view.get("callback_id", ""),
            "private_metadata": view.get("private_metadata", ""),
            "blocks": view.get("blocks", []), "hash": view.get("hash", "h"),
            "state": {"values": values or {}}}


def suggest(desk: Desk, user_id: str, action_id: str, value: str, view: dict,
            block_id: str = "b") -> httpx.Response:
    """An external_select asking for options as the person types (block_suggestion)."""
    payload = {
        "type": "block_suggestion",
        "team": {"id": desk.team_id, "domain": "test"},
        "user": {"id": user_id, "team_id": desk.team_id, "name": user_id.lower()},
        "api_app_id": "A0SMSDESK", "token": "legacy",
        "container": {"type": "view", "view_id": view.get("id", "V0")},
        "action_id": action_id, "block_id": block_id, "value": value,
        "view": _as_slack_view(desk, view, None),
    }
    return desk._slack_post(urlencode({"payload": json.dumps(payload)}),
                            "application/x-www-form-urlencoded")


def act_in_view(desk: Desk, user_id: str, view: dict, action: dict,
                values: dict | None = None) -> httpx.Response:
    """A block_actions from inside a modal: `action` as Slack sends it (action_id, block_id,
    type, value or selected_option), `values` the modal's state at that moment."""
    payload = {
        "type": "block_actions",
        "team": {"id": desk.team_id, "domain": "test"},
        "user": {"id": user_id, "team_id": desk.team_id, "name": user_id.lower()},
        "api_app_id": "A0SMSDESK", "token": "legacy",
        "trigger_id": desk.slack.new_trigger_id(),
        "container": {"type": "view", "view_id": view.get("id", "V0")},
        "view": _as_slack_view(desk, view, values),
        "actions": [{"action_ts": str(time.time()), **action}],
    }
    return desk._slack_post(urlencode({"payload": json.dumps(payload)}),
                            "application/x-www-form-urlencoded")
