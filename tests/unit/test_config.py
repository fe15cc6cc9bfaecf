"""Desk settings: the annotated example loads, and mistakes are named plainly."""

from __future__ import annotations

import re

import pytest

from bot.config import ConfigError, Settings
from bot.config.schema import SETTINGS_KEYS
from tests import REPO_ROOT

EXAMPLE = REPO_ROOT / "smsdesk.example.toml"


def test_the_annotated_example_loads():
    settings = Settings.load(EXAMPLE, env={})
    assert settings.desk_channel == "C0123456789"
    assert settings.session_keywords == ("CHAT",)
    assert settings.media_save_roles == ("supervisor", "admin")
    assert settings.help_reply.startswith("Example Co support:")


def test_the_annotated_example_shows_every_section_and_key():
    # Commented-out examples count: an admin reads them to learn a section exists.
    text = EXAMPLE.read_text(encoding="utf-8")
    for section, keys in SETTINGS_KEYS.items():
        assert re.search(rf"^#? ?\[{{1,2}}{section}[.\]]", text, re.M), f"[{section}] missing"
        for key in keys - {"user_id"}:
            assert re.search(rf"^#? ?({key} = |\[{section}\.{key}\])", text, re.M), \
                f"{section}.{key} missing"


def test_the_example_and_the_readme_give_the_same_channel_thread_limit():
    readme = (EXAMPLE.parent / "README.md").read_text(encoding="utf-8")
    limits = {re.search(r"about (\w+) busy", text).group(1)
              for text in (readme, EXAMPLE.read_text(encoding="utf-8"))}
    # What bench/slack_delivery.py measured: five busy conversations already fill the channel.
    assert limits == {"five"}


def test_sessions_start_by_number_or_first_keyword():
    settings = Settings(session_numbers=("+15005550007",), session_keywords=("CHAT",))
    assert settings.mode_for("+15005550007", "hello") == "session"
    assert settings.mode_for("+15005550006", "chat with me") == "session"
    assert settings.mode_for("+15005550006", "let's chat") == "page"
    assert settings.mode_for("+15005550006", "   ") == "page"


def test_the_environment_names_the_desk_channel_over_the_file():
    assert Settings.load(EXAMPLE, env={"SMSDESK_DESK_CHANNEL": "CENV"}).desk_channel == "CENV"


@pytest.mark.parametrize("text, complaint", [
    ("[media]\nsave_roles = ['everyone']", "unknown roles ['everyone']"),
    ("[session]\nexpiry_minutes = 0", "session.expiry_minutes must be at least 1"),
    ("[desk]\noffer_timeout_seconds = 1", "offer_timeout_seconds must be at least 5"),
    ("[desk\nchannel = 'C1'", "smsdesk.toml"),
    ("[contacts]\nrecent_days = 0", "contacts.recent_days must be a whole number of days"),
    ("[contacts]\nrecent_days = 'thirty'", "contacts.recent_days must be a whole number"),
    ("[contacts]\nrecent_dayz = 7",
     "recent_dayz is not a setting of [contacts]; did you mean recent_days?"),
    ("[desk]\noffer_timout_seconds = 30", "did you mean offer_timeout_seconds?"),
    ("[desk]\nhelp_reply = ''", "desk.help_reply must be text in quotes"),
    ("[desk]\nhelp_reply = 5", "desk.help_reply must be text in quotes"),
    (f"[desk]\nhelp_reply = '{'x' * 321}'", "keep it to 320"),
    ("[privacy]\nfinished_jobs_days = -1", "privacy.finished_jobs_days must be a whole number"),
    (f"[[queues]]\nname = '{'Q' * 65}'", "is 65 characters; keep it to 64"),
    ("[desk]\nreoffer_after_seconds = -1", "desk.reoffer_after_seconds must be at least 0"),
    ("[desk]\nmissed_offers_not_ready = true", "missed_offers_not_ready must be a whole number"),
    ("[desk]\nwaiting_alert_seconds = '2m'", "waiting_alert_seconds must be a whole number"),
    ("[desk]\nholding_reply = ''", "desk.holding_reply must be text in quotes"),
    ("[desk]\nwaiting_alert_seconds = 0\nholding_reply = 'Hold on'",
     "desk.holding_reply is texted once a text has waited desk.waiting_alert_seconds"),

    ("[transcript]\ncolors = { customer = 'green' }",
     'transcript.colors.customer must be a colour written "#RRGGBB"'),
    ("[transcript]\ncolors = { customer = '#2EB67' }", 'written "#RRGGBB", e.g. "#2EB67D"'),
    ("[transcript]\ncolors = { client = '#2EB67D' }",
     "client is not a colour of transcript.colors; it is one of customer, note, system"),
    ("[transcript]\ncolors = '#2EB67D'", "transcript.colors must be a table"),
    ("[spelling]\nremind_after_seconds = 5", "spelling.remind_after_seconds must be at least 10"),
    ("[spelling]\nremind_after_seconds = '2m'",
     "spelling.remind_after_seconds must be a whole number of seconds"),
    ("[slack]\nhome_viewed_minutes = 0", "slack.home_viewed_minutes must be at least 1"),
    ("[slack]\nhome_viewed_minutes = '10m'",
     "slack.home_viewed_minutes must be a whole number of minutes"),
    ("[slack]\nhome_minutes = 10", "home_minutes is not a setting of [slack]"),
    ("[reports]\ntime_zone = 'Paris'", "reports.time_zone must be an IANA time zone"),
    ("[reports]\ndigest_at = '7:30'", 'reports.digest_at must be a time of day written "HH:MM"'),
    ("[reports]\ndigest_at = 730", 'reports.digest_at must be a time of day written "HH:MM"'),
    ("[reports]\ndigest_at = '24:00'", 'got "24:00"'),
])
def test_a_mistake_in_the_settings_is_named(tmp_path, text, complaint):
    path = tmp_path / "smsdesk.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=None) as error:
        Settings.load(path, env={})
    assert complaint in str(error.value)


def test_the_admin_sets_the_transcript_colours_and_the_rest_keep_their_defaults(tmp_path):
    path = tmp_path / "smsdesk.toml"
    path.write_text('[transcript]\ncolors = { customer = "#1264a3", note = "#E01E5A" }\n')
    colors = Settings.load(path, env={}).transcript_colors
    default = Settings().transcript_colors
    assert (colors.customer, colors.system, colors.note) == ("#1264A3", default.system,
                                                             "#E01E5A")
    assert len({default.customer, default.system, default.note}) == 3


def test_a_named_settings_file_that_does_not_exist_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        Settings.load(tmp_path / "desk.toml", env={})


def test_the_recent_days_window_is_thirty_unless_set(tmp_path):
    assert Settings.load(EXAMPLE, env={}).contacts_recent_days == 30
    path = tmp_path / "smsdesk.toml"
    path.write_text("[contacts]\nrecent_days = 7\n")
    assert Settings.load(path, env={}).contacts_recent_days == 7


def test_a_held_reply_is_remembered_after_two_minutes_unless_set(tmp_path):
    assert Settings().spelling_remind_after_seconds == 120
    path = tmp_path / "smsdesk.toml"
    path.write_text("[spelling]\nremind_after_seconds = 300\n")
    assert Settings.load(path, env={}).spelling_remind_after_seconds == 300


def test_a_home_tab_is_redrawn_for_ten_minutes_after_it_was_opened_unless_set(tmp_path):
    assert Settings.load(EXAMPLE, env={}).home_viewed_minutes == 10
    path = tmp_path / "smsdesk.toml"
    path.write_text("[slack]\nhome_viewed_minutes = 30\n")
    assert Settings.load(path, env={}).home_viewed_minutes == 30


def test_reports_count_in_utc_and_send_no_digest_unless_set(tmp_path):
    default = Settings.load(EXAMPLE, env={})
    assert (default.report_time_zone, default.digest_at) == ("UTC", None)
    path = tmp_path / "smsdesk.toml"
    path.write_text('[reports]\ntime_zone = "Europe/Paris"\ndigest_at = "07:30"\n')
    settings = Settings.load(path, env={})
    assert (settings.report_time_zone, settings.digest_at) == ("Europe/Paris", "07:30")


def test_a_spelling_language_without_a_dictionary_is_named(tmp_path):
    path = tmp_path / "smsdesk.toml"
    path.write_text("[spelling]\nlanguage = 'xx'\n")
    with pytest.raises(ConfigError, match="spelling.language 'xx'"):
        Settings.load(path, env={})


def test_what_becomes_of_a_text_nobody_takes_has_working_defaults_and_can_be_set(tmp_path):
    path = tmp_path / "smsdesk.toml"
    path.write_text("[desk]\nchannel = 'C0123456789'\n")
    defaults = Settings.load(path, env={})
    assert (defaults.reoffer_after_seconds, defaults.missed_offers_not_ready,
            defaults.waiting_alert_seconds, defaults.holding_reply) == (30, 0, 120, None)
    path.write_text("[desk]\nreoffer_after_seconds = 0\nmissed_offers_not_ready = 3\n"
                    "waiting_alert_seconds = 300\nholding_reply = ' Hold on, please. '\n")
    settings = Settings.load(path, env={})
    assert (settings.reoffer_after_seconds, settings.missed_offers_not_ready,
            settings.waiting_alert_seconds, settings.holding_reply) == (0, 3, 300,
                                                                        "Hold on, please.")


def test_reports_count_in_the_workspace_time_zone_and_queues_have_an_answer_target(tmp_path):
    path = tmp_path / "smsdesk.toml"
    path.write_text('[reports]\ntime_zone = "Europe/Paris"\n\n[[queues]]\nname = "Billing"\n'
                    'answer_within_seconds = 120\n\n[[queues]]\nname = "Sales"\n',
                    encoding="utf-8")
    settings = Settings.load(path, env={})
    assert settings.report_time_zone == "Europe/Paris"
    assert [q.answer_within_seconds for q in settings.queues] == [120, 300]
    assert Settings.load(EXAMPLE, env={}).report_time_zone == "UTC"


@pytest.mark.parametrize(("toml", "words"), [
    ('[reports]\ntime_zone = "Europe/Pariss"\n', ("reports.time_zone", "IANA", "Pariss")),
    ('[reports]\ntime_zone = "+02:00"\n', ("reports.time_zone", "IANA")),
    ('[reports]\ntime_zone = 2\n', ("reports.time_zone",)),
    ('[[queues]]\nname = "B"\nanswer_within_seconds = 0\n', ("answer_within_seconds",)),
    ('[[queues]]\nname = "B"\nanswer_within_seconds = "300"\n', ("answer_within_seconds",)),
])
def test_a_time_zone_or_target_that_cannot_be_counted_in_is_a_clear_error(tmp_path, toml,
                                                                          words):
    path = tmp_path / "smsdesk.toml"
    path.write_text(toml, encoding="utf-8")
    with pytest.raises(ConfigError) as error:
        Settings.load(path, env={})
    for word in words:
        assert word in str(error.value)
