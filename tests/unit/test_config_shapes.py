"""Settings whose value has a shape: true/false flags and Slack ids, refused at their line.

Every boolean key is found from the code's own schema (Settings, Queue and AgentOverride
fields typed bool), so a flag added later is tested without anyone remembering to."""

from __future__ import annotations

from dataclasses import fields

import pytest

from bot.config import ConfigError, Settings
from bot.config.schema import FLAG_SETTINGS
from bot.config_check import check
from bot.desk.queues import AgentOverride, Queue


def _bool_fields(cls) -> list[str]:
    return [f.name for f in fields(cls) if f.type in ("bool", "bool | None")]


def _flag_file(table: str, key: str, value: str) -> tuple[str, int, str]:
    """A settings file setting one flag: (text, the flag's line, its name in messages)."""
    if table == "queues":
        return (f'[[queues]]\nname = "Support"\n{key} = {value}\n', 3,
                f"queue #1 (Support): {key}")
    if table == "agents":
        return f"[agents.U0123ABCD]\n{key} = {value}\n", 2, f"agents.U0123ABCD.{key}"
    return f"[{table}]\n{key} = {value}\n", 2, f"{table}.{key}"


def _flag_value(settings: Settings, table: str, key: str) -> bool:
    if table == "queues":
        return getattr(settings.queues[0], key)
    if table == "agents":
        return getattr(settings.agent_overrides[0], key)
    return getattr(settings, FLAG_SETTINGS[(table, key)])


EVERY_FLAG = [*FLAG_SETTINGS, *(("queues", key) for key in _bool_fields(Queue)),
              *(("agents", key) for key in _bool_fields(AgentOverride))]


def test_every_true_false_setting_is_listed_as_a_flag():
    # A bool field of Settings missing here would be read without the one type rule.
    assert set(_bool_fields(Settings)) == set(FLAG_SETTINGS.values())
    assert {"auto_answer", "auto_answer_allow_reject"} <= set(_bool_fields(Queue))


@pytest.mark.parametrize("table, key", EVERY_FLAG, ids=[".".join(f) for f in EVERY_FLAG])
@pytest.mark.parametrize("written", ['"false"', '"no"', '"true"', "0", "1"])
def test_a_quoted_or_numeric_flag_is_refused_at_its_line(tmp_path, table, key, written):
    text, line, name = _flag_file(table, key, written)
    path = tmp_path / "desk.toml"
    path.write_text(text)
    expected = f"{name} must be true or false (no quotes), got {written}"

    with pytest.raises(ConfigError) as error:
        Settings.load(path, env={})
    assert expected in str(error.value)

    problems = check(path).problems
    assert [(p.line, expected in p.text) for p in problems] == [(line, True)], problems


@pytest.mark.parametrize("table, key", EVERY_FLAG, ids=[".".join(f) for f in EVERY_FLAG])
@pytest.mark.parametrize("written, value", [("true", True), ("false", False)])
def test_an_unquoted_flag_is_read_as_written(tmp_path, table, key, written, value):
    text, _line, _name = _flag_file(table, key, written)
    if (table, key) == ("dispositions", "mandatory"):
        text += 'codes = ["Resolved"]\n'
    path = tmp_path / "desk.toml"
    path.write_text(text)
    assert _flag_value(Settings.load(path, env={}), table, key) is value


def test_a_quoted_false_in_a_workspace_table_is_refused_too(tmp_path):
    path = tmp_path / "desk.toml"
    path.write_text('[workspaces.T0001.spelling]\nenabled = "false"\n')
    with pytest.raises(ConfigError, match=r'spelling.enabled must be true or false \(no quotes'):
        Settings.load(path, env={})
    assert [p.line for p in check(path).problems] == [2]


CHANNEL_HINT = "give the channel's id, e.g. C0123456789, from the channel's About tab, not its name"


@pytest.mark.parametrize("written", ["#sms-desk", "general", "c0123456789", "C0123 456",
                                     "U0123456789", ""])
@pytest.mark.parametrize("text, line, name", [
    ('[desk]\nchannel = "{}"\n', 2, "desk.channel"),
    ('[[queues]]\nname = "Support"\nsupervisor_channel = "{}"\n', 3,
     "queue #1 (Support): supervisor_channel"),
    ('[workspaces.T0001.desk]\nchannel = "{}"\n', 2, "desk.channel"),
], ids=["desk", "queue", "workspace"])
def test_a_channel_name_where_an_id_belongs_is_refused_at_its_line(tmp_path, written, text,
                                                                  line, name):
    path = tmp_path / "desk.toml"
    path.write_text(text.format(written))
    with pytest.raises(ConfigError) as error:
        Settings.load(path, env={})
    assert f'{name}: "{written}" is not a Slack channel id' in str(error.value)
    assert CHANNEL_HINT in str(error.value)
    assert [p.line for p in check(path).problems] == [line]


def test_a_direct_message_is_no_desk_channel(tmp_path):
    path = tmp_path / "desk.toml"
    path.write_text('[desk]\nchannel = "D0123456789"\n')
    with pytest.raises(ConfigError, match="a direct message, not a channel"):
        Settings.load(path, env={})


@pytest.mark.parametrize("channel", ["C0123456789", "G0123ABCD"])
def test_public_and_private_channel_ids_are_accepted(tmp_path, channel):
    path = tmp_path / "desk.toml"
    path.write_text(f'[desk]\nchannel = "{channel}"\n[[queues]]\nname = "Support"\n'
                    f'supervisor_channel = "{channel}"\n')
    settings = Settings.load(path, env={})
    assert settings.desk_channel == channel and settings.queues[0].supervisor_channel == channel


def test_a_channel_name_in_smsdesk_desk_channel_is_refused_at_load(tmp_path):
    with pytest.raises(ConfigError) as error:
        Settings.load(tmp_path / "smsdesk.toml", env={"SMSDESK_DESK_CHANNEL": "#sms-desk"})
    assert 'SMSDESK_DESK_CHANNEL: "#sms-desk" is not a Slack channel id' in str(error.value)
    assert CHANNEL_HINT in str(error.value)


def test_an_agents_table_is_named_by_a_user_id(tmp_path):
    path = tmp_path / "desk.toml"
    path.write_text('[agents.U0123ABCD]\ncapacity = 2\n\n[agents.ann]\ncapacity = 2\n')
    with pytest.raises(ConfigError) as error:
        Settings.load(path, env={})
    assert '[agents.ann]: "ann" is not a Slack user id' in str(error.value)
    assert [p.line for p in check(path).problems] == [4]
