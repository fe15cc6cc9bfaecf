"""The `smsdesk` console script: serve, socket, doctor, config check, db upgrade, segments,
manifest, responses import, contacts import, contacts export, contacts erase, tokens rotate,
retention run, report."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys

from bot import logs
from bot.config import ConfigError, Env, Settings

SLACK_APP_HINT = ("The Slack values come from the Slack app: create it from manifests/ (see "
                  "manifests/README.md).")


def _load(socket_mode: bool) -> tuple[Env, Settings]:
    """Everything `serve`/`socket` need, or every problem at once (each with its fix), exit 2."""
    from bot.desk_setup import desk_channel_problems

    env = Env.from_environ()
    found = env.problems(socket_mode=socket_mode)
    settings = None
    try:
        settings = Settings.load(env.settings_file)
    except ConfigError as error:
        found.append(f"{error} (`smsdesk config check` lists every problem in the file)")
    if settings is not None:
        found += desk_channel_problems(settings, oauth=env.oauth,
                                       settings_file=env.settings_file)
    if found:
        print("smsdesk cannot start yet:", file=sys.stderr)
        for problem in found:
            print(f"  - {problem}", file=sys.stderr)
        if any(problem.startswith("SLACK_") for problem in found):
            print(SLACK_APP_HINT, file=sys.stderr)
        print("Nothing was started.", file=sys.stderr)
        raise SystemExit(2)
    return env, settings


def _database_problem(env: Env, error: Exception) -> str:
    """One line for a database that cannot be opened or migrated, with what to check."""
    from storage.db import shown_url, sqlite_file

    detail = (str(error).strip().splitlines() or [error.__class__.__name__])[0][:200]
    where = shown_url(env.database_url)
    if sqlite_file(env.database_url) is not None:
        fix = ("the folder must exist and be writable by this user; DATABASE_URL names "
               "another file as sqlite:////absolute/path.sqlite3")
    elif env.database_url.startswith(("postgres://", "postgresql")):
        fix = ("is the server up and reachable from here, and are DATABASE_URL's host, port, "
               "user, password and database name right?")
    else:
        fix = "DATABASE_URL takes sqlite:///path or postgresql://user:password@host/db"
    return f"the database at {where} could not be used ({detail}): {fix}"


def _say_database(env: Env) -> None:
    from storage.db import shown_url

    print(f"database: {shown_url(env.database_url)}", file=sys.stderr)


def _open_database(env: Env):
    """The migrated database (named first on stderr), or one line saying why not, exit 2."""
    from sqlalchemy.exc import SQLAlchemyError

    from storage.db import Database

    _say_database(env)
    db = None
    try:
        db = Database(env.database_url)
        db.upgrade()
    except (SQLAlchemyError, ImportError, ValueError) as error:
        if db is not None:
            db.dispose()
        print(f"smsdesk: {_database_problem(env, error)}", file=sys.stderr)
        raise SystemExit(2) from error
    return db


def _build(env: Env, settings: Settings, socket_mode: bool):
    from slack_sdk.errors import SlackApiError
    from sqlalchemy.exc import SQLAlchemyError

    from bot.runtime import build_runtime
    from bot.slack.installations import KeyProblem

    try:
        return build_runtime(env, settings, socket_mode=socket_mode)
    except KeyProblem as error:
        print(f"smsdesk cannot start: {error}", file=sys.stderr)
    except SlackApiError as error:
        reason = error.response.get("error") or error.response.status_code
        print(f"smsdesk cannot start: Slack refused SLACK_BOT_TOKEN ({reason}). Copy the "
              "Bot User OAuth Token again from OAuth & Permissions, and reinstall the app "
              "if its scopes changed.", file=sys.stderr)
    except (SQLAlchemyError, ImportError) as error:
        print(f"smsdesk cannot start: {_database_problem(env, error)}", file=sys.stderr)
    except OSError as error:
        print(f"smsdesk cannot start: Slack is unreachable at {env.slack_api_url} ({error}).",
              file=sys.stderr)
    raise SystemExit(2)


def _check_app_token(env: Env) -> None:
    """Socket Mode opens its connection with SLACK_APP_TOKEN: a refused one is one line."""
    from slack_sdk import WebClient
    from slack_sdk.errors import SlackApiError

    try:
        WebClient(base_url=env.slack_api_url, timeout=15).apps_connections_open(
            app_token=env.slack_app_token)
    except SlackApiError as error:
        reason = error.response.get("error") or error.response.status_code
        print(f"smsdesk cannot start: Slack refused SLACK_APP_TOKEN ({reason}). Generate an "
              "app-level token with the connections:write scope under Basic Information > "
              "App-Level Tokens, and turn Socket Mode on (Settings > Socket Mode).",
              file=sys.stderr)
        raise SystemExit(2) from error
    except OSError as error:
        print(f"smsdesk cannot start: Slack is unreachable at {env.slack_api_url} ({error}).",
              file=sys.stderr)
        raise SystemExit(2) from error


def _host(args: argparse.Namespace, env: Env) -> str:
    """Where to listen: --host, else every interface, except that the simulator (which takes
    texts from anyone who reaches it, with no signature) stays on this machine."""
    if args.host:
        return args.host
    if env.sms_provider == "simulator":
        logging.getLogger(__name__).warning(
            "SMS_PROVIDER=simulator: listening on 127.0.0.1 only, so only this machine can "
            "reach the simulator; pass --host 0.0.0.0 to listen on every interface")
        return "127.0.0.1"
    return "0.0.0.0"


def serve(args: argparse.Namespace) -> None:
    from bot import shutdown
    from bot.web import server as web_server

    env, settings = _load(socket_mode=False)
    _log_database(env)
    runtime = _build(env, settings, socket_mode=False)
    host = _host(args, env)
    server = web_server.create(runtime.web, host, env.port)
    runtime.worker.start()
    logging.getLogger(__name__).info("smsdesk listening on %s port %s", host, env.port)
    try:
        with shutdown.until_signalled():
            server.run()  # returns once a stop signal arrives, in-flight requests answered
    finally:
        server.close()
        shutdown.drain(runtime)


def socket(args: argparse.Namespace) -> None:
    import threading

    from slack_bolt.adapter.socket_mode import SocketModeHandler

    from bot import shutdown
    from bot.web import server as web_server

    env, settings = _load(socket_mode=True)
    _check_app_token(env)
    _log_database(env)
    runtime = _build(env, settings, socket_mode=True)
    runtime.worker.start()
    # SMS webhooks and the simulator still arrive over HTTP; Slack comes over the socket.
    server = web_server.create(runtime.web, _host(args, env), env.port)
    threading.Thread(target=server.run, daemon=True).start()
    try:
        with shutdown.until_signalled():
            SocketModeHandler(runtime.bolt, env.slack_app_token).start()
    finally:
        shutdown.drain(runtime)


def _log_database(env: Env) -> None:
    from storage.db import shown_url

    logging.getLogger(__name__).info("database: %s", shown_url(env.database_url))


def db_upgrade(args: argparse.Namespace) -> None:
    from storage.db import shown_url

    env = Env.from_environ()
    _open_database(env).dispose()
    print(f"database at {shown_url(env.database_url)} is up to date")


def segments(args: argparse.Namespace) -> None:
    from bot.desk.segments import count_segments

    if args.text:
        text = " ".join(args.text)
    elif sys.stdin.isatty():
        # Reading a terminal would wait, silently, for an end-of-file few people know to type.
        print("usage: smsdesk segments TEXT  (or pipe it in: smsdesk segments < reply.txt)",
              file=sys.stderr)
        raise SystemExit(2)
    else:
        # echo, heredocs and editors end the text with a newline nobody means to send.
        text = sys.stdin.read()
        text = text.removesuffix("\n").removesuffix("\r")
    print(json.dumps(count_segments(text).as_dict(), ensure_ascii=False))


def manifest(args: argparse.Namespace) -> None:
    from bot.slack.manifest import DEFAULT_PUBLIC_URL, build_manifest, public_url_problem, render

    if args.mode == "socket" and args.url is not None:
        print("smsdesk: the Socket Mode manifest has no URL to set: Slack reaches the app over "
              "the socket, and the SMS webhook address is set in Twilio's console. Leave out "
              "--url (or use `smsdesk manifest http --url ...` for HTTP mode).", file=sys.stderr)
        raise SystemExit(2)
    if args.mode != "socket" and args.url is None:
        print(f"smsdesk: manifest {args.mode} needs --url, the public https address Slack will "
              "call, e.g. --url https://desk.example.org (manifests/"
              f"{args.mode}.json is the same with the example host {DEFAULT_PUBLIC_URL})",
              file=sys.stderr)
        raise SystemExit(2)
    problem = args.url is not None and public_url_problem(args.url)
    if problem:
        print(f"smsdesk: --url must be https://host or https://host/path, got {args.url!r}: "
              f"{problem}", file=sys.stderr)
        raise SystemExit(2)
    sys.stdout.write(render(build_manifest(args.mode, public_url=args.url or DEFAULT_PUBLIC_URL)))


def doctor(args: argparse.Namespace) -> None:
    from bot import doctor as checks

    raise SystemExit(0 if checks.run(Env.from_environ(), socket_mode=args.socket_mode) else 1)


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
    from bot.desk.admin import responses
    from bot.progress import progress

    env = Env.from_environ()
    team_id = args.team or _workspace(env)
    db = _open_database(env)
    try:
        with progress("Importing responses", unit="row") as shown:
            report = responses.import_file(db, team_id, args.file, on_progress=shown.update)
    except responses.ResponseFileError as error:
        print(f"smsdesk: nothing imported: {error}", file=sys.stderr)
        raise SystemExit(2) from error
    finally:
        db.dispose()
    print(f"Standard responses for {team_id} from {args.file}:")
    print("\n".join(report.lines()))


def _env_and_settings() -> tuple[Env, Settings]:
    """The environment and the settings file, or exit 2 saying what is wrong in the file."""
    env = Env.from_environ()
    try:
        return env, Settings.load(env.settings_file)
    except ConfigError as error:
        print(f"smsdesk: {error}", file=sys.stderr)
        raise SystemExit(2) from error


def _workspace_database(args: argparse.Namespace):
    """(settings, team id, migrated database) for a command about one workspace's data."""
    env, settings = _env_and_settings()
    team_id = args.team or _workspace(env)
    return settings, team_id, _open_database(env)


def contacts_import(args: argparse.Namespace) -> None:
    from bot.desk.directory import contact_import
    from bot.progress import progress

    settings, team_id, db = _workspace_database(args)
    try:
        with progress("Importing contacts", unit="row") as shown:
            report = contact_import.import_csv(db, team_id, args.file,
                                               settings.for_team(team_id).default_country,
                                               on_progress=shown.update)
    except contact_import.ContactFileError as error:
        print(f"smsdesk: nothing imported: {error}", file=sys.stderr)
        raise SystemExit(2) from error
    finally:
        db.dispose()
    print(f"Contacts for {team_id} from {args.file}:")
    print("\n".join(report.lines()))


def _one_contact(db, team_id: str, query: str, country: str) -> int:
    from bot.desk.data_protection import privacy

    resolved = privacy.resolve_contact(db, team_id, query, country)
    if resolved.contact is not None:
        return resolved.contact.contact_id
    if not resolved.candidates:
        print(f"smsdesk: no contact of {team_id} matches {query!r}", file=sys.stderr)
    else:
        print(f"smsdesk: several contacts of {team_id} match {query!r}; give the full number "
              "or the id (#12):", file=sys.stderr)
        for c in resolved.candidates[:privacy.CANDIDATES_SHOWN]:
            print(f"  #{c.contact_id}  {c.name or '(no name)'}  {c.phone}", file=sys.stderr)
    raise SystemExit(2)


def _contact_command(args: argparse.Namespace):
    settings, team_id, db = _workspace_database(args)
    try:
        settings = settings.for_team(team_id)
        return db, settings, team_id, _one_contact(db, team_id, args.contact,
                                                   settings.default_country)
    except BaseException:
        db.dispose()
        raise


def contacts_export(args: argparse.Namespace) -> None:
    """One contact's data as JSON (stdout, or -o FILE); audited as taken from the command line."""
    from bot.desk.data_protection import privacy
    from bot.progress import progress

    db, _settings, team_id, contact_id = _contact_command(args)
    try:
        with progress(f"Exporting contact #{contact_id}", unit="interaction") as shown:
            document = privacy.export_contact(db, team_id, contact_id, requested_by=None,
                                              on_progress=shown.update)
    finally:
        db.dispose()
    text = json.dumps(document, indent=2, ensure_ascii=False)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as out:
            out.write(text + "\n")
        print(f"Contact #{contact_id} of {team_id} exported to {args.output}", file=sys.stderr)
    else:
        print(text)


def contacts_erase(args: argparse.Namespace) -> None:
    """Erase one contact now; the running desk then deletes its Slack messages and the
    provider's copies (outbox jobs)."""
    from bot.desk.data_protection import erasure

    db, settings, team_id, contact_id = _contact_command(args)
    try:
        plan = erasure.plan(db, settings, team_id, contact_id)
        print(f"Contact #{contact_id} of {team_id} ({settings.erasure}): {plan.numbers} "
              f"number(s), {plan.interactions} interaction(s), {plan.messages} message(s), "
              f"{plan.notes} note(s), {plan.media_files} media file(s); "
              f"{plan.slack_messages} Slack message(s) and {plan.provider_messages} provider "
              "message(s) to delete.")
        if not args.yes:
            answer = input("Erase this contact? This cannot be undone. [y/N] ")
            if answer.strip().lower() not in ("y", "yes"):
                print("Nothing was erased.")
                raise SystemExit(1)
        started = erasure.erase(db, settings, team_id, contact_id, requested_by=None)
    finally:
        db.dispose()
    print(f"Contact #{contact_id} erased from the database. {started.steps} deletion(s) in "
          "Slack and at the SMS provider are queued: the running desk carries them out, and "
          "`/sms-admin log` shows the outcome (privacy.erase_finished).")


def tokens_rotate(args: argparse.Namespace) -> None:
    """Seal every stored Slack token with the first key of SMSDESK_ENCRYPTION_KEY."""
    from bot.progress import progress
    from bot.slack import installations

    env = Env.from_environ()
    db = _open_database(env)
    try:
        with progress("Re-encrypting stored tokens", unit="row") as shown:
            count = installations.reseal(db.engine, installations.cipher(env.encryption_key),
                                         on_progress=shown.update)
    except installations.KeyProblem as error:
        print(f"smsdesk: nothing re-encrypted: {error}", file=sys.stderr)
        raise SystemExit(2) from error
    finally:
        db.dispose()
    print(f"{count} stored token(s) re-encrypted with the first key of "
          f"{installations.ENCRYPTION_KEY_VARIABLE}; the other keys can be removed now.")


def retention_run(args: argparse.Namespace) -> None:
    """The hourly retention run, now and to the end: every workspace by its own window."""
    from bot.desk.admin.admin_settings import SettingsOverlay
    from bot.desk.data_protection import retention
    from bot.progress import progress

    env, settings = _env_and_settings()
    db = _open_database(env)
    try:
        # As the desk reads them: the file's settings, and what admins changed from Slack.
        overlay = SettingsOverlay(db)
        with progress("Purging transcripts past retention", unit="interaction") as shown:
            run = retention.run_to_the_end(
                db, lambda team_id: overlay.apply(team_id, settings.for_team(team_id)),
                on_progress=shown.update)
    finally:
        db.dispose()
    purged = run.purged
    print(f"{purged.interactions} interaction(s) purged: {purged.messages} message text(s) "
          f"emptied, {purged.media} MMS file(s) and {purged.events} note(s) removed; "
          f"{run.jobs} finished job(s) deleted.")


def report(args: argparse.Namespace) -> None:
    """One CSV row per interaction opened in the period, with every measure (the README's
    "Reports"), for a spreadsheet or a BI tool."""
    import csv

    from bot.desk.reports.build import (
        CSV_COLUMNS,
        csv_values,
        interaction_rows,
        interactions_in,
    )
    from bot.desk.reports.periods import between
    from bot.progress import progress

    if args.to_date < args.from_date:
        print(f"smsdesk: --to {args.to_date} is before --from {args.from_date}: give the "
              "first day, then the last", file=sys.stderr)
        raise SystemExit(2)
    settings, team_id, db = _workspace_database(args)
    try:
        settings = settings.for_team(team_id)
        period = between(args.from_date, args.to_date, settings.report_time_zone)
        if args.queue and args.queue not in {q.name for q in settings.all_queues()}:
            print(f"smsdesk: note: no queue is called {args.queue!r} in the settings now; "
                  "rows are those of interactions that were in it", file=sys.stderr)
        written = 0
        total = interactions_in(db, team_id, period, args.queue)
        with open(args.csv, "w", encoding="utf-8", newline="") as out, \
                progress("Writing the report", total=total, unit="interaction") as shown:
            writer = csv.writer(out)
            writer.writerow(CSV_COLUMNS)
            # Rows stream a page at a time (a year's export never sits in memory).
            for row in interaction_rows(db, settings, team_id, period, args.queue):
                writer.writerow(csv_values(row))
                written += 1
                shown.advance(1)
    finally:
        db.dispose()
    print(f"Wrote {written} interactions to {args.csv} ({period.label}, "
          f"{settings.report_time_zone}{f', queue {args.queue}' if args.queue else ''})")


def _day(value: str):
    """--from / --to: a day as YYYY-MM-DD."""
    from datetime import date

    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a day: write it as YYYY-MM-DD, e.g. 2026-11-30") from None


def _team_id(value: str) -> str:
    """--team: a workspace's id. Anything else would file the data under a workspace that
    does not exist, where no desk ever finds it."""
    from bot.config.workspaces import TEAM_ID

    if not TEAM_ID.match(value):
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a Slack team id: give the workspace's id, e.g. T0123ABCD (E… for "
            "an Enterprise Grid org), as Slack in a browser shows it: "
            "app.slack.com/client/T0123ABCD/…; or leave --team out to use the workspace of "
            "SLACK_BOT_TOKEN")
    return value


def _team_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--team", type=_team_id,
                        help="Slack team id, T… (default: the workspace of SLACK_BOT_TOKEN)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="smsdesk", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="show the log's INFO lines too (libraries' included: Alembic's "
                             "migrations, Slack's retries); serve and socket always do")
    commands = parser.add_subparsers(dest="command", required=True)

    host_help = ("address to listen on (default: 0.0.0.0, every interface; 127.0.0.1 with "
                 "SMS_PROVIDER=simulator)")
    p = commands.add_parser("serve", help="run over HTTP (Slack events at /slack/events)")
    p.add_argument("--host", help=host_help)
    p.set_defaults(run=serve)
    p = commands.add_parser("socket", help="run with Slack Socket Mode (SMS webhooks on HTTP)")
    p.add_argument("--host", help=host_help)
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
    p.add_argument("--url", help="public https URL of this app, https://host[/path] "
                                 "(required for http and oauth; socket has none)")
    p.set_defaults(run=manifest)
    p = commands.add_parser("doctor", help="check configuration, database, Slack and SMS; "
                                           "print how to fix what fails")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--socket", dest="socket_mode", action="store_const", const=True,
                      help="check for Socket Mode (default: Socket Mode when SLACK_APP_TOKEN "
                           "is set and SLACK_SIGNING_SECRET is not)")
    mode.add_argument("--http", dest="socket_mode", action="store_const", const=False,
                      help="check for HTTP mode (smsdesk serve)")
    p.set_defaults(run=doctor, socket_mode=None)

    p = commands.add_parser("responses", help="the Standard Response Library")
    response_commands = p.add_subparsers(dest="responses_command", required=True)
    p = response_commands.add_parser(
        "import", help="add or update responses from a YAML (list of name, category, text) "
                       "or CSV (header name,category,text) file")
    p.add_argument("file")
    _team_option(p)
    p.set_defaults(run=responses_import)

    p = commands.add_parser("contacts", help="the contact directory")
    contact_commands = p.add_subparsers(dest="contacts_command", required=True)
    p = contact_commands.add_parser(
        "import", help="add or update contacts from a CSV file (header name,phone,email); "
                       "numbers in the desk's default country unless written with +")
    p.add_argument("file")
    _team_option(p)
    p.set_defaults(run=contacts_import)
    p = contact_commands.add_parser(
        "export", help="one contact's data (record, interactions, transcripts, notes, "
                       "timeline, media list) as JSON")
    p.add_argument("contact", help="a phone number in any format, or a contact id (#12)")
    p.add_argument("-o", "--output", help="write to this file (default: stdout)")
    _team_option(p)
    p.set_defaults(run=contacts_export)
    p = contact_commands.add_parser(
        "erase", help="erase one contact (settings privacy.erasure: delete or anonymise); "
                      "opt-outs are kept as a hash of the number")
    p.add_argument("contact", help="a phone number in any format, or a contact id (#12)")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    _team_option(p)
    p.set_defaults(run=contacts_erase)

    p = commands.add_parser("report", help="one CSV row per interaction opened between two "
                                           "days, with every measure (see the README, Reports)")
    p.add_argument("--from", dest="from_date", type=_day, required=True, metavar="YYYY-MM-DD",
                   help="first day, in the workspace's time zone ([reports] time_zone)")
    p.add_argument("--to", dest="to_date", type=_day, required=True, metavar="YYYY-MM-DD",
                   help="last day, included")
    p.add_argument("--queue", help="only the interactions of this queue")
    p.add_argument("--csv", required=True, metavar="FILE", help="the CSV file to write")
    _team_option(p)
    p.set_defaults(run=report)

    p = commands.add_parser("tokens", help="the installed workspaces' stored Slack tokens")
    token_commands = p.add_subparsers(dest="tokens_command", required=True)
    token_commands.add_parser(
        "rotate", help="re-encrypt every stored token with the first key of "
                       "SMSDESK_ENCRYPTION_KEY (after adding a new key in front)"
    ).set_defaults(run=tokens_rotate)

    p = commands.add_parser("retention", help="transcripts kept past [privacy] "
                                              "retention_days")
    retention_commands = p.add_subparsers(dest="retention_command", required=True)
    retention_commands.add_parser(
        "run", help="purge now, to the end, what the hourly run purges: transcripts and "
                    "media of interactions closed before each workspace's retention_days, "
                    "and finished jobs past finished_jobs_days"
    ).set_defaults(run=retention_run)

    return parser


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    serving = args.command in ("serve", "socket")
    logs.configure(os.environ, serving=serving,
                   level=logs.chosen_level(os.environ, serving=serving, verbose=args.verbose))
    args.run(args)


if __name__ == "__main__":
    main()
