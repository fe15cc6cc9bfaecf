"""Each section of the settings file read into Settings fields, checked by the schema's rules.

`fields_of` reads every section in a fixed order, so of several mistakes the same one is
named first every time; `smsdesk config check` then takes that key out and reads again.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import fields, replace
from typing import TYPE_CHECKING

from bot.config.schema import (
    CASE_FIELD_LIMIT,
    ERASURE_MODES,
    FLAG_SETTINGS,
    SLACK_USER_ID,
    ConfigError,
    channel_id,
    country_code,
    flag,
    help_reply_text,
    keyword_list,
    link_template,
    phone_numbers,
    queue_flags,
    role_list,
    section_table,
    shown,
    slack_ids,
    text_list,
    time_zone,
    whole_number,
)
from bot.config.transcript import TranscriptColors
from bot.desk import hours as opening
from bot.desk.case_links import CaseLink
from bot.desk.data_protection.redaction import unsafe_pattern
from bot.desk.queues import THREAD_HOMES, AgentOverride, Queue
from bot.slack.limits import MAX_OPTION_TEXT, MAX_SELECT_OPTIONS

if TYPE_CHECKING:
    from bot.config.settings import Settings

def fields_of(path, data: dict, env, defaults: Settings) -> dict:
    """The Settings fields a file's data sets; `defaults` (Settings()) for what it leaves out.
    SMSDESK_DESK_CHANNEL in `env` names the desk channel over the file's."""
    desk, session, roles, media = (section_table(path, data, name)
                                   for name in ("desk", "session", "roles", "media"))
    save_roles = role_list(path, ("media", "save_roles"), media.get("save_roles"),
                           defaults.media_save_roles)
    expiry = whole_number(path, ("session", "expiry_minutes"), "minutes", 1,
                          session.get("expiry_minutes", defaults.session_expiry_minutes),
                          defaults.session_expiry_minutes)
    timeout = whole_number(path, ("desk", "offer_timeout_seconds"), "seconds", 5,
                           desk.get("offer_timeout_seconds", defaults.offer_timeout_seconds),
                           defaults.offer_timeout_seconds)
    capacity = whole_number(path, ("desk", "agent_capacity"), "interactions", 1,
                            desk.get("agent_capacity", defaults.agent_capacity),
                            defaults.agent_capacity)
    country = country_code(path, desk.get("default_country", defaults.default_country))
    channel = channel_id(path, ("desk", "channel"), desk.get("channel"))
    if env.get("SMSDESK_DESK_CHANNEL"):
        channel = channel_id(None, None, env["SMSDESK_DESK_CHANNEL"], "SMSDESK_DESK_CHANNEL")
    return {
        "desk_channel": channel,
        "offer_timeout_seconds": timeout,
        "agent_capacity": capacity,
        "default_country": country,
        "business_numbers": phone_numbers(path, ("desk", "business_numbers"),
                                          desk.get("business_numbers"), country),
        "help_reply": help_reply_text(path, desk.get("help_reply", defaults.help_reply)),
        **_waiting_settings(path, desk, defaults),
        "session_numbers": phone_numbers(path, ("session", "numbers"), session.get("numbers"),
                                         country),
        "session_keywords": keyword_list(path, session.get("keywords")),
        "session_expiry_minutes": expiry,
        "agent_users": slack_ids(path, ("roles", "agents"), roles.get("agents")),
        "supervisors": slack_ids(path, ("roles", "supervisors"), roles.get("supervisors")),
        "admins": slack_ids(path, ("roles", "admins"), roles.get("admins")),
        "media_save_roles": save_roles,
        # The flags first: a section's own reading of them then never sees text.
        **_flag_settings(path, data, defaults),
        **_queue_settings(path, data, country),
        **_spelling_settings(path, data.get("spelling", {}), defaults),
        **_case_settings(path, data.get("case", {})),
        **_disposition_settings(path, data.get("dispositions", {}), defaults),
        **_contact_settings(path, data.get("contacts", {}), defaults),
        **_privacy_settings(path, data.get("privacy", {}), defaults),
        **_transcript_settings(path, section_table(path, data, "transcript"), defaults),
        **_slack_settings(path, section_table(path, data, "slack"), defaults),
        **_report_settings(path, section_table(path, data, "reports"), defaults),
    }


DIGEST_AT = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")


def _report_settings(path, reports: dict, defaults: Settings) -> dict:
    """[reports]: the workspace's time zone, in which a report's days and hours are counted,
    and the daily digest's time of day in it."""
    digest_at = reports.get("digest_at", defaults.digest_at)
    if digest_at is not None and (not isinstance(digest_at, str)
                                  or not DIGEST_AT.match(digest_at)):
        raise ConfigError(f'{path}: reports.digest_at must be a time of day written "HH:MM" '
                          f'(24-hour, e.g. "07:30"), got {shown(digest_at)}',
                          ("reports", "digest_at"))
    return {"report_time_zone": time_zone(path, ("reports", "time_zone"),
                                          reports.get("time_zone", defaults.report_time_zone)),
            "digest_at": digest_at}


def _slack_settings(path, slack: dict, defaults: Settings) -> dict:
    """How the desk spends Slack's budgets: a Home tab is redrawn while someone looks."""
    minutes = whole_number(path, ("slack", "home_viewed_minutes"), "minutes", 1,
                           slack.get("home_viewed_minutes", defaults.home_viewed_minutes),
                           defaults.home_viewed_minutes)
    return {"home_viewed_minutes": minutes}

def _waiting_settings(path, desk: dict, defaults: Settings) -> dict:
    """What becomes of a text nobody takes: offered again, announced, answered with a hold."""
    reoffer = whole_number(path, ("desk", "reoffer_after_seconds"), "seconds", 0,
                           desk.get("reoffer_after_seconds", defaults.reoffer_after_seconds),
                           defaults.reoffer_after_seconds)
    missed = whole_number(path, ("desk", "missed_offers_not_ready"), "offers", 0,
                          desk.get("missed_offers_not_ready", defaults.missed_offers_not_ready),
                          3)
    alert = whole_number(path, ("desk", "waiting_alert_seconds"), "seconds", 0,
                         desk.get("waiting_alert_seconds", defaults.waiting_alert_seconds),
                         defaults.waiting_alert_seconds)
    holding = None
    if "holding_reply" in desk:
        holding = help_reply_text(path, desk["holding_reply"], "holding_reply",
                                  "Thanks for your text: an agent will answer you shortly.")
        if alert == 0:
            raise ConfigError(f"{path}: desk.holding_reply is texted once a text has waited "
                              "desk.waiting_alert_seconds, which is 0 (off): set it to the "
                              "wait after which the customer gets it, e.g. 120",
                              ("desk", "waiting_alert_seconds"))
    return {"reoffer_after_seconds": reoffer, "missed_offers_not_ready": missed,
            "waiting_alert_seconds": alert, "holding_reply": holding}


def _flag_settings(path, data: dict, defaults: Settings) -> dict:
    """Every FLAG_SETTINGS key, checked by the one rule; a section that is no table is its
    own parser's to report."""
    found = {}
    for (section, key), field_name in FLAG_SETTINGS.items():
        table = data.get(section, {})
        if isinstance(table, dict):
            found[field_name] = flag(path, (section, key),
                                     table.get(key, getattr(defaults, field_name)))
    return found



def _contact_settings(path, contacts: dict, defaults: Settings) -> dict:
    role_keys = {"view_roles": "contacts_view_roles", "edit_roles": "contacts_edit_roles",
                 "assign_roles": "contacts_assign_roles", "new_sms_roles": "new_sms_roles"}
    days = contacts.get("recent_days", defaults.contacts_recent_days)
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 3650:
        raise ConfigError(f"{path}: contacts.recent_days must be a whole number of days "
                          f"from 1 to 3650, got {shown(days)}", ("contacts", "recent_days"))
    return {"contacts_recent_days": days, **{
        field: role_list(path, ("contacts", key), contacts.get(key), getattr(defaults, field))
        for key, field in role_keys.items()}}



_HEX_COLOR = re.compile(r"#[0-9A-Fa-f]{6}")


def _transcript_settings(path, transcript: dict, defaults: Settings) -> dict:
    """[transcript] colors = { customer = "#2EB67D", system = "#A0A4A8", note = "#ECB22E" };
    a colour left out keeps its default."""
    colors = transcript.get("colors", {})
    if not isinstance(colors, dict):
        raise ConfigError(f"{path}: transcript.colors must be a table, e.g. "
                          'colors = { customer = "#2EB67D", system = "#A0A4A8", '
                          'note = "#ECB22E" }', ("transcript", "colors"))
    known = sorted(f.name for f in fields(TranscriptColors))
    chosen = {}
    for name, value in colors.items():
        where = ("transcript", "colors", name)
        if name not in known:
            raise ConfigError(f"{path}: {name} is not a colour of transcript.colors; it is one "
                              f"of {', '.join(known)}", where)
        if not isinstance(value, str) or not _HEX_COLOR.fullmatch(value.strip()):
            raise ConfigError(f"{path}: transcript.colors.{name} must be a colour written "
                              f'"#RRGGBB", e.g. "#2EB67D", got {shown(value)}', where)
        chosen[name] = value.strip().upper()
    return {"transcript_colors": replace(defaults.transcript_colors, **chosen)}


def _privacy_settings(path, privacy: dict, defaults: Settings) -> dict:
    if not isinstance(privacy, dict):
        raise ConfigError(f"{path}: [privacy] must be a table", ("privacy",))
    grace = privacy.get("uninstall_grace_days", defaults.uninstall_grace_days)
    retention = privacy.get("retention_days", defaults.retention_days)
    jobs_days = privacy.get("finished_jobs_days", defaults.finished_jobs_days)
    for key, days in (("uninstall_grace_days", grace), ("retention_days", retention),
                      ("finished_jobs_days", jobs_days)):
        if isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= 3650:
            raise ConfigError(f"{path}: privacy.{key} must be a whole number of days from 0 "
                              f"to 3650, got {shown(days)}", ("privacy", key))
    erasure = privacy.get("erasure", defaults.erasure)
    if erasure not in ERASURE_MODES:
        raise ConfigError(f'{path}: privacy.erasure must be "delete" or "anonymise", got '
                          f"{shown(erasure)}", ("privacy", "erasure"))
    # redact_cards and redact_in_storage are flags: _flag_settings reads them.
    patterns = text_list(path, ("privacy", "redact_patterns"),
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
            "export_roles": role_list(path, ("privacy", "export_roles"),
                                      privacy.get("export_roles"), defaults.export_roles),
            "redact_patterns": tuple(patterns)}


def _spelling_settings(path, spelling: dict, defaults: Settings) -> dict:
    remind = whole_number(path, ("spelling", "remind_after_seconds"), "seconds", 10,
                          spelling.get("remind_after_seconds",
                                       defaults.spelling_remind_after_seconds),
                          defaults.spelling_remind_after_seconds)
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
        "spelling_remind_after_seconds": remind,
        "corporate_words": tuple(w.strip() for w in words),
    }


def _queue_settings(path, data: dict, country: str = "US") -> dict:
    roles = section_table(path, data, "roles")
    raw = data.get("queues")
    for index, table in enumerate(raw if isinstance(raw, list) else []):
        if isinstance(table, dict):  # _queues names the table that is no table
            name = f"queue #{index + 1} ({table.get('name')})"
            phone_numbers(path, ("queues", index, "numbers"), table.get("numbers"), country,
                          f"{name}: numbers")
            slack_ids(path, ("queues", index, "members"), table.get("members"),
                      name=f"{name}: members")
            slack_ids(path, ("queues", index, "member_groups"), table.get("member_groups"),
                      groups=True, name=f"{name}: member_groups")
            for key in queue_flags(Queue):
                if key in table:
                    flag(path, ("queues", index, key), table[key], f"{name}: {key}")
            channel_id(path, ("queues", index, "supervisor_channel"),
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
        "agent_groups": slack_ids(path, ("roles", "agent_groups"),
                                  roles.get("agent_groups"), groups=True),
        "supervisor_groups": slack_ids(path, ("roles", "supervisor_groups"),
                                       roles.get("supervisor_groups"), groups=True),
        "admin_groups": slack_ids(path, ("roles", "admin_groups"),
                                  roles.get("admin_groups"), groups=True),
    }


# An interaction stores its queue's name in 64 characters (storage/models.py).
QUEUE_NAME_LIMIT = 64


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
        if len(name) > QUEUE_NAME_LIMIT:
            raise ConfigError(f"{here}: the name {name[:20]!r}… is {len(name)} characters; keep "
                              f"it to {QUEUE_NAME_LIMIT}", ("queues", index, "name"))
        if name in names:
            raise ConfigError(f"{here}: the name {name!r} is used twice",
                              ("queues", index, "name"))
        names.add(name)
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
        target = table.get("answer_within_seconds", 300)
        if isinstance(target, bool) or not isinstance(target, int) or not 1 <= target <= 86400:
            raise ConfigError(f"{here} ({name}): answer_within_seconds must be a whole number "
                              "of seconds from 1 to 86400 (a day), e.g. 300",
                              ("queues", index, "answer_within_seconds"))
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
            **_after_hours(path, index, name, table),
            answer_within_seconds=target,
        ))
    for index, queue in enumerate(queues):
        if queue.after_hours_queue is None:
            continue
        here = (f"{path}: queue #{index + 1} ({queue.name}): after_hours_queue "
                f"{shown(queue.after_hours_queue)}")
        if queue.after_hours_queue == queue.name:
            raise ConfigError(f"{here} is this queue itself: name another queue, whose agents "
                              "take its texts while it is closed",
                              ("queues", index, "after_hours_queue"))
        if queue.after_hours_queue not in names:
            raise ConfigError(f"{here} is not a queue: name one of the [[queues]] tables, "
                              f"{', '.join(shown(n) for n in sorted(names - {queue.name}))}",
                              ("queues", index, "after_hours_queue"))
    return tuple(queues)


HOURS_EXAMPLE = ('hours = { time_zone = "America/New_York", mon = "09:00-17:00", '
                 'tue = "09:00-17:00", ..., sat = "closed" }')


def _after_hours(path, index: int, name: str, table: dict) -> dict:
    """A queue's business hours and what happens outside them: `hours` (time_zone and a
    range per day), `holidays`, `after_hours_reply`, `after_hours_queue`."""
    here = f"{path}: queue #{index + 1} ({name})"
    raw = table.get("hours")
    hours = None if raw is None else _opening_hours(here, index, raw,
                                                    table.get("holidays", []))
    for key in ("holidays", "after_hours_reply", "after_hours_queue"):
        if key in table and hours is None:
            raise ConfigError(f"{here}: {key} needs the queue's opening hours: add "
                              f"{HOURS_EXAMPLE}", ("queues", index, key))
    reply = None
    if "after_hours_reply" in table:
        reply = help_reply_text(path, table["after_hours_reply"], "after_hours_reply",
                                "Thanks for your text: we are closed now and will answer "
                                "when we open.", where=("queues", index, "after_hours_reply"),
                                label=f"queue #{index + 1} ({name}): after_hours_reply")
    other = table.get("after_hours_queue")
    if other is not None and (not isinstance(other, str) or not other.strip()):
        raise ConfigError(f"{here}: after_hours_queue must be the name of another queue, in "
                          f"quotes, got {shown(other)}", ("queues", index, "after_hours_queue"))
    return {"hours": hours, "after_hours_reply": reply,
            "after_hours_queue": other.strip() if other else None}


def _opening_hours(here: str, index: int, raw: object, holidays: object) -> opening.OpeningHours:
    where = ("queues", index, "hours")
    if not isinstance(raw, dict):
        raise ConfigError(f"{here}: hours must be a table: {HOURS_EXAMPLE}", where)
    known = ("time_zone", *opening.DAYS)
    for key in raw:
        if key not in known:
            close = difflib.get_close_matches(str(key).lower(), known, n=1, cutoff=0.5)
            hint = f"did you mean {close[0]}?" if close else \
                f"it holds time_zone and the days {', '.join(opening.DAYS)}"
            raise ConfigError(f"{here}: hours.{key} is not a setting of hours; {hint}",
                              (*where, key))
    if "time_zone" not in raw:
        raise ConfigError(f"{here}: hours needs the time zone its times are in, e.g. "
                          'time_zone = "America/New_York"', where)
    try:
        zone = opening.zone_name(raw["time_zone"])
    except opening.HoursError as error:
        raise ConfigError(f"{here}: hours.time_zone {error}", (*where, "time_zone")) from None
    week = []
    for day in opening.DAYS:
        try:
            week.append(opening.parse_day(raw.get(day, opening.CLOSED)))
        except opening.HoursError as error:
            raise ConfigError(f"{here}: hours.{day} {error}", (*where, day)) from None
    if not any(week):
        raise ConfigError(f"{here}: hours open on no day, so its texts would wait forever: "
                          "give at least one day's opening hours, e.g. mon = \"09:00-17:00\" "
                          "(a day left out is closed), or remove hours to keep it always open",
                          where)
    if not isinstance(holidays, list):
        raise ConfigError(f'{here}: holidays must be a list of dates, e.g. ["2026-12-25", '
                          f'"2027-01-01"], got {shown(holidays)}', ("queues", index, "holidays"))
    days = []
    for position, value in enumerate(holidays):
        try:
            days.append(opening.holiday_date(value))
        except opening.HoursError as error:
            raise ConfigError(f"{here}: holidays: {error}",
                              ("queues", index, "holidays", position)) from None
    return opening.OpeningHours(zone, tuple(week), frozenset(days))


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
        link_template(where, link["url"].strip(), ("case", "links", name, "url"))
        found.append(CaseLink(name.strip(), text, link["url"].strip()))
    names = [*((name, ("case", "editable", index)) for index, name in enumerate(editable)),
             *((link.field, ("case", "links", raw)) for link, raw in zip(found, links,
                                                                          strict=True))]
    for name, key in names:
        if not name or len(name) > CASE_FIELD_LIMIT:
            raise ConfigError(f"{path}: case field names are 1 to {CASE_FIELD_LIMIT} "
                              f"characters: {name[:100]!r}", key)
    return {"case_editable": editable, "case_links": tuple(found)}



def _disposition_settings(path, table: object, defaults: Settings) -> dict:
    """[dispositions] mandatory, and codes = [...] or [dispositions.groups] Label = [...]."""
    where = f"{path}: dispositions"
    if not isinstance(table, dict):
        raise ConfigError(f"{where} must be a table ([dispositions])", ("dispositions",))
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
        codes = defaults.disposition_codes
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

