"""The settings file's schema: its sections and keys, the one unknown-key check, and the
validators every section's reader shares (whole numbers, flags, ids, numbers, roles, links).

Each validator returns the value as Settings holds it or raises ConfigError naming the key
path, which `smsdesk config check` turns into the file's line number.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import fields

from bot.desk.queues import AgentOverride, Queue

HELP_REPLY_LIMIT = 320  # characters: two SMS at most, even with accents or emoji (UCS-2: 5)
# Every key each section of the settings file may hold. Any other key is a typo that would
# silently leave a default in place. One policy, in every section and [workspaces.T…] table:
# unknown_settings (below) finds it with the key probably meant; `smsdesk config check`
# reports each at its line, and Settings.load (so serve, socket and doctor) refuses the file.
SETTINGS_KEYS: dict[str, frozenset[str]] = {
    "desk": frozenset({"channel", "offer_timeout_seconds", "agent_capacity", "default_country",
                       "business_numbers", "help_reply", "reoffer_after_seconds",
                       "missed_offers_not_ready", "waiting_alert_seconds", "holding_reply",
                       "agents_may_claim"}),
    "session": frozenset({"numbers", "keywords", "expiry_minutes"}),
    "roles": frozenset({"agents", "agent_groups", "supervisors", "admins", "supervisor_groups",
                        "admin_groups"}),
    "media": frozenset({"save_roles"}),
    "dispositions": frozenset({"mandatory", "codes", "groups"}),  # groups: Label = [codes]
    "case": frozenset({"editable", "links"}),  # links: "Field" = { text, url }
    "spelling": frozenset({"enabled", "confirm_on_send", "language", "corporate_words",
                           "preload", "remind_after_seconds"}),
    "contacts": frozenset({"recent_days", "view_roles", "edit_roles", "assign_roles",
                           "new_sms_roles"}),
    "privacy": frozenset({"uninstall_grace_days", "export_roles", "erasure",
                          "retention_days", "redact_cards", "redact_patterns",
                          "redact_in_storage", "finished_jobs_days"}),
    # Each [[queues]] table and each [agents.U…] table: the fields of what they become.
    "transcript": frozenset({"colors"}),  # colors: { customer, system, note } = "#RRGGBB"
    "slack": frozenset({"home_viewed_minutes"}),
    "reports": frozenset({"time_zone", "digest_at"}),
    # holidays: the dates a queue's hours (Queue.hours, an OpeningHours) are closed all day.
    "queues": frozenset(f.name for f in fields(Queue)) | {"holidays"},
    "agents": frozenset(f.name for f in fields(AgentOverride)) - {"user_id"},
}
# Every true/false setting of a section, and the Settings field it sets. The flags of a
# [[queues]] or [agents.U…] table are its dataclass's bool fields (queue_flags below).
FLAG_SETTINGS: dict[tuple[str, str], str] = {
    ("desk", "agents_may_claim"): "agents_may_claim",
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


def section_table(path, data: dict, name: str) -> dict:
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



def queue_flags(cls: type) -> tuple[str, ...]:
    """The true/false keys of a [[queues]] (Queue) or [agents.U…] (AgentOverride) table."""
    return tuple(f.name for f in fields(cls) if f.type in ("bool", "bool | None"))


def whole_number(path, where: tuple[str, str], unit: str, minimum: int, value: object,
                 example: int) -> int:
    name = ".".join(where)
    # A bool is an int to Python, but `true` is no number of seconds.
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{path}: {name} must be a whole number of {unit}, got "
                          f"{shown(value)}: write e.g. {where[1]} = {example} (no quotes)", where)
    if value < minimum:
        raise ConfigError(f"{path}: {name} must be at least {minimum}", where)
    return value


def time_zone(path, where: tuple, value: object) -> str:
    """An IANA zone name ("Europe/Paris"): days and hours are counted in it, so a zone that
    does not exist (or an offset such as "+02:00", which ignores daylight saving) is refused."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    name = ".".join(map(str, where))
    if isinstance(value, str) and value.strip():
        try:
            ZoneInfo(value.strip())
            return value.strip()
        except (ZoneInfoNotFoundError, ValueError):
            pass
    raise ConfigError(f"{path}: {name} must be an IANA time zone name such as "
                      '"Europe/London" or "America/New_York" (the workspace\'s zone, daylight '
                      f"saving included), got {shown(value)}", where)


def country_code(path, value: object) -> str:
    import phonenumbers

    country = value.strip().upper() if isinstance(value, str) else ""
    if country not in phonenumbers.SUPPORTED_REGIONS:
        raise ConfigError(f"{path}: desk.default_country must be a two-letter country code "
                          f'such as "US" or "GB", got {shown(value)}',
                          ("desk", "default_country"))
    return country


def text_list(path, where: tuple, value: object, example: str) -> list[str]:
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


def phone_numbers(path, where: tuple, value: object, country: str,
                  name: str = "") -> tuple[str, ...]:
    """Business numbers exactly as texts arrive addressed: E.164 ("+15005550006"), since a
    number written any other way would never match and its texts would route elsewhere."""
    from bot.desk.phone import InvalidNumber, to_e164

    label = name or ".".join(map(str, where))
    numbers = text_list(path, where, value, '"+15005550006"')
    for index, number in enumerate(numbers):
        try:
            e164 = to_e164(number, country)
        except InvalidNumber:
            raise ConfigError(f"{path}: {label}: {shown(number)} is not a phone number: write "
                              'it in E.164, + country code and number, e.g. "+14155550100"',
                              (*where, index)) from None
        if e164 != number:
            raise ConfigError(f"{path}: {label}: write {shown(number)} in E.164 as "
                              f'"{e164}" (texts arrive addressed to that form)', (*where, index))
    return tuple(numbers)


def help_reply_text(path, value: object, key: str = "help_reply",
                    example: str = "Acme Co support: text us your question. Reply STOP to "
                                   "opt out.", *, where: tuple | None = None,
                    label: str = "") -> str:
    """A text the desk itself sends the customer (desk.help_reply, desk.holding_reply, a
    queue's after_hours_reply)."""
    where = where or ("desk", key)
    label = label or f"desk.{key}"
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{path}: {label} must be text in quotes, e.g. "
                          f'"{example}", got {shown(value)}', where)
    if len(value.strip()) > HELP_REPLY_LIMIT:
        raise ConfigError(f"{path}: {label} has {len(value.strip())} characters; "
                          f"keep it to {HELP_REPLY_LIMIT} (two SMS)", where)
    return value.strip()


def keyword_list(path, value: object) -> tuple[str, ...]:
    where = ("session", "keywords")
    keywords = text_list(path, where, value, '"CHAT"')
    for index, keyword in enumerate(keywords):
        if len(keyword.split()) != 1:
            raise ConfigError(f"{path}: session.keywords: {shown(keyword)} is not one word; a "
                              "keyword is matched against a text's first word only",
                              (*where, index))
    return tuple(str(k).upper() for k in keywords)


def slack_ids(path, where: tuple, value: object, *, groups: bool = False,
              name: str = "") -> tuple[str, ...]:
    """Slack ids, not names: "@jane" or "support-team" would silently match nobody."""
    pattern, kind, example, source = (
        (SLACK_GROUP_ID, "user group id", "S0123ABCD", "the end of the user group's URL")
        if groups else
        (SLACK_USER_ID, "user id", "U0123ABCD", "their profile: ⋯ > Copy member ID"))
    label = name or ".".join(map(str, where))
    ids = text_list(path, where, value, f'"{example}"')
    for index, item in enumerate(ids):
        if not pattern.match(item):
            raise ConfigError(f"{path}: {label}: {shown(item)} is not a Slack {kind}; give "
                              f'ids like "{example}" (from {source})', (*where, index))
    return tuple(ids)


def channel_id(path, where: tuple | None, value: object, name: str = "") -> str | None:
    """A channel id, not its name: a name ("#sms-desk", "general") would fail every post
    only once the desk is running, with channel_not_found."""
    if value is None or isinstance(value, str) and SLACK_CHANNEL_ID.match(value):
        return value
    direct = isinstance(value, str) and re.match(r"^D[A-Z0-9]+$", value)
    label = name or ".".join(map(str, where or ()))
    raise ConfigError(f"{f'{path}: ' if path else ''}{label}: {shown(value)} is "
                      f"{'a direct message, not a channel' if direct else 'not a Slack channel id'}"
                      f": {CHANNEL_ID_HINT}", where)


def role_list(path, where: tuple[str, str], value: object,
              default: tuple[str, ...]) -> tuple[str, ...]:
    """Who may do something, as roles (ROLE_NAMES): every `..._roles` setting's one rule."""
    roles = default if value is None else value
    label = ".".join(where)
    if isinstance(roles, str) or not isinstance(roles, list | tuple):
        raise ConfigError(f"{path}: {label} must be a list of roles from "
                          f"{', '.join(ROLE_NAMES)}, got {shown(value)}", where)
    unknown = sorted({str(role) for role in roles if role not in ROLE_NAMES})
    if unknown:
        raise ConfigError(f"{path}: {label} has unknown roles {unknown}: use "
                          f"{', '.join(ROLE_NAMES)}", where)
    return tuple(roles)



ERASURE_MODES = ("delete", "anonymise")


CASE_FIELD_LIMIT = 80  # characters of a case field's name in [case] settings


def link_template(where: str, url: str, key: tuple[str, ...]) -> None:
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


