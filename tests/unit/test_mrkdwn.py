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


BIDI_CONTROLS = [chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))]
# Any text at all, but for the bidi controls escape deliberately makes visible.
any_text = st.text(alphabet=st.characters(codec="utf-8", exclude_characters=BIDI_CONTROLS))


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
@given(any_text)
def test_unescaping_restores_the_original(text):
    assert unescape(escape(text)) == text


@settings(max_examples=200)
@given(st.text(alphabet=st.sampled_from("<>&@!#|^:/ ltgamp;U123"), max_size=60) | any_text)
def test_escaped_text_comes_back_unchanged_from_slack(text):
    assert to_plain_text(escape(text), never_called) == text


@settings(max_examples=200)
@given(st.text(alphabet=st.sampled_from("<>&@!#|^:/ ltgamp;U123"), max_size=60))
def test_escaped_text_mentions_no_one(text):
    assert mentioned_user_ids(escape(text)) == []
    assert not re.search(r"<[@#!]", escape(text))


def test_a_right_to_left_override_cannot_disguise_a_file_name():
    # Shown raw, "invoice\u202efdp.exe" reads "invoiceexe.pdf".
    assert escape("invoice\u202efdp.exe") == "invoice\u27e8U+202E\u27e9fdp.exe"
    assert escape("\u2067<@U1>\u2069") == "\u27e8U+2067\u27e9&lt;@U1&gt;\u27e8U+2069\u27e9"


def test_marks_and_joiners_that_scripts_and_emoji_need_are_kept():
    family = "\U0001F468\u200d\U0001F469\u200d\U0001F467"  # one emoji, joined by ZWJ
    persian = "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"  # needs a ZWNJ
    for text in (family, persian, "\u05e9\u05dc\u05d5\u05dd\u200f!", "zero\u200bwidth"):
        assert escape(text) == text


@settings(max_examples=200)
@given(st.text(alphabet=st.sampled_from([*BIDI_CONTROLS, "a", "<", "&", "\u200f"])) | st.text())
def test_no_bidi_control_survives_escaping_and_each_is_named(text):
    escaped = escape(text)
    assert not set(escaped) & set(BIDI_CONTROLS)
    assert sum(escaped.count(f"\u27e8U+{ord(c):04X}\u27e9") for c in BIDI_CONTROLS) == sum(
        text.count(c) for c in BIDI_CONTROLS)
