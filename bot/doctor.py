"""`smsdesk doctor`: the configuration and the /readyz checks, one line each, with the fix.

What an admin runs when the desk will not start or has gone quiet. Checks only read: no
migration, no message, no SMS.
"""

from __future__ import annotations

from collections.abc import Callable

from slack_sdk import WebClient

from bot import health
from bot.config import ConfigError, Env, Settings
from bot.health import Check


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


def _settings(env: Env) -> list[Check]:
    try:
        settings = Settings.load(env.settings_file)
    except ConfigError as error:
        return [Check("settings", False, str(error),
                      f"correct {env.settings_file} (or SMSDESK_SETTINGS) as the message says")]
    checks = [Check("settings", True, f"{env.settings_file} loaded, queues: "
                    + ", ".join(queue.name for queue in settings.all_queues()))]
    if settings.desk_channel:
        checks.append(Check("desk channel", True, settings.desk_channel))
    else:
        checks.append(Check("desk channel", False, "no desk channel set",
                            "set SMSDESK_DESK_CHANNEL (or desk.channel in "
                            f"{env.settings_file}) to the channel id, e.g. C0123456789, and "
                            "invite @smsdesk there"))
    if settings.admins:
        checks.append(Check("admins", True, "told in a DM when Slack refuses a job: "
                            + ", ".join(settings.admins)))
    else:
        checks.append(Check("admins", True, "none set: Slack problems only reach the log "
                                            "(add admins = [\"U...\"] under [roles])"))
    return checks


def _sender(env: Env):
    from bot.sms.simulator import SimulatorSender
    from bot.sms.twilio import TwilioSender

    if env.sms_provider == "twilio" and env.twilio_account_sid and env.twilio_auth_token:
        return TwilioSender(env.twilio_account_sid, env.twilio_auth_token, env.twilio_api_url,
                            status_callback_url=None)
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


def _connections(env: Env) -> list[Check]:
    from storage.db import Database, masked_url

    checks = []
    try:
        db = Database(env.database_url)
    except Exception as error:  # noqa: BLE001 - an unusable URL is a failed check
        checks.append(Check("database", False, f"{error.__class__.__name__}: {error}",
                            f"DATABASE_URL is {masked_url(env.database_url)}: use "
                            "sqlite:///path or postgresql://user:password@host/db"))
    else:
        checks.append(health.check_database(db))
        if env.oauth:
            checks.append(_sealed_tokens(db.engine, env.encryption_key))
        db.dispose()
    if env.slack_bot_token:
        checks.append(health.check_slack(WebClient(token=env.slack_bot_token,
                                                    base_url=env.slack_api_url, timeout=10)))
    elif env.oauth:
        checks.append(health.check_slack_app(WebClient(base_url=env.slack_api_url, timeout=10),
                                             env.slack_client_id, env.slack_client_secret))
    sender = _sender(env)
    if sender is not None:
        checks.append(health.check_sms(sender))
        sender.close()
    return checks


def run(env: Env, *, socket_mode: bool = False, out: Callable[[str], None] = print) -> bool:
    """Print every check; True when all passed."""
    checks = _environment(env, socket_mode)
    checks += _settings(env) + _connections(env)
    for check in checks:
        out(f"{'✓' if check.ok else '✗'} {check.name}: {check.reason}")
        if not check.ok and check.fix:
            out(f"    fix: {check.fix}")
    failed = sum(not check.ok for check in checks)
    out("all checks passed" if not failed else f"{failed} check(s) failed")
    return not failed
