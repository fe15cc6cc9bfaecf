"""`smsdesk config check` as an admin runs it: every mistake at its line, or a summary."""

from __future__ import annotations

import pytest

from bot.cli import main
from tests import REPO_ROOT

EXAMPLE = REPO_ROOT / "smsdesk.example.toml"


def _check(capsys, *args: str) -> tuple[int, str, str]:
    try:
        main(["config", "check", *args])
        code = 0
    except SystemExit as exit_:
        code = exit_.code
    out = capsys.readouterr()
    return code, out.out, out.err


def _write(tmp_path, text: str) -> str:
    path = tmp_path / "desk.toml"
    path.write_text(text.lstrip("\n"), encoding="utf-8")
    return str(path)


def test_the_annotated_example_passes_with_a_summary(capsys):
    code, out, err = _check(capsys, str(EXAMPLE))
    assert code == 0, err
    assert f"{EXAMPLE}: OK" in out
    assert "desk channel: C0123456789" in out
    assert "business numbers: +15005550006" in out
    assert "queues: 1 (none configured: every agent takes every text)" in out
    assert "dispositions: 3 codes" in out


@pytest.mark.parametrize(("environ", "said"), [
    ({"SMS_PROVIDER": "telnyx"},
     "sms provider: telnyx; missing TELNYX_API_KEY, TELNYX_PUBLIC_KEY, SMSDESK_PUBLIC_URL"),
    ({"SMS_PROVIDER": "telnyx", "TELNYX_API_KEY": "KEY1", "TELNYX_PUBLIC_KEY": "x",
      "SMSDESK_PUBLIC_URL": "https://desk.example.com"},
     "sms provider: telnyx; its variables are set"),
    ({"SMS_PROVIDER": "twilio", "TWILIO_ACCOUNT_SID": "AC1"},
     "sms provider: twilio; missing TWILIO_AUTH_TOKEN, SMSDESK_PUBLIC_URL"),
    ({}, "sms provider: simulator"),
    ({"SMS_PROVIDER": "vonage", "VONAGE_APPLICATION_ID": "app", "VONAGE_API_KEY": "k",
      "SMSDESK_PUBLIC_URL": "https://desk.example.com"},
     "sms provider: vonage; missing VONAGE_PRIVATE_KEY, VONAGE_API_SECRET, "
     "VONAGE_SIGNATURE_SECRET"),
])
def test_the_summary_says_which_of_the_providers_variables_are_missing(
        capsys, monkeypatch, environ, said):
    for name in ("SMS_PROVIDER", "SMSDESK_PUBLIC_URL", "TELNYX_API_KEY", "TELNYX_PUBLIC_KEY",
                 "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "VONAGE_APPLICATION_ID",
                 "VONAGE_PRIVATE_KEY", "VONAGE_API_KEY", "VONAGE_API_SECRET",
                 "VONAGE_SIGNATURE_SECRET"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    code, out, err = _check(capsys, str(EXAMPLE))
    assert code == 0, err
    assert f"  {said}\n" in out


def test_without_a_file_argument_the_file_smsdesk_settings_names_is_checked(
        capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("SMSDESK_SETTINGS", _write(tmp_path, "[desk]\nagent_capacity = 0\n"))
    code, _out, err = _check(capsys)
    assert code == 2
    assert f"{tmp_path / 'desk.toml'}:2: desk.agent_capacity must be at least 1" in err


def test_a_syntax_error_shows_its_line_and_where_in_it(capsys, tmp_path):
    path = _write(tmp_path, """
[desk]
agent_capacity = 3
channel = C0123456789
""")
    code, _out, err = _check(capsys, path)
    assert code == 2
    assert f"{path}:3: not valid TOML: Invalid value; text needs quotes" in err
    assert "    channel = C0123456789\n              ^" in err


def test_a_typo_d_key_is_reported_with_the_key_it_probably_meant(capsys, tmp_path):
    path = _write(tmp_path, """
[desk]
channel = "C0123456789"

[session]
expiry_minute = 30
""")
    code, _out, err = _check(capsys, path)
    assert code == 2
    assert (f"{path}:5: expiry_minute is not a setting of [session]; "
            "did you mean expiry_minutes?") in err


def test_a_key_in_the_wrong_section_says_where_it_belongs(capsys, tmp_path):
    path = _write(tmp_path, """
agent_capacity = 3

[session]
keywords = ["CHAT"]
offer_timeout_seconds = 30
""")
    code, _out, err = _check(capsys, path)
    assert code == 2
    assert (f"{path}:1: agent_capacity is not a setting; it belongs in [desk]: move it below "
            "that line") in err
    assert (f"{path}:5: offer_timeout_seconds is not a setting of [session]; it belongs in "
            "[desk]") in err


def test_a_wrong_type_says_what_was_expected_and_what_was_written(capsys, tmp_path):
    path = _write(tmp_path, """
[desk]
channel = "C0123456789"
offer_timeout_seconds = "sixty"
""")
    code, _out, err = _check(capsys, path)
    assert code == 2
    assert (f'{path}:3: desk.offer_timeout_seconds must be a whole number of seconds, '
            'got "sixty": write e.g. offer_timeout_seconds = 60 (no quotes)') in err


def test_a_bad_number_in_a_queue_points_at_the_number(capsys, tmp_path):
    path = _write(tmp_path, """
[[queues]]
name = "Billing"
numbers = ["+15005550007"]

[[queues]]
name = "Support"
numbers = [
    "+15005550009",
    "415 555 0100",
]
""")
    code, _out, err = _check(capsys, path)
    assert code == 2
    assert (f'{path}:9: queue #2 (Support): numbers: write "415 555 0100" in E.164 as '
            '"+14155550100"') in err


def test_a_number_two_queues_claim_is_reported_at_the_second(capsys, tmp_path):
    path = _write(tmp_path, """
[[queues]]
name = "Billing"
numbers = ["+15005550007"]

[[queues]]
name = "Support"
numbers = ["+15005550007"]
""")
    code, _out, err = _check(capsys, path)
    assert code == 2
    assert f"{path}:7: queue #2 (Support): +15005550007 already belongs to queue 'Billing'" \
        in err


def test_every_problem_in_a_file_is_reported_in_line_order(capsys, tmp_path):
    path = _write(tmp_path, """
[desk]
chanel = "C0123456789"
agent_capacity = 0

[roles]
supervisors = ["@jane"]

[dispositions]
mandatory = "yes"
""")
    code, _out, err = _check(capsys, path)
    assert code == 2
    reported = [line for line in err.splitlines() if line.startswith(f"{path}:")]
    assert [line.split(":")[1] for line in reported] == ["2", "3", "6", "9"]
    assert "did you mean channel?" in reported[0]
    assert "desk.agent_capacity must be at least 1" in reported[1]
    assert '"@jane" is not a Slack user id' in reported[2]
    assert "dispositions.mandatory must be true or false" in reported[3]
    assert err.rstrip().endswith(f"4 problems in {path}")


def test_a_missing_file_is_a_failure_not_the_defaults(capsys, tmp_path):
    code, _out, err = _check(capsys, str(tmp_path / "nowhere.toml"))
    assert code == 2
    assert "no such file" in err


@pytest.mark.parametrize("text, line, complaint", [
    ('[case.links]\n"Order" = { text = "x", url = "ftp://crm/{value}" }\n', 2, "https://"),
    ('[dispositions]\ncodes = [\n  "Resolved",\n  "Resolved",\n]\n', 4, "only once"),
    ('[agents.U0123ABCD]\ncapacity = 0\n', 2, "agents.U0123ABCD.capacity must be >= 1"),
    ('[workspaces.T0001]\ndesk.offer_timeout_seconds = 1\n', 2,
     "desk.offer_timeout_seconds must be at least 5 (in [workspaces.T0001])"),
])
def test_problems_deeper_in_the_file_are_found_at_their_line(capsys, tmp_path, text, line,
                                                            complaint):
    path = _write(tmp_path, text)
    code, _out, err = _check(capsys, path)
    assert code == 2
    assert f"{path}:{line}: " in err and complaint in err.split(f"{path}:{line}: ", 1)[1]


def test_roles_agents_and_agent_groups_narrow_who_is_an_agent(capsys, tmp_path):
    path = _write(tmp_path, """
[roles]
agents = ["U0ANN"]
agent_groups = ["S0SALES"]
""")
    code, out, err = _check(capsys, path)
    assert code == 0, err
    assert "roles: 1 agents and 1 agent user groups" in out

    code, _out, err = _check(capsys, _write(tmp_path, '[roles]\nagents = ["@ann"]\n'))
    assert code == 2 and 'roles.agents: "@ann" is not a Slack user id' in err


def test_an_oauth_desk_with_top_level_numbers_is_warned_they_reach_no_workspace(
        capsys, tmp_path, monkeypatch):
    for name, value in (("SLACK_CLIENT_ID", "1.2"), ("SLACK_CLIENT_SECRET", "s")):
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    path = _write(tmp_path, """
[desk]
business_numbers = ["+15005550009"]

[workspaces.T0ACME.desk]
channel = "C0ACMEDESK"
business_numbers = ["+15005550006"]
""")
    code, out, err = _check(capsys, path)
    assert code == 0, err
    assert "the top-level numbers +15005550009 reach no workspace" in out
    assert "+15005550006" not in out.split("warning:")[1]


def test_a_redact_pattern_that_can_backtrack_for_seconds_is_refused_at_its_line(capsys,
                                                                               tmp_path):
    path = _write(tmp_path, "[privacy]\nredact_cards = true\n"
                            "redact_patterns = ['(\\w+\\s?)+$']\n")
    code, _out, err = _check(capsys, path)
    assert code == 2
    assert f"{path}:3: " in err
    assert r"(\w+\s?)+$" in err and "repeat inside a repeat" in err
