"""The rules of New SMS that need no Slack: what /sms's text means, which numbers can get an
SMS, and which whole messages are opt-out keywords."""

from __future__ import annotations

import pytest

from bot.desk.directory.contacts import create_contact
from bot.desk.directory.opt_outs import Keyword, keyword_of
from bot.desk.interactions.outbound import split_command
from bot.desk.phone import InvalidNumber, textable_e164

TEAM = "T0001"


@pytest.mark.parametrize(("text", "expected"), [
    ("+1 415 555 0100 Your order is ready", ("+1 415 555 0100", "Your order is ready")),
    ("(415) 555-0100 Back in 2 days", ("(415) 555-0100", "Back in 2 days")),
    ("4155550100", ("4155550100", "")),
    ("Jane Doe Hello there", ("Jane Doe", "Hello there")),
    ("jane doe", ("jane doe", "")),
    ("Bob 2 pizzas", ("Bob", "2 pizzas")),  # nobody called Bob: the first word, checked later
    ("", ("", "")),
])
def test_the_text_after_sms_is_split_into_recipient_and_message(db, text, expected):
    with db.transaction() as s:
        create_contact(s, TEAM, "+14155550100", name="Jane Doe")
        create_contact(s, TEAM, "+14155550101", name="Jane")
    assert split_command(db, TEAM, text, "US") == expected


def test_mobile_numbers_pass_and_others_say_why_not():
    assert textable_e164("(415) 555-0100", "US") == "+14155550100"
    assert textable_e164("06 12 34 56 78", "FR") == "+33612345678"
    with pytest.raises(InvalidNumber, match="not a mobile number"):
        textable_e164("+33 1 42 34 56 78", "US")  # a Paris landline
    with pytest.raises(InvalidNumber, match="not a mobile number"):
        textable_e164("+1 800 555 0100", "US")  # toll-free: a business, not a customer
    with pytest.raises(InvalidNumber):
        textable_e164("hello", "US")


@pytest.mark.parametrize(("body", "keyword"), [
    ("STOP", Keyword.OPT_OUT), (" stop ", Keyword.OPT_OUT), ("Stop.", Keyword.OPT_OUT),
    ("unsubscribe", Keyword.OPT_OUT), ("StopAll", Keyword.OPT_OUT), ("quit", Keyword.OPT_OUT),
    ("START", Keyword.OPT_IN), ("unstop", Keyword.OPT_IN), ("yes", Keyword.OPT_IN),
    ("help", Keyword.HELP), ("INFO", Keyword.HELP),
    ("please stop texting me", None), ("stopped", None), ("", None),
])
def test_only_the_whole_message_is_a_keyword(body, keyword):
    assert keyword_of(body) is keyword
