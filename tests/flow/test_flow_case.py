"""Case information: shown on the preview and the card (admin links as links, customers'
addresses literally), viewed and edited in a modal by whoever may, refused field by field."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from bot.config import ConfigError, Settings
from bot.desk.case_links import CaseLink
from bot.desk.directory.contacts import create_contact
from bot.slack import ids
from bot.slack.views import case as case_view
from bot.slack.views.card import CardData, build_card, contact_reach
from bot.slack.views.common import case_fields
from storage.models import Interaction
from tests.harness import (
    DESK_CHANNEL,
    action_value,
    line_text,
    start_desk,
)

CUSTOMER = "+14155550100"
ORDER_LINK = CaseLink("Order number", "Open order {value} in the CRM",
                      "https://crm.example.com/orders/{value}")
CITY_LINK = CaseLink("City", "Map of {value}", "https://maps.example/?q={value}")
SETTINGS = Settings(desk_channel=DESK_CHANNEL, offer_timeout_seconds=30,
                    case_editable=("Order number", "Priority", "Tracking", "Note"),
                    case_links=(ORDER_LINK, CITY_LINK), supervisors=("USUPER",))
# What the agent types into the case modal: an order number (the admin links it), a
# customer's tracking address and a note that looks like a disguised link.
CASE = {"Order number": "A-1/2", "Tracking": "https://track.example/p?a=1&b=2",
        "Note": "<https://evil.example|yourbank.com>"}
LINK = "<https://crm.example.com/orders/A-1%2F2|Open order A-1/2 in the CRM>"


@pytest.fixture
def desk(database_url):
    running = start_desk(database_url, settings=SETTINGS)
    yield running
    running.close()


def _accepted_with_case(desk) -> tuple[dict, dict]:
    """A customer texts (Twilio's webhook carries their city); the agent accepts and enters
    CASE in the case modal. The preview as offered, and the card once redrawn."""
    with desk.db.transaction() as s:  # the directory knows the customer's e-mail
        create_contact(s, desk.team_id, CUSTOMER, name=None, email="dana@example.com")
    desk.customer_texts(CUSTOMER, "Where is my order?", FromCity="OAKLAND", FromState="CA")
    desk.slash("UAGENT1", ids.COMMAND_READY)
    preview = desk.wait_for_preview("UAGENT1")
    desk.click("UAGENT1", ids.ACCEPT_OFFER, action_value(preview, ids.ACCEPT_OFFER))
    card = desk.slack.wait_for(lambda s: desk.cards() and desk.cards()[0], 5, "no card")
    desk.wait_idle()
    modal = _open_case(desk, card)
    response = desk.submit_view("UAGENT1", modal, _values(
        Order_number=CASE["Order number"], Tracking=CASE["Tracking"], Note=CASE["Note"]))
    assert response.status_code == 200 and response.text == ""
    desk.slack.wait_for(lambda s: "Open order A-1/2" in json.dumps(
        s.message(DESK_CHANNEL, card["ts"])["blocks"]), 5, "card not redrawn")
    desk.wait_idle()
    return preview, desk.slack.message(DESK_CHANNEL, card["ts"])


def _open_case(desk, card: dict, user: str = "UAGENT1") -> dict:
    before = len(desk.slack.modals())
    desk.choose(user, ids.CARD_MENU, f"{ids.MENU_CASE}:{action_value(card, ids.MARK_DONE)}",
                channel=DESK_CHANNEL, message_ts=card["ts"])
    return desk.slack.wait_for(lambda s: len(s.modals()) > before and s.modals()[-1], 5,
                               "no case modal")


def _values(**fields: str) -> dict:
    return {case_view.field_block_id(name.replace("_", " ")):
            {ids.CASE_FIELD: {"type": "plain_text_input", "value": value}}
            for name, value in fields.items()}


def test_an_admin_link_shows_its_anchor_text_and_a_customers_address_shows_literally(desk):
    preview, card = _accepted_with_case(desk)
    # The preview as offered: the webhook's city as the admin's link, its state as text.
    offered = json.dumps(preview["blocks"])
    assert "<https://maps.example/?q=OAKLAND|Map of OAKLAND>" in offered
    assert "*State*\\nCA" in offered
    # The card: what the agent entered.
    shown = json.dumps(card["blocks"])
    assert LINK in shown
    assert "https://track.example/p?a=1&amp;b=2" in shown
    assert "|track" not in shown  # the customer's address is not a labelled link
    assert "&lt;https://evil.example|yourbank.com&gt;" in shown
    assert "<https://evil.example|yourbank.com>" not in shown
    assert "<https://maps.example/?q=OAKLAND|Map of OAKLAND>" in shown
    # The card offers the ways to reach the contact outside SMS.
    assert "<tel:+14155550100|Call +1 415-555-0100>" in json.dumps(card["blocks"])
    assert "<mailto:dana@example.com|E-mail dana@example.com>" in json.dumps(card["blocks"])


@pytest.mark.postgres
def test_editing_an_editable_field_shows_on_the_card_and_in_the_thread(desk):
    _preview, card = _accepted_with_case(desk)
    modal = _open_case(desk, card)
    assert modal["callback_id"] == ids.CASE_VIEW and modal["submit"]["text"] == "Save"
    inputs = {b["block_id"]: b["element"].get("initial_value") for b in modal["blocks"]
              if b["type"] == "input"}
    assert inputs == {"case.field:Order number": "A-1/2", "case.field:Priority": None,
                      "case.field:Tracking": CASE["Tracking"], "case.field:Note": CASE["Note"]}
    assert "OAKLAND" in json.dumps(modal["blocks"])  # read-only fields are shown as text

    response = desk.submit_view("UAGENT1", modal, _values(Order_number="A-1/2", Priority="High"))
    assert response.status_code == 200 and response.text == ""
    desk.slack.wait_for(lambda s: any(
        "Case information: Priority set to High by <@UAGENT1>." in line_text(m)
        for m in s.thread(DESK_CHANNEL, card["ts"])), 5, "no thread line")
    desk.slack.wait_for(lambda s: "*Priority*\\nHigh" in json.dumps(
        s.message(DESK_CHANNEL, card["ts"])["blocks"]), 5, "card not updated")
    with desk.db.transaction() as s:
        assert s.scalars(select(Interaction)).one().case_data["Priority"] == "High"

    # A supervisor may edit too; clearing a field removes it.
    modal = _open_case(desk, card, user="USUPER")
    assert desk.submit_view("USUPER", modal, _values(Priority="")).text == ""
    desk.slack.wait_for(lambda s: any(
        "Priority cleared by <@USUPER>" in line_text(m)
        for m in s.thread(DESK_CHANNEL, card["ts"])), 5, "no thread line")


def test_a_read_only_field_is_refused_with_a_field_error(desk):
    _preview, card = _accepted_with_case(desk)
    modal = _open_case(desk, card)
    # A forged submission: City was shown as text, never as an input.
    answer = desk.submit_view("UAGENT1", modal, _values(City="Paris", Priority="High")).json()
    assert answer == {"response_action": "errors",
                      "errors": {"case.field:City": "City is read-only."}}
    too_long = desk.submit_view("UAGENT1", modal, _values(Priority="x" * 501)).json()
    assert "At most 500" in too_long["errors"]["case.field:Priority"]
    desk.wait_idle()
    with desk.db.transaction() as s:
        data = s.scalars(select(Interaction)).one().case_data
    assert data["City"] == "OAKLAND" and "Priority" not in data  # nothing was saved


def test_a_colleague_sees_the_case_but_cannot_edit_it(desk):
    _preview, card = _accepted_with_case(desk)
    modal = _open_case(desk, card, user="UAGENT2")
    assert "submit" not in modal
    assert not [b for b in modal["blocks"] if b["type"] == "input"]
    assert "Only the agent holding this interaction" in json.dumps(modal["blocks"])
    answer = desk.submit_view("UAGENT2", modal, _values(Priority="High")).json()
    assert "Only the agent holding this interaction" in answer["errors"]["case.field:Priority"]


# --- views and settings, without Slack --------------------------------------------------------

def test_case_values_are_escaped_and_only_admin_links_get_anchor_text():
    fields = case_fields({"Order number": "7 <b>&", "Site": "http://a.example/x?y=1&z=<2>",
                          "Weird": "javascript:alert(1)", "Empty link": ""},
                         (ORDER_LINK, CaseLink("Empty link", "x", "https://e.example/{value}")))
    texts = [f["text"] for f in fields]
    assert texts[0] == ("*Order number*\n<https://crm.example.com/orders/7%20%3Cb%3E%26|"
                        "Open order 7 &lt;b&gt;&amp; in the CRM>")
    assert texts[1] == "*Site*\nhttp://a.example/x?y=1&amp;z=&lt;2&gt;"
    assert texts[2] == "*Weird*\njavascript:alert(1)"
    assert texts[3] == "*Empty link*\n"


@given(st.text(max_size=600), st.text(max_size=100))
def test_no_case_value_from_outside_can_make_markup(value, key):
    for field in case_fields({key: value}):
        assert "<" not in field["text"] and ">" not in field["text"]
        assert len(field["text"]) <= 2000


def test_long_case_values_still_fit_a_field():
    text = case_fields({"k" * 200: "&" * 2000, "u": "https://x.example/" + "&" * 900},
                       (CaseLink("k" * 200, "{value}", "https://e.example/{value}"),))
    assert all(len(f["text"]) <= 2000 for f in text)


def test_the_card_offers_call_and_e_mail_only_for_usable_details():
    # Call opens the phone's dialer where Slack makes a tel: link; the number is its text.
    assert contact_reach("+14155550100", None) == (
        ":telephone_receiver: <tel:+14155550100|Call +1 415-555-0100>")
    assert "tel:" not in contact_reach("+1 415 <x>", None)
    assert "mailto:a.b@example.co.uk|E-mail a.b@example.co.uk" in contact_reach(
        "+14155550100", "a.b@example.co.uk")
    assert "mailto" not in contact_reach("+1", "x@y|evil>@example.com")
    assert "mailto" not in contact_reach("+1", "no-at-sign.example.com")
    card = build_card(CardData(
        interaction_id=1, state="accepted", contact_name=None, contact_phone="+14155550100",
        business_number="+15005550006", media="SMS", mode="page", agent_user_id="U1",
        started_at=datetime(2026, 1, 1, tzinfo=UTC), closed_at=None, closed_by=None,
        case_data={"Order number": "9"},
        case_links=(ORDER_LINK,), contact_email="d@example.com"))
    shown = json.dumps(card["blocks"])
    assert "<tel:+14155550100|Call +1 415-555-0100>" in shown
    assert "<https://crm.example.com/orders/9|Open order 9 in the CRM>" in shown


def test_the_case_modal_lists_editable_fields_even_when_missing():
    view = case_view.build_case_modal(5, {"City": "Oakland", "Priority": "Low"},
                                      ("Order number", "Priority"), True, (ORDER_LINK,))
    inputs = [b for b in view["blocks"] if b["type"] == "input"]
    assert [b["block_id"] for b in inputs] == ["case.field:Order number", "case.field:Priority"]
    assert inputs[1]["element"]["initial_value"] == "Low"
    assert inputs[0]["hint"]["text"] == "Shown on the card as a link."
    assert view["private_metadata"] == "5" and len(view["title"]["text"]) <= 24
    empty = case_view.build_case_modal(5, {}, (), True)
    assert "No case information" in json.dumps(empty) and "submit" not in empty
    state = {"state": {"values": {**_values(Priority="High"), "other": {"a": {"value": "x"}}}}}
    assert case_view.submitted_values(state) == {"Priority": "High"}


def test_a_value_too_long_to_edit_is_shown_not_offered_for_editing():
    from tests.fakes.slack.rules import MAX_VIEW_BLOCKS, check_blocks, check_modal

    # Case data from outside (the webhook's fields) has no length limit; agents may set 500.
    view = case_view.build_case_modal(5, {"Priority": "x" * 3001, "Order number": "7"},
                                      ("Order number", "Priority"), True)
    check_modal(view)
    check_blocks(view["blocks"], MAX_VIEW_BLOCKS)
    inputs = {b["block_id"]: b["element"] for b in view["blocks"] if b["type"] == "input"}
    assert list(inputs) == ["case.field:Order number"]
    assert inputs["case.field:Order number"]["max_length"] == 500
    shown = json.dumps(view["blocks"])
    assert "*Priority*" in shown and "too long to edit here (3,001 characters" in shown


@pytest.mark.parametrize(("toml", "complaint"), [
    ('[case]\neditable = "Priority"', "case.editable must be a list"),
    ('[case.links]\nX = { text = "t", url = "javascript:alert({value})" }', "https://"),
    ('[case.links]\nX = { text = "t", url = "https://{value}.example.com/" }', "host"),
    ('[case.links]\nX = { text = "t", url = "https://e.example/{id}" }', "only placeholder"),
    ('[case.links]\nX = { text = "t", url = "https://e.example/<{value}>" }', "may not contain"),
    ('[case.links]\nX = "https://e.example/{value}"', "give"),
])
def test_a_mistake_in_the_case_settings_is_named(tmp_path, toml, complaint):
    path = tmp_path / "smsdesk.toml"
    path.write_text(toml)
    with pytest.raises(ConfigError, match=complaint):
        Settings.load(path, env={})
