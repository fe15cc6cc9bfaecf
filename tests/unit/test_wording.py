"""How a domain notice that names people reads in Slack."""

from bot.desk.notices import naming
from bot.slack.wording import worded


def test_each_named_person_becomes_a_mention():
    notice = naming("Supervisor {supervisor} reassigned #4 to {target}.",
                    supervisor="USUP", target="UB")
    assert worded(notice.text, notice.people) == "Supervisor <@USUP> reassigned #4 to <@UB>."


def test_braces_that_name_nobody_stay_as_written():
    assert worded("Reply {1} and {x}", {"holder": "UA"}) == "Reply {1} and {x}"
    assert worded("Reply {holder}", None) == "Reply {holder}"


def test_an_id_cannot_smuggle_markup_into_the_mention():
    assert worded("{holder}", {"holder": "UA><!channel"}) == "<@UA&gt;&lt;!channel>"
