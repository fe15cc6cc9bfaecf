"""The spelling prompt, the per-word choice and held replies as views: within Slack's limits
whatever the agent wrote, and each choice's value read back as written."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.desk.interactions.agents import AgentDesk
from bot.desk.interactions.spelling import WordFlag, WordPick
from bot.desk.replies.held import SPELLING, HeldReply
from bot.slack import ids
from bot.slack.limits import MAX_OPTION_TEXT, MAX_SELECT_OPTIONS
from bot.slack.views.card import CardData, build_card
from bot.slack.views.held import HeldReplyData, home_blocks
from bot.slack.views.home import build_home
from bot.slack.views.spelling import (
    MAX_OPTION_VALUE,
    build_spelling_prompt,
    parse_word_value,
    word_select,
    word_value,
)

AT = datetime(2026, 11, 25, 14, 0, tzinfo=UTC)
LONG = "x" * 140


def _selects(blocks: list[dict]) -> list[dict]:
    return [b["accessory"] for b in blocks if b.get("accessory", {}).get("type")
            == "static_select"]


def _options(select: dict) -> list[dict]:
    return [o for group in select["option_groups"] for o in group["options"]]


def _within_limits(select: dict) -> None:
    options = _options(select)
    assert 0 < len(options) <= MAX_SELECT_OPTIONS
    for option in options:
        assert 0 < len(option["text"]["text"]) <= MAX_OPTION_TEXT
        assert len(option["value"]) <= MAX_OPTION_VALUE
    for group in select["option_groups"]:
        assert 0 < len(group["label"]["text"]) <= MAX_OPTION_TEXT
    if "initial_option" in select:
        assert select["initial_option"] in options


def test_every_word_gets_its_suggestions_and_the_three_ways_to_keep_it():
    flag = WordFlag("recieve", 9, ("receive", "relieve"))
    select = word_select(flag, action_id=ids.SPELL_WORD, ref="42")
    _within_limits(select)
    assert [o["text"]["text"] for o in _options(select)] == [
        "receive", "relieve", "Ignore (keep it here)", "Ignore All (this conversation)",
        "Add to My Dictionary"]
    assert select["initial_option"]["text"]["text"] == "receive"
    assert [parse_word_value(o["value"]) for o in _options(select)][1] == (
        "42", 9, WordPick.USE, "relieve")


def test_what_was_chosen_is_what_the_select_shows():
    relieve = WordFlag("recieve", 9, ("receive", "relieve"), choice="relieve")
    ignored = WordFlag("recieve", 9, ("receive", "relieve"), choice="recieve")
    nothing = WordFlag("zorbex", 0, ())
    assert word_select(relieve, action_id="a", ref="1")["initial_option"]["text"]["text"] \
        == "relieve"
    assert word_select(ignored, action_id="a", ref="1")["initial_option"]["text"]["text"] \
        == "Ignore (keep it here)"
    assert "initial_option" not in word_select(nothing, action_id="a", ref="1")


def test_a_reply_already_sent_offers_only_what_helps_the_next_ones():
    select = word_select(WordFlag("zorbex", 0, ("zorbas",)), action_id="a", ref="1",
                         can_change=False)
    assert [o["text"]["text"] for o in _options(select)] == [
        "Ignore All (this conversation)", "Add to My Dictionary"]


def test_huge_words_and_suggestions_stay_within_slacks_limits():
    flags = [WordFlag(LONG + str(i), i * 200, (LONG + "a", "b" * 90, "c")) for i in range(30)]
    text = " ".join(f.word for f in flags)
    prompt = build_spelling_prompt(10 ** 15, text, flags, held=True)
    assert len(prompt["blocks"]) <= 50
    selects = _selects(prompt["blocks"])
    assert len(selects) == 20  # the rest are counted in a line
    for select in selects:
        _within_limits(select)
    assert "10 more flagged words" in str(prompt["blocks"])
    named = [b["block_id"] for b in prompt["blocks"] if "block_id" in b]
    assert len(set(named)) == len(named) == 21


def test_values_this_app_did_not_write_are_refused():
    assert parse_word_value("1|x|use|a") is None
    assert parse_word_value("1|2|delete_everything|") is None
    assert parse_word_value("garbage") is None
    assert parse_word_value(word_value("draft", 3, WordPick.IGNORE)) == (
        "draft", 3, WordPick.IGNORE, "")


def test_the_prompt_says_whether_the_reply_is_held_or_sent():
    flags = [WordFlag("recieve", 9, ("receive",))]
    held = build_spelling_prompt(7, "You will recieve it", flags, held=True)
    sent = build_spelling_prompt(7, "You will recieve it", flags, held=False)
    assert "held, not sent yet" in held["text"] and "Sent." in sent["text"]
    actions = [e["action_id"] for b in held["blocks"] if b["type"] == "actions"
               for e in b["elements"]]
    assert actions == [ids.SPELL_SEND_CORRECTED, ids.SPELL_SEND_ANYWAY, ids.SPELL_CANCEL]
    assert not [b for b in sent["blocks"] if b["type"] == "actions"]
    assert "You will *recieve* it" in str(held["blocks"])


def _held(message_id: int, words: int) -> HeldReplyData:
    text = " ".join(f"wrd{chr(97 + i % 26)}q" for i in range(words))
    flags = tuple(WordFlag(w, text.index(w), ("word",)) for w in text.split())
    reply = HeldReply(message_id, message_id, "U1", text, (SPELLING,), AT, "Dana",
                      "+14155550100", "C1", "1.0")
    return HeldReplyData(reply, flags, "https://x.slack.com/archives/C1/p1")


def test_the_home_tab_lists_held_replies_within_its_hundred_blocks():
    desk = AgentDesk(ready=True, not_ready_reason=None, in_progress=[], waiting=0)
    home = build_home(desk, simulator_url=None, labels={}, links={},
                      held=tuple(_held(i, 12) for i in range(1, 9)))
    assert len(home["blocks"]) <= 100
    assert "8 replies waiting for you" in str(home["blocks"])
    assert "3 replies more" in str(home["blocks"])
    named = [b["block_id"] for b in home["blocks"] if "block_id" in b]
    assert len(set(named)) == len(named)


def test_no_held_reply_no_section():
    assert home_blocks(()) == []


def _card(**overrides) -> CardData:
    values = dict(interaction_id=1, state="accepted", contact_name=None,
                  contact_phone="+14155550100", business_number="+15005550006", media="SMS",
                  mode="page", agent_user_id="U1", started_at=AT, closed_at=None,
                  closed_by=None, case_data={})
    values.update(overrides)
    return CardData(**values)


def test_the_card_says_how_many_replies_wait_and_why():
    assert "waiting for you" not in str(build_card(_card())["blocks"])
    shown = str(build_card(_card(held_replies=2, held_reasons=(SPELLING,)))["blocks"])
    assert "2 replies waiting for you: spelling" in shown
