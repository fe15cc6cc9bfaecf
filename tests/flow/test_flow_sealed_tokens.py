"""Installed workspaces' Slack tokens are sealed at rest with SMSDESK_ENCRYPTION_KEY: no
table holds a usable token, the desk still works, keys rotate with `smsdesk tokens rotate`,
a wrong or missing key is refused with a message saying what to do, and no token reaches the
logs. Driven over HTTP against the fakes, and through the `smsdesk` command."""

from __future__ import annotations

import io
import logging

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import inspect, text

from bot import cli, doctor, logs
from bot.config import Env, Settings
from bot.config.workspaces import Workspace
from bot.runtime import build_runtime
from bot.slack import ids, installations
from tests.fakes.slack import oauth as slack_oauth
from tests.harness import ENCRYPTION_KEY, restart_oauth_desk, start_desk

pytestmark = pytest.mark.postgres

ACME, ACME_NUMBER, ACME_AGENT = "T0ACME", "+15005550006", "UACME1"
SETTINGS = Settings(workspaces=(Workspace(ACME, Settings(
    desk_channel="CACMEDESK", business_numbers=(ACME_NUMBER,))),))


@pytest.fixture
def log_stream():
    """The desk's own log set-up (JSON lines, masking), at DEBUG: slack_sdk then logs whole
    Web API responses, the OAuth exchange's tokens included."""
    stream = io.StringIO()
    logs.configure({"SMSDESK_LOG_FORMAT": "json"}, serving=True, stream=stream,
                   level=logging.DEBUG)
    yield stream


def _desk(database_url, key: str = ENCRYPTION_KEY):
    desk = start_desk(database_url, oauth=True, settings=SETTINGS, agents=(),
                      encryption_key=key)
    desk.slack.add_user(ACME_AGENT, "ann", "Ann Acme", team_id=ACME)
    desk.slack.add_channel("CACMEDESK", "sms-desk", team_id=ACME)
    return desk


def _secrets(desk) -> set[str]:
    """Every bot and refresh token Slack issued to the desk so far."""
    store = desk.runtime.bolt.installation_store
    bot = store.find_bot(enterprise_id=None, team_id=ACME)
    issued = {exchange.access_token for exchange in desk.slack.oauth.exchanges}
    return issued | {bot.bot_refresh_token}


def _every_value(desk) -> list[str]:
    """Every column of every row of every table, as text."""
    values = []
    with desk.db.engine.connect() as conn:
        tables = inspect(conn).get_table_names()
        assert "slack_bots" in tables and "slack_installations" in tables
        for table in tables:
            for row in conn.execute(text(f'SELECT * FROM "{table}"')):
                values += [v.decode("latin-1") if isinstance(v, bytes) else str(v)
                           for v in row]
    return values


def _customer_reaches_agent(desk, text: str) -> None:
    acme = desk.in_workspace(ACME)
    acme.slash(ACME_AGENT, ids.COMMAND_READY)
    assert acme.customer_texts("+14155550100", text, To=ACME_NUMBER).status_code == 200
    desk.slack.wait_for(lambda s: text in str(acme.previews_for(ACME_AGENT)), 5,
                        f"the agent never saw {text!r}")
    desk.wait_idle()


def test_no_table_holds_a_token_and_the_desk_still_works(database_url, log_stream):
    desk = _desk(database_url)
    try:
        # Rotating in ten minutes: the first job refreshes it, and the new pair is stored too.
        assert desk.install_workspace(ACME, expires_in=600).status_code == 200
        _customer_reaches_agent(desk, "where is my order?")
        secrets = _secrets(desk)
        assert len(secrets) >= 3  # first token, its refreshed successor, a refresh token
        values = _every_value(desk)
        leaked = {secret for secret in secrets if any(secret in value for value in values)}
        assert not leaked, f"plaintext tokens in the database: {len(leaked)}"
        written = log_stream.getvalue()
        assert "oauth.v2.access" in written  # the exchanges were logged, masked
        assert not [secret for secret in secrets if secret in written]
        assert "xoxe.•••" in written
    finally:
        desk.close()


def test_keys_rotate_and_the_old_key_can_then_be_dropped(database_url, monkeypatch,
                                                         capsys):
    desk = _desk(database_url)
    new_key = Fernet.generate_key().decode()
    try:
        assert desk.install_workspace(ACME).status_code == 200
        # A new key in front: the old one still opens what is stored.
        desk = restart_oauth_desk(desk, encryption_key=f"{new_key},{ENCRYPTION_KEY}")
        _customer_reaches_agent(desk, "first, with both keys")

        monkeypatch.setenv("DATABASE_URL", desk.db.url)
        monkeypatch.setenv("SMSDESK_ENCRYPTION_KEY", f"{new_key},{ENCRYPTION_KEY}")
        cli.main(["tokens", "rotate"])
        assert "re-encrypted" in capsys.readouterr().out

        desk = restart_oauth_desk(desk, encryption_key=new_key)
        _customer_reaches_agent(desk, "then with the new key alone")
    finally:
        desk.close()


def test_a_wrong_key_is_refused_with_what_to_do_and_no_token(database_url, monkeypatch,
                                                             capsys):
    desk = _desk(database_url)
    try:
        assert desk.install_workspace(ACME).status_code == 200
        secrets = _secrets(desk)
        other_key = Fernet.generate_key().decode()
        # A second instance started with another key: refused before it serves anything.
        with pytest.raises(installations.KeyProblem) as refused:
            build_runtime(_oauth_env(DATABASE_URL=desk.db.url, SLACK_API_URL=desk.slack.url,
                                     SMSDESK_ENCRYPTION_KEY=other_key), SETTINGS)
        message = str(refused.value)
        assert "SMSDESK_ENCRYPTION_KEY" in message and "smsdesk tokens rotate" in message
        assert not [secret for secret in secrets if secret in message]

        # `smsdesk doctor` says the same.
        lines: list[str] = []
        doctor.run(_oauth_env(DATABASE_URL=desk.db.url, SLACK_API_URL=desk.slack.url,
                              SMSDESK_ENCRYPTION_KEY=other_key), out=lines.append)
        assert any(line.startswith("✗ stored tokens: a stored Slack token") for line in lines)
        assert any("smsdesk tokens rotate" in line for line in lines)

        # The command changes nothing and says the same.
        monkeypatch.setenv("DATABASE_URL", desk.db.url)
        monkeypatch.setenv("SMSDESK_ENCRYPTION_KEY", other_key)
        with pytest.raises(SystemExit) as exited:
            cli.main(["tokens", "rotate"])
        assert exited.value.code == 2
        assert "nothing re-encrypted" in capsys.readouterr().err
        _customer_reaches_agent(desk, "the right key still works")
    finally:
        desk.close()


def _oauth_env(**extra: str) -> Env:
    return Env.from_environ({"SLACK_CLIENT_ID": slack_oauth.CLIENT_ID,
                             "SLACK_CLIENT_SECRET": slack_oauth.CLIENT_SECRET,
                             "SLACK_SIGNING_SECRET": "s", **extra})


def test_oauth_without_a_key_will_not_start_and_says_how_to_make_one(capsys, monkeypatch):
    for problem_env in (_oauth_env(), _oauth_env(SMSDESK_ENCRYPTION_KEY="not-a-key")):
        problems = problem_env.problems(socket_mode=False)
        assert any("SMSDESK_ENCRYPTION_KEY" in p and "Fernet.generate_key()" in p
                   for p in problems), problems
    lines: list[str] = []
    doctor.run(_oauth_env(DATABASE_URL="sqlite://"), out=lines.append)
    assert any("✗ environment: SMSDESK_ENCRYPTION_KEY is not set" in line for line in lines)
    assert any("Fernet.generate_key()" in line for line in lines)
    assert not [p for p in _oauth_env(SMSDESK_ENCRYPTION_KEY=ENCRYPTION_KEY).problems(
        socket_mode=False) if "ENCRYPTION" in p]

    for name, value in {"SLACK_CLIENT_ID": slack_oauth.CLIENT_ID,
                        "SLACK_CLIENT_SECRET": slack_oauth.CLIENT_SECRET,
                        "SLACK_SIGNING_SECRET": "s"}.items():
        monkeypatch.setenv(name, value)
    for name in ("SLACK_BOT_TOKEN", "SMSDESK_ENCRYPTION_KEY"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(SystemExit) as exited:
        cli.main(["serve"])
    assert exited.value.code == 2
    assert "SMSDESK_ENCRYPTION_KEY is not set" in capsys.readouterr().err


def test_tokens_are_masked_in_every_log_line_at_every_level():
    stream = io.StringIO()
    logs.configure({"SMSDESK_LOG_FORMAT": "text"}, serving=False, stream=stream)
    log = logging.getLogger("smsdesk.test")
    log.error("refused %s and %s", "xoxb-1234-5678-abcdef", "xoxe-1-refreshSECRET")
    try:
        raise RuntimeError("token xoxp-99-secret in an exception, and xapp-1-A0-secret")
    except RuntimeError:
        log.exception("failed")
    written = stream.getvalue()
    assert "xoxb-•••" in written and "xoxe-•••" in written
    assert "secret" not in written.lower() and "abcdef" not in written
