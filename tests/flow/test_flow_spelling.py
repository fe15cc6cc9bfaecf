"""Spelling check before send, end to end: held replies and the agent's choices."""

from __future__ import annotations

import json
import time
from urllib.parse import urlencode

import pytest

from bot.config import Settings
from bot.slack import ids
from bot.spelling import checker
from tests.harness import (
    DESK_CHANNEL,
    action_value,
    line_text,
    rich_text,
    section,
    start_desk,
)

A = "UAGENT1"


def _desk(db_url, **settings):
    checker.preload(["en"])  # as the app does beside start-up: the first check waits for it
    return start_desk(db_url, settings=Settings(desk_channel=DESK_CHANNEL, **settings))


@pytest.fixture
def desk(tmp_path):
    running = _desk(f"sqlite:///{tmp_path / 'desk.sqlite3'}")
    yield running
    running.close()


def _open(desk, customer: str = "+14155550100") -> dict:
    desk.slash(A, ids.COMMAND_READY)
    desk.customer_texts(customer, "Where is my parcel?")
    before = len(desk.cards())
    preview = desk.slack.wait_for(
        lambda s: next((p for p in desk.previews_for(A) if "Where is my parcel?" in str(p)
                        and any(b.get("type") == "actions" for b in p["blocks"])), None),
        5, "no preview")
    desk.click(A, ids.ACCEPT_OFFER, action_value(preview, ids.ACCEPT_OFFER))
    desk.slack.wait_for(lambda s: len(desk.cards()) > before, 5, "no card")
    card = desk.cards()[-1]
    assert f"<@{A}>" in str(card["blocks"])  # the card says who holds it
    desk.wait_idle()
    return card


def _prompts(desk) -> list[dict]:
    return [e for e in desk.slack.ephemerals(DESK_CHANNEL) if e["user"] == A
            and ":pencil2:" in str(e.get("blocks"))]


def _wait_prompt(desk, count: int = 1) -> dict:
    return desk.slack.wait_for(lambda s: len(_prompts(desk)) >= count and _prompts(desk),
                               5, "no spelling prompt")[count - 1]


def _click(desk, prompt: dict, action_id: str, word: str | None = None) -> None:
    for block in prompt["blocks"]:
        for element in block.get("elements", []) if block["type"] == "actions" else []:
            if element["action_id"] == action_id and (word is None or
                                                      element["value"].endswith("|" + word)):
                desk.click(A, action_id, element["value"], channel=DESK_CHANNEL)
                return
    raise AssertionError(f"no {action_id} for {word} in the prompt")


def _word_select(prompt: dict, word: str, nth: int = 0) -> tuple[str, dict]:
    """(block_id, select) of the flagged word's choices in the prompt (its nth occurrence)."""
    found = [(b["block_id"], b["accessory"]) for b in prompt["blocks"]
             if b.get("accessory", {}).get("action_id") == ids.SPELL_WORD
             and f"*{word}*" in b["text"]["text"]]
    assert len(found) > nth, f"no choice for {word} in the prompt"
    return found[nth]


def _options(select: dict) -> list[dict]:
    return [o for group in select["option_groups"] for o in group["options"]]


def _pick(desk, prompt: dict, word: str, label: str, nth: int = 0) -> None:
    """Choose, for the flagged word, the option whose text starts with `label`."""
    block_id, select = _word_select(prompt, word, nth)
    option = next(o for o in _options(select) if o["text"]["text"].startswith(label))
    desk.pick(A, ids.SPELL_WORD, option, block_id=block_id, channel=DESK_CHANNEL,
              ephemeral=True)


def test_any_suggestion_of_a_word_can_be_picked_and_each_occurrence_ignored(desk):
    card = _open(desk)
    desk.agent_writes_in_thread(A, card["ts"], "teh parcel will recieve teh label")
    prompt = _wait_prompt(desk)
    _, select = _word_select(prompt, "recieve")
    suggestions = [o["text"]["text"] for o in select["option_groups"][0]["options"]]
    assert suggestions[:2] == ["receive", "relieve"]
    assert select["initial_option"]["text"]["text"] == "receive"  # what applies unless picked
    labels = [o["text"]["text"] for o in _options(select)]
    assert {"Ignore (keep it here)", "Ignore All (this conversation)",
            "Add to My Dictionary"} <= set(labels)

    _pick(desk, prompt, "recieve", "relieve")  # not the first suggestion
    _pick(desk, prompt, "teh", "Ignore (", nth=0)  # the first "teh" stays as written
    desk.wait_idle()
    _click(desk, prompt, ids.SPELL_SEND_CORRECTED)
    sms = desk.twilio.wait_for(lambda t: t.sent and t.sent[0], 5, "not sent")
    assert sms.body == "teh parcel will relieve the label"


def test_the_buttons_of_a_prompt_posted_before_per_word_choices_still_work(desk):
    card = _open(desk)
    desk.agent_writes_in_thread(A, card["ts"], "Your zorbex is ready")
    message_id = action_value(_wait_prompt(desk), ids.SPELL_CANCEL)
    desk.click(A, ids.SPELL_IGNORE_ALL, f"{message_id}|zorbex", channel=DESK_CHANNEL)
    assert "No flagged words left" in _wait_prompt(desk, 2)["text"]


def test_a_typo_is_held_and_sent_corrected(desk):
    card = _open(desk)
    desk.agent_writes_in_thread(A, card["ts"], "You will recieve it tomorrow")
    prompt = _wait_prompt(desk)
    assert "recieve" in str(prompt["blocks"]) and "receive" in str(prompt["blocks"])
    desk.wait_idle()
    assert desk.twilio.sent == []  # held, not relayed

    _click(desk, prompt, ids.SPELL_SEND_CORRECTED)
    sms = desk.twilio.wait_for(lambda t: t.sent and t.sent[0], 5, "not sent")
    assert sms.body == "You will receive it tomorrow"
    desk.slack.wait_for(lambda s: any("spelling corrections" in line_text(m)
                                      for m in s.thread(DESK_CHANNEL, card["ts"])), 5,
                        "the thread does not say what was sent")


def test_send_anyway_sends_the_words_as_written(desk):
    card = _open(desk)
    desk.agent_writes_in_thread(A, card["ts"], "You will recieve it")
    _click(desk, _wait_prompt(desk), ids.SPELL_SEND_ANYWAY)
    sms = desk.twilio.wait_for(lambda t: t.sent and t.sent[0], 5, "not sent")
    assert sms.body == "You will recieve it"


def test_ignore_all_lasts_for_this_interaction_only(tmp_path):
    desk = _desk(f"sqlite:///{tmp_path / 'd.sqlite3'}",
                 session_keywords=("WHERE",))  # a session, so one reply does not close it
    try:
        card = _open(desk)
        desk.agent_writes_in_thread(A, card["ts"], "Your zorbex is ready")
        first = _wait_prompt(desk)
        _pick(desk, first, "zorbex", "Ignore All")
        second = _wait_prompt(desk, 2)
        assert "No flagged words left" in second["text"]
        _click(desk, second, ids.SPELL_SEND_ANYWAY)
        desk.twilio.wait_for(lambda t: len(t.sent) == 1, 5, "not sent")

        desk.agent_writes_in_thread(A, card["ts"], "The zorbex ships today")
        desk.twilio.wait_for(lambda t: len(t.sent) == 2, 5, "ignored word held again")
        assert len(_prompts(desk)) == 2

        other = _open(desk, "+14155550111")
        desk.agent_writes_in_thread(A, other["ts"], "Your zorbex is ready")
        _wait_prompt(desk, 3)  # another interaction: flagged again
    finally:
        desk.close()


def test_my_dictionary_survives_a_restart(tmp_path):
    url = f"sqlite:///{tmp_path / 'd.sqlite3'}"
    desk = _desk(url)
    try:
        card = _open(desk)
        desk.agent_writes_in_thread(A, card["ts"], "Try the zorbex")
        _pick(desk, _wait_prompt(desk), "zorbex", "Add to My Dictionary")
        _click(desk, _wait_prompt(desk, 2), ids.SPELL_SEND_ANYWAY)
        desk.twilio.wait_for(lambda t: t.sent, 5, "not sent")
        desk.wait_idle()
    finally:
        desk.close()
    desk = _desk(url)
    try:
        card = _open(desk, "+14155550122")
        desk.agent_writes_in_thread(A, card["ts"], "The zorbex is back")
        desk.twilio.wait_for(lambda t: [m.body for m in t.sent] == ["The zorbex is back"], 5,
                             "a word in my dictionary was held")
        assert _prompts(desk) == []
    finally:
        desk.close()


def test_switching_to_spanish_flags_english_words(tmp_path):
    desk = _desk(f"sqlite:///{tmp_path / 'd.sqlite3'}", session_keywords=("WHERE",))
    try:
        _spanish_then_english(desk)
    finally:
        desk.close()


def _spanish_then_english(desk) -> None:
    payload = {"type": "block_actions", "team": {"id": desk.team_id},
               "user": {"id": A, "team_id": desk.team_id}, "api_app_id": "A0SMSDESK",
               "token": "legacy", "trigger_id": desk.slack.new_trigger_id(),
               "container": {"type": "view", "view_id": "VHOME"},
               "actions": [{"type": "static_select", "action_id": ids.SPELLING_LANGUAGE,
                            "block_id": "spelling",
                            "selected_option": {"value": "es",
                                                "text": {"type": "plain_text",
                                                         "text": "Español"}},
                            "action_ts": str(time.time())}]}
    desk._slack_post(urlencode({"payload": json.dumps(payload)}),
                     "application/x-www-form-urlencoded")
    card = _open(desk)
    desk.agent_writes_in_thread(A, card["ts"], "Hola, gracias por esperar")
    # The first Spanish reply waits for that dictionary to load (1-3 s quiet, more on a
    # busy machine).
    desk.twilio.wait_for(lambda t: t.sent, 30, "Spanish held")
    desk.agent_writes_in_thread(A, card["ts"], "Thanks for waiting")
    desk.slack.wait_for(lambda s: _prompts(desk), 5, "English not flagged in Spanish")


def test_with_confirm_on_send_off_a_flagged_reply_goes_at_once(tmp_path):
    desk = _desk(f"sqlite:///{tmp_path / 'd.sqlite3'}", spelling_confirm_on_send=False)
    try:
        card = _open(desk)
        desk.agent_writes_in_thread(A, card["ts"], "You will recieve it")
        desk.twilio.wait_for(lambda t: t.sent, 5, "held although confirm-on-send is off")
        prompt = _wait_prompt(desk)
        assert "Sent." in prompt["text"]
        assert ids.SPELL_SEND_ANYWAY not in str(prompt["blocks"])
    finally:
        desk.close()


def test_urls_codes_and_numbers_are_never_flagged(desk):
    card = _open(desk)
    url = "https://www.ups.com/track?id=1Z999AA10123456784"
    text = (f"Track it at <{url}> - order AB12CD, ticket #INC0042 - call +1 415 555 0100 or "
            "mail <mailto:help@example.com|help@example.com> by 10am, $49.99")
    blocks = rich_text(section(
        {"type": "text", "text": "Track it at "}, {"type": "link", "url": url},
        {"type": "text", "text": " - order AB12CD, ticket #INC0042 - call +1 415 555 0100 or "
                                 "mail "},
        {"type": "link", "url": "mailto:help@example.com", "text": "help@example.com"},
        {"type": "text", "text": " by 10am, $49.99"}))
    desk.agent_writes_in_thread(A, card["ts"], text, blocks=blocks)
    desk.twilio.wait_for(lambda t: t.sent, 5, "held")
    assert _prompts(desk) == []


def test_an_agent_turns_the_check_off_on_the_home_tab(desk):
    desk.event({"type": "app_home_opened", "user": A, "tab": "home", "channel": "DAGENT1",
                "event_ts": "1.0"})
    home = desk.slack.wait_for(lambda s: "Spelling check before send" in str(s.home_view(A))
                               and s.home_view(A), 5, "no spelling section on Home")
    toggle = next(b["accessory"] for b in home["blocks"]
                  if b.get("accessory", {}).get("action_id") == ids.SPELLING_TOGGLE)
    assert toggle["value"] == "off"
    language = next(b["accessory"] for b in home["blocks"]
                    if b.get("accessory", {}).get("action_id") == ids.SPELLING_LANGUAGE)
    assert language["initial_option"]["value"] == "en"
    assert {"es", "fr", "de"} <= {o["value"] for o in language["options"]}

    desk.click(A, ids.SPELLING_TOGGLE, "off")
    desk.slack.wait_for(lambda s: "is off" in str(s.home_view(A)), 5, "Home not updated")
    card = _open(desk)
    desk.agent_writes_in_thread(A, card["ts"], "You will recieve it")
    desk.twilio.wait_for(lambda t: t.sent, 5, "held although the agent turned the check off")
    assert _prompts(desk) == []
