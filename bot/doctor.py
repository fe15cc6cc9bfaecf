"""`smsdesk doctor`: the configuration and the /readyz checks, one line each, with the fix.

What an admin runs when the desk will not start or has gone quiet. Checks only read: no
migration, no message, no SMS.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import health
from bot.config import ConfigError, Env, Settings
from bot.health import Check


def socket_mode_from(env: Env) -> bool:
    """The mode the variables set describe: an app-level token and no signing secret is a
    Socket Mode desk (it never needs the secret); anything else is served over HTTP."""
    return bool(env.slack_app_token) and not env.slack_signing_secret


def _environment(env: Env, socket_mode: bool) -> list[Check]:
    found = env.problems(socket_mode=socket_mode)
    if not found:
        return [Check("environment", True, f"variables complete for "
                                           f"{'Socket Mode' if socket_mode else 'HTTP'} "
                                           f"with SMS_PROVIDER={env.sms_provider}")]
    checks = []
    for problem in found:
        # Env.problems reads "what is wrong: how to fix it".
        reason, _, fix = problem.partition(": ")
        checks.append(Check("environment", False, reason, fix or None))
    return checks


def _settings(env: Env, slack: WebClient | None) -> list[Check]:
    from bot.desk_setup import desk_channels

    try:
        settings = Settings.load(env.settings_file)
    except ConfigError as error:
        return [Check("settings", False, str(error),
                      f"correct {env.settings_file} (or SMSDESK_SETTINGS) as the message says; "
                      "`smsdesk config check` lists every problem")]
    source = (f"{env.settings_file} loaded" if Path(env.settings_file).is_file() else
              f"no {Path(env.settings_file).resolve()}: using the defaults (copy "
              "smsdesk.example.toml there to change them)")
    checks = [Check("settings", True, f"{source}, queues: "
                    + ", ".join(queue.name for queue in settings.all_queues()))]
    for desk in desk_channels(settings, oauth=env.oauth):
        checks.append(_desk_channel(env, desk, slack))
    if env.oauth and not settings.workspaces:
        checks.append(Check("desk channel", True, "no [workspaces.T…] table yet: each "
                            "workspace that installs is told what to add"))
    if settings.admins:
        checks.append(Check("admins", True, "told in a DM when Slack refuses a job: "
                            + ", ".join(settings.admins)))
    else:
        checks.append(Check("admins", True, "none set: Slack problems only reach the log "
                                            "(add admins = [\"U...\"] under [roles])"))
    return checks


def _desk_channel(env: Env, desk, slack: WebClient | None) -> Check:
    name = "desk channel" + (f" of {desk.team_id}" if desk.team_id else "")
    if not desk.channel:
        where = (f"channel in [workspaces.{desk.team_id}.desk] of {env.settings_file}"
                 if desk.team_id else
                 f"SMSDESK_DESK_CHANNEL (or desk.channel in {env.settings_file})")
        return Check(name, False, "no desk channel set",
                     f"set {where} to the channel id, e.g. C0123456789, and invite @smsdesk "
                     "there")
    if env.oauth:  # no token of the desk's own: each workspace's is used as its jobs run
        return Check(name, True, f"{desk.channel} (set; Slack is asked when the workspace's "
                                 "jobs post there)")
    if slack is None:
        return Check(name, True, f"{desk.channel}: not checked until Slack accepts "
                                 "SLACK_BOT_TOKEN", checked=False)
    return health.check_desk_channel(slack, desk.channel)
def _sender(env: Env):
    from bot.sms.simulator import SimulatorSender
    from bot.sms.telnyx import TelnyxSender
    from bot.sms.twilio import TwilioSender

    if env.sms_provider == "twilio" and env.twilio_account_sid and env.twilio_auth_token:
        return TwilioSender(env.twilio_account_sid, env.twilio_auth_token, env.twilio_api_url,
                            status_callback_url=None)
    if env.sms_provider == "telnyx" and env.telnyx_api_key:
        return TelnyxSender(env.telnyx_api_key, env.telnyx_api_url, webhook_url=None)
    if env.sms_provider == "vonage" and env.vonage is not None and env.vonage.complete:
        from bot.sms.vonage import vonage_sender

        return vonage_sender(env.vonage, status_url=None)
    return SimulatorSender() if env.sms_provider == "simulator" else None


def _sealed_tokens(engine, keys: str | None) -> Check:
    """Do the keys open every stored token? (A missing key is the environment's check.)"""
    from bot.slack import installations

    if installations.key_problem(keys):
        return Check("stored tokens", False, "not checked: SMSDESK_ENCRYPTION_KEY is unusable")
    try:
        installations.check_keys(engine, installations.cipher(keys))
    except installations.KeyProblem as problem:
        reason, _, fix = str(problem).partition(": ")
        return Check("stored tokens", False, reason, fix or None)
    except Exception as error:  # noqa: BLE001 - tables missing (no migration yet) and the like
        return Check("stored tokens", False, f"not checked: {error.__class__.__name__}",
                     "run `smsdesk db upgrade`")
    return Check("stored tokens", True, "every stored Slack token opens with "
                                        "SMSDESK_ENCRYPTION_KEY")


def _database(env: Env) -> list[Check]:
    """Only reads: a SQLite file that is not there is not created, and a schema behind the
    code is a failure to fix with `smsdesk db upgrade`, not something to do here."""
    from storage.db import Database, schema_revisions, shown_url, sqlite_file

    where = shown_url(env.database_url)
    file = sqlite_file(env.database_url)
    if file is not None and not file.exists():
        return [Check("database", False, f"no database at {where} yet",
                      "run `smsdesk db upgrade` (or start the desk, which creates and migrates "
                      "it); if the desk's data is elsewhere, set DATABASE_URL to it")]
    try:
        db = Database(env.database_url)
    except Exception as error:  # noqa: BLE001 - an unusable URL is a failed check
        return [Check("database", False, f"{error.__class__.__name__}: {error}",
                      f"DATABASE_URL is {where}: use sqlite:///path or "
                      "postgresql://user:password@host/db")]
    try:
        checks = [health.check_database(db)]
        if checks[0].ok:
            checks.append(_schema(db, where, schema_revisions))
            if env.oauth and checks[-1].ok:
                checks.append(_sealed_tokens(db.engine, env.encryption_key))
    finally:
        db.dispose()
    return checks


def _schema(db, where: str, schema_revisions) -> Check:
    logging.getLogger("alembic").setLevel(logging.WARNING)  # its INFO lines are not checks
    try:
        current, head = schema_revisions(db.engine)
    except Exception as error:  # noqa: BLE001 - a failed read is a failed check
        return Check("schema", False, f"{error.__class__.__name__}: {error}",
                     "run `smsdesk db upgrade`")
    if current == head:
        return Check("schema", True, f"{where} is at the code's migration ({head})")
    state = "never migrated" if current is None else f"at migration {current}, not {head}"
    return Check("schema", False, f"{where} is {state}",
                 "run `smsdesk db upgrade` (the desk also migrates at start)")


def _app_token(env: Env) -> Check:
    if not env.slack_app_token:
        return Check("socket", False, "not checked: SLACK_APP_TOKEN is not set")
    try:
        WebClient(base_url=env.slack_api_url, timeout=10).apps_connections_open(
            app_token=env.slack_app_token)
    except SlackApiError as error:
        code = error.response.get("error") or f"HTTP {error.response.status_code}"
        return Check("socket", False, f"apps.connections.open: {code}",
                     "generate an app-level token with the connections:write scope under "
                     "Basic Information > App-Level Tokens into SLACK_APP_TOKEN, and turn "
                     "Socket Mode on (Settings > Socket Mode)")
    except OSError as error:
        return Check("socket", False, f"unreachable at {env.slack_api_url}: {error}",
                     "check this host's network and proxy settings, and SLACK_API_URL")
    return Check("socket", True, "SLACK_APP_TOKEN opens a Socket Mode connection")


def _bot_client(env: Env) -> WebClient | None:
    if env.slack_bot_token and not env.oauth:
        return WebClient(token=env.slack_bot_token, base_url=env.slack_api_url, timeout=10)
    return None


def _connections(env: Env, slack: WebClient | None, socket_mode: bool) -> list[Check]:
    checks = _database(env)
    if slack is not None:
        checks.append(health.check_slack(slack))
    elif env.oauth:
        checks.append(health.check_slack_app(WebClient(base_url=env.slack_api_url, timeout=10),
                                             env.slack_client_id, env.slack_client_secret))
    if socket_mode:
        checks.append(_app_token(env))
    sender = _sender(env)
    if sender is not None:
        checks.append(health.check_sms(sender))
        sender.close()
    return checks


def run(env: Env, *, socket_mode: bool | None = None,
        out: Callable[[str], None] = print) -> bool:
    """Print every check; True when all passed. `socket_mode` None: read from the variables."""
    detected = socket_mode is None
    if detected:
        socket_mode = socket_mode_from(env)
    out(f"mode: {'Socket Mode' if socket_mode else 'HTTP'}"
        + (" (from the variables set; --socket or --http to choose)" if detected else ""))
    slack = _bot_client(env)
    connections = _connections(env, slack, socket_mode)
    if not all(c.ok for c in connections if c.name == "slack"):
        slack = None  # the desk channel cannot be asked about with a token Slack refused
    checks = _environment(env, socket_mode) + _settings(env, slack) + connections
    for check in checks:
        mark = "✓" if check.ok and check.checked else "–" if check.ok else "✗"
        out(f"{mark} {check.name}: {check.reason}")
        if not check.ok and check.fix:
            out(f"    fix: {check.fix}")
    failed = sum(not check.ok for check in checks)
    out("all checks passed" if not failed else f"{failed} check(s) failed")
    return not failed
