"""The `smsdesk` console script: serve, socket, db upgrade, segments, manifest, doctor,
responses import, contacts import."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys

from bot import logs
from bot.config import ConfigError, Env, Settings


def _load(socket_mode: bool) -> tuple[Env, Settings]:
    env = Env.from_environ()
    problems = env.problems(socket_mode=socket_mode)
    if problems:
        print("smsdesk cannot start yet:", file=sys.stderr)
        for problem in problems:
            print(f"  - {problem}", file=sys.stderr)
        print("Create the Slack app from manifests/ (see manifests/README.md), then set "
              "these variables. Nothing was started.", file=sys.stderr)
        raise SystemExit(2)
    try:
        settings = Settings.load(env.settings_file)
    except ConfigError as error:
        print(f"smsdesk cannot start: {error}", file=sys.stderr)
        raise SystemExit(2) from error
    if env.oauth:
        # Workspaces install themselves; each one's desk is its [workspaces.T…] table.
        missing = [w.team_id for w in settings.workspaces if not w.settings.desk_channel]
        if missing:
            print("smsdesk cannot start: no desk channel for workspace "
                  f"{', '.join(missing)}. Set channel in [workspaces.{missing[0]}.desk] of "
                  f"{env.settings_file} and invite the app there.", file=sys.stderr)
            raise SystemExit(2)
    elif not settings.desk_channel:
        print("smsdesk cannot start: no desk channel. Set SMSDESK_DESK_CHANNEL (or desk.channel "
              f"in {env.settings_file}) to the id of the channel where interaction threads "
              "live, e.g. C0123456789, and invite the app there.", file=sys.stderr)
        raise SystemExit(2)
    return env, settings


def _build(env: Env, settings: Settings, socket_mode: bool):
    from slack_sdk.errors import SlackApiError

    from bot.runtime import build_runtime

    try:
        return build_runtime(env, settings, socket_mode=socket_mode)
    except SlackApiError as error:
        reason = error.response.get("error") or error.response.status_code
        print(f"smsdesk cannot start: Slack refused SLACK_BOT_TOKEN ({reason}). Copy the "
              "Bot User OAuth Token again from OAuth & Permissions, and reinstall the app "
              "if its scopes changed.", file=sys.stderr)
    except OSError as error:
        print(f"smsdesk cannot start: Slack is unreachable at {env.slack_api_url} ({error}).",
              file=sys.stderr)
    raise SystemExit(2)


def serve(args: argparse.Namespace) -> None:
    from waitress import create_server

    from bot import shutdown

    env, settings = _load(socket_mode=False)
    runtime = _build(env, settings, socket_mode=False)
    server = create_server(runtime.web, host=args.host, port=env.port, threads=8)
    runtime.worker.start()
    logging.getLogger(__name__).info("smsdesk listening on port %s", env.port)
    try:
        with shutdown.until_signalled():
            server.run()  # returns once a stop signal arrives, in-flight requests answered
    finally:
        server.close()
        shutdown.drain(runtime)


def socket(args: argparse.Namespace) -> None:
    import threading

    from slack_bolt.adapter.socket_mode import SocketModeHandler
    from waitress import serve as waitress_serve

    from bot import shutdown

    env, settings = _load(socket_mode=True)
    runtime = _build(env, settings, socket_mode=True)
    runtime.worker.start()
    # SMS webhooks and the simulator still arrive over HTTP; Slack comes over the socket.
    threading.Thread(target=waitress_serve, args=(runtime.web,),
                     kwargs={"host": args.host, "port": env.port, "threads": 8},
                     daemon=True).start()
    try:
        with shutdown.until_signalled():
            SocketModeHandler(runtime.bolt, env.slack_app_token).start()
    finally:
        shutdown.drain(runtime)


def db_upgrade(args: argparse.Namespace) -> None:
    from storage.db import Database

    env = Env.from_environ()
    Database(env.database_url).upgrade()
    print(f"database at {env.database_url.split('@')[-1]} is up to date")


def segments(args: argparse.Namespace) -> None:
    from bot.sms.segments import count_segments

    text = " ".join(args.text) if args.text else sys.stdin.read()
    print(json.dumps(count_segments(text).as_dict(), ensure_ascii=False))


def manifest(args: argparse.Namespace) -> None:
    from bot.slack.manifest import build_manifest, render

    sys.stdout.write(render(build_manifest(args.mode, public_url=args.url)))


def doctor(args: argparse.Namespace) -> None:
    from bot import doctor as checks

    raise SystemExit(0 if checks.run(Env.from_environ(), socket_mode=args.socket) else 1)


def _workspace(env: Env) -> str:
    """The team id of the one workspace SLACK_BOT_TOKEN belongs to (auth.test)."""
    from slack_sdk import WebClient
    from slack_sdk.errors import SlackApiError

    if not env.slack_bot_token:
        print("smsdesk: give --team T0123456789, or set SLACK_BOT_TOKEN so the workspace can "
              "be found", file=sys.stderr)
        raise SystemExit(2)
    try:
        return WebClient(token=env.slack_bot_token, base_url=env.slack_api_url,
                         timeout=15).auth_test()["team_id"]
    except (SlackApiError, OSError) as error:
        print(f"smsdesk: could not find the workspace with SLACK_BOT_TOKEN ({error}); give "
              "--team instead", file=sys.stderr)
        raise SystemExit(2) from error


def responses_import(args: argparse.Namespace) -> None:
    from bot.desk import responses
    from storage.db import Database

    env = Env.from_environ()
    team_id = args.team or _workspace(env)
    db = Database(env.database_url)
    try:
        db.upgrade()
        report = responses.import_file(db, team_id, args.file)
    except responses.ResponseFileError as error:
        print(f"smsdesk: nothing imported: {error}", file=sys.stderr)
        raise SystemExit(2) from error
    finally:
        db.dispose()
    print(f"Standard responses for {team_id} from {args.file}:")
    print("\n".join(report.lines()))


def contacts_import(args: argparse.Namespace) -> None:
    from bot.desk import contact_import
    from storage.db import Database

    env = Env.from_environ()
    try:
        settings = Settings.load(env.settings_file)
    except ConfigError as error:
        print(f"smsdesk: {error}", file=sys.stderr)
        raise SystemExit(2) from error
    team_id = args.team or _workspace(env)
    db = Database(env.database_url)
    try:
        db.upgrade()
        report = contact_import.import_csv(db, team_id, args.file, settings.default_country)
    except contact_import.ContactFileError as error:
        print(f"smsdesk: nothing imported: {error}", file=sys.stderr)
        raise SystemExit(2) from error
    finally:
        db.dispose()
    print(f"Contacts for {team_id} from {args.file}:")
    print("\n".join(report.lines()))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="smsdesk", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    p = commands.add_parser("serve", help="run over HTTP (Slack events at /slack/events)")
    p.add_argument("--host", default="0.0.0.0")
    p.set_defaults(run=serve)
    p = commands.add_parser("socket", help="run with Slack Socket Mode (SMS webhooks on HTTP)")
    p.add_argument("--host", default="0.0.0.0")
    p.set_defaults(run=socket)
    p = commands.add_parser("db", help="database tasks")
    db_commands = p.add_subparsers(dest="db_command", required=True)
    db_commands.add_parser("upgrade", help="apply migrations").set_defaults(run=db_upgrade)
    from bot.config_check import run_check

    p = commands.add_parser("config", help="desk settings file tasks")
    config_commands = p.add_subparsers(dest="config_command", required=True)
    p = config_commands.add_parser("check", help="validate the settings file: a summary, or "
                                                 "FILE:LINE: for each problem (exit 2)")
    p.add_argument("file", nargs="?", help="default: $SMSDESK_SETTINGS, else smsdesk.toml")
    p.set_defaults(run=run_check)
    p = commands.add_parser("segments", help="SMS segments a text costs, as JSON")
    p.add_argument("text", nargs="*", help="the text (read from stdin when omitted)")
    p.set_defaults(run=segments)
    p = commands.add_parser("manifest", help="print the Slack app manifest")
    p.add_argument("mode", choices=["http", "oauth", "socket"])
    p.add_argument("--url", default="https://smsdesk.example.com",
                   help="public https URL of this app (HTTP mode)")
    p.set_defaults(run=manifest)
    p = commands.add_parser("doctor", help="check configuration, database, Slack and SMS; "
                                           "print how to fix what fails")
    p.add_argument("--socket", action="store_true", help="check for Socket Mode")
    p.set_defaults(run=doctor)

    p = commands.add_parser("responses", help="the Standard Response Library")
    response_commands = p.add_subparsers(dest="responses_command", required=True)
    p = response_commands.add_parser(
        "import", help="add or update responses from a YAML (list of name, category, text) "
                       "or CSV (header name,category,text) file")
    p.add_argument("file")
    p.add_argument("--team", help="Slack team id (default: the workspace of SLACK_BOT_TOKEN)")
    p.set_defaults(run=responses_import)

    p = commands.add_parser("contacts", help="the contact directory")
    contact_commands = p.add_subparsers(dest="contacts_command", required=True)
    p = contact_commands.add_parser(
        "import", help="add or update contacts from a CSV file (header name,phone,email); "
                       "numbers in the desk's default country unless written with +")
    p.add_argument("file")
    p.add_argument("--team", help="Slack team id (default: the workspace of SLACK_BOT_TOKEN)")
    p.set_defaults(run=contacts_import)

    args = parser.parse_args(argv)
    logs.configure(os.environ, serving=args.command in ("serve", "socket"))
    args.run(args)


if __name__ == "__main__":
    main()
