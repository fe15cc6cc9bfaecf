"""Readiness checks: is the database, Slack and the SMS provider usable right now?

One set of checks for /readyz (a load balancer) and `smsdesk doctor` (an admin at a shell).
Each check answers ok or not, why, and for a failure how to fix it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import text

from bot.desk.messages import SendError
from bot.slack import problems
from storage.db import Database, masked_url

# A load balancer probing every second must not spend Slack's or Twilio's budget: remote
# answers are reused this long.
REMOTE_TTL_SECONDS = 30.0


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    reason: str
    fix: str | None = None
    checked: bool = True  # False: another failure kept it from being checked (not a pass)

    def as_dict(self) -> dict:
        return {"ok": self.ok, "reason": self.reason, **({"fix": self.fix} if self.fix else {})}


def check_database(db: Database) -> Check:
    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as error:  # noqa: BLE001 - any failure means "not ready", with why
        return Check("database", False, f"{error.__class__.__name__}: {_first_line(error)}",
                     f"DATABASE_URL is {masked_url(db.url)}: is that server up and reachable "
                     "from here, and are the user and password right?")
    return Check("database", True, f"{masked_url(db.url)} answered SELECT 1")


def check_slack(client: WebClient) -> Check:
    try:
        auth = client.auth_test()
    except SlackApiError as error:
        code = error.response.get("error") or f"HTTP {error.response.status_code}"
        fix = problems.fix_for(code) if code in problems.ADMIN_PROBLEMS else (
            f"Slack answered {code} at {client.base_url}: see https://status.slack.com")
        return Check("slack", False, f"auth.test: {code}", fix)
    except OSError as error:
        return Check("slack", False, f"unreachable at {client.base_url}: {error}",
                     "check this host's network and proxy settings, and SLACK_API_URL")
    return Check("slack", True, f"token valid for {auth.get('team') or auth['team_id']} "
                                f"({auth['team_id']}) as @{auth.get('user') or 'the bot'}")


def check_desk_channel(client: WebClient, channel: str, *,
                       unchecked_is_ok: bool = False) -> Check:
    """Does Slack know the desk channel, and is the app in it (conversations.info)?

    An app installed before it asked for channels:read cannot ask: `doctor` says to
    reinstall; /readyz (`unchecked_is_ok`) does not take a working desk out of service."""
    name = "desk channel"
    try:
        info = client.conversations_info(channel=channel)["channel"]
    except SlackApiError as error:
        code = error.response.get("error") or f"HTTP {error.response.status_code}"
        if code == "missing_scope":
            return Check(name, unchecked_is_ok, f"{channel}: not checked (the app was installed "
                         "without channels:read and groups:read)",
                         "reinstall the app from its manifest (OAuth & Permissions > Reinstall) "
                         "so the desk channel can be checked")
        if code == "channel_not_found":
            return Check(name, False, f"Slack knows no channel {channel} that the app can see",
                         "give the channel's id (channel name > About, at the bottom: C0…), not "
                         "its name; for a private channel, /invite @smsdesk there first")
        return Check(name, False, f"conversations.info: {code}",
                     problems.fix_for(code) if code in problems.ADMIN_PROBLEMS else
                     f"Slack answered {code} at {client.base_url}: see https://status.slack.com")
    except OSError as error:
        return Check(name, False, f"unreachable at {client.base_url}: {error}",
                     "check this host's network and proxy settings, and SLACK_API_URL")
    shown = f"#{info.get('name') or channel} ({channel})"
    if info.get("is_archived"):
        return Check(name, False, f"{shown} is archived", "unarchive it, or name another "
                                                          "channel as the desk channel")
    if not info.get("is_member"):
        return Check(name, False, f"the app is not in {shown}",
                     f"type /invite @smsdesk in #{info.get('name') or channel}")
    return Check(name, True, f"{shown}, and the app is in it")


# What oauth.v2.access answers a made-up code when the client id and secret are right.
CREDENTIALS_ACCEPTED = ("invalid_code",)
PROBE_CODE = "smsdesk-readiness-probe"


def check_slack_app(client: WebClient, client_id: str, client_secret: str) -> Check:
    """A desk installed by OAuth has no token of its own to test: it is ready when Slack
    accepts the app's credentials, which an exchange of a code that does not exist shows
    (the credentials are checked first; no install is made or changed)."""
    try:
        client.oauth_v2_access(client_id=client_id, client_secret=client_secret,
                               code=PROBE_CODE)
    except SlackApiError as error:
        code = error.response.get("error") or f"HTTP {error.response.status_code}"
        if code in CREDENTIALS_ACCEPTED:
            return Check("slack", True, "SLACK_CLIENT_ID and SLACK_CLIENT_SECRET accepted "
                                        "(oauth.v2.access)")
        if code in ("invalid_client_id", "bad_client_secret", "invalid_client"):
            return Check("slack", False, f"oauth.v2.access: {code}",
                         "copy the Client ID and Client Secret again from Basic Information "
                         "> App Credentials into SLACK_CLIENT_ID and SLACK_CLIENT_SECRET")
        return Check("slack", False, f"oauth.v2.access: {code}",
                     f"Slack answered {code} at {client.base_url}: see "
                     "https://status.slack.com")
    except OSError as error:
        return Check("slack", False, f"unreachable at {client.base_url}: {error}",
                     "check this host's network and proxy settings, and SLACK_API_URL")
    return Check("slack", True, "SLACK_CLIENT_ID and SLACK_CLIENT_SECRET accepted")


# How to fix a failed provider check: (the provider refused the credentials, it could not
# be reached or failed), per SMS_PROVIDER.
SMS_FIXES = {
    "twilio": ("check TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN (Twilio Console > Account Info), "
               "TWILIO_API_URL and this host's network",
               "Twilio is unreachable or failing: check this host's network and proxy settings "
               "and TWILIO_API_URL, then https://status.twilio.com"),
    "telnyx": ("check TELNYX_API_KEY (Mission Control Portal > Account Settings > Keys & "
               "Credentials > API Keys), TELNYX_API_URL and this host's network",
               "Telnyx is unreachable or failing: check this host's network and proxy settings "
               "and TELNYX_API_URL, then https://status.telnyx.com"),
    "vonage": ("check VONAGE_APPLICATION_ID and VONAGE_PRIVATE_KEY (Vonage API Dashboard > "
               "Applications), VONAGE_API_KEY and VONAGE_API_SECRET (API Settings), and that "
               "the application has the Messages capability",
               "Vonage is unreachable or failing: check this host's network and proxy settings "
               "and VONAGE_API_URL, then https://vonageapi.statuspage.io"),
}


def check_sms(sender) -> Check:
    try:
        detail = sender.check()
    except SendError as error:
        refused, failing = SMS_FIXES.get(sender.name, SMS_FIXES["twilio"])
        return Check("sms", False, str(error), refused if error.permanent else failing)
    return Check("sms", True, detail)


def _first_line(error: Exception) -> str:
    return (str(error).strip().splitlines() or [""])[0][:300]


class _Cached:
    """One check's answer, reused for `ttl` seconds; concurrent probes share one call."""

    def __init__(self, run: Callable[[], Check], ttl: float, clock: Callable[[], float]):
        self._run, self._ttl, self._clock = run, ttl, clock
        self._lock = threading.Lock()
        self._answer: Check | None = None
        self._at = 0.0

    def __call__(self) -> Check:
        with self._lock:
            if self._answer is None or self._clock() - self._at >= self._ttl:
                self._answer, self._at = self._run(), self._clock()
            return self._answer

    def forget(self) -> None:
        with self._lock:
            self._answer = None


class Readiness:
    """The checks behind /readyz: the database every time, Slack and SMS cached."""

    def __init__(self, db: Database, slack: Callable[[], Check], sender,
                 ttl: float = REMOTE_TTL_SECONDS, clock: Callable[[], float] = time.monotonic,
                 desk_channel: Callable[[], Check] | None = None,
                 local: tuple[Callable[[], Check], ...] = ()):
        """`slack` runs the Slack check: the bot token's (check_slack), or with OAuth
        installs the app's credentials (check_slack_app). `desk_channel`: the one desk
        channel's check (check_desk_channel), where the desk has one token to ask with.
        `local`: checks of this process's own state, asked on every probe."""
        self._db = db
        self._local = local
        self._remote = [_Cached(slack, ttl, clock),
                        *([_Cached(desk_channel, ttl, clock)] if desk_channel else []),
                        _Cached(lambda: check_sms(sender), ttl, clock)]

    def checks(self) -> list[Check]:
        return [check_database(self._db), *(check() for check in self._local),
                *(cached() for cached in self._remote)]

    def forget(self) -> None:
        """Ask Slack and the provider again on the next probe (after a fix, or in tests)."""
        for cached in self._remote:
            cached.forget()


def check_spelling(language: str, loaded: Callable[[str], bool]) -> Check:
    """Not ready while the spelling dictionary loads (a few seconds after start): an agent's
    reply sent through this instance meanwhile would wait for the load."""
    if loaded(language):
        return Check("spelling", True, f"the {language!r} dictionary is loaded")
    return Check("spelling", False, f"loading the {language!r} spelling dictionary",
                 "wait a few seconds; it loads once at start-up")


def report(checks: list[Check]) -> tuple[bool, dict]:
    """All ok?, and the detailed JSON body of /readyz (for the operator only)."""
    ready = all(check.ok for check in checks)
    return ready, {"ready": ready, "checks": {check.name: check.as_dict() for check in checks}}
