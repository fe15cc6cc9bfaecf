"""The Standard Response Library: named, categorised texts an agent inserts into a reply.

A response's text may carry fields that are filled in on insert:

    {contact.first_name}  first word of the contact's name     unknown name: "there"
    {contact.name}        the contact's name                   unknown name: "there"
    {contact.phone}       the contact's number (+1 415-555-0100)
    {agent.name}          the agent's name (Slack profile)     unknown: "your agent"
    {agent.first_name}    first word of the agent's name       unknown: "your agent"

"there" is chosen because responses greet ("Hi {contact.first_name},") far more often than they
address ("Dear {contact.name}"): "Hi there," reads naturally. A field we do not know (a typo
such as {contact.nmae}) is left exactly as typed and reported, so the agent sees it in the
compose modal before sending; rendering never fails. Filling is one pass: a contact called
"{agent.name}" stays that literal text.

The library is filled from a YAML or CSV file (`smsdesk responses import FILE`) and, for
admins, edited one response at a time (`upsert`, `delete`). `open_compose` says who may open
the compose modal the library is used from (the agent holding the interaction).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import delete as sql_delete
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.desk import effects
from bot.desk.admin import permissions
from bot.desk.interactions.lifecycle import ACCEPTED, TRANSFERRING
from bot.desk.notices import Notice, naming
from bot.desk.phone import display
from storage.clock import utcnow
from storage.db import Database, rows_changed
from storage.models import Contact, Interaction, StandardResponse

NAME_LIMIT = 120  # the column's size
CATEGORY_LIMIT = 120
TEXT_LIMIT = 1600  # the longest SMS a reply may be (10 concatenated GSM-7 segments, about)
DEFAULT_CATEGORY = "General"
UNKNOWN_CONTACT = "there"
UNKNOWN_AGENT = "your agent"

# {word.word}: anything else in braces ("{}", "{ a b }") is ordinary text, not a field.
_FIELD = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)\}")


class NotAllowed(Exception):
    """Only admins edit the library."""


class ResponseFileError(Exception):
    """The file cannot be read as a response library at all (nothing was imported)."""


@dataclass(frozen=True)
class ResponseEntry:
    id: int
    name: str
    category: str
    text: str


@dataclass(frozen=True)
class Rendered:
    text: str
    unknown_fields: tuple[str, ...] = ()  # as typed, e.g. "{contact.nmae}", each once


# --- filling fields -------------------------------------------------------------------------

def _first_word(name: str | None) -> str | None:
    words = (name or "").split()
    return words[0] if words else None


def render(text: str, contact: object, agent_name: str | None) -> Rendered:
    """Fill the fields of `text` for this contact (anything with .name and .phone, or None)
    and agent. Unknown fields stay as typed and are reported."""
    name = ((getattr(contact, "name", None) or "").strip() or None) if contact else None
    phone = getattr(contact, "phone", None) if contact else None
    agent = (agent_name or "").strip() or None
    values: dict[str, str] = {
        "contact.first_name": _first_word(name) or UNKNOWN_CONTACT,
        "contact.name": name or UNKNOWN_CONTACT,
        "contact.phone": display(phone) if phone else "",
        "agent.name": agent or UNKNOWN_AGENT,
        "agent.first_name": _first_word(agent) or UNKNOWN_AGENT,
    }
    unknown: dict[str, None] = {}

    def fill(match: re.Match[str]) -> str:
        key = match.group(1).lower()
        if key in values:
            return values[key]
        unknown[match.group(0)] = None
        return match.group(0)

    return Rendered(_FIELD.sub(fill, text), tuple(unknown))


def unknown_fields(text: str) -> tuple[str, ...]:
    """The fields of `text` that render would leave as typed."""
    return render(text, None, None).unknown_fields


def placeholders(text: str) -> tuple[str, ...]:
    """Every {field} still in a text about to be sent, known or not, each once: fields are
    filled on insert only, so whatever is left would reach the phone as typed."""
    return tuple(dict.fromkeys(match.group(0) for match in _FIELD.finditer(text or "")))


# --- reading --------------------------------------------------------------------------------

def _entry(row: StandardResponse) -> ResponseEntry:
    return ResponseEntry(row.id, row.name, row.category, row.text)


def _like_pattern(query: str) -> str:
    escaped = query.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search(db: Database, team_id: str, query: str = "", limit: int = 100) -> list[ResponseEntry]:
    """Responses whose name, category or text contains `query` (any case), by category and
    name. An empty query lists the library."""
    statement = select(StandardResponse).where(StandardResponse.team_id == team_id)
    query = (query or "").strip()
    if query:
        pattern = _like_pattern(query)
        statement = statement.where(or_(
            *(func.lower(column).like(pattern, escape="\\")
              for column in (StandardResponse.name, StandardResponse.category,
                             StandardResponse.text))))
    statement = statement.order_by(StandardResponse.category, StandardResponse.name)
    with db.transaction() as s:
        return [_entry(row) for row in s.scalars(statement.limit(limit))]


def get(db: Database, team_id: str, response_id: int) -> ResponseEntry | None:
    with db.transaction() as s:
        row = s.get(StandardResponse, response_id)
        return _entry(row) if row is not None and row.team_id == team_id else None


@dataclass(frozen=True)
class ComposeContext:
    """Who a reply goes to, for filling a response's {contact.*} fields."""

    interaction_id: int
    contact_name: str | None
    contact_phone: str
    contact_email: str | None
    held_by: str | None
    state: str

    @property
    def name(self) -> str | None:  # render() reads .name and .phone
        return self.contact_name

    @property
    def phone(self) -> str:
        return self.contact_phone


def compose_context(db: Database, team_id: str, interaction_id: int) -> ComposeContext | None:
    with db.transaction() as s:
        interaction = s.get(Interaction, interaction_id)
        if interaction is None or interaction.team_id != team_id:
            return None
        contact = s.get_one(Contact, interaction.contact_id)
        return ComposeContext(interaction.id, contact.name,
                              interaction.customer_number or contact.phone, contact.email,
                              interaction.agent_user_id, interaction.state)


def open_compose(db: Database, team_id: str, interaction_id: int,
                 user_id: str) -> ComposeContext | None:
    """Reply… clicked: the context for the modal, or None when this person may not reply
    (they are told why, privately, in the thread)."""
    context = compose_context(db, team_id, interaction_id)
    if context is None:
        return None
    if context.held_by == user_id and context.state == ACCEPTED:
        return context
    if context.held_by != user_id:
        owner = "{holder}" if context.held_by else "the agent who accepts it"
        why = naming(f"Only {owner}, who holds this interaction, can reply to the customer. "
                     "What you write in the thread stays internal.", holder=context.held_by or "")
    elif context.state == TRANSFERRING:
        why = Notice("This interaction is being transferred: replies wait until the colleague "
                     "answers.")
    else:
        why = Notice("This interaction is no longer open for messaging, so there is nothing to "
                     "reply to.")
    with db.transaction() as s:
        interaction = s.get_one(Interaction, interaction_id)
        effects.notify_agent(s, team_id, user_id, why, channel=interaction.desk_channel,
                             thread_ts=interaction.thread_ts)
    return None


# --- editing (admins) -----------------------------------------------------------------------

def _problem(name: str, category: str, text: str) -> str | None:
    """Why a response cannot be stored, or None."""
    if not name:
        return "no name"
    if len(name) > NAME_LIMIT:
        return f"name longer than {NAME_LIMIT} characters"
    if len(category) > CATEGORY_LIMIT:
        return f"category longer than {CATEGORY_LIMIT} characters"
    if not text.strip():
        return "empty text"
    if len(text) > TEXT_LIMIT:
        return f"text longer than {TEXT_LIMIT} characters (the longest SMS reply)"
    return None


def _clean(value: object) -> str:
    return "" if value is None else str(value).strip()


def _store(s: Session, team_id: str, name: str, category: str, text: str,
           user_id: str | None) -> bool:
    """Insert or update by name; True when it was new."""
    row = s.scalars(select(StandardResponse).where(StandardResponse.team_id == team_id,
                                                   StandardResponse.name == name)).first()
    if row is None:
        s.add(StandardResponse(team_id=team_id, name=name, category=category, text=text,
                               updated_by=user_id, updated_at=utcnow()))
        s.flush()
        return True
    row.category, row.text, row.updated_by, row.updated_at = category, text, user_id, utcnow()
    return False


def _require_admin(db: Database, settings: Settings, team_id: str, user_id: str) -> None:
    with db.transaction() as s:  # admins by id or by user group
        if permissions.ADMIN not in permissions.roles_for(s, settings, team_id, user_id):
            raise NotAllowed("Only admins edit the Standard Response Library.")


def upsert(db: Database, settings: Settings, team_id: str, user_id: str, *, name: str,
           text: str, category: str = DEFAULT_CATEGORY) -> ResponseEntry:
    """Create the response, or replace the text and category of the one with this name."""
    _require_admin(db, settings, team_id, user_id)
    name, category, text = _clean(name), _clean(category) or DEFAULT_CATEGORY, _clean(text)
    problem = _problem(name, category, text)
    if problem:
        raise ValueError(problem)
    with db.transaction() as s:
        _store(s, team_id, name, category, text, user_id)
        row = s.scalars(select(StandardResponse).where(StandardResponse.team_id == team_id,
                                                       StandardResponse.name == name)).one()
        return _entry(row)


def delete(db: Database, settings: Settings, team_id: str, user_id: str, name: str) -> bool:
    _require_admin(db, settings, team_id, user_id)
    with db.transaction() as s:
        result = s.execute(sql_delete(StandardResponse).where(
            StandardResponse.team_id == team_id, StandardResponse.name == _clean(name)))
        return rows_changed(result) == 1


# --- importing a file -----------------------------------------------------------------------

@dataclass(frozen=True)
class SkippedRow:
    where: str  # "line 4" (CSV) or "entry 3" (YAML)
    name: str
    reason: str


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    skipped: list[SkippedRow] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [f"{self.created} created, {self.updated} updated, {len(self.skipped)} skipped"]
        out += [f"  skipped {row.where}" + (f" ({row.name})" if row.name else "")
                + f": {row.reason}" for row in self.skipped]
        out += [f"  warning: {warning}" for warning in self.warnings]
        return out


def _yaml_rows(path: Path) -> list[tuple[str, object]]:
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise ResponseFileError(f"{path}: not valid YAML: {error}") from error
    if data is None:
        return []
    if isinstance(data, dict) and isinstance(data.get("responses"), list):
        data = data["responses"]
    if not isinstance(data, list):
        raise ResponseFileError(f"{path}: expected a list of responses, each with name, "
                                "category and text")
    return [(f"entry {number}", item) for number, item in enumerate(data, start=1)]


def _csv_rows(path: Path) -> list[tuple[str, object]]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        header = [(name or "").strip().lower() for name in reader.fieldnames or []]
        missing = {"name", "text"} - set(header)
        if missing:
            raise ResponseFileError(f"{path}: the header must name the columns name, category, "
                                    f"text (missing: {', '.join(sorted(missing))})")
        reader.fieldnames = header
        rows: list[tuple[str, object]] = []
        for row in reader:
            # line_num is where the row ends; a quoted text may span several lines.
            rows.append((f"line {reader.line_num}", row))
        return rows


def read_file(path: str | Path) -> list[tuple[str, object]]:
    path = Path(path)
    if not path.is_file():
        raise ResponseFileError(f"{path}: no such file")
    suffix = path.suffix.lower()
    try:
        if suffix in (".yaml", ".yml"):
            return _yaml_rows(path)
        if suffix == ".csv":
            return _csv_rows(path)
    except UnicodeDecodeError as error:
        raise ResponseFileError(f"{path}: not UTF-8 text ({error})") from error
    raise ResponseFileError(f"{path}: responses import reads YAML (.yaml, .yml) or CSV (.csv) "
                            "only: a list of name, category and text, or a CSV file with "
                            "those columns")


def import_file(db: Database, team_id: str, path: str | Path, user_id: str | None = None,
                on_progress: Callable[[int, int | None], None] | None = None) -> ImportReport:
    """Add or update every usable row, in one transaction; the report says what was skipped
    and why. A name that already exists (in the library or earlier in the file) is updated.
    `on_progress(done, total)` hears each row handled."""
    report = ImportReport()
    rows = read_file(path)
    seen: dict[str, str] = {}
    with db.transaction() as s:
        for done, (where, row) in enumerate(rows, 1):
            _import_row(s, team_id, where, row, user_id, seen, report)
            if on_progress is not None:
                on_progress(done, len(rows))
    return report


def _import_row(s: Session, team_id: str, where: str, row: object, user_id: str | None,
                seen: dict[str, str], report: ImportReport) -> None:
    if not isinstance(row, dict):
        report.skipped.append(SkippedRow(where, "", "not a mapping with name, "
                                                     "category and text"))
        return
    extra = sorted(str(k) for k in row if str(k).strip().lower() not in
                   ("name", "category", "text") and k is not None)
    name, category = _clean(row.get("name")), _clean(row.get("category"))
    text = _clean(row.get("text"))
    category = category or DEFAULT_CATEGORY
    problem = _problem(name, category, text)
    if problem:
        report.skipped.append(SkippedRow(where, name[:60], problem))
        return
    if extra:
        report.warnings.append(f"{where} ({name}): ignored {', '.join(extra)}")
    unknown = unknown_fields(text)
    if unknown:
        report.warnings.append(f"{where} ({name}): unknown field "
                               f"{', '.join(unknown)} is left as typed on insert")
    if name in seen:
        report.warnings.append(f"{where} ({name}): same name as {seen[name]}, "
                               "which it replaces")
    seen[name] = where
    if _store(s, team_id, name, category, text, user_id):
        report.created += 1
    else:
        report.updated += 1
