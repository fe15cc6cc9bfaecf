"""Masking card numbers and the admin's patterns in customer text (pure logic)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.config import ConfigError, Settings
from bot.desk.data_protection.redaction import MASK, luhn_valid, redact, rules, rules_for
from bot.slack.mrkdwn import escape

CARDS = rules(True, ())


def _with_check_digit(prefix: str) -> str:
    """`prefix` plus the digit that makes it Luhn-valid."""
    return next(prefix + d for d in "0123456789" if luhn_valid(prefix + d))


def test_luhn_accepts_known_test_cards_and_refuses_a_changed_digit():
    assert luhn_valid("4242424242424242")
    assert luhn_valid("4111111111111111")
    assert luhn_valid("378282246310005")  # American Express, 15 digits
    assert not luhn_valid("4242424242424241")


def test_a_card_number_is_masked_to_its_last_four():
    masked = redact("my card is 4242424242424242 thanks", CARDS)
    assert masked.text == f"my card is {MASK} 4242 thanks"
    assert masked.cards == 1 and masked.note == "A card number was masked (privacy settings)."


def test_spaces_or_dashes_between_digit_groups_are_still_a_card():
    assert redact("4242 4242 4242 4242", CARDS).text == f"{MASK} 4242"
    assert redact("4111-1111-1111-1111.", CARDS).text == f"{MASK} 1111."
    assert redact("3782 822463 10005", CARDS).text == f"{MASK} 0005"


def test_thirteen_and_nineteen_digits_are_cards():
    thirteen, nineteen = _with_check_digit("422222222222"), _with_check_digit("6" * 18)
    assert redact(thirteen, CARDS).text == f"{MASK} {thirteen[-4:]}"
    assert redact(nineteen, CARDS).text == f"{MASK} {nineteen[-4:]}"


def test_twelve_and_twenty_digits_are_not_cards_even_when_luhn_valid():
    twelve, twenty = _with_check_digit("42424242424"), _with_check_digit("4" * 19)
    assert luhn_valid(twelve) and luhn_valid(twenty)
    for text in (twelve, twenty, f"ref {twenty} ok"):
        assert redact(text, CARDS).text == text


def test_a_run_failing_luhn_is_left_alone():
    text = "order 4242 4242 4242 4241 shipped"
    assert redact(text, CARDS).text == text and redact(text, CARDS).note is None


def test_phone_numbers_are_not_masked():
    for phone in ("+14155550100", "+1 415 555 0100", "(415) 555-0100", "415-555-0100",
                  "+44 20 7946 0958", "+4915112345678901"[:16]):
        text = f"call me on {phone} please"
        assert redact(text, CARDS).text == text, phone


def test_two_cards_in_one_text_are_both_masked_and_counted():
    masked = redact("4242424242424242 or 4111 1111 1111 1111?", CARDS)
    assert masked.text == f"{MASK} 4242 or {MASK} 1111?"
    assert masked.note == "2 card numbers were masked (privacy settings)."


def test_admin_patterns_are_masked_whole():
    both = rules(True, (r"ACCT-[0-9]{8}", r"(?i)password:\s*\w+"))
    masked = redact("acct ACCT-12345678, Password: hunter2, card 4242424242424242", both)
    assert masked.text == f"acct {MASK}, {MASK}, card {MASK} 4242"
    assert masked.patterns == 2 and masked.cards == 1
    assert masked.note == ("A card number was masked and sensitive text was masked "
                           "(privacy settings).")


def test_a_pattern_that_can_match_nothing_does_not_mask_between_letters():
    assert redact("hello", rules(False, (r"x*",))).text == "hello"


def test_cards_are_left_alone_when_redact_cards_is_off():
    assert redact("4242424242424242", rules(False, ())).text == "4242424242424242"
    off = rules_for(Settings(redact_cards=False, redact_patterns=("secret",)))
    assert redact("4242424242424242 secret", off).text == f"4242424242424242 {MASK}"


@given(st.text())
def test_redacting_then_escaping_keeps_the_escape_guarantee(text):
    shown = escape(redact(text, rules(True, (r"[<>&]+x",))).text)
    assert "<" not in shown and ">" not in shown
    assert not re.search(r"&(?!amp;|lt;|gt;)", shown)


@given(st.text())
def test_redaction_never_adds_digits(text):
    masked = redact(text, CARDS).text
    assert sum(c.isdigit() for c in masked) <= sum(c.isdigit() for c in text)


# --- patterns that backtrack without end -----------------------------------------------------

# Not a nested quantifier (the settings accept it), yet each extra "a" doubles the work of
# a backtracking engine when the text does not end in one: `re` never finishes this text.
RUNAWAY = r"(a|a)+$"
RUNAWAY_TEXT = "a" * 30 + "! my account is 4417"


def test_a_pattern_that_runs_away_masks_the_whole_text_and_names_the_pattern(caplog):
    masked = redact(RUNAWAY_TEXT, rules(True, (r"ACCT-\d+", RUNAWAY)))
    # Fail safe: nothing of the text is shown, and the agent is told something was masked.
    assert masked.text == MASK
    assert masked.note == "Sensitive text was masked (privacy settings)."
    [warning] = [r for r in caplog.records if r.levelname == "WARNING"]
    assert RUNAWAY in warning.getMessage()
    assert "4417" not in warning.getMessage() and "aaaa!" not in warning.getMessage()


@pytest.mark.parametrize("pattern", [r"(\w+\s?)+$", r"(a+)+", r"(?:x*y?)*z", r"((ab)*c)+",
                                     r"(\d+-?){2,}"])
def test_the_settings_refuse_a_pattern_with_a_repeat_inside_a_repeat(tmp_path, pattern):
    path = tmp_path / "smsdesk.toml"
    path.write_text(f"[privacy]\nredact_patterns = ['ACCT-[0-9]{{8}}', '{pattern}']\n")
    with pytest.raises(ConfigError) as error:
        Settings.load(path, env={})
    assert "privacy.redact_patterns[1]" in str(error.value)
    assert pattern in str(error.value) and "repeat inside a repeat" in str(error.value)


@pytest.mark.parametrize("pattern", [r"ACCT-[0-9]{8}", r"(\d{3}-){2}\d{4}", r"(?i)pin:\s*\d+",
                                     r"(ab|cd)+", r"(?:[A-Z]{2}\d{2} ?)+"])
def test_the_settings_accept_patterns_without_nested_repeats(tmp_path, pattern):
    path = tmp_path / "smsdesk.toml"
    path.write_text(f"[privacy]\nredact_patterns = ['{pattern}']\n")
    assert Settings.load(path, env={}).redact_patterns == (pattern,)
