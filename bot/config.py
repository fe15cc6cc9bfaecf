"""Configuration: secrets and endpoints from the environment, desk settings from one TOML file."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from bot.queues import (
    DEFAULT_QUEUE,
    AgentOverride,
    AutoAnswer,
    Queue,
    QueueConfigError,
    parse_agent_overrides,
    parse_queues,
)
from storage.db import DEFAULT_URL

DEFAULT_SLACK_API_URL = "https://slack.com/api/"
DEFAULT_TWILIO_API_URL = "https://api.twilio.com"
DEFAULT_SETTINGS_FILE = "smsdesk.toml"
# What the simulator's phone texts when no business number is set: Twilio's test number.
SIMULATOR_BUSINESS_NUMBER = "+15005550006"
DEFAULT_DISPOSITION_CODES = ("Resolved", "Follow-up needed", "No action")


class ConfigError(Exception):
    """Raised with a message an admin can act on: what is missing and where to get it."""


@dataclass(frozen=True)
class Settings:
    """Desk settings (the TOML file). Defaults give a working page-mode desk."""

    desk_channel: str | None = None
    offer_timeout_seconds: int = 60
    agent_capacity: int = 3
    default_country: str = "US"
    business_numbers: tuple[str, ...] = ()
    session_numbers: tuple[str, ...] = ()
    session_keywords: tuple[str, ...] = ()
    session_expiry_minutes: int = 30
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
    # Queues (bot/queues.py); none configured means one queue, "SMS", for everyone.
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

    def all_queues(self) -> tuple[Queue, ...]:
        return self.queues or (Queue(DEFAULT_QUEUE),)

    def sending_numbers(self) -> tuple[str, ...]:
        """The business numbers a New SMS can go out from, the desk's own first."""
        numbers = list(self.business_numbers)
        for queue in self.all_queues():
            numbers += [n for n in queue.numbers if n not in numbers]
        return tuple(numbers) or (SIMULATOR_BUSINESS_NUMBER,)

    def queue_named(self, name: str | None) -> Queue:
        for queue in self.all_queues():
            if queue.name == name:
                return queue
        return self.all_queues()[0]

    def thread_home(self, queue_name: str | None, agent_user_id: str) -> str | None:
        """Where an interaction of this queue held by this agent opens its thread: the desk
        channel, or (threads = "dm") the agent's DM with the app (posting to a user id)."""
        if self.queue_named(queue_name).threads == "dm":
            return agent_user_id
        return self.desk_channel

    def threads_in_dm(self, queue_name: str | None) -> bool:
        return self.queue_named(queue_name).threads == "dm"

    def queue_for(self, business_number: str) -> Queue:
        """The queue a number belongs to; numbers no queue names go to the first queue."""
        for queue in self.all_queues():
            if business_number in queue.numbers:
                return queue
        return self.all_queues()[0]

    def _override(self, user_id: str) -> AgentOverride | None:
        return next((o for o in self.agent_overrides if o.user_id == user_id), None)

    def capacity_for(self, user_id: str, queue: Queue | None = None) -> int:
        override = self._override(user_id)
        if override and override.capacity:
            return override.capacity
        if queue is not None and queue.capacity:
            return queue.capacity
        return self.agent_capacity

    def auto_answer_for(self, user_id: str, queue: Queue) -> AutoAnswer:
        override = self._override(user_id)
        on = queue.auto_answer if override is None or override.auto_answer is None \
            else override.auto_answer
        return AutoAnswer(on, queue.auto_answer_preview_seconds if on else 0,
                          queue.auto_answer_allow_reject)

    def mode_for(self, business_number: str, body: str) -> str:
        """Page mode unless the number or the message's first word is set up for sessions."""
        if business_number in self.session_numbers:
            return "session"
        first_word = body.strip().split(maxsplit=1)[0].upper() if body.strip() else ""
        if first_word and first_word in self.session_keywords:
            return "session"
        return "page"

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
        desk = data.get("desk", {})
        session = data.get("session", {})
        roles = data.get("roles", {})
        media = data.get("media", {})
        save_roles = tuple(media.get("save_roles", cls.media_save_roles))
        unknown = set(save_roles) - {"agent", "owner", "supervisor", "admin"}
        if unknown:
            raise ConfigError(f"{path}: media.save_roles has unknown roles {sorted(unknown)}: "
                              "use agent, owner, supervisor or admin")
        expiry = int(session.get("expiry_minutes", cls.session_expiry_minutes))
        if expiry < 1:
            raise ConfigError(f"{path}: session.expiry_minutes must be at least 1")
        timeout = int(desk.get("offer_timeout_seconds", cls.offer_timeout_seconds))
        capacity = int(desk.get("agent_capacity", cls.agent_capacity))
        if timeout < 5:
            raise ConfigError(f"{path}: desk.offer_timeout_seconds must be at least 5")
        if capacity < 1:
            raise ConfigError(f"{path}: desk.agent_capacity must be at least 1")
        return cls(
            desk_channel=env.get("SMSDESK_DESK_CHANNEL") or desk.get("channel"),
            offer_timeout_seconds=timeout,
            agent_capacity=capacity,
            default_country=str(desk.get("default_country", cls.default_country)).upper(),
            business_numbers=tuple(desk.get("business_numbers", ())),
            session_numbers=tuple(session.get("numbers", ())),
            session_keywords=tuple(str(k).upper() for k in session.get("keywords", ())),
            session_expiry_minutes=expiry,
            supervisors=tuple(roles.get("supervisors", ())),
            admins=tuple(roles.get("admins", ())),
            media_save_roles=save_roles,
            **_queue_settings(path, data),
            **_spelling_settings(path, data.get("spelling", {})),
            **_case_settings(path, data.get("case", {})),
            **_disposition_settings(path, data.get("dispositions", {})),
            **_contact_settings(path, data.get("contacts", {})),
        )


ROLE_NAMES = ("agent", "owner", "supervisor", "admin")


def _roles(path, section: str, key: str, value, default: tuple[str, ...]) -> tuple[str, ...]:
    roles = default if value is None else value
    if isinstance(roles, str) or not isinstance(roles, list | tuple) \
            or set(roles) - set(ROLE_NAMES):
        raise ConfigError(f"{path}: {section}.{key} must be a list of roles from "
                          f"{', '.join(ROLE_NAMES)} (got {value!r})")
    return tuple(roles)


def _contact_settings(path, contacts: dict) -> dict:
    role_keys = {"view_roles": "contacts_view_roles", "edit_roles": "contacts_edit_roles",
                 "assign_roles": "contacts_assign_roles", "new_sms_roles": "new_sms_roles"}
    unknown = set(contacts) - {"recent_days", *role_keys}
    if unknown:
        raise ConfigError(f"{path}: [contacts] has unknown keys {sorted(unknown)}")
    days = contacts.get("recent_days", Settings.contacts_recent_days)
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 3650:
        raise ConfigError(f"{path}: contacts.recent_days must be a whole number of days "
                          "from 1 to 3650")
    return {"contacts_recent_days": days, **{
        field: _roles(path, "contacts", key, contacts.get(key), getattr(Settings, field))
        for key, field in role_keys.items()}}


def _spelling_settings(path, spelling: dict) -> dict:
    unknown = set(spelling) - {"enabled", "confirm_on_send", "language", "corporate_words",
                               "preload"}
    if unknown:
        raise ConfigError(f"{path}: [spelling] has unknown keys {sorted(unknown)}")
    words = spelling.get("corporate_words", [])
    if not isinstance(words, list) or not all(isinstance(w, str) and w.strip() for w in words):
        raise ConfigError(f"{path}: spelling.corporate_words must be a list of words")
    language = str(spelling.get("language", "en"))
    from spellchecker import SpellChecker  # the languages it ships are the ones we offer

    if language not in SpellChecker.languages():
        raise ConfigError(f"{path}: spelling.language {language!r} is not a dictionary "
                          f"pyspellchecker ships: {', '.join(sorted(SpellChecker.languages()))}")
    return {
        "spelling_enabled": bool(spelling.get("enabled", True)),
        "spelling_confirm_on_send": bool(spelling.get("confirm_on_send", True)),
        "spelling_language": language,
        "corporate_words": tuple(w.strip() for w in words),
        "spelling_preload": bool(spelling.get("preload", False)),
    }


def _queue_settings(path, data: dict) -> dict:
    roles = data.get("roles", {})
    try:
        return {
            "queues": parse_queues(data.get("queues"), str(path)),
            "agent_overrides": parse_agent_overrides(data.get("agents"), str(path)),
            "supervisor_groups": tuple(roles.get("supervisor_groups", ())),
            "admin_groups": tuple(roles.get("admin_groups", ())),
        }
    except QueueConfigError as error:
        raise ConfigError(str(error)) from error


CASE_FIELD_LIMIT = 80  # characters of a case field's name in [case] settings


@dataclass(frozen=True)
class CaseLink:
    """An admin's link for one case field: `{value}` in `url` is the field's value, URL-quoted;
    in `text` it is the value as shown. Only these links ever get anchor text in Slack."""

    field: str
    text: str
    url: str

    def href(self, value: str) -> str:
        from urllib.parse import quote

        return self.url.replace("{value}", quote(value, safe=""))

    def anchor(self, value: str) -> str:
        return self.text.replace("{value}", value)


def _check_link_template(where: str, url: str) -> None:
    from urllib.parse import urlsplit

    if any(ch.isspace() or ch in '<>|"' for ch in url):
        raise ConfigError(f"{where}: the url may not contain spaces or any of < > | \"")
    if url.replace("{value}", "").count("{") or url.replace("{value}", "").count("}"):
        raise ConfigError(f"{where}: the only placeholder a url may use is {{value}}")
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"{where}: the url must start with https:// (or http://) and a host")
    if "{value}" in parts.netloc:
        raise ConfigError(f"{where}: {{value}} may not be part of the host name")


def _case_settings(path, case: dict) -> dict:
    """[case] editable = [...] and [case.links] "Field" = { text = "...", url = "..." }."""
    editable = case.get("editable", [])
    if not isinstance(editable, list) or not all(isinstance(f, str) and f.strip()
                                                 for f in editable):
        raise ConfigError(f"{path}: case.editable must be a list of field names")
    editable = tuple(dict.fromkeys(f.strip() for f in editable))
    links = case.get("links", {})
    if not isinstance(links, dict):
        raise ConfigError(f"{path}: case.links must be a table of field = {{ text, url }}")
    found: list[CaseLink] = []
    for name, link in links.items():
        where = f"{path}: case.links.{name!r}"
        if not isinstance(link, dict) or not isinstance(link.get("url"), str):
            raise ConfigError(f"{where}: give {{ text = \"...\", url = \"https://...\" }}")
        text = str(link.get("text") or "{value}").strip()
        if len(text) > 150 or "\n" in text:
            raise ConfigError(f"{where}: the text must be one line of at most 150 characters")
        _check_link_template(where, link["url"].strip())
        found.append(CaseLink(name.strip(), text, link["url"].strip()))
    for name in [*editable, *(link.field for link in found)]:
        if not name or len(name) > CASE_FIELD_LIMIT:
            raise ConfigError(f"{path}: case field names are 1 to {CASE_FIELD_LIMIT} "
                              f"characters: {name[:100]!r}")
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
    extra: dict[str, str] = field(default_factory=dict)

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
            port=int(e.get("PORT") or 3000),
            settings_file=e.get("SMSDESK_SETTINGS") or DEFAULT_SETTINGS_FILE,
        )

    def problems(self, *, socket_mode: bool) -> list[str]:
        """What is missing for this mode, each with where to find it. Empty means ready."""
        found: list[str] = []
        if not self.slack_bot_token:
            found.append(
                "SLACK_BOT_TOKEN is not set: install the app to your workspace and copy the "
                "Bot User OAuth Token (xoxb-...) from OAuth & Permissions at "
                "https://api.slack.com/apps"
            )
        elif not self.slack_bot_token.startswith("xoxb-"):
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


# Slack's limits for a static_select: options (or option groups), and an option's text.
MAX_SELECT_OPTIONS = 100
MAX_OPTION_TEXT = 75


def _disposition_settings(path, table: object) -> dict:
    """[dispositions] mandatory, and codes = [...] or [dispositions.groups] Label = [...]."""
    where = f"{path}: dispositions"
    if not isinstance(table, dict):
        raise ConfigError(f"{where} must be a table ([dispositions])")
    unknown = set(table) - {"mandatory", "codes", "groups"}
    if unknown:
        raise ConfigError(f"{where} has unknown settings {sorted(unknown)}: use mandatory, "
                          "codes or [dispositions.groups]")
    mandatory = table.get("mandatory", False)
    if not isinstance(mandatory, bool):
        raise ConfigError(f"{where}.mandatory must be true or false")
    if "codes" in table and "groups" in table:
        raise ConfigError(f"{where}: give either codes (a flat list) or [dispositions.groups], "
                          "not both (one select menu cannot mix them)")
    codes: tuple[str, ...] = ()
    groups: tuple[tuple[str, tuple[str, ...]], ...] = ()
    if "groups" in table:
        raw = table["groups"]
        if not isinstance(raw, dict) or not raw:
            raise ConfigError(f"{where}.groups must be a table of Label = [codes], e.g. "
                              'Sales = ["Order placed", "Quote sent"]')
        if len(raw) > MAX_SELECT_OPTIONS:
            raise ConfigError(f"{where}.groups has {len(raw)} groups; Slack shows at most "
                              f"{MAX_SELECT_OPTIONS}")
        groups = tuple((_option_text(f"{where}.groups", "label", label),
                        _disposition_codes(f"{where}.groups.{label}", listed))
                       for label, listed in raw.items())
    elif "codes" in table:
        # An empty list turns the picker off (the modal says no codes are configured).
        codes = (() if table["codes"] == [] else
                 _disposition_codes(f"{where}.codes", table["codes"]))
    else:
        codes = DEFAULT_DISPOSITION_CODES
    every = list(codes) + [code for _label, listed in groups for code in listed]
    repeated = sorted({code for code in every if every.count(code) > 1})
    if repeated:
        raise ConfigError(f"{where}: each code may appear only once; repeated: {repeated}")
    if mandatory and not every:
        raise ConfigError(f"{where}.mandatory is true but no codes are configured, so Done "
                          "could never close an interaction")
    return {"disposition_codes": codes, "disposition_groups": groups,
            "disposition_mandatory": mandatory}


def _disposition_codes(where: str, listed: object) -> tuple[str, ...]:
    if not isinstance(listed, list) or not listed:
        raise ConfigError(f"{where} must be a non-empty list of codes, e.g. "
                          '["Resolved", "No action"]')
    if len(listed) > MAX_SELECT_OPTIONS:
        raise ConfigError(f"{where} has {len(listed)} codes; Slack shows at most "
                          f"{MAX_SELECT_OPTIONS}")
    return tuple(_option_text(where, "code", code) for code in listed)


def _option_text(where: str, what: str, text: object) -> str:
    if not isinstance(text, str) or not text.strip():
        raise ConfigError(f"{where}: every {what} must be non-empty text, not {text!r}")
    if len(text.strip()) > MAX_OPTION_TEXT:
        raise ConfigError(f"{where}: the {what} {text!r} is longer than the "
                          f"{MAX_OPTION_TEXT} characters Slack shows in a menu")
    return text.strip()
