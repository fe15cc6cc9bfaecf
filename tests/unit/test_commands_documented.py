"""What an admin reads matches what the code does: every command in the README exists and
every command is in the README (with its options), `smsdesk --help` names them all, the
README's variables are the ones the code reads, and a --team that is no team id is refused."""

from __future__ import annotations

import argparse
import re

import pytest

from bot.cli import build_parser, main
from tests import REPO_ROOT

ROOT = REPO_ROOT
README = (ROOT / "README.md").read_text(encoding="utf-8")

# Read by the code but deliberately not in the README's table, each with why.
UNDOCUMENTED_VARIABLES = {
    # Tests move the clock of a desk running in another process (storage/clock.py).
    "SMSDESK_CLOCK_OFFSET_FILE": "tests only",
}


def _section(title: str) -> str:
    return README.split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]


def _table_rows(title: str) -> list[list[str]]:
    # A cell may hold a pipe escaped as \| (GitHub's table syntax): split on the others.
    rows = [re.split(r"(?<!\\)\|", line.strip().strip("|"))
            for line in _section(title).splitlines() if line.startswith("|")]
    return [[cell.strip().replace("\\|", "|") for cell in row]
            for row in rows[2:]]  # past the header and ---


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _leaves(parser=None, path: tuple[str, ...] = ()) -> dict[tuple[str, ...],
                                                                argparse.ArgumentParser]:
    """Every command the CLI runs, e.g. ("contacts", "erase"), with its parser."""
    found = {}
    for name, sub in _subparsers(parser or build_parser()).items():
        found.update(_leaves(sub, (*path, name)) if _subparsers(sub) else {(*path, name): sub})
    return found


def _readme_commands() -> dict[tuple[str, ...], str]:
    """The README's commands table: each command's words (subcommands only, not its
    arguments) and all the text of its rows (a command may have more than one)."""
    commands: dict[tuple[str, ...], str] = {}
    for cell, does in _table_rows("Commands"):
        words = re.fullmatch(r"`smsdesk ([^`]*)`", cell)
        assert words, f"a row of the commands table is not `smsdesk …`: {cell}"
        path, choices = (), _subparsers(build_parser())
        for word in words[1].split():
            if word not in choices:
                break
            path, choices = (*path, word), _subparsers(choices[word])
        commands[path] = commands.get(path, "") + f" {cell} {does}"
    return commands


def test_every_command_in_the_readme_exists_and_every_command_is_there():
    listed, real = set(_readme_commands()), set(_leaves())
    assert not listed - real, f"in the README but not a command: {sorted(listed - real)}"
    assert not real - listed, f"commands the README does not list: {sorted(real - listed)}"


@pytest.mark.parametrize("path", sorted(_readme_commands()), ids=" ".join)
def test_each_readme_command_answers_help(capsys, path):
    with pytest.raises(SystemExit) as exit_:
        main([*path, "--help"])
    assert exit_.value.code == 0
    assert f"usage: smsdesk {' '.join(path)}" in capsys.readouterr().out


@pytest.mark.parametrize("path", sorted(_leaves()), ids=" ".join)
def test_the_readme_names_every_option_of_a_command(path):
    options = [option for action in _leaves()[path]._actions
               for option in action.option_strings
               if option.startswith("--") and option != "--help"]
    row = _readme_commands().get(path, "")
    assert [option for option in options if option not in row] == []


def test_the_readme_says_how_to_pick_the_address_and_the_port():
    for command in (("serve",), ("socket",)):
        assert "--host" in _readme_commands()[command] and "PORT" in _readme_commands()[command]


def test_smsdesk_help_names_every_command(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    shown = " ".join(capsys.readouterr().out.split())  # argparse wraps lines
    missing = [" ".join(path) for path in _leaves() if " ".join(path) not in shown]
    assert missing == []


def _variables_read_by_the_code() -> set[str]:
    read = re.compile(r"""(?:\benviron|\benv|\be)(?:\.get\(|\[)\s*["']([A-Z][A-Z0-9_]+)["']"""
                      r"""|getenv\(\s*["']([A-Z][A-Z0-9_]+)["']""")
    names: set[str] = set()
    for folder in ("bot", "storage"):
        for source in (ROOT / folder).rglob("*.py"):
            for match in read.finditer(source.read_text(encoding="utf-8")):
                names.add(match[1] or match[2])
    return names


def test_the_readme_lists_exactly_the_environment_variables_the_code_reads():
    documented = {name for cell, *_ in _table_rows("Configuration")
                  for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", cell)}
    read = _variables_read_by_the_code()
    assert {"SLACK_BOT_TOKEN", "PORT", "SMSDESK_LOG_FORMAT"} <= read  # the scan finds them
    assert sorted(read - documented - set(UNDOCUMENTED_VARIABLES)) == [], \
        "read by the code, missing from the README's table"
    assert sorted(documented - read) == [], "in the README's table, read by nothing"
    assert sorted(set(UNDOCUMENTED_VARIABLES) - read) == [], "stale allow-list entries"


@pytest.mark.parametrize("path", sorted(p for p, parser in _leaves().items()
                                        if "--team" in parser._option_string_actions),
                         ids=" ".join)
@pytest.mark.parametrize("team", ["foo", "t0123abcd", "#general", "U0123ABCD"])
def test_a_team_that_is_no_team_id_is_refused_before_anything_runs(capsys, monkeypatch,
                                                                    tmp_path, path, team):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'desk.sqlite3'}")
    with pytest.raises(SystemExit) as exit_:
        main([*path, *(["x"] if path != ("tokens", "rotate") else []), "--team", team])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert f"--team: {team!r} is not a Slack team id" in err
    assert "T0123ABCD" in err  # what one looks like
    assert list(tmp_path.iterdir()) == []  # no database, no workspace named foo


def test_a_team_id_is_taken(tmp_path):
    args = build_parser().parse_args(["contacts", "import", "x.csv", "--team", "T0123ABCD"])
    assert args.team == "T0123ABCD"
    args = build_parser().parse_args(["responses", "import", "x.csv", "--team", "E0123ABCD"])
    assert args.team == "E0123ABCD"
