"""Configuration: secrets and endpoints from the environment, desk settings from one TOML file."""

from __future__ import annotations

import difflib
import json
import logging
import os
import re
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from bot.desk.case_links import CaseLink
from bot.desk.queues import THREAD_HOMES, AgentOverride, Queue, QueueRules
from bot.desk.redaction import unsafe_pattern
from bot.slack.limits import MAX_OPTION_TEXT, MAX_SELECT_OPTIONS
from bot.workspaces import Workspace, workspace_settings
from storage.db import DEFAULT_URL

log = logging.getLogger(__name__)

DEFAULT_SLACK_API_URL = "https://slack.com/api/"
DEFAULT_TWILIO_API_URL = "https://api.twilio.com"
DEFAULT_SETTINGS_FILE = "smsdesk.toml"
DEFAULT_DISPOSITION_CODES = ("Resolved", "Follow-up needed", "No action")
# What a customer who texts HELP (or INFO) is texted back. Carriers expect the business's
# name, how to reach it and how to opt out: set desk.help_reply to name yours.
DEFAULT_HELP_REPLY = ("This is our customer support line: text your question and an agent "
                      "will answer. Msg & data rates may apply. Reply STOP to opt out.")
HELP_REPLY_LIMIT = 320  # characters: two SMS at most, even with accents or emoji (UCS-2: 5)
# Every key each section of the settings file may hold. Any other key is a typo that would
# silently leave a default in place: `smsdesk config check` reports it, `serve` logs it.
SETTINGS_KEYS: dict[str, frozenset[str]] = {
    "desk": frozenset({"channel", "offer_timeout_seconds", "agent_capacity", "default_country",
                       "business_numbers", "help_reply"}),
    "session": frozenset({"numbers", "keywords", "expiry_minutes"}),
    "roles": frozenset({"agents", "agent_groups", "supervisors", "admins", "supervisor_groups",
                        "admin_groups"}),
    "media": frozenset({"save_roles"}),
    "dispositions": frozenset({"mandatory", "codes", "groups"}),  # groups: Label = [codes]
    "case": frozenset({"editable", "links"}),  # links: "Field" = { text, url }
    "spelling": frozenset({"enabled", "confirm_on_send", "language", "corporate_words",
                           "preload"}),
    "contacts": frozenset({"recent_days", "view_roles", "edit_roles", "assign_roles",
                           "new_sms_roles"}),
    "privacy": frozenset({"uninstall_grace_days", "export_roles", "erasure",
                          "retention_days", "redact_cards", "redact_patterns",
                          "redact_in_storage", "finished_jobs_days"}),
    # Each [[queues]] table and each [agents.U…] table: the fields of what they become.
    "queues": frozenset(f.name for f in fields(Queue)),
    "agents": frozenset(f.name for f in fields(AgentOverride)) - {"user_id"},
}
# Every true/false setting of a section, and the Settings field it sets. The flags of a
# [[queues]] or [agents.U…] table are its dataclass's bool fields (queue_flags below).
FLAG_SETTINGS: dict[tuple[str, str], str] = {
    ("dispositions", "mandatory"): "disposition_mandatory",
    ("spelling", "enabled"): "spelling_enabled",
    ("spelling", "confirm_on_send"): "spelling_confirm_on_send",
    ("spelling", "preload"): "spelling_preload",
    ("privacy", "redact_cards"): "redact_cards",
    ("privacy", "redact_in_storage"): "redact_in_storage",
}


class ConfigError(Exception):
    """Raised with a message an admin can act on: what is missing and where to get it.

    `where` is the key path the message is about, e.g. ("queues", 0, "members", 2) (list
    indexes count from 0): `smsdesk config check` turns it into the file's line number."""

    def __init__(self, message: str, where: tuple[str | int, ...] | None = None) -> None:
        super().__init__(message)
        self.where = where


@dataclass(frozen=True)
class Settings(QueueRules):
    """Desk settings (the TOML file). Defaults give a working page-mode desk. The routing
    rules over its queues, numbers and overrides are the domain's (bot/desk/queues.py)."""

    desk_channel: str | None = None
    offer_timeout_seconds: int = 60
    agent_capacity: int = 3
    default_country: str = "US"
    business_numbers: tuple[str, ...] = ()
    # Texted back, by the desk itself, to a customer whose whole message is HELP or INFO.
    help_reply: str = DEFAULT_HELP_REPLY
    session_numbers: tuple[str, ...] = ()
    session_keywords: tuple[str, ...] = ()
    session_expiry_minutes: int = 30
    # Who is an agent: everyone in the workspace but guests while both are empty; once either
    # names someone, only those people and the members of those user groups.
    agent_users: tuple[str, ...] = ()
    agent_groups: tuple[str, ...] = ()
    supervisors: tuple[str, ...] = ()
    admins: tuple[str, ...] = ()
    # Who may download MMS files: agent (everyone), owner, supervisor, admin.
    media_save_roles: tuple[str, ...] = ("supervisor", "admin")
    # Case information: fields agents may edit (and add), and admin-supplied links per field.
    case_editable: tuple[str, ...] = ()
    case_links: tuple[CaseLink, ...] = ()
    # Disposition codes: a flat list, or (group label, codes) pairs; never both.
    disposition_codes: tuple[str, ...] = DEFAULT_DISPOSITION_CODES
    disposition_groups: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # True: Done (and the automatic Done after a page-mode reply) waits for a code.
    disposition_mandatory: bool = False
    # Queues (bot/desk/queues.py); none configured means one queue, "SMS", for everyone.
    queues: tuple[Queue, ...] = ()
    agent_overrides: tuple[AgentOverride, ...] = ()
    supervisor_groups: tuple[str, ...] = ()  # Slack user group ids
    admin_groups: tuple[str, ...] = ()
    # Spelling check before send ([spelling]); agents can turn it off and pick a language.
    spelling_enabled: bool = True
    spelling_confirm_on_send: bool = True
    spelling_language: str = "en"
    corporate_words: tuple[str, ...] = ()
    spelling_preload: bool = False
    # Contacts ([contacts]): the window of "Last N days" on previews and cards, and who may
    # search the directory, edit a contact, assign an unknown number to a contact (owner:
    # the agent holding that interaction) and send a New SMS.
    contacts_recent_days: int = 30
    contacts_view_roles: tuple[str, ...] = ("agent",)
    contacts_edit_roles: tuple[str, ...] = ("agent",)
    contacts_assign_roles: tuple[str, ...] = ("owner", "supervisor", "admin")
    new_sms_roles: tuple[str, ...] = ("agent",)
    # Data protection ([privacy]). After an uninstall the tokens go at once and the desk's
    # data after this many days (0: at once), so a reinstall within it finds its history.
    uninstall_grace_days: int = 30
    # Who may export a contact's data (admin always may).
    export_roles: tuple[str, ...] = ("admin",)
    # Erasing a contact: "delete" its rows, or "anonymise" them (counts kept, text gone).
    erasure: str = "delete"
    # Closed interactions' transcripts and media are purged this many days after closing
    # (0: kept until erased).
    retention_days: int = 365
    # Finished outbox jobs (their payloads can hold a number or a line of text) are deleted
    # this many days after they finished (0: kept).
    finished_jobs_days: int = 7
    # Card numbers (Luhn-valid 13-19 digit runs) and these regexes in customer text are
    # masked in Slack; also in the database when redact_in_storage is true.
    redact_cards: bool = True
    redact_patterns: tuple[str, ...] = ()
    redact_in_storage: bool = False
    # [workspaces.T…] tables (several workspaces on one desk): each workspace's own
    # settings, the top-level ones with that table's keys laid over them.
    workspaces: tuple[Workspace, ...] = ()

    def for_team(self, team_id: str | None) -> Settings:
        """The settings a workspace works with: its own table's, else the top-level ones."""
        for workspace in self.workspaces:
            if workspace.team_id == team_id:
                return workspace.settings
        return self

    def names_workspace(self, team_id: str | None) -> bool:
        """Whether a [workspaces.T…] table serves this team (the OAuth desk's only workspaces)."""
        return any(workspace.team_id == team_id for workspace in self.workspaces)

    def team_for_number(self, business_number: str) -> str | None:
        """The workspace a business number belongs to (None: no workspace claims it)."""
        for workspace in self.workspaces:
            if business_number in workspace.settings.sending_numbers():
                return workspace.team_id
        return None

    @classmethod
    def load(cls, path: str | os.PathLike | None, env: dict[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        data: dict = {}
        if path is not None and Path(path).exists():
            try:
                data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
            except tomllib.TOMLDecodeError as error:
                raise ConfigError(f"{path}: {error}") from error
        elif path is not None and Path(path).name != DEFAULT_SETTINGS_FILE:
            raise ConfigError(f"settings file {path} does not exist")
        for _where, problem in unknown_settings(data):
            log.warning("%s: %s (ignored; `smsdesk config check` shows the line)", path, problem)
        base = cls.from_data(path, {k: v for k, v in data.items() if k != "workspaces"}, env)
        return replace(base, workspaces=workspace_settings(
            # SMSDESK_DESK_CHANNEL is the single-workspace desk's: a workspace names its own.
            path, data, lambda merged: cls.from_data(path, merged, {})))

    @classmethod
    def from_data(cls, path, data: dict, env) -> Settings:
        desk, session, roles, media = (_section(path, data, name)
                                       for name in ("desk", "session", "roles", "media"))
        save_roles = tuple(media.get("save_roles", cls.media_save_roles))
        unknown = set(save_roles) - {"agent", "owner", "supervisor", "admin"}
        if unknown:
            raise ConfigError(f"{path}: media.save_roles has unknown roles {sorted(unknown)}: "
                              "use agent, owner, supervisor or admin", ("media", "save_roles"))
        expiry = _whole_number(path, ("session", "expiry_minutes"), "minutes", 1,
                               session.get("expiry_minutes", cls.session_expiry_minutes),
                               cls.session_expiry_minutes)
        timeout = _whole_number(path, ("desk", "offer_timeout_seconds"), "seconds", 5,
                                desk.get("offer_timeout_seconds", cls.offer_timeout_seconds),
                                cls.offer_timeout_seconds)
        capacity = _whole_number(path, ("desk", "agent_capacity"), "interactions", 1,
                                 desk.get("agent_capacity", cls.agent_capacity),
                                 cls.agent_capacity)
        country = _country(path, desk.get("default_country", cls.default_country))
        channel = _channel_id(path, ("desk", "channel"), desk.get("channel"))
        if env.get("SMSDESK_DESK_CHANNEL"):
            channel = _channel_id(None, None, env["SMSDESK_DESK_CHANNEL"],
                                  "SMSDESK_DESK_CHANNEL")
        return cls(
            desk_channel=channel,
            offer_timeout_seconds=timeout,
            agent_capacity=capacity,
            default_country=country,
            business_numbers=_numbers(path, ("desk", "business_numbers"),
                                      desk.get("business_numbers"), country),
            help_reply=_help_reply(path, desk.get("help_reply", cls.help_reply)),
            session_numbers=_numbers(path, ("session", "numbers"), session.get("numbers"),
                                     country),
            session_keywords=_keywords(path, session.get("keywords")),
            session_expiry_minutes=expiry,
            agent_users=_slack_ids(path, ("roles", "agents"), roles.get("agents")),
            supervisors=_slack_ids(path, ("roles", "supervisors"), roles.get("supervisors")),
            admins=_slack_ids(path, ("roles", "admins"), roles.get("admins")),
            media_save_roles=save_roles,
            **{
                # The flags first: a section's own reading of them then never sees text.
                **_flag_settings(path, data),
                **_queue_settings(path, data, country),
                **_spelling_settings(path, data.get("spelling", {})),
                **_case_settings(path, data.get("case", {})),
                **_disposition_settings(path, data.get("dispositions", {})),
                **_contact_settings(path, data.get("contacts", {})),
                **_privacy_settings(path, data.get("privacy", {})),
            },
        )


ROLE_NAMES = ("agent", "owner", "supervisor", "admin")
SLACK_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
SLACK_GROUP_ID = re.compile(r"^S[A-Z0-9]{2,}$")
# A public (C…) or private (G…, older ones) channel; a direct message (D…) is nobody's desk.
SLACK_CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]+$")
CHANNEL_ID_HINT = ("give the channel's id, e.g. C0123456789, from the channel's About tab, "
                   "not its name")


def shown(value: object) -> str:
    """A value as it would be written in the TOML file, for "got ..." in a message."""
    return json.dumps(value, ensure_ascii=False, default=str)


def unknown_settings(data: dict, prefix: tuple = ()) -> list[tuple[tuple, str]]:
    """(key path, what is wrong) for each section or key SETTINGS_KEYS does not know, with
    the nearest known name: a typo'd key is the classic mistake, and is otherwise silent."""
    sections = set(SETTINGS_KEYS) | (set() if prefix else {"workspaces"})
    found: list[tuple[tuple, str]] = []
    for name, value in data.items():
        here = (*prefix, name)
        if name == "workspaces" and not prefix and isinstance(value, dict):
            for team, table in value.items():
                if isinstance(table, dict):  # else Settings.load names the mistake
                    found += unknown_settings(table, (*here, team))
        elif name not in sections:
            homes = [s for s, keys in SETTINGS_KEYS.items() if name in keys]
            label = _dotted(here) if isinstance(value, dict | list) else ".".join(here)
            found.append((here, f"{label} is not a setting; " + (
                f"it belongs in [{homes[0]}]: move it below that line" if homes
                else _nearest(name, sections, "a section", "[{}]"))))
        else:
            tables = (enumerate(value) if name == "queues" and isinstance(value, list) else
                      value.items() if name == "agents" and isinstance(value, dict) else
                      [(None, value)])
            for key, table in tables:
                table_path = here if key is None else (*here, key)
                for setting in table if isinstance(table, dict) else ():
                    homes = [s for s, keys in SETTINGS_KEYS.items() if setting in keys]
                    if setting not in SETTINGS_KEYS[name]:
                        found.append(((*table_path, setting), f"{setting} is not a setting of "
                                      f"{_dotted(table_path)}; " + (
                                          f"it belongs in [{homes[0]}]" if homes else _nearest(
                                              setting, SETTINGS_KEYS[name], "a key", "{}"))))
    return found


def _dotted(where: tuple) -> str:
    """[desk], [queues #2] (the second [[queues]] table), [workspaces.T1.desk]."""
    text = ""
    for part in where:
        text += f" #{part + 1}" if isinstance(part, int) else ("." if text else "") + part
    return f"[{text}]"


def _nearest(name: str, known, what: str, form: str) -> str:
    close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
    if close:
        return f"did you mean {form.format(close[0])}?"
    return f"{what} here is one of {', '.join(form.format(k) for k in sorted(known))}"


def _section(path, data: dict, name: str) -> dict:
    table = data.get(name, {})
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: {name} must be a table: write [{name}] on a line of its "
                          "own, then its keys below it", (name,))
    return table


def flag(path, where: tuple, value: object, name: str = "") -> bool:
    """A true/false setting, written true or false. bool("false") is True, so reading a
    quoted "false" as truthy text would switch the setting on: text, 0 and 1 are refused."""
    if not isinstance(value, bool):
        raise ConfigError(f"{path}: {name or '.'.join(map(str, where))} must be true or false "
                          f"(no quotes), got {shown(value)}", where)
    return value


def _flag_settings(path, data: dict) -> dict:
    """Every FLAG_SETTINGS key, checked by the one rule; a section that is no table is its
    own parser's to report."""
    found = {}
    for (section, key), field_name in FLAG_SETTINGS.items():
        table = data.get(section, {})
        if isinstance(table, dict):
            found[field_name] = flag(path, (section, key),
                                     table.get(key, getattr(Settings, field_name)))
    return found


def queue_flags(cls: type) -> tuple[str, ...]:
    """The true/false keys of a [[queues]] (Queue) or [agents.U…] (AgentOverride) table."""
    return tuple(f.name for f in fields(cls) if f.type in ("bool", "bool | None"))


def _whole_number(path, where: tuple[str, str], unit: str, minimum: int, value: object,
                  example: int) -> int:
    name = ".".join(where)
    # A bool is an int to Python, but `true` is no number of seconds.
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{path}: {name} must be a whole number of {unit}, got "
                          f"{shown(value)}: write e.g. {where[1]} = {example} (no quotes)", where)
    if value < minimum:
        raise ConfigError(f"{path}: {name} must be at least {minimum}", where)
    return value


def _country(path, value: object) -> str:
    import phonenumbers

    country = value.strip().upper() if isinstance(value, str) else ""
    if country not in phonenumbers.SUPPORTED_REGIONS:
        raise ConfigError(f"{path}: desk.default_country must be a two-letter country code "
                          f'such as "US" or "GB", got {shown(value)}',
                          ("desk", "default_country"))
    return country


def _text_list(path, where: tuple, value: object, example: str) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ConfigError(f"{path}: {'.'.join(map(str, where))} must be a list, e.g. "
                          f"[{example}], got {shown(value)}", where)
    for index, item in enumerate(value):
        if not isinstance(item, str) or not item.strip():
            raise ConfigError(f"{path}: {'.'.join(map(str, where))} may hold only text in "
                              f"quotes, e.g. [{example}], got {shown(item)}", (*where, index))
    return value


def _numbers(path, where: tuple, value: object, country: str, name: str = "") -> tuple[str, ...]:
    """Business numbers exactly as texts arrive addressed: E.164 ("+15005550006"), since a
    number written any other way would never match and its texts would route elsewhere."""
    from bot.sms.phone import InvalidNumber, to_e164

    label = name or ".".join(map(str, where))
    for index, number in enumerate(_text_list(path, where, value, '"+15005550006"')):
        try:
            e164 = to_e164(number, country)
        except InvalidNumber:
            raise ConfigError(f"{path}: {label}: {shown(number)} is not a phone number: write "
                              'it in E.164, + country code and number, e.g. "+14155550100"',
                              (*where, index)) from None
        if e164 != number:
            raise ConfigError(f"{path}: {label}: write {shown(number)} in E.164 as "
                              f'"{e164}" (texts arrive addressed to that form)', (*where, index))
    return tuple(value or ())


def _help_reply(path, value: object) -> str:
    where = ("desk", "help_reply")
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{path}: desk.help_reply must be text in quotes, e.g. "
                          '"Acme Co support: text us your question. Reply STOP to opt out.", '
                          f"got {shown(value)}", where)
    if len(value.strip()) > HELP_REPLY_LIMIT:
        raise ConfigError(f"{path}: desk.help_reply has {len(value.strip())} characters; "
                          f"keep it to {HELP_REPLY_LIMIT} (two SMS)", where)
    return value.strip()


def _keywords(path, value: object) -> tuple[str, ...]:
    where = ("session", "keywords")
    for index, keyword in enumerate(_text_list(path, where, value, '"CHAT"')):
        if len(keyword.split()) != 1:
            raise ConfigError(f"{path}: session.keywords: {shown(keyword)} is not one word; a "
                              "keyword is matched against a text's first word only",
                              (*where, index))
    return tuple(str(k).upper() for k in value or ())


def _slack_ids(path, where: tuple, value: object, *, groups: bool = False,
               name: str = "") -> tuple[str, ...]:
    """Slack ids, not names: "@jane" or "support-team" would silently match nobody."""
    pattern, kind, example, source = (
        (SLACK_GROUP_ID, "user group id", "S0123ABCD", "the end of the user group's URL")
        if groups else
        (SLACK_USER_ID, "user id", "U0123ABCD", "their profile: ⋯ > Copy member ID"))
    label = name or ".".join(map(str, where))
    for index, item in enumerate(_text_list(path, where, value, f'"{example}"')):
        if not pattern.match(item):
            raise ConfigError(f"{path}: {label}: {shown(item)} is not a Slack {kind}; give "
                              f'ids like "{example}" (from {source})', (*where, index))
    return tuple(value or ())


def _channel_id(path, where: tuple | None, value: object, name: str = "") -> str | None:
    """A channel id, not its name: a name ("#sms-desk", "general") would fail every post
    only once the desk is running, with channel_not_found."""
    if value is None or isinstance(value, str) and SLACK_CHANNEL_ID.match(value):
        return value
    direct = isinstance(value, str) and re.match(r"^D[A-Z0-9]+$", value)
    label = name or ".".join(map(str, where or ()))
    raise ConfigError(f"{f'{path}: ' if path else ''}{label}: {shown(value)} is "
                      f"{'a direct message, not a channel' if direct else 'not a Slack channel id'}"
                      f": {CHANNEL_ID_HINT}", where)


def _roles(path, section: str, key: str, value, default: tuple[str, ...]) -> tuple[str, ...]:
    roles = default if value is None else value
    if isinstance(roles, str) or not isinstance(roles, list | tuple) \
            or set(roles) - set(ROLE_NAMES):
        raise ConfigError(f"{path}: {section}.{key} must be a list of roles from "
                          f"{', '.join(ROLE_NAMES)} (got {value!r})", (section, key))
    return tuple(roles)


def _contact_settings(path, contacts: dict) -> dict:
    role_keys = {"view_roles": "contacts_view_roles", "edit_roles": "contacts_edit_roles",
                 "assign_roles": "contacts_assign_roles", "new_sms_roles": "new_sms_roles"}
    unknown = set(contacts) - SETTINGS_KEYS["contacts"]
    if unknown:
        raise ConfigError(f"{path}: [contacts] has unknown keys {sorted(unknown)}",
                          ("contacts", min(unknown)))
    days = contacts.get("recent_days", Settings.contacts_recent_days)
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 3650:
        raise ConfigError(f"{path}: contacts.recent_days must be a whole number of days "
                          f"from 1 to 3650, got {shown(days)}", ("contacts", "recent_days"))
    return {"contacts_recent_days": days, **{
        field: _roles(path, "contacts", key, contacts.get(key), getattr(Settings, field))
        for key, field in role_keys.items()}}


ERASURE_MODES = ("delete", "anonymise")


def _privacy_settings(path, privacy: dict) -> dict:
    if not isinstance(privacy, dict):
        raise ConfigError(f"{path}: [privacy] must be a table", ("privacy",))
    grace = privacy.get("uninstall_grace_days", Settings.uninstall_grace_days)
    retention = privacy.get("retention_days", Settings.retention_days)
    jobs_days = privacy.get("finished_jobs_days", Settings.finished_jobs_days)
    for key, days in (("uninstall_grace_days", grace), ("retention_days", retention),
                      ("finished_jobs_days", jobs_days)):
        if isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= 3650:
            raise ConfigError(f"{path}: privacy.{key} must be a whole number of days from 0 "
                              f"to 3650, got {shown(days)}", ("privacy", key))
    erasure = privacy.get("erasure", Settings.erasure)
    if erasure not in ERASURE_MODES:
        raise ConfigError(f'{path}: privacy.erasure must be "delete" or "anonymise", got '
                          f"{shown(erasure)}", ("privacy", "erasure"))
    flags = {}
    for key in ("redact_cards", "redact_in_storage"):
        flag = privacy.get(key, getattr(Settings, key))
        if not isinstance(flag, bool):
            raise ConfigError(f"{path}: privacy.{key} must be true or false, got "
                              f"{shown(flag)}", ("privacy", key))
        flags[key] = flag
    patterns = _text_list(path, ("privacy", "redact_patterns"),
                          privacy.get("redact_patterns", []), '"ACCT-[0-9]{8}"')
    for index, pattern in enumerate(patterns):
        try:
            re.compile(pattern)
        except re.error as error:
            raise ConfigError(f"{path}: privacy.redact_patterns[{index}] is not a regular "
                              f"expression: {error}",
                              ("privacy", "redact_patterns", index)) from None
        if unsafe_pattern(pattern):
            raise ConfigError(f"{path}: privacy.redact_patterns[{index}] \"{pattern}\" puts a "
                              "repeat inside a repeat (like (a+)+), which can take seconds "
                              "of CPU on one SMS: write it without the inner repeat",
                              ("privacy", "redact_patterns", index))
    return {"uninstall_grace_days": grace, "retention_days": retention, "erasure": erasure,
            "finished_jobs_days": jobs_days,
            "export_roles": _roles(path, "privacy", "export_roles",
                                   privacy.get("export_roles"), Settings.export_roles),
            "redact_patterns": tuple(patterns), **flags}


def _spelling_settings(path, spelling: dict) -> dict:
    unknown = set(spelling) - SETTINGS_KEYS["spelling"]
    if unknown:
        raise ConfigError(f"{path}: [spelling] has unknown keys {sorted(unknown)}",
                          ("spelling", min(unknown)))
    words = spelling.get("corporate_words", [])
    if not isinstance(words, list) or not all(isinstance(w, str) and w.strip() for w in words):
        raise ConfigError(f"{path}: spelling.corporate_words must be a list of words",
                          ("spelling", "corporate_words"))
    language = str(spelling.get("language", "en"))
    from spellchecker import SpellChecker  # the languages it ships are the ones we offer

    if language not in SpellChecker.languages():
        raise ConfigError(f"{path}: spelling.language {language!r} is not a dictionary "
                          f"pyspellchecker ships: {', '.join(sorted(SpellChecker.languages()))}",
                          ("spelling", "language"))
    return {
        # enabled, confirm_on_send and preload are flags: _flag_settings reads them.
        "spelling_language": language,
        "corporate_words": tuple(w.strip() for w in words),
    }


def _queue_settings(path, data: dict, country: str = "US") -> dict:
    roles = _section(path, data, "roles")
    raw = data.get("queues")
    for index, table in enumerate(raw if isinstance(raw, list) else []):
        if isinstance(table, dict):  # _queues names the table that is no table
            name = f"queue #{index + 1} ({table.get('name')})"
            _numbers(path, ("queues", index, "numbers"), table.get("numbers"), country,
                     f"{name}: numbers")
            _slack_ids(path, ("queues", index, "members"), table.get("members"),
                       name=f"{name}: members")
            _slack_ids(path, ("queues", index, "member_groups"), table.get("member_groups"),
                       groups=True, name=f"{name}: member_groups")
            for key in queue_flags(Queue):
                if key in table:
                    flag(path, ("queues", index, key), table[key], f"{name}: {key}")
            _channel_id(path, ("queues", index, "supervisor_channel"),
                        table.get("supervisor_channel"), f"{name}: supervisor_channel")
    agents = data.get("agents")
    for user_id, table in agents.items() if isinstance(agents, dict) else ():
        if not SLACK_USER_ID.match(user_id):
            raise ConfigError(f"{path}: [agents.{user_id}]: {shown(user_id)} is not a Slack user "
                              "id; name the table by the agent's id, e.g. [agents.U0123ABCD] "
                              "(from their profile: ⋯ > Copy member ID)", ("agents", user_id))
        for key in queue_flags(AgentOverride):
            if isinstance(table, dict) and key in table:
                flag(path, ("agents", user_id, key), table[key])
    return {
        "queues": _queues(path, raw),
        "agent_overrides": _agent_overrides(path, data.get("agents")),
        "agent_groups": _slack_ids(path, ("roles", "agent_groups"),
                                   roles.get("agent_groups"), groups=True),
        "supervisor_groups": _slack_ids(path, ("roles", "supervisor_groups"),
                                        roles.get("supervisor_groups"), groups=True),
        "admin_groups": _slack_ids(path, ("roles", "admin_groups"),
                                   roles.get("admin_groups"), groups=True),
    }


def _queues(path, raw: object) -> tuple[Queue, ...]:
    """[[queues]] tables, after _queue_settings checked their ids, numbers and flags."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise ConfigError(f"{path}: [[queues]] must be a list of tables", ("queues",))
    queues: list[Queue] = []
    names: set[str] = set()
    owner_of: dict[str, str] = {}
    for index, table in enumerate(raw):
        here = f"{path}: queue #{index + 1}"
        if not isinstance(table, dict) or not str(table.get("name", "")).strip():
            raise ConfigError(f"{here} needs a name", ("queues", index, *(
                ["name"] if isinstance(table, dict) and "name" in table else [])))
        name = str(table["name"]).strip()
        if name in names:
            raise ConfigError(f"{here}: the name {name!r} is used twice",
                              ("queues", index, "name"))
        names.add(name)
        unknown = set(table) - SETTINGS_KEYS["queues"]
        if unknown:
            raise ConfigError(f"{here} ({name}): unknown keys {sorted(unknown)}",
                              ("queues", index, min(unknown)))
        for position, number in enumerate(table.get("numbers", [])):
            if number in owner_of:
                raise ConfigError(f"{here} ({name}): {number} already belongs to queue "
                                  f"{owner_of[number]!r}", ("queues", index, "numbers", position))
            owner_of[number] = name
        capacity = table.get("capacity")
        if capacity is not None and (not isinstance(capacity, int) or capacity < 1):
            raise ConfigError(f"{here} ({name}): capacity must be a whole number >= 1",
                              ("queues", index, "capacity"))
        preview = table.get("auto_answer_preview_seconds", 0)
        if not isinstance(preview, int) or not 0 <= preview <= 300:
            raise ConfigError(f"{here} ({name}): auto_answer_preview_seconds must be 0 to 300",
                              ("queues", index, "auto_answer_preview_seconds"))
        threads = table.get("threads", "channel")
        if threads not in THREAD_HOMES:
            raise ConfigError(f"{here} ({name}): threads must be \"channel\" (the desk "
                              "channel) or \"dm\" (each agent's DM with the app)",
                              ("queues", index, "threads"))
        queues.append(Queue(
            name=name,
            numbers=tuple(table.get("numbers", ())),
            members=tuple(table.get("members", ())),
            member_groups=tuple(table.get("member_groups", ())),
            supervisor_channel=table.get("supervisor_channel"),
            capacity=capacity,
            auto_answer=table.get("auto_answer", False),  # flags: checked by _queue_settings
            auto_answer_preview_seconds=preview,
            auto_answer_allow_reject=table.get("auto_answer_allow_reject", True),
            threads=threads,
        ))
    return tuple(queues)


def _agent_overrides(path, raw: object) -> tuple[AgentOverride, ...]:
    """[agents.U…] tables, after _queue_settings checked their ids and flags."""
    if raw is None:
        return ()
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: [agents] must be a table of user ids", ("agents",))
    overrides = []
    for user_id, table in raw.items():
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: [agents.{user_id}] must be a table", ("agents", user_id))
        capacity = table.get("capacity")
        if capacity is not None and (not isinstance(capacity, int) or capacity < 1):
            raise ConfigError(f"{path}: agents.{user_id}.capacity must be >= 1",
                              ("agents", user_id, "capacity"))
        overrides.append(AgentOverride(user_id, capacity, table.get("auto_answer")))
    return tuple(overrides)


CASE_FIELD_LIMIT = 80  # characters of a case field's name in [case] settings


def _check_link_template(where: str, url: str, key: tuple[str, ...]) -> None:
    from urllib.parse import urlsplit

    if any(ch.isspace() or ch in '<>|"' for ch in url):
        raise ConfigError(f"{where}: the url may not contain spaces or any of < > | \"", key)
    if url.replace("{value}", "").count("{") or url.replace("{value}", "").count("}"):
        raise ConfigError(f"{where}: the only placeholder a url may use is {{value}}", key)
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"{where}: the url must start with https:// (or http://) and a host",
                          key)
    if "{value}" in parts.netloc:
        raise ConfigError(f"{where}: {{value}} may not be part of the host name", key)


def _case_settings(path, case: dict) -> dict:
    """[case] editable = [...] and [case.links] "Field" = { text = "...", url = "..." }."""
    editable = case.get("editable", [])
    if not isinstance(editable, list) or not all(isinstance(f, str) and f.strip()
                                                 for f in editable):
        raise ConfigError(f"{path}: case.editable must be a list of field names",
                          ("case", "editable"))
    editable = tuple(dict.fromkeys(f.strip() for f in editable))
    links = case.get("links", {})
    if not isinstance(links, dict):
        raise ConfigError(f"{path}: case.links must be a table of field = {{ text, url }}",
                          ("case", "links"))
    found: list[CaseLink] = []
    for name, link in links.items():
        where = f"{path}: case.links.{name!r}"
        if not isinstance(link, dict) or not isinstance(link.get("url"), str):
            raise ConfigError(f"{where}: give {{ text = \"...\", url = \"https://...\" }}",
                              ("case", "links", name))
        text = str(link.get("text") or "{value}").strip()
        if len(text) > 150 or "\n" in text:
            raise ConfigError(f"{where}: the text must be one line of at most 150 characters",
                              ("case", "links", name, "text"))
        _check_link_template(where, link["url"].strip(), ("case", "links", name, "url"))
        found.append(CaseLink(name.strip(), text, link["url"].strip()))
    names = [*((name, ("case", "editable", index)) for index, name in enumerate(editable)),
             *((link.field, ("case", "links", raw)) for link, raw in zip(found, links,
                                                                          strict=True))]
    for name, key in names:
        if not name or len(name) > CASE_FIELD_LIMIT:
            raise ConfigError(f"{path}: case field names are 1 to {CASE_FIELD_LIMIT} "
                              f"characters: {name[:100]!r}", key)
    return {"case_editable": editable, "case_links": tuple(found)}


@dataclass(frozen=True)
class Env:
    """Everything read from environment variables (documented in the README)."""

    slack_bot_token: str | None
    slack_signing_secret: str | None
    slack_app_token: str | None
    slack_api_url: str
    database_url: str
    sms_provider: str
    twilio_account_sid: str | None
    twilio_auth_token: str | None
    twilio_api_url: str
    twilio_from_number: str | None
    public_url: str | None
    port: int
    settings_file: str
    # Multi-workspace installs ("Add to Slack"): the app's OAuth credentials, Basic Information.
    slack_client_id: str | None = None
    slack_client_secret: str | None = None
    # Fernet key(s) sealing installed workspaces' tokens at rest (comma-separated: the first
    # encrypts, all decrypt). Required with OAuth.
    encryption_key: str | None = None
    # Bearer token for /metrics and the details of /readyz; unset, neither is served.
    ops_token: str | None = None
    # Variables set to something unusable (PORT=abc): each with its fix, told with the rest.
    unusable: tuple[str, ...] = ()
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def oauth(self) -> bool:
        """Installed into workspaces by OAuth (tokens in the database), not one bot token."""
        return bool(self.slack_client_id and self.slack_client_secret
                    and not self.slack_bot_token)

    @classmethod
    def from_environ(cls, environ: dict[str, str] | None = None) -> Env:
        e = os.environ if environ is None else environ
        provider = e.get("SMS_PROVIDER", "simulator").strip().lower()
        return cls(
            slack_bot_token=e.get("SLACK_BOT_TOKEN") or None,
            slack_signing_secret=e.get("SLACK_SIGNING_SECRET") or None,
            slack_app_token=e.get("SLACK_APP_TOKEN") or None,
            slack_api_url=e.get("SLACK_API_URL") or DEFAULT_SLACK_API_URL,
            database_url=e.get("DATABASE_URL") or DEFAULT_URL,
            sms_provider=provider,
            twilio_account_sid=e.get("TWILIO_ACCOUNT_SID") or None,
            twilio_auth_token=e.get("TWILIO_AUTH_TOKEN") or None,
            twilio_api_url=(e.get("TWILIO_API_URL") or DEFAULT_TWILIO_API_URL).rstrip("/"),
            twilio_from_number=e.get("TWILIO_FROM_NUMBER") or None,
            public_url=(e.get("SMSDESK_PUBLIC_URL") or "").rstrip("/") or None,
            port=_port(e.get("PORT")) or DEFAULT_PORT,
            settings_file=e.get("SMSDESK_SETTINGS") or DEFAULT_SETTINGS_FILE,
            slack_client_id=e.get("SLACK_CLIENT_ID") or None,
            slack_client_secret=e.get("SLACK_CLIENT_SECRET") or None,
            encryption_key=e.get("SMSDESK_ENCRYPTION_KEY") or None,
            ops_token=e.get("SMSDESK_OPS_TOKEN") or None,
            unusable=tuple(problem for problem in (_port_problem(e.get("PORT")),) if problem),
        )

    def problems(self, *, socket_mode: bool) -> list[str]:
        """What is missing for this mode, each with where to find it. Empty means ready."""
        found: list[str] = list(self.unusable)
        if self.oauth and not socket_mode:
            found += _public_url_problems(self.public_url, "\"Add to Slack\" (SLACK_CLIENT_ID)",
                                          "Slack sends each installer back to "
                                          "SMSDESK_PUBLIC_URL/slack/oauth_redirect, the "
                                          "Redirect URL in the app's manifest")
        if self.oauth and socket_mode:
            found.append("Installing into several workspaces (SLACK_CLIENT_ID and "
                         "SLACK_CLIENT_SECRET) needs `smsdesk serve`: Slack redirects the "
                         "installer to this app over HTTPS")
        if self.oauth or self.encryption_key:
            from bot.slack.installations import key_problem

            problem = key_problem(self.encryption_key)
            if problem:
                found.append(problem)
        if bool(self.slack_client_id) != bool(self.slack_client_secret):
            found.append("SLACK_CLIENT_ID and SLACK_CLIENT_SECRET go together: copy both from "
                         "Basic Information > App Credentials")
        if not self.oauth and not self.slack_bot_token:
            found.append(
                "SLACK_BOT_TOKEN is not set: install the app to your workspace and copy the "
                "Bot User OAuth Token (xoxb-...) from OAuth & Permissions at "
                "https://api.slack.com/apps (or, to install into several workspaces, set "
                "SLACK_CLIENT_ID and SLACK_CLIENT_SECRET instead)"
            )
        elif not self.oauth and not self.slack_bot_token.startswith("xoxb-"):
            found.append("SLACK_BOT_TOKEN must be a bot token starting with xoxb-")
        if not self.slack_signing_secret and not socket_mode:
            found.append(
                "SLACK_SIGNING_SECRET is not set: copy the Signing Secret from Basic "
                "Information > App Credentials at https://api.slack.com/apps"
            )
        if socket_mode:
            if not self.slack_app_token:
                found.append(
                    "SLACK_APP_TOKEN is not set (Socket Mode): create an app-level token with "
                    "the connections:write scope under Basic Information > App-Level Tokens"
                )
            elif not self.slack_app_token.startswith("xapp-"):
                found.append("SLACK_APP_TOKEN must be an app-level token starting with xapp-")
        if self.twilio_from_number:
            # Twilio's guides set it; the desk sends from its business numbers instead. Taking
            # it as one would guess at its workspace and queue, so it is refused by name.
            found.append("TWILIO_FROM_NUMBER is not used: list your numbers in "
                         f"desk.business_numbers (or a queue's numbers) in {self.settings_file}"
                         " and unset TWILIO_FROM_NUMBER")
        if self.sms_provider not in ("twilio", "simulator"):
            found.append(f"SMS_PROVIDER={self.sms_provider!r} is unknown: use twilio or simulator")
        if self.sms_provider == "twilio":
            if not self.twilio_account_sid or not self.twilio_auth_token:
                found.append(
                    "SMS_PROVIDER=twilio needs TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN "
                    "(Twilio Console > Account Info)"
                )
            if not self.public_url:
                found.append(
                    "SMS_PROVIDER=twilio needs SMSDESK_PUBLIC_URL, the https address Twilio "
                    "calls (it signs that exact URL, so it must match what you set in Twilio)"
                )
        return found


DEFAULT_PORT = 3000


def _port(value: str | None) -> int | None:
    text = (value or "").strip()
    return int(text) if text.isdigit() and 1 <= int(text) <= 65535 else None


def _port_problem(value: str | None) -> str | None:
    if not (value or "").strip() or _port(value) is not None:
        return None
    return (f"PORT={value!r} is not a port number: set PORT to a whole number from 1 to 65535 "
            f"(e.g. {DEFAULT_PORT}), or leave it unset for {DEFAULT_PORT}")


def _public_url_problems(url: str | None, who: str, why: str) -> list[str]:
    if not url:
        return [f"SMSDESK_PUBLIC_URL is not set: {who} needs this server's public https "
                f"address, e.g. https://smsdesk.example.com ({why})"]
    if not url.startswith("https://") or len(url) <= len("https://"):
        return [f"SMSDESK_PUBLIC_URL={url!r} must be an https:// address: {who} needs "
                f"Slack to reach this server over HTTPS ({why})"]
    return []


def _disposition_settings(path, table: object) -> dict:
    """[dispositions] mandatory, and codes = [...] or [dispositions.groups] Label = [...]."""
    where = f"{path}: dispositions"
    if not isinstance(table, dict):
        raise ConfigError(f"{where} must be a table ([dispositions])", ("dispositions",))
    unknown = set(table) - SETTINGS_KEYS["dispositions"]
    if unknown:
        raise ConfigError(f"{where} has unknown settings {sorted(unknown)}: use mandatory, "
                          "codes or [dispositions.groups]", ("dispositions", min(unknown)))
    mandatory = flag(path, ("dispositions", "mandatory"), table.get("mandatory", False))
    if "codes" in table and "groups" in table:
        raise ConfigError(f"{where}: give either codes (a flat list) or [dispositions.groups], "
                          "not both (one select menu cannot mix them)", ("dispositions", "groups"))
    codes: tuple[str, ...] = ()
    groups: tuple[tuple[str, tuple[str, ...]], ...] = ()
    if "groups" in table:
        raw = table["groups"]
        if not isinstance(raw, dict) or not raw:
            raise ConfigError(f"{where}.groups must be a table of Label = [codes], e.g. "
                              'Sales = ["Order placed", "Quote sent"]', ("dispositions", "groups"))
        if len(raw) > MAX_SELECT_OPTIONS:
            raise ConfigError(f"{where}.groups has {len(raw)} groups; Slack shows at most "
                              f"{MAX_SELECT_OPTIONS}", ("dispositions", "groups"))
        groups = tuple((_option_text(f"{where}.groups", "label", label,
                                     ("dispositions", "groups", label)),
                        _disposition_codes(f"{where}.groups.{label}", listed,
                                           ("dispositions", "groups", label)))
                       for label, listed in raw.items())
    elif "codes" in table:
        # An empty list turns the picker off (the modal says no codes are configured).
        codes = (() if table["codes"] == [] else
                 _disposition_codes(f"{where}.codes", table["codes"], ("dispositions", "codes")))
    else:
        codes = DEFAULT_DISPOSITION_CODES
    every = list(codes) + [code for _label, listed in groups for code in listed]
    repeated = sorted({code for code in every if every.count(code) > 1})
    if repeated:
        raise ConfigError(f"{where}: each code may appear only once; repeated: {repeated}",
                          _second_use(repeated[0], codes, groups))
    if mandatory and not every:
        raise ConfigError(f"{where}.mandatory is true but no codes are configured, so Done "
                          "could never close an interaction", ("dispositions", "mandatory"))
    return {"disposition_codes": codes, "disposition_groups": groups,
            "disposition_mandatory": mandatory}


def _second_use(code: str, codes: tuple[str, ...],
                groups: tuple[tuple[str, tuple[str, ...]], ...]) -> tuple[str | int, ...]:
    """Where a repeated code is written the second time (the copy to delete)."""
    places = [(("dispositions", "codes", i), c) for i, c in enumerate(codes)] + [
        (("dispositions", "groups", label, i), c)
        for label, listed in groups for i, c in enumerate(listed)]
    return [place for place, written in places if written == code][1]


def _disposition_codes(where: str, listed: object, key: tuple[str, ...]) -> tuple[str, ...]:
    if not isinstance(listed, list) or not listed:
        raise ConfigError(f"{where} must be a non-empty list of codes, e.g. "
                          '["Resolved", "No action"]', key)
    if len(listed) > MAX_SELECT_OPTIONS:
        raise ConfigError(f"{where} has {len(listed)} codes; Slack shows at most "
                          f"{MAX_SELECT_OPTIONS}", key)
    return tuple(_option_text(where, "code", code, (*key, index))
                 for index, code in enumerate(listed))


def _option_text(where: str, what: str, text: object, key: tuple[str | int, ...]) -> str:
    if not isinstance(text, str) or not text.strip():
        raise ConfigError(f"{where}: every {what} must be non-empty text, not {text!r}", key)
    if len(text.strip()) > MAX_OPTION_TEXT:
        raise ConfigError(f"{where}: the {what} {text!r} is longer than the "
                          f"{MAX_OPTION_TEXT} characters Slack shows in a menu", key)
    return text.strip()
