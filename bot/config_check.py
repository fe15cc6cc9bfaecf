"""`smsdesk config check`: every mistake in the desk settings file, each at its line.

The rules are Settings.load's own (bot/config/): this module only finds all the problems
rather than the first, and says where they are. tomllib gives positions for syntax errors
only, so the line of a key is found by scanning the (by then known valid) file text: no
TOML library gives positions of parsed keys (tomlkit keeps formatting, not line numbers).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path

from bot.config import ConfigError, Env, Settings
from bot.config.env import PROVIDER_VARIABLES
from bot.config.schema import unknown_settings
from bot.config.workspaces import workspace_settings
from bot.desk.hours import describe as describe_hours

# Enough for any real file; a guard against a rule that keeps failing after its key is gone.
MAX_PROBLEMS = 100
# Tables whose keys are names the admin chose (a case field, a disposition group): a problem
# inside one entry takes out the whole entry, so the next pass does not trip on its remains.
FREE_FORM = (("case", "links"), ("dispositions", "groups"))

# tomllib's terse messages, and what to do about each.
SYNTAX_HINTS = {
    "Invalid value": 'text needs quotes, e.g. channel = "C0123456789" (numbers, true and '
                     "false do not)",
    "Cannot declare": "this [section] is written twice: keep one and put all its keys there",
    "Cannot overwrite a value": "this key is set twice: keep one",
    "Expected '=' after a key": "each line is key = value, a [section] header, or a # comment",
    "Expected ']' at the end of a table": "a section header is [name], closed on its line",
    "Unclosed array": "a list needs its closing ]",
    "Unterminated string": 'text needs its closing quote "',
    "Expected newline or end of document": "put each key = value on a line of its own",
    "Invalid statement": "each line is key = value, a [section] header, or a # comment",
}


@dataclass(frozen=True)
class Problem:
    line: int | None
    text: str


@dataclass(frozen=True)
class Outcome:
    problems: tuple[Problem, ...]
    settings: Settings | None = None


def run_check(args: argparse.Namespace) -> None:
    """The console command: the summary and exit 0, or each problem and exit 2."""
    env = Env.from_environ()
    path = args.file or env.settings_file
    outcome = check(path)
    if outcome.problems:
        for problem in outcome.problems:
            where = f"{path}:{problem.line}" if problem.line else str(path)
            print(f"{where}: {problem.text}", file=sys.stderr)
        count = len(outcome.problems)
        print(f"{count} problem{'s' if count > 1 else ''} in {path}", file=sys.stderr)
        raise SystemExit(2)
    print("\n".join(summary(path, outcome.settings, os.environ)))


def check(path: str | os.PathLike) -> Outcome:
    file = Path(path)
    if not file.is_file():
        return Outcome((Problem(None, "no such file: copy smsdesk.example.toml there, or "
                                      "name the file: smsdesk config check FILE"),))
    text = file.read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        return Outcome((_syntax_problem(text, str(error)),))
    lines = key_lines(text)
    problems = [Problem(line_of(lines, where), problem)
                for where, problem in unknown_settings(data)]
    for where, _problem in unknown_settings(data):
        _drop(data, where)  # reported above: the rules below should not report them again
    settings = None
    dropped: dict[str, tuple] = {}  # each problem reported: the key taken out for it
    while len(problems) < MAX_PROBLEMS:
        try:
            settings = _settings(path, data)
            break
        except ConfigError as error:
            # One problem at a time: report it, take its key out, and look again. The same
            # problem again (a value inherited from elsewhere): take out more of the table.
            detail = str(error).removeprefix(f"{path}: ")
            if detail in dropped:
                where = dropped[detail][:-1]
            else:
                where = error.where or ()
                problems.append(Problem(line_of(lines, where), detail))
            dropped[detail] = where
            if not where or not _drop(data, where):
                break
    problems.sort(key=lambda p: p.line or 0)
    return Outcome(tuple(problems), None if problems else settings)


def _settings(path, data: dict) -> Settings:
    """Settings.load's build from parsed data, with a workspace's problem located inside
    its [workspaces.T…] table when the key is written there."""
    base = Settings.from_data(path, {k: v for k, v in data.items() if k != "workspaces"}, {})
    failed: list[ConfigError] = []

    def build(merged: dict) -> Settings:
        try:
            return Settings.from_data(path, merged, {})
        except ConfigError as error:
            failed.append(error)
            raise

    try:
        workspaces = workspace_settings(path, data, build)
    except ConfigError as error:
        teams = re.findall(r"\[workspaces\.([^\]]+)\]", str(error))
        where = ("workspaces", teams[-1]) if teams else ("workspaces",)
        inner = failed[-1].where if failed and error.__cause__ is failed[-1] else None
        own = data.get("workspaces", {}).get(teams[-1]) if teams else None
        number = re.search(r"business number (\S+) belongs to both", str(error))
        if inner:
            where = (*where, *inner) if _holds(own, inner) else inner
        elif number and isinstance(own, dict):
            where = (*where, *_number_in(own, number[1]))
        raise ConfigError(str(error), where) from error
    return replace(base, workspaces=workspaces)


def _number_in(table: dict, number: str) -> tuple:
    """Where a workspace's table lists a business number: its desk's or a queue's."""
    lists = [(("desk", "business_numbers"), table.get("desk", {}).get("business_numbers"))]
    lists += [(("queues", i, "numbers"), q.get("numbers"))
              for i, q in enumerate(table.get("queues", [])) if isinstance(q, dict)]
    for where, numbers in lists:
        if isinstance(numbers, list) and number in numbers:
            return (*where, numbers.index(number))
    return ()


def _holds(data: object, where: tuple) -> bool:
    for part in where:
        if isinstance(data, dict) and part in data:
            data = data[part]
        elif isinstance(data, list) and isinstance(part, int) and part < len(data):
            data = data[part]
        else:
            return False
    return True


def _drop(data: dict, where: tuple) -> bool:
    """Take out the innermost table key on `where` so the next pass gets past it. A
    [[queues]] table itself becomes an empty named one, so later queues keep their index."""
    holder, key, node = None, None, data
    entry = next((len(t) + 1 for t in FREE_FORM if where[:len(t)] == t), None)
    for depth, part in enumerate(where[:entry]):
        if isinstance(node, dict) and part in node:
            holder, key, node = node, part, node[part]
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            if where[:depth] == ("queues",) and len(where) == depth + 1:
                node[part] = {"name": f"\0queue {part}"}
                return True
            node = node[part]
        else:
            break
    if holder is None:
        return False
    del holder[key]
    return True


def _syntax_problem(text: str, message: str) -> Problem:
    found = re.search(r"\(at line (\d+), column (\d+)\)$", message)
    lines = text.splitlines() or [""]
    if found:
        line, column = int(found[1]), int(found[2])
    else:  # "(at end of document)": the mistake is on the last written line
        line = max((n for n, t in enumerate(lines, 1) if t.strip()), default=1)
        column = len(lines[line - 1]) + 1
    what = re.sub(r"\s*\(at .*\)$", "", message)
    hint = next((h for start, h in SYNTAX_HINTS.items() if what.startswith(start)), "")
    source = lines[line - 1] if line <= len(lines) else ""
    return Problem(line, f"not valid TOML: {what}{'; ' + hint if hint else ''}\n"
                         f"    {source}\n    {' ' * (column - 1)}^")


def line_of(lines: dict[tuple, int], where: tuple) -> int | None:
    """The line of a key path, else of the nearest enclosing table or key that is written."""
    for end in range(len(where), 0, -1):
        if where[:end] in lines:
            return lines[where[:end]]
    return None


def key_lines(text: str) -> dict[tuple, int]:
    """The line where each key path of a valid TOML text is written: ("desk", "channel"),
    ("queues", 1) for the second [[queues]] header, ("desk", "business_numbers", 0) for
    a list's first item."""
    return _Scanner(text).scan()


class _Scanner:
    """Walks a TOML text tomllib has accepted, so it only has to tell where things are."""

    BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
    SCALAR = re.compile(r"[^,\]}\n#]*")

    def __init__(self, text: str) -> None:
        self.text, self.pos, self.line = text, 0, 1
        self.lines: dict[tuple, int] = {}
        self.tables: dict[tuple, int] = {}  # each [[array]]'s path: its latest index

    def scan(self) -> dict[tuple, int]:
        table: tuple = ()
        while self._blank() < len(self.text):
            if self.text.startswith("[[", self.pos):
                self._move(2)
                path = self._key()
                path = (*self._resolve(path[:-1]), path[-1])
                index = self.tables.get(path, -1) + 1
                self.tables[path] = index
                table = (*path, index)
                self.lines.setdefault(path, self.line)
                self.lines[table] = self.line
                self._move(self.text.index("]]", self.pos) + 2 - self.pos)
            elif self.text.startswith("[", self.pos):
                self._move(1)
                table = self._resolve(self._key())
                for end in range(1, len(table) + 1):  # [a.b] also opens a
                    self.lines.setdefault(table[:end], self.line)
                self._move(self.text.index("]", self.pos) + 1 - self.pos)
            else:
                self._pair(table)
        return self.lines

    def _pair(self, table: tuple) -> None:
        line, key = self.line, self._key()
        for end in range(1, len(key) + 1):  # a.b.c = 1 also writes a and a.b
            self.lines.setdefault((*table, *key[:end]), line)
        self._blank(newlines=False)
        self._move(1)  # =
        self._blank(newlines=False)
        self._value((*table, *key))

    def _value(self, path: tuple) -> None:
        text, here = self.text, self.pos
        if text.startswith(('"""', "'''"), here):
            quote = text[here:here + 3]
            end = here + 3
            while not text.startswith(quote, end) or (quote == '"""' and _escaped(text, end)):
                end += 1
            while text.startswith(quote[0], end + 3):  # up to two quotes before the closing
                end += 1
            self._move(end + 3 - here)
        elif text[here] in "\"'":
            self._move(self._string_end(here) - here)
        elif text[here] == "[":
            self._move(1)
            index = 0
            while self._blank() < len(text) and text[self.pos] != "]":
                self.lines[(*path, index)] = self.line
                self._value((*path, index))
                self._blank()
                if text[self.pos] == ",":
                    self._move(1)
                    index += 1
            self._move(1)
        elif text[here] == "{":
            self._move(1)
            while self._blank() < len(text) and text[self.pos] != "}":
                self._pair(path)
                self._blank()
                if text[self.pos] == ",":
                    self._move(1)
            self._move(1)
        else:
            self._move(len(self.SCALAR.match(text, here)[0]))

    def _key(self) -> tuple[str, ...]:
        parts: list[str] = []
        while True:
            self._blank(newlines=False)
            if self.text[self.pos] in "\"'":
                end = self._string_end(self.pos)
                parts.append(tomllib.loads(f"k = {self.text[self.pos:end]}")["k"])
                self._move(end - self.pos)
            else:
                bare = self.BARE_KEY.match(self.text, self.pos)[0]
                parts.append(bare)
                self._move(len(bare))
            self._blank(newlines=False)
            if not self.text.startswith(".", self.pos):
                return tuple(parts)
            self._move(1)

    def _resolve(self, path: tuple) -> tuple:
        """[queues.x] under [[queues]] means the latest queue's x."""
        resolved: tuple = ()
        for part in path:
            resolved = (*resolved, part)
            if resolved in self.tables:
                resolved = (*resolved, self.tables[resolved])
        return resolved

    def _string_end(self, start: int) -> int:
        quote, end = self.text[start], start + 1
        while self.text[end] != quote or (quote == '"' and _escaped(self.text, end)):
            end += 1
        return end + 1

    def _blank(self, newlines: bool = True) -> int:
        """Skip spaces, comments (and newlines); the position reached."""
        while self.pos < len(self.text):
            ch = self.text[self.pos]
            if ch in " \t\r" or (newlines and ch == "\n"):
                self._move(1)
            elif ch == "#":
                end = self.text.find("\n", self.pos)
                self._move((len(self.text) if end < 0 else end) - self.pos)
            else:
                break
        return self.pos

    def _move(self, count: int) -> None:
        self.line += self.text.count("\n", self.pos, self.pos + count)
        self.pos += count


def _escaped(text: str, at: int) -> bool:
    """Whether the quote at `at` is escaped: preceded by an odd number of backslashes."""
    count = 0
    while at - count - 1 >= 0 and text[at - count - 1] == "\\":
        count += 1
    return count % 2 == 1


def summary(path, settings: Settings, environ) -> list[str]:
    """What an admin wants to confirm the file says."""
    if _is_oauth(environ):
        channel = "one per workspace (an \"Add to Slack\" desk): " + (", ".join(
            f"{w.team_id} {w.settings.desk_channel or 'not set (serve needs channel in '}"
            + ("" if w.settings.desk_channel else f"[workspaces.{w.team_id}.desk])")
            for w in settings.workspaces) or "no [workspaces.T…] table yet")
    else:
        channel = settings.desk_channel or "not set (serve needs desk.channel or " \
                                           "SMSDESK_DESK_CHANNEL)"
        if environ.get("SMSDESK_DESK_CHANNEL"):
            channel += f"; SMSDESK_DESK_CHANNEL={environ['SMSDESK_DESK_CHANNEL']} overrides it"
    codes = len(settings.disposition_codes) + sum(len(c) for _g, c in
                                                   settings.disposition_groups)
    queues = settings.queues or settings.all_queues()
    lines = [
        f"{path}: OK",
        f"  desk channel: {channel}",
        f"  business numbers: {', '.join(settings.business_numbers) or 'none'}",
        f"  queues: {len(queues)}" + ("" if settings.queues else
                                      " (none configured: every agent takes every text)"),
        *(f"    {q.name}: numbers {', '.join(q.numbers) or 'none'}; "
          + ("every agent" if q.everyone else
             f"{len(q.members)} members, {len(q.member_groups)} user groups")
          + f"; threads in {'DMs' if q.threads == 'dm' else 'the desk channel'}"
          + ("" if q.hours is None else
             f"; open {describe_hours(q.hours)}"
             + (f", closed {len(q.hours.holidays)} "
                f"holiday{'' if len(q.hours.holidays) == 1 else 's'}" if q.hours.holidays
                else "")
             + (f"; outside them to queue {q.after_hours_queue}" if q.after_hours_queue
                else ""))
          for q in queues),
        f"  offers: {settings.offer_timeout_seconds} seconds to accept; "
        f"{settings.agent_capacity} interactions per agent",
        f"  sessions: numbers {', '.join(settings.session_numbers) or 'none'}; keywords "
        f"{', '.join(settings.session_keywords) or 'none'}; closed after "
        f"{settings.session_expiry_minutes} minutes without a message",
        f"  dispositions: {codes} codes"
        + (f" in {len(settings.disposition_groups)} groups" if settings.disposition_groups
           else "") + ("; required before Done" if settings.disposition_mandatory else ""),
        "  roles: " + (f"{len(settings.agent_users)} agents and "
                       f"{len(settings.agent_groups)} agent user groups"
                       if settings.agent_users or settings.agent_groups
                       else "every member is an agent (guests never)")
        + f", {len(settings.supervisors)} supervisors, {len(settings.admins)} admins, "
        f"{len(settings.supervisor_groups) + len(settings.admin_groups)} user groups",
        "  spelling: " + (f"on ({settings.spelling_language})" if settings.spelling_enabled
                           else "off"),
        _provider_line(environ),
    ]
    if settings.workspaces:
        lines.append("  workspaces: " + ", ".join(w.team_id for w in settings.workspaces))
    lines += _oauth_warnings(settings, environ)
    return lines


def _provider_line(environ) -> str:
    """SMS_PROVIDER and which of its variables are set (their values are `doctor`'s to
    check: it asks the provider)."""
    provider = Env.from_environ(environ).sms_provider
    if provider not in PROVIDER_VARIABLES:
        return (f"  sms provider: {provider!r} is unknown: SMS_PROVIDER is one of "
                + ", ".join(PROVIDER_VARIABLES))
    needed = PROVIDER_VARIABLES[provider]
    missing = [name for name in needed if not environ.get(name)]
    line = f"  sms provider: {provider}"
    if needed:
        line += ("; missing " + ", ".join(missing)) if missing else "; its variables are set"
    return line


def _is_oauth(environ) -> bool:
    """Installed by "Add to Slack", as the variables say (their own problems are
    `doctor`'s and `serve`'s to report)."""
    return Env.from_environ(environ).oauth


def _oauth_warnings(settings: Settings, environ) -> list[str]:
    """An "Add to Slack" desk serves only the workspaces its tables name: top-level numbers
    and desk channel are shared defaults there, never a desk of their own."""
    oauth = _is_oauth(environ)
    numbers = [n for n in settings.business_numbers + tuple(
        n for q in settings.queues for n in q.numbers)
        if settings.team_for_number(n) is None]
    if not oauth:
        return []
    warnings = []
    if numbers:
        warnings.append(
            f"  warning: an \"Add to Slack\" desk (SLACK_CLIENT_ID set) serves only its "
            f"[workspaces.T…] tables; the top-level numbers {', '.join(numbers)} reach no "
            "workspace: move them into the table of the workspace they belong to")
    if not settings.workspaces:
        warnings.append(
            "  warning: no [workspaces.T…] table: every workspace that installs the app is "
            "told it has no desk, and no text reaches anyone")
    return warnings
