"""Desk settings (the TOML file): the Settings a workspace works with, and loading them."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from bot.config import sections
from bot.config.env import DEFAULT_SETTINGS_FILE
from bot.config.schema import ConfigError, unknown_settings
from bot.config.transcript import TranscriptColors
from bot.config.workspaces import Workspace, workspace_settings
from bot.desk.case_links import CaseLink
from bot.desk.queues import AgentOverride, Queue, QueueRules

DEFAULT_DISPOSITION_CODES = ("Resolved", "Follow-up needed", "No action")
# What a customer who texts HELP (or INFO) is texted back. Carriers expect the business's
# name, how to reach it and how to opt out: set desk.help_reply to name yours.
DEFAULT_HELP_REPLY = ("This is our customer support line: text your question and an agent "
                      "will answer. Msg & data rates may apply. Reply STOP to opt out.")


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
    # A text rejected or not answered in time is offered to another Ready agent with room at
    # once; to one who declined it only when nobody else can take it, this long after.
    reoffer_after_seconds: int = 30
    # An agent who lets this many offers in a row run out is set Not Ready (0: never).
    missed_offers_not_ready: int = 0
    # A text nobody has accepted this long after it arrived is announced to its queue's
    # supervisors, once, with a Reassign button (0: never).
    waiting_alert_seconds: int = 120
    # Texted to the customer, once, when their text has waited waiting_alert_seconds (None:
    # nothing is sent).
    holding_reply: str | None = None
    # Agents may take a waiting text of their queues themselves (Claim on /sms-queue and
    # their Home tab) instead of waiting for routing to offer it.
    agents_may_claim: bool = True
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
    spelling_preload: bool = False  # no effect: the language loads at start-up anyway
    # A reply held for the agent's decision is prompted again (and shown to supervisors)
    # after this long.
    spelling_remind_after_seconds: int = 120
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
    # A person's Home tab is redrawn as the desk changes only while they looked at it (opened
    # it, or clicked on it) within this many minutes; a Home opened later is drawn then
    # ([slack]). views.publish has about 100 calls a minute per workspace.
    home_viewed_minutes: int = 10
    # The workspace's IANA time zone ([reports] time_zone): a report's days, weeks and hours
    # are counted in it, daylight saving included. And when the daily digest goes to each
    # queue's supervisor channel ("HH:MM" in that zone; None: no digest).
    report_time_zone: str = "UTC"
    digest_at: str | None = None
    # The colour bar beside the thread's customer, system and note lines ([transcript]).
    transcript_colors: TranscriptColors = TranscriptColors()
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
    def load(cls, path: str | os.PathLike | None,
             env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        data: dict = {}
        if path is not None and Path(path).exists():
            try:
                data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
            except tomllib.TOMLDecodeError as error:
                raise ConfigError(f"{path}: {error}") from error
        elif path is not None and Path(path).name != DEFAULT_SETTINGS_FILE:
            raise ConfigError(f"settings file {path} does not exist")
        unknown = [problem for _where, problem in unknown_settings(data)]
        if unknown:
            raise ConfigError(f"{path}: " + "; ".join(unknown)
                              + " (`smsdesk config check` shows each at its line)")
        base = cls.from_data(path, {k: v for k, v in data.items() if k != "workspaces"}, env)
        return replace(base, workspaces=workspace_settings(
            # SMSDESK_DESK_CHANNEL is the single-workspace desk's: a workspace names its own.
            path, data, lambda merged: cls.from_data(path, merged, {})))

    @classmethod
    def from_data(cls, path, data: dict, env) -> Settings:
        """Settings from parsed data (one workspace's, the [workspaces] tables left out)."""
        return cls(**sections.fields_of(path, data, env, cls()))
