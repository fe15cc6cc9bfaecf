"""Block Kit views as pure functions: what an agent reads, with no Slack involved."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.slack import ids
from bot.slack.views.card import CardData, OpeningText, build_card, openings_that_fit
from bot.slack.views.common import SECTION_LIMIT, escaped_chunks
from bot.slack.views.preview import PreviewData, build_preview
from bot.slack.views.transcript import build_customer_line, build_system_line

AT = datetime(2026, 11, 25, 14, 0, tzinfo=UTC)


def _preview(**overrides) -> PreviewData:
    values = dict(offer_id=7, offer_state="pending", expires_at=AT, contact_name=None,
                  contact_phone="+14155550100", business_number="+15005550006", media="SMS",
                  mode="page", messages=["Where is my order?"], case_data={"City": "Oakland"})
    values.update(overrides)
    return PreviewData(**values)


def _section_texts(view: dict) -> list[str]:
    texts = []
    for block in view["blocks"]:
        if block["type"] == "section":
            if "text" in block:
                texts.append(block["text"]["text"])
            texts += [field["text"] for field in block.get("fields", [])]
    return texts


def test_a_pending_preview_reads_well_aloud_and_offers_accept_and_reject():
    view = build_preview(_preview())
    assert view["text"] == ("New SMS from +1 415-555-0100 (Page mode): Where is my order? "
                            "Accept or Reject.")
    buttons = [e["action_id"] for b in view["blocks"] if b["type"] == "actions"
               for e in b["elements"]]
    assert buttons == [ids.ACCEPT_OFFER, ids.REJECT_OFFER]


def test_an_answered_preview_loses_its_buttons_and_says_what_happened():
    for state, words in [("accepted", "You accepted"), ("rejected", "You rejected"),
                         ("timed_out", "Not answered in time"), ("withdrawn", "Taken by")]:
        view = build_preview(_preview(offer_state=state))
        assert not any(b["type"] == "actions" for b in view["blocks"])
        assert words in view["text"] and words in str(view["blocks"])


@pytest.mark.parametrize("state, afterwards, words", [
    ("rejected", dict(next_offer_to="UAGENT2"), "You rejected this; it was offered to <@UAGENT2>."),
    ("rejected", dict(in_queue=True), "You rejected this; it returned to the queue."),
    ("timed_out", dict(next_offer_to="UAGENT1"),
     "Not answered in time; nobody else could take it, so it was offered to you again"),
    ("timed_out", dict(in_queue=True), "Not answered in time; it returned to the queue."),
])
def test_a_declined_preview_says_where_the_text_went(state, afterwards, words):
    view = build_preview(_preview(offer_state=state, agent_user_id="UAGENT1", **afterwards))
    assert words in str(view["blocks"]) and words in view["text"]
    assert "someone else" not in view["text"]


def test_case_information_from_outside_is_escaped_too():
    view = build_preview(_preview(case_data={"<!here>": "<http://x|y>"}))
    shown = str(view["blocks"])
    assert "<!here>" not in shown and "&lt;!here&gt;" in shown
    assert "<http://x|y>" not in shown


def test_the_card_offers_done_only_while_in_progress():
    card = CardData(1, "accepted", "Ana", "+14155550100", "+15005550006", "SMS", "page",
                    "UAGENT1", AT, None, None, {})
    assert ids.MARK_DONE in str(build_card(card)["blocks"])
    assert "In progress" in build_card(card)["text"]
    done = CardData(1, "done", "Ana", "+14155550100", "+15005550006", "SMS", "page",
                    "UAGENT1", AT, AT, "UAGENT1", {})
    assert ids.MARK_DONE not in str(build_card(done)["blocks"])
    assert "Done — closed by <@UAGENT1>" in str(build_card(done)["blocks"])


def _card(**overrides) -> CardData:
    values = dict(interaction_id=1, state="accepted", contact_name="Ana",
                  contact_phone="+14155550100", business_number="+15005550006", media="SMS",
                  mode="page", agent_user_id="UAGENT1", started_at=AT, closed_at=None,
                  closed_by=None, case_data={})
    values.update(overrides)
    return CardData(**values)


def test_the_card_carries_the_customers_first_texts_escaped():
    card = build_card(_card(opening=(
        OpeningText("Where is my parcel? <!channel> & <http://x|bank>", AT),
        OpeningText("", AT, pictures=2),
        OpeningText("My card is ****", AT, masked="A card number was hidden"))))
    shown = str(card["blocks"])
    assert "Where is my parcel? &lt;!channel&gt; &amp; &lt;http://x|bank&gt;" in shown
    assert "<!channel>" not in shown and "<http://x|bank>" not in shown
    assert "sent 2 pictures, in the thread" in shown and "A card number was hidden" in shown
    # Notifications read the plain text: the first text is in it, escaped as well.
    assert "Ana wrote: Where is my parcel? &lt;!channel&gt;" in card["text"]
    # What the customer wrote comes first, under the card's title.
    assert "Where is my parcel?" in card["blocks"][2]["text"]["text"]


def test_the_card_takes_as_many_first_texts_as_fit_slacks_limits():
    assert openings_that_fit([OpeningText("x" * 1600, AT)]) == 1  # an SMS at its longest
    # 1,590 characters, 6,890 once escaped: too much beside a full card, so a thread line.
    assert openings_that_fit([OpeningText("<&>" * 530, AT)]) == 0
    short = [OpeningText(f"text {n}", AT) for n in range(40)]
    fit = openings_that_fit(short)
    assert 1 < fit < 40
    # Everything else a card can show, with as many texts as fit: still a message Slack takes.
    card = build_card(_card(
        opening=tuple(short[:fit]), opted_out=True, contact_email="ana@example.com",
        case_data={f"Field {n}": "x" * 300 for n in range(10)}, held_replies=2,
        last_reply_cost="4 UCS-2", disposition_needed=True))
    assert len(card["blocks"]) <= 50
    assert all(len(block["text"]["text"]) <= 3000 for block in card["blocks"]
               if block["type"] == "section" and "text" in block)


def test_the_card_says_what_the_last_reply_cost_and_how_it_closed():
    open_card = str(build_card(_card(last_reply_cost="4 UCS-2"))["blocks"])
    assert "Last reply sent as 4 SMS segments (UCS-2)" in open_card
    assert "Last reply sent as 1 SMS (GSM-7)" in str(
        build_card(_card(last_reply_cost="1 GSM-7"))["blocks"])
    closed = str(build_card(_card(state="done", closed_at=AT, closed_by="UAGENT1",
                                  closed_reason="reply sent"))["blocks"])
    assert "Done — closed by <@UAGENT1> (reply sent)" in closed


def test_system_lines_have_a_plain_fallback():
    line = build_system_line("accepted", "UAGENT1", None, AT)
    assert line["text"] == "System: Accepted by <@UAGENT1>."


def test_a_close_kept_open_names_the_customer_escaped():
    line = build_system_line("kept_open", "UAGENT1", "reply sent", AT,
                             customer="<!channel> Jane")
    assert line["text"] == ("System: &lt;!channel&gt; Jane wrote again after the reply from "
                            "<@UAGENT1>, so this interaction stays open: answer in this "
                            "thread, or mark it Done.")


@settings(max_examples=150)
@given(st.text(alphabet=st.sampled_from("a<>&\n é😀"), max_size=1600))
def test_any_customer_sms_fits_slacks_section_limit_without_splitting_an_entity(body):
    line = build_customer_line(None, "+14155550100", body, AT)
    preview = build_preview(_preview(messages=[body]))
    for text in _section_texts(line) + _section_texts(preview):
        assert len(text) <= SECTION_LIMIT
    joined = "".join(escaped_chunks(body))
    assert joined == body.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    assert len(line["blocks"]) <= 50


def test_a_notice_modal_shows_names_from_the_directory_literally():
    from bot.slack.views.common import notice_modal

    modal = notice_modal("Contact", "This number belongs to <!channel> <http://x|Bank>.")
    shown = modal["blocks"][0]["text"]["text"]
    assert "<!channel>" not in shown and "&lt;!channel&gt;" in shown
    assert "submit" not in modal


def test_a_reply_held_for_custom_emoji_shows_them_and_what_the_phone_would_get():
    from bot.slack.views.custom_emoji import build_custom_emoji_prompt

    one = build_custom_emoji_prompt(7, ("partyparrot",), "Shipped <today> & paid", held=True)
    assert ":partyparrot:" in one["blocks"][0]["text"]["text"]
    assert "&lt;today&gt; &amp; paid" in one["blocks"][1]["text"]["text"]  # customer-facing
    buttons = one["blocks"][2]["elements"]
    assert [(b["action_id"], b["value"], b["text"]["text"]) for b in buttons] == [
        (ids.CUSTOM_EMOJI_SEND_WITHOUT, "7", "Send without it"),
        (ids.CUSTOM_EMOJI_CANCEL, "7", "Cancel")]
    two = build_custom_emoji_prompt(7, ("partyparrot", "shipit"), "Shipped", held=True)
    assert two["blocks"][2]["elements"][0]["text"]["text"] == "Send without them"
    nothing_left = build_custom_emoji_prompt(7, ("partyparrot",), "", held=False)
    assert "not sent" in nothing_left["text"]
    assert all(b["type"] != "actions" for b in nothing_left["blocks"])

# --- Slack's limits with the largest data the settings allow -----------------------------------

def test_a_home_tab_holding_many_long_named_interactions_stays_within_slacks_limits():
    from bot.desk.interactions.agents import AgentDesk
    from bot.slack.views.home import build_home
    from storage.models import Interaction
    from tests.fakes.slack.rules import MAX_VIEW_BLOCKS, check_blocks

    # agent_capacity has no upper bound; a contact's name may have 200 characters.
    held = [Interaction(id=n, media="SMS", state="transferring") for n in range(1, 101)]
    labels = {n: "&<>" * 67 for n in range(1, 101)}
    links = {n: f"https://t0.slack.com/archives/C0DESK/p17000000{n:08d}?thread_ts=1700000000."
                f"{n:06d}&cid=C0DESK" for n in range(1, 101)}
    view = build_home(AgentDesk(True, None, held, 0), simulator_url=None, labels=labels,
                      links=links)
    check_blocks(view["blocks"], MAX_VIEW_BLOCKS)
    shown = str(view["blocks"])
    assert links[1] in shown and links[40] in shown and links[41] not in shown
    assert "and 60 more" in shown


def test_grouped_codes_a_flat_list_cannot_hold_are_left_to_the_settings_file():
    from bot.slack.views.admin import build_dispositions_form
    from tests.fakes.slack.rules import MAX_VIEW_BLOCKS, check_blocks, check_modal

    # [dispositions.groups] allows 100 groups of 100 codes; a list set from Slack, 100 codes.
    codes = [f"Group {g} code {c}" for g in range(100) for c in range(100)]
    form = build_dispositions_form(codes, mandatory=False)
    check_modal(form)
    check_blocks(form["blocks"], MAX_VIEW_BLOCKS)
    assert "submit" not in form
    assert "groups 10,000 codes" in str(form["blocks"]) and "settings file" in str(form["blocks"])


def test_a_transcript_line_in_colour_keeps_its_blocks_and_its_plain_text_for_notifications():
    from bot.slack.views.transcript import in_color

    line = build_customer_line("Ana", "+14155550100", "Where is <my> order?", AT)
    colored = in_color(line, "#2EB67D")
    # Slack shows a message's text above its attachments when it has no blocks: the plain
    # text goes where notifications and screen readers find it, the attachment's fallback.
    assert "text" not in colored and "blocks" not in colored
    assert colored["attachments"] == [{"color": "#2EB67D", "fallback": line["text"],
                                       "blocks": line["blocks"]}]
    assert colored["username"] == "Ana" and colored["icon_emoji"] == line["icon_emoji"]
