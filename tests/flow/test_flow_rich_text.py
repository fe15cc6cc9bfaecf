"""What the agent means reaches the phone, not Slack's codes.

A reply is read from the rich_text blocks Slack sends beside a message event's `text` (shaped
as Slack's rich text block reference shows them): emoji go as emoji (skin tones kept), styles
vanish, a link whose text differs from its address goes as "text (address)", a colleague is
named, a list keeps its bullets. A custom emoji of the workspace, which no phone can show,
holds the reply until the agent sends it without.
"""

from __future__ import annotations

import pytest

from bot.slack import ids
from tests.harness import DESK_CHANNEL, accept_new_interaction

A = "UAGENT1"
COLLEAGUE = "UPRIYA"
CUSTOMER = "+14155550100"
# Seconds to wait for the worker: the first reply checked in a process loads the spelling
# dictionary, which takes a while on a busy machine.
WAIT = 15


@pytest.fixture
def thread(desk) -> dict:
    """An accepted interaction's card (its thread is where the agent writes)."""
    desk.slack.add_user(COLLEAGUE, "priya", real_name="Priya Raghunathan")
    return accept_new_interaction(desk, CUSTOMER, "Is my parcel coming today?")


def _text(text: str, **style: bool) -> dict:
    return {"type": "text", "text": text, **({"style": style} if style else {})}


def _blocks(*elements: dict) -> list[dict]:
    return [{"type": "rich_text", "block_id": "Bq7fT", "elements": list(elements)}]


def _section(*elements: dict) -> dict:
    return {"type": "rich_text_section", "elements": list(elements)}


def _prompts(desk) -> list[dict]:
    return [e for e in desk.slack.ephemerals(DESK_CHANNEL) if e["user"] == A]


def _button(prompts: list[dict], action_id: str) -> str | None:
    for prompt in prompts:
        for block in prompt.get("blocks") or ():
            for element in block.get("elements", []) if block["type"] == "actions" else ():
                if element["action_id"] == action_id:
                    return element["value"]
    return None


def _click_when_offered(desk, action_id: str) -> dict:
    """Waits for a prompt to the agent with this button, clicks it; returns the prompt."""
    prompt = desk.slack.wait_for(
        lambda s: next((p for p in _prompts(desk) if _button([p], action_id)), None), WAIT,
        f"no prompt with {action_id}")
    desk.click(A, action_id, _button([prompt], action_id), channel=DESK_CHANNEL)
    return prompt


def test_the_phone_gets_what_the_agent_meant_not_slacks_codes(desk, thread):
    # Typed in Slack: "Yes :) it arrives to*day* 👋🏽 Track it [here](ups…). @Priya can help
    # too." and a bulleted list. `text` is what Slack made of it; `blocks` what was meant.
    text = ("Yes :slightly_smiling_face: it arrives to*day* :wave::skin-tone-4: Track it "
            "<https://www.ups.com/track?id=1Z999|here>. <@UPRIYA> can help too.\nBring:\n"
            "• your ID\n• the receipt")
    blocks = _blocks(
        _section(_text("Yes "),
                 {"type": "emoji", "name": "slightly_smiling_face", "unicode": "1f642"},
                 _text(" it arrives to"), _text("day", bold=True), _text(" "),
                 {"type": "emoji", "name": "wave", "unicode": "1f44b-1f3fd", "skin_tone": 4},
                 _text(" Track it "),
                 {"type": "link", "url": "https://www.ups.com/track?id=1Z999", "text": "here"},
                 _text(". "), {"type": "user", "user_id": COLLEAGUE},
                 _text(" can help too.\nBring:\n")),
        {"type": "rich_text_list", "style": "bullet", "indent": 0, "border": 0, "elements": [
            _section(_text("your ID")), _section(_text("the receipt"))]})
    desk.agent_writes_in_thread(A, thread["ts"], text, blocks=blocks)

    # Sent at once: the colleague's name is no spelling mistake, the address no word.
    sms = desk.twilio.wait_for(lambda t: t.sent and t.sent[0], WAIT, "not sent")
    assert sms.body == ("Yes \U0001F642 it arrives today \U0001F44B\U0001F3FD Track it here "
                        "(https://www.ups.com/track?id=1Z999). Priya Raghunathan can help "
                        "too.\nBring:\n• your ID\n• the receipt")
    assert _prompts(desk) == []


def test_an_event_without_blocks_falls_back_to_its_text(desk, thread):
    # An edit from an old client, or an integration: only `text`, with Slack's escapes.
    desk.agent_writes_in_thread(
        A, thread["ts"], "Thanks &amp; bye, see <https://example.com/help|our help page>",
        blocks=None)
    sms = desk.twilio.wait_for(lambda t: t.sent and t.sent[0], WAIT, "not sent")
    assert sms.body == "Thanks & bye, see our help page (https://example.com/help)"


def test_a_custom_emoji_holds_the_reply_until_the_agent_sends_without_it(desk, thread):
    desk.agent_writes_in_thread(
        A, thread["ts"], "Your parcel left today :partyparrot: see you soon",
        blocks=_blocks(_section(_text("Your parcel left today "),
                                {"type": "emoji", "name": "partyparrot"},
                                _text(" see you soon"))))
    prompt = desk.slack.wait_for(
        lambda s: next((p for p in _prompts(desk) if "partyparrot" in p["text"]), None), WAIT,
        "the agent was not told")
    assert "cannot show" in prompt["text"] and "not sent yet" in prompt["text"]
    desk.wait_idle()
    assert desk.twilio.sent == []  # held
    # Only its author decides: a colleague's click (the value copied) sends nothing.
    desk.click("UAGENT2", ids.CUSTOM_EMOJI_SEND_WITHOUT,
               _button([prompt], ids.CUSTOM_EMOJI_SEND_WITHOUT), channel=DESK_CHANNEL)
    desk.wait_idle()
    assert desk.twilio.sent == []

    _click_when_offered(desk, ids.CUSTOM_EMOJI_SEND_WITHOUT)
    sms = desk.twilio.wait_for(lambda t: t.sent and t.sent[0], WAIT, "not sent without it")
    assert sms.body == "Your parcel left today see you soon"


def test_cancel_on_a_custom_emoji_sends_nothing(desk, thread):
    desk.agent_writes_in_thread(
        A, thread["ts"], "Done :partyparrot:",
        blocks=_blocks(_section(_text("Done "), {"type": "emoji", "name": "partyparrot"})))
    _click_when_offered(desk, ids.CUSTOM_EMOJI_CANCEL)
    desk.slack.wait_for(lambda s: any("Not sent" in p["text"] for p in _prompts(desk)), WAIT,
                        "the agent was not told it was not sent")
    desk.wait_idle()
    assert desk.twilio.sent == []


def test_a_reply_of_custom_emoji_only_is_not_sent_and_the_agent_is_told(desk, thread):
    desk.agent_writes_in_thread(
        A, thread["ts"], ":partyparrot:",
        blocks=_blocks(_section({"type": "emoji", "name": "partyparrot"})))
    told = desk.slack.wait_for(
        lambda s: next((p for p in _prompts(desk) if "partyparrot" in p["text"]), None), WAIT,
        "the agent was not told")
    assert "nothing else" in told["text"] and _button([told], ids.CUSTOM_EMOJI_SEND_WITHOUT) \
        is None
    desk.wait_idle()
    assert desk.twilio.sent == []


def test_the_spelling_check_reads_the_words_the_phone_gets(desk, thread):
    # "recie*ve*": bold inside a misspelled word. Slack's text splits it in two; the check
    # sees the one word the customer reads, and the correction keeps the emoji an emoji.
    desk.agent_writes_in_thread(
        A, thread["ts"], "You will recie*ve* it :slightly_smiling_face:",
        blocks=_blocks(_section(_text("You will recie"), _text("ve", bold=True),
                                _text(" it "),
                                {"type": "emoji", "name": "slightly_smiling_face",
                                 "unicode": "1f642"})))
    prompt = _click_when_offered(desk, ids.SPELL_SEND_CORRECTED)
    assert "recieve" in str(prompt["blocks"]) and "receive" in str(prompt["blocks"])
    sms = desk.twilio.wait_for(lambda t: t.sent and t.sent[0], WAIT, "not sent")
    assert sms.body == "You will receive it \U0001F642"


def test_after_sending_without_a_custom_emoji_the_spelling_check_still_holds_a_typo(desk,
                                                                                   thread):
    desk.agent_writes_in_thread(
        A, thread["ts"], "Your parcel is recieved :partyparrot:",
        blocks=_blocks(_section(_text("Your parcel is recieved "),
                                {"type": "emoji", "name": "partyparrot"})))
    _click_when_offered(desk, ids.CUSTOM_EMOJI_SEND_WITHOUT)
    _click_when_offered(desk, ids.SPELL_SEND_CORRECTED)
    sms = desk.twilio.wait_for(lambda t: t.sent and t.sent[0], WAIT, "not sent")
    assert sms.body == "Your parcel is received"
