"""The one mrkdwn escape, and Slack message text turned back into what a phone shows."""

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.slack.mrkdwn import escape, mentioned_user_ids, to_plain_text

NAMES = {"U123": "Bob", "U456": "Ana"}


def never_called(user_id: str) -> str:
    raise AssertionError(f"escaped text must not mention anyone, but {user_id} was looked up")


def plain(slack_text: str) -> str:
    return to_plain_text(slack_text, NAMES.__getitem__)


def unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def test_customer_phishing_link_renders_literally():
    escaped = escape("<https://evil.example|yourbank.com>")
    assert escaped == "&lt;https://evil.example|yourbank.com&gt;"


def test_customer_channel_ping_renders_literally():
    assert escape("<!channel> help") == "&lt;!channel&gt; help"
    assert escape("<@U123>") == "&lt;@U123&gt;"


def test_ampersand_is_escaped_once():
    assert escape("a & b &lt;") == "a &amp; b &amp;lt;"


def test_user_mention_becomes_their_name():
    assert plain("hi <@U123>, meet <@U456|ana>") == "hi Bob, meet Ana"


def test_channel_link_becomes_hash_name():
    assert plain("see <#C123|general>") == "see #general"


def test_broadcasts_become_at_words():
    assert plain("<!here> <!channel> <!everyone>") == "@here @channel @everyone"


def test_user_group_becomes_its_handle():
    assert plain("ask <!subteam^S123|@team>") == "ask @team"


def test_date_becomes_its_fallback_text():
    assert plain("due <!date^1392734382^{date_short}|Feb 18, 2014>") == "due Feb 18, 2014"


def test_mail_link_shows_the_address_once():
    assert plain("write <mailto:a@b.c|a@b.c>") == "write a@b.c"


def test_bare_link_shows_the_url():
    assert plain("<https://x.y/z>") == "https://x.y/z"


def test_labelled_link_shows_where_it_really_goes():
    assert plain("<https://x.y/z|label>") == "label (https://x.y/z)"


def test_link_labelled_with_its_own_url_shows_it_once():
    assert plain("<https://x.y/z|https://x.y/z>") == "https://x.y/z"
    assert plain("<http://example.com|example.com>") == "example.com"


def test_entities_come_back_as_characters():
    assert plain("1 &lt; 2 &amp;&amp; 3 &gt; 2, &amp;lt; stays") == "1 < 2 && 3 > 2, &lt; stays"


def test_entities_inside_links_come_back_too():
    assert plain("<https://x.y/?a=1&amp;b=2|A &amp; B>") == "A & B (https://x.y/?a=1&b=2)"


def test_mentioned_user_ids_in_order_without_duplicates():
    text = "<@U456> and <@U123|bob> and <@U456> and <#C1|x> <!here>"
    assert mentioned_user_ids(text) == ["U456", "U123"]


@settings(max_examples=200)
@given(st.text())
def test_escaped_text_has_no_angle_brackets(text):
    escaped = escape(text)
    assert "<" not in escaped and ">" not in escaped


@settings(max_examples=200)
@given(st.text())
def test_unescaping_restores_the_original(text):
    assert unescape(escape(text)) == text


@settings(max_examples=200)
@given(st.text(alphabet=st.sampled_from("<>&@!#|^:/ ltgamp;U123"), max_size=60) | st.text())
def test_escaped_text_comes_back_unchanged_from_slack(text):
    assert to_plain_text(escape(text), never_called) == text


@settings(max_examples=200)
@given(st.text(alphabet=st.sampled_from("<>&@!#|^:/ ltgamp;U123"), max_size=60))
def test_escaped_text_mentions_no_one(text):
    assert mentioned_user_ids(escape(text)) == []
    assert not re.search(r"<[@#!]", escape(text))
