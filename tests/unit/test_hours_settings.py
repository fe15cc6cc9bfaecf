"""A queue's business hours in the settings file: the shape an admin writes, read into
OpeningHours, and every mistake named at its line."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.cli import main
from bot.config import ConfigError, Settings

SUPPORT = """
[[queues]]
name = "Support"
holidays = ["2026-12-25", 2027-01-01]
after_hours_reply = " Thanks! We are closed and will answer from 9am. "
after_hours_queue = "Overnight"

[queues.hours]
time_zone = "America/New_York"
mon = "09:00-17:00"
tue = "09:00-17:00"
wed = "09:00-12:00, 13:00-17:00"
thu = "09:00-17:00"
fri = "09:00-17:00"
sat = "closed"

[[queues]]
name = "Overnight"
hours = { time_zone = "Europe/London", mon = "22:00-06:00" }
"""


def _load(tmp_path, text: str) -> Settings:
    path = tmp_path / "smsdesk.toml"
    path.write_text(text.lstrip("\n"), encoding="utf-8")
    return Settings.load(path, env={})


def test_the_hours_an_admin_writes_become_the_queues_opening_hours(tmp_path):
    settings = _load(tmp_path, SUPPORT)
    support = settings.queue_named("Support")
    assert support.hours is not None
    assert support.hours.time_zone == "America/New_York"
    assert support.hours.week[2] == ((540, 720), (780, 1020))
    assert support.hours.week[5] == support.hours.week[6] == ()  # sat closed, sun left out
    assert support.hours.holidays == {date(2026, 12, 25), date(2027, 1, 1)}
    assert support.after_hours_reply == "Thanks! We are closed and will answer from 9am."
    assert support.after_hours_queue == "Overnight"
    # Monday 7 December 2026, 18:30 in New York.
    evening = datetime(2026, 12, 7, 23, 30, tzinfo=UTC)
    assert not support.is_open(evening)
    assert settings.queue_named("Overnight").is_open(evening)


def test_a_queue_without_hours_is_always_open(tmp_path):
    settings = _load(tmp_path, '[[queues]]\nname = "Support"\n')
    queue = settings.queue_named("Support")
    assert queue.hours is None and queue.is_open(datetime(2026, 12, 25, 3, 0, tzinfo=UTC))
    assert Settings().queue_named(None).is_open(datetime(2026, 12, 25, 3, 0, tzinfo=UTC))


HOURS = 'hours = { time_zone = "America/New_York", mon = "09:00-17:00" }\n'


@pytest.mark.parametrize("text, complaint", [
    ('hours = { time_zone = "Eastern", mon = "09:00-17:00" }',
     'queue #1 (Support): hours.time_zone "Eastern" is not a time zone: use an IANA time '
     'zone name such as "America/New_York"'),
    ('hours = { mon = "09:00-17:00" }', "hours needs the time zone its times are in"),
    ('hours = { time_zone = "UTC", mon = "9-5" }',
     'hours.mon "9-5" is not a range of times: write "09:00-17:00"'),
    ('hours = { time_zone = "UTC", mon = "09:00-25:00" }', "25:00 is not a time of day"),
    ('hours = { time_zone = "UTC", monday = "09:00-17:00" }',
     "hours.monday is not a setting of hours; did you mean mon?"),
    ('hours = { time_zone = "UTC", sat = "closed" }', "hours open on no day"),
    ('hours = "9-5"', "hours must be a table"),
    (HOURS + 'holidays = ["25/12/2026"]', 'holidays: "25/12/2026" is not a date'),
    (HOURS + 'holidays = "2026-12-25"', "holidays must be a list of dates"),
    ('holidays = ["2026-12-25"]', "holidays needs the queue's opening hours"),
    ('after_hours_reply = "We are closed"', "after_hours_reply needs the queue's opening hours"),
    (HOURS + "after_hours_reply = ''", "queue #1 (Support): after_hours_reply must be text"),
    (HOURS + f"after_hours_reply = '{'x' * 321}'", "keep it to 320"),
    (HOURS + 'after_hours_queue = "Nights"',
     'after_hours_queue "Nights" is not a queue: name one of the [[queues]] tables, "Sales"'),
    (HOURS + 'after_hours_queue = "Support"', 'after_hours_queue "Support" is this queue itself'),
    (HOURS + "after_hours_queue = 3", "after_hours_queue must be the name of another queue"),
    ("after_hours_queue = 'Sales'", "after_hours_queue needs the queue's opening hours"),
])
def test_a_mistake_in_business_hours_is_named(tmp_path, text, complaint):
    with pytest.raises(ConfigError) as error:
        _load(tmp_path, f'[[queues]]\nname = "Support"\n{text}\n\n[[queues]]\nname = "Sales"\n')
    assert complaint in str(error.value)


def test_config_check_names_the_line_of_a_bad_time_zone(tmp_path, capsys):
    path = tmp_path / "desk.toml"
    path.write_text('[[queues]]\nname = "Support"\n\n[queues.hours]\n'
                    'time_zone = "Mars/Olympus"\nmon = "09:00-17:00"\n', encoding="utf-8")
    with pytest.raises(SystemExit) as exit_:
        main(["config", "check", str(path)])
    assert exit_.value.code == 2
    assert f'{path}:5: queue #1 (Support): hours.time_zone "Mars/Olympus" is not a time zone' \
        in capsys.readouterr().err


def test_config_check_sums_up_each_queues_hours(tmp_path, capsys):
    path = tmp_path / "desk.toml"
    path.write_text(SUPPORT.lstrip("\n"), encoding="utf-8")
    main(["config", "check", str(path)])
    out = capsys.readouterr().out
    assert ("Support: numbers none; every agent; threads in the desk channel; open Mon–Tue "
            "09:00–17:00, Wed 09:00–12:00 and 13:00–17:00, Thu–Fri 09:00–17:00 "
            "(America/New_York), closed 2 holidays; outside them to queue Overnight") in out
    assert "Overnight: numbers none; every agent; threads in the desk channel; open Mon "\
           "22:00–06:00 (Europe/London)" in out
