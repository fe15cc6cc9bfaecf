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
from sqlalchemy.engine import make_url

from bot.slack import problems
from bot.sms.messages import SendError
from storage.db import Database

# A load balancer probing every second must not spend Slack's or Twilio's budget: remote
# answers are reused this long.
REMOTE_TTL_SECONDS = 30.0


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    reason: str
    fix: str | None = None

    def as_dict(self) -> dict:
        return {"ok": self.ok, "reason": self.reason, **({"fix": self.fix} if self.fix else {})}


def masked_url(url: str) -> str:
    """A database URL fit to print: the password replaced by ***."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - an unparseable URL is shown without anything after @
        return url.split("@")[-1]


def check_database(db: Database) -> Check:
    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as error:  # noqa: BLE001 - any failure means "not ready", with why
        return Check("database", False, f"{error.__class__.__name__}: {_first_line(error)}",
                     f"DATABASE_URL is {masked_url(db.url)}: is that server up and reachable "
                     "from here, and are the user and password right?")
    return Check("database", True, "SELECT 1 answered")


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


def check_sms(sender) -> Check:
    try:
        detail = sender.check()
    except SendError as error:
        return Check("sms", False, str(error),
                     "check TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN (Twilio Console > Account "
                     "Info), TWILIO_API_URL and this host's network" if error.permanent else
                     "Twilio is unreachable or failing: check this host's network and proxy "
                     "settings and TWILIO_API_URL, then https://status.twilio.com")
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

    def __init__(self, db: Database, slack: Callable[[], WebClient], sender,
                 ttl: float = REMOTE_TTL_SECONDS, clock: Callable[[], float] = time.monotonic):
        """`slack` gives the client to check, asked at each check (tokens can change)."""
        self._db = db
        self._remote = [_Cached(lambda: check_slack(slack()), ttl, clock),
                        _Cached(lambda: check_sms(sender), ttl, clock)]

    def checks(self) -> list[Check]:
        return [check_database(self._db), *(cached() for cached in self._remote)]

    def forget(self) -> None:
        """Ask Slack and the provider again on the next probe (after a fix, or in tests)."""
        for cached in self._remote:
            cached.forget()


def report(checks: list[Check]) -> tuple[bool, dict]:
    """All ok?, and the JSON body /readyz answers with."""
    ready = all(check.ok for check in checks)
    return ready, {"ready": ready, "checks": {check.name: check.as_dict() for check in checks}}
