"""Reply… : the agent composes in a modal, inserts a standard response with its fields filled,
watches the SMS count, and sends; the phone gets it, the thread shows it."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import select, update

from bot.config import Settings
from bot.desk.admin import responses
from bot.slack import ids
from bot.slack.views import compose as compose_view
from bot.slack.views.compose import ComposeData, build_compose
from storage.models import Contact
from tests.harness import (
    DESK_CHANNEL,
    act_in_view,
    action_value,
    has_button,
    suggest,
)

CUSTOMER = "+14155550100"
TEAM = "T0001"
ADMIN = Settings(admins=("UADMIN",))


def _library(desk) -> None:
    responses.upsert(desk.db, ADMIN, desk.team_id, "UADMIN", name="Refund on its way",
                     category="Billing",
                     text="Hi {contact.first_name}, your refund is on its way. "
                          "{agent.first_name} {agent.name}")
    responses.upsert(desk.db, ADMIN, desk.team_id, "UADMIN", name="Opening hours",
                     category="General", text="We are open 9 to 5, Monday to Friday.")
    responses.upsert(desk.db, ADMIN, desk.team_id, "UADMIN", name="Refund policy",
                     category="Billing", text="Refunds take 5 days. {contact.nickname}")


def _open_interaction(desk, name: str | None = "Dana Scully") -> dict:
    desk.slash("UAGENT1", ids.COMMAND_READY)
    desk.customer_texts(CUSTOMER, "Where is my refund?")
    preview = desk.wait_for_preview("UAGENT1")
    if name:
        with desk.db.transaction() as s:
            s.execute(update(Contact).where(Contact.phone == CUSTOMER).values(name=name))
    desk.click("UAGENT1", ids.ACCEPT_OFFER, action_value(preview, ids.ACCEPT_OFFER))
    card = desk.slack.wait_for(lambda s: desk.cards() and desk.cards()[0], 5, "no card")
    desk.wait_idle()
    return card


def _open_compose(desk, card: dict, user: str = "UAGENT1") -> dict | None:
    before = len(desk.slack.modals())
    response = desk.click(user, ids.OPEN_COMPOSE, action_value(card, ids.OPEN_COMPOSE),
                          channel=DESK_CHANNEL, message_ts=card["ts"])
    assert response.status_code == 200
    desk.wait_idle()
    modals = desk.slack.modals()
    return modals[-1] if len(modals) > before else None


def _text_values(block_id: str, text: str) -> dict:
    return {block_id: {ids.COMPOSE_TEXT: {"type": "plain_text_input", "value": text}}}


def _block(view: dict, prefix: str) -> dict:
    return next(b for b in view["blocks"] if b.get("block_id", "").startswith(prefix))


def _context_text(view: dict) -> str:
    return " ".join(e["text"] for b in view["blocks"] if b["type"] == "context"
                    for e in b["elements"])


@pytest.mark.postgres
def test_a_standard_response_is_inserted_filled_in_counted_and_sent(desk):
    _library(desk)
    card = _open_interaction(desk)
    modal = _open_compose(desk, card)
    assert modal["callback_id"] == ids.COMPOSE_VIEW
    assert modal["private_metadata"] == action_value(card, ids.OPEN_COMPOSE)
    picker = _block(modal, compose_view.RESPONSE_BLOCK)
    assert picker["element"]["type"] == "external_select" and picker["dispatch_action"]
    assert picker["element"]["min_query_length"] == 0

    # The agent searches the library: options come grouped by category.
    found = suggest(desk, "UAGENT1", ids.RESPONSE_SEARCH, "refund", modal,
                    block_id=picker["block_id"]).json()
    groups = {g["label"]["text"]: [o["text"]["text"] for o in g["options"]]
              for g in found["option_groups"]}
    assert groups == {"Billing": ["Refund on its way", "Refund policy"]}
    everything = suggest(desk, "UAGENT1", ids.RESPONSE_SEARCH, "", modal).json()
    assert [g["label"]["text"] for g in everything["option_groups"]] == ["Billing", "General"]
    option = found["option_groups"][0]["options"][0]

    # ...picks one, having typed a greeting already: the response goes on a new line.
    text_block = _block(modal, compose_view.TEXT_BLOCK)
    act_in_view(desk, "UAGENT1", modal,
                {"type": "external_select", "action_id": ids.RESPONSE_SEARCH,
                 "block_id": picker["block_id"], "selected_option": option},
                values=_text_values(text_block["block_id"], "Hello!  "))
    desk.wait_idle()
    updated = desk.slack.view(modal["id"])
    text_block = _block(updated, compose_view.TEXT_BLOCK)
    filled = ("Hello!\nHi Dana, your refund is on its way. Agent Agent 1")
    assert text_block["element"]["initial_value"] == filled
    assert text_block["block_id"] != _block(modal, compose_view.TEXT_BLOCK)["block_id"]
    assert "*1 SMS* · GSM-7" in _context_text(updated)
    assert "Not filled in" not in _context_text(updated)

    # Send.
    response = desk.submit_view("UAGENT1", updated, _text_values(text_block["block_id"], filled))
    assert response.status_code == 200 and response.text == ""
    sms = desk.twilio.wait_for(lambda t: t.sent_to(CUSTOMER) and t.sent_to(CUSTOMER)[0], 5,
                               "no SMS sent")
    assert sms.body == filled

    # The thread shows it under the agent's name, with its delivery mark; page mode closes.
    line = desk.slack.wait_for(lambda s: next((m for m in s.thread(DESK_CHANNEL, card["ts"])
                                               if m["username"] == "Agent 1"), None),
                               5, "reply not in the thread")
    assert "your refund is on its way" in str(line["blocks"])
    assert "Sent via Reply… by <@UAGENT1>" in str(line["blocks"])
    desk.slack.wait_for(lambda s: "outbox_tray" in s.reactions(DESK_CHANNEL, line["ts"]), 5,
                        "no sent mark")
    desk.slack.wait_for(lambda s: not has_button(s.message(DESK_CHANNEL, card["ts"]),
                                                 ids.MARK_DONE)
                        and "Done — closed by <@UAGENT1> (reply sent)" in str(
                            s.message(DESK_CHANNEL, card["ts"])["blocks"]), 5,
                        "page mode did not close")
    desk.carrier_reports(sms, "delivered")
    desk.slack.wait_for(lambda s: "white_check_mark" in s.reactions(DESK_CHANNEL, line["ts"]),
                        5, "no delivered mark")


def test_the_count_follows_the_typing_and_unfilled_fields_are_pointed_out(desk):
    _library(desk)
    card = _open_interaction(desk, name=None)
    modal = _open_compose(desk, card)
    block_id = _block(modal, compose_view.TEXT_BLOCK)["block_id"]
    typed = "Refund update " * 14  # 196 GSM-7 characters: two segments
    act_in_view(desk, "UAGENT1", modal, {"type": "plain_text_input",
                                         "action_id": ids.COMPOSE_TEXT, "block_id": block_id,
                                         "value": typed},
                values=_text_values(block_id, typed))
    desk.wait_idle()
    counted = desk.slack.view(modal["id"])
    assert "*2 SMS segments* · GSM-7" in _context_text(counted)
    # Same block id: Slack keeps what is being typed.
    assert _block(counted, compose_view.TEXT_BLOCK)["block_id"] == block_id

    # A response with a field nobody knows: inserted as typed, and the agent is warned.
    option = next(o for g in suggest(desk, "UAGENT1", ids.RESPONSE_SEARCH, "policy",
                                     counted).json()["option_groups"] for o in g["options"])
    act_in_view(desk, "UAGENT1", counted,
                {"type": "external_select", "action_id": ids.RESPONSE_SEARCH,
                 "block_id": _block(counted, compose_view.RESPONSE_BLOCK)["block_id"],
                 "selected_option": option}, values={})
    desk.wait_idle()
    warned = desk.slack.view(modal["id"])
    assert _block(warned, compose_view.TEXT_BLOCK)["element"]["initial_value"] == \
        "Refunds take 5 days. {contact.nickname}"
    assert "Not filled in: {contact.nickname}" in _context_text(warned)


def test_sending_an_empty_reply_gets_a_field_error(desk):
    card = _open_interaction(desk)
    modal = _open_compose(desk, card)
    block_id = _block(modal, compose_view.TEXT_BLOCK)["block_id"]
    response = desk.submit_view("UAGENT1", modal, _text_values(block_id, "  \n "))
    assert response.status_code == 200
    answer = response.json()
    assert answer["response_action"] == "errors"
    assert "Write the message first" in answer["errors"][block_id]
    too_long = desk.submit_view("UAGENT1", modal, _text_values(block_id, "x" * 1601)).json()
    assert "at most 1600" in too_long["errors"][block_id]
    desk.wait_idle()
    assert desk.twilio.sent == []


def test_a_reply_to_an_interaction_no_longer_held_is_refused_in_the_modal(desk):
    card = _open_interaction(desk)
    modal = _open_compose(desk, card)
    desk.click("UAGENT1", ids.MARK_DONE, action_value(card, ids.MARK_DONE),
               channel=DESK_CHANNEL, message_ts=card["ts"])
    desk.wait_idle()
    block_id = _block(modal, compose_view.TEXT_BLOCK)["block_id"]
    answer = desk.submit_view("UAGENT1", modal, _text_values(block_id, "One more thing")).json()
    assert "closed for messaging" in answer["errors"][block_id]
    # Someone else's modal (a forged submission, say) cannot send either.
    answer = desk.submit_view("UAGENT2", modal, _text_values(block_id, "Hi")).json()
    assert "no longer yours" in answer["errors"][block_id]
    desk.wait_idle()
    assert desk.twilio.sent == []


def test_only_the_agent_holding_it_can_open_reply(desk):
    card = _open_interaction(desk)
    assert _open_compose(desk, card, user="UAGENT2") is None
    desk.slack.wait_for(lambda s: any("Only <@UAGENT1>" in e["text"] and e["user"] == "UAGENT2"
                                      for e in s.ephemerals(DESK_CHANNEL)), 5, "no refusal")


# --- the views, without Slack -----------------------------------------------------------------

def test_the_segment_line_names_encoding_parts_and_the_limit():
    assert compose_view.segment_line("").startswith("Type the reply")
    assert compose_view.segment_line("Hi").startswith("*1 SMS* · GSM-7 · 2 characters")
    assert compose_view.segment_line("Hi 👋").startswith("*1 SMS* · UCS-2 (emoji")
    assert compose_view.segment_line("é" + "x" * 159).startswith("*1 SMS* · GSM-7")
    assert compose_view.segment_line("ő" + "x" * 70).startswith("*2 SMS segments* · UCS-2")
    assert ":warning: 1601 characters" in compose_view.segment_line("x" * 1601)


def test_the_compose_modal_escapes_the_contact_and_fits_slacks_limits():
    view = build_compose(ComposeData(7, "<!channel> & co", CUSTOMER, "Hi", revision=3,
                                     unfilled=("{x.<y>}",)))
    assert view["title"]["text"] == "Reply by SMS" and len(view["title"]["text"]) <= 24
    shown = json.dumps(view)
    assert "<!channel>" not in shown and "&lt;!channel&gt; &amp; co" in shown
    assert "{x.&lt;y&gt;}" in shown
    text_block = _block(view, compose_view.TEXT_BLOCK)
    assert text_block["block_id"] == "compose.text.3" and text_block["dispatch_action"]
    assert text_block["element"]["dispatch_action_config"] == {
        "trigger_actions_on": ["on_character_entered"]}
    assert compose_view.current_text({"state": {"values": _text_values("compose.text.3",
                                                                         "Hi")}}) == (
        "compose.text.3", "Hi")
    assert compose_view.revision_of("compose.text.3") == 3


def test_response_options_are_grouped_and_clipped_to_slacks_75_characters():
    entries = [responses.ResponseEntry(i, f"{'n' * 90}{i}", "c" * 90, "t") for i in range(3)]
    answer = compose_view.response_options(entries)
    group = answer["option_groups"][0]
    assert len(answer["option_groups"]) == 1 and len(group["label"]["text"]) == 75
    assert all(len(o["text"]["text"]) == 75 for o in group["options"])
    assert compose_view.response_options([]) == {"options": []}


def test_the_thread_line_shows_the_reply_literally():
    line = compose_view.build_composed_line("Agent 1", "UAGENT1", "See <http://x|y> & more",
                                            datetime(2026, 1, 1, tzinfo=UTC))
    assert line["username"] == "Agent 1"
    assert "&lt;http://x|y&gt; &amp; more" in line["blocks"][0]["text"]["text"]
    assert "<http://x|y>" not in json.dumps(line)


def test_a_misspelled_reply_in_the_modal_is_shown_once_then_sent_on_a_second_send(desk):
    from bot.spelling import checker

    checker.preload(["en"])  # as the app does beside start-up; a cold one is not waited for
    card = _open_interaction(desk)
    modal = _open_compose(desk, card)
    block_id = _block(modal, compose_view.TEXT_BLOCK)["block_id"]
    first = desk.submit_view("UAGENT1", modal, _text_values(block_id, "You will recieve it"))
    answer = first.json()
    assert answer["response_action"] == "update"
    assert "recieve" in str(answer["view"]["blocks"]) and "receive" in str(answer["view"]["blocks"])
    desk.wait_idle()
    assert desk.twilio.sent == []

    again = answer["view"]
    new_block = _block(again, compose_view.TEXT_BLOCK)["block_id"]
    second = desk.submit_view("UAGENT1", again, _text_values(new_block, "You will recieve it"))
    assert second.status_code == 200 and not second.content.strip()  # closed: sent
    sms = desk.twilio.wait_for(lambda t: t.sent and t.sent[0], 5, "not sent")
    assert sms.body == "You will recieve it"


def _word_choices(view: dict) -> list[tuple[str, str, dict]]:
    """(block_id, the section's text, select) of each flagged word listed in the modal."""
    return [(b["block_id"], b["text"]["text"], b["accessory"]) for b in view["blocks"]
            if b.get("accessory", {}).get("action_id") == ids.COMPOSE_SPELL_WORD]


def _choose(desk, view: dict, word: str, label: str, text: str, nth: int = 0) -> dict:
    """Pick `label` for the nth flagged `word` (the modal holding `text`); the view after."""
    block_id, _, select = [c for c in _word_choices(view) if f"*{word}*" in c[1]][nth]
    option = next(o for g in select["option_groups"] for o in g["options"]
                  if o["text"]["text"].startswith(label))
    act_in_view(desk, "UAGENT1", view, {"type": "static_select",
                                        "action_id": ids.COMPOSE_SPELL_WORD,
                                        "block_id": block_id, "selected_option": option},
                values=_text_values(_block(view, compose_view.TEXT_BLOCK)["block_id"], text))
    desk.wait_idle()
    return desk.slack.view(view["id"])


def _flagged(view: dict) -> list[str]:
    return [text.split("*")[1] for _, text, _ in _word_choices(view)]


def test_each_flagged_word_in_the_reply_modal_has_the_prompts_choices(desk):
    from bot.spelling import checker
    from storage.models import DictionaryWord, Interaction

    checker.preload(["en"])
    card = _open_interaction(desk)
    modal = _open_compose(desk, card)
    block_id = _block(modal, compose_view.TEXT_BLOCK)["block_id"]
    text = "teh zorbex will recieve teh florp label"
    act_in_view(desk, "UAGENT1", modal, {"type": "plain_text_input",
                                         "action_id": ids.COMPOSE_TEXT, "block_id": block_id,
                                         "value": text}, values=_text_values(block_id, text))
    desk.wait_idle()
    view = desk.slack.view(modal["id"])
    assert _flagged(view) == ["teh", "zorbex", "recieve", "teh", "florp"]
    labels = [o["text"]["text"] for g in _word_choices(view)[2][2]["option_groups"]
              for o in g["options"]]
    assert labels[:2] == ["receive", "relieve"] and {
        "Ignore (keep it here)", "Ignore All (this conversation)",
        "Add to My Dictionary"} <= set(labels)

    # Any suggestion, not only the first: the text changes in the box.
    view = _choose(desk, view, "recieve", "relieve", text)
    text = "teh zorbex will relieve teh florp label"
    assert _block(view, compose_view.TEXT_BLOCK)["element"]["initial_value"] == text
    # Ignore: this occurrence only.
    view = _choose(desk, view, "teh", "Ignore (", text, nth=0)
    assert _flagged(view) == ["zorbex", "teh", "florp"]
    # Add to My Dictionary: kept for good.
    view = _choose(desk, view, "zorbex", "Add to My Dictionary", text)
    assert _flagged(view) == ["teh", "florp"]
    # Ignore All: for the rest of this interaction.
    view = _choose(desk, view, "florp", "Ignore All", text)
    assert _flagged(view) == ["teh"]
    view = _choose(desk, view, "teh", "the", text)
    text = "teh zorbex will relieve the florp label"
    assert _block(view, compose_view.TEXT_BLOCK)["element"]["initial_value"] == text
    assert _flagged(view) == []

    # Nothing left flagged: the first Send sends, the ignored "teh" as written.
    response = desk.submit_view("UAGENT1", view, _text_values(
        _block(view, compose_view.TEXT_BLOCK)["block_id"], text))
    assert response.status_code == 200 and not response.content.strip()
    sms = desk.twilio.wait_for(lambda t: t.sent and t.sent[0], 5, "not sent")
    assert sms.body == text
    with desk.db.transaction() as s:
        assert s.scalars(select(DictionaryWord.word).where(
            DictionaryWord.owner == "UAGENT1")).all() == ["zorbex"]
        assert s.scalars(select(Interaction.spelling_ignored)).one() == {"words": ["florp"]}
