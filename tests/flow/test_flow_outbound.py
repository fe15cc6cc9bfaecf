"""New SMS end to end: from /sms, from the global shortcut and from an open interaction's
contact; the text reaches the phone (the fake Twilio) and the contact's history, the sender
follows it in a thread; who may not send, what cannot be sent to, and opt-outs are refused
before anything reaches the provider."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.config import Settings
from bot.desk.directory.contacts import create_contact
from bot.desk.directory.history import contact_history
from bot.slack import ids
from bot.slack.views import new_sms as new_sms_view
from storage.models import Contact, Interaction, OptOut
from tests.harness import (
    BUSINESS_NUMBER,
    DESK_CHANNEL,
    accept_new_interaction,
    act_in_view,
    action_value,
    has_button,
    start_desk,
)

pytestmark = pytest.mark.postgres

JANE = "+14155550100"
A = "UAGENT1"


def _jane(desk, phone: str = JANE) -> int:
    with desk.db.transaction() as s:
        return create_contact(s, desk.team_id, phone, name="Jane Doe",
                              email="jane@example.com").id


def _new_sms_modals(desk) -> list[dict]:
    return [m for m in desk.slack.modals() if m["callback_id"] == ids.NEW_SMS_VIEW]


def _block(view: dict, prefix: str) -> dict | None:
    return next((b for b in view["blocks"] if b.get("block_id", "").startswith(prefix)), None)


def _values(view: dict, text: str, to: str | None = None) -> dict:
    values = {_block(view, new_sms_view.TEXT_BLOCK)["block_id"]: {
        ids.NEW_SMS_TEXT: {"type": "plain_text_input", "value": text}}}
    if to is not None:
        values[new_sms_view.TO_BLOCK] = {ids.NEW_SMS_TO: {"type": "plain_text_input",
                                                          "value": to}}
    return values


def _sent(desk, number: str, count: int = 1):
    return desk.provider.wait_for(lambda t: len(t.sent_to(number)) >= count
                                  and t.sent_to(number), 5, f"no SMS to {number}")


def _outbound_card(desk) -> dict:
    return desk.slack.wait_for(
        lambda s: next((m for m in s.messages(DESK_CHANNEL)
                        if "Outbound SMS" in str(m.get("blocks"))), None), 5, "no card")


def _interactions(desk) -> int:
    with desk.db.transaction() as s:
        return s.scalar(select(func.count()).select_from(Interaction))


def test_a_new_sms_from_the_slash_command_reaches_the_phone_and_the_history(desk):
    jane = _jane(desk)
    response = desk.slash(A, ids.COMMAND_SMS, "(415) 555-0100 Your order is ready for pickup")
    assert response.status_code == 200
    desk.wait_idle()
    [modal] = _new_sms_modals(desk)
    to = _block(modal, new_sms_view.TO_BLOCK)["element"]
    assert to["initial_value"] == "(415) 555-0100"
    text = _block(modal, new_sms_view.TEXT_BLOCK)["element"]
    assert text["initial_value"] == "Your order is ready for pickup"
    assert "*1 SMS*" in str(modal["blocks"])

    response = desk.submit_view(A, modal, _values(modal, "Your order is ready for pickup",
                                                  to="(415) 555-0100"))
    assert response.status_code == 200 and response.json() == {"response_action": "clear"}
    sms = _sent(desk, JANE)[0]
    assert (sms.body, sms.from_) == ("Your order is ready for pickup", BUSINESS_NUMBER)

    # The sender follows it in its thread: the card, their line, its delivery; page mode
    # closes once it is sent.
    card = _outbound_card(desk)
    assert "Jane Doe" in str(card["blocks"])
    line = desk.slack.wait_for(lambda s: next(
        (m for m in s.thread(DESK_CHANNEL, card["ts"]) if "Sent via New SMS" in
         str(m.get("blocks"))), None), 5, "no line in the thread")
    assert "Your order is ready for pickup" in str(line["blocks"])
    desk.wait_idle()
    closed = desk.slack.message(DESK_CHANNEL, card["ts"])
    fields = [f["text"] for b in closed["blocks"] for f in b.get("fields", [])]
    assert "*State*\n:white_check_mark: Done" in fields
    assert not has_button(closed, ids.MARK_DONE)
    assert any("on its way" in m.get("text", "")
               for m in desk.slack.messages(desk.slack.dm_channel(A)))

    [entry] = contact_history(desk.db, desk.team_id, jane)
    assert entry.direction == "outbound" and entry.agent_user_id == A
    assert [(t.direction, t.text) for t in entry.transcript] == [
        ("outbound", "Your order is ready for pickup")]


def test_slash_with_a_contact_name_and_the_shortcut_send_to_the_directory_contact(desk):
    _jane(desk)
    desk.slash(A, ids.COMMAND_SMS, "jane doe Hello from the desk")
    desk.wait_idle()
    [modal] = _new_sms_modals(desk)
    assert _block(modal, new_sms_view.TO_BLOCK)["element"]["initial_value"] == "jane doe"
    assert _block(modal, new_sms_view.TEXT_BLOCK)["element"]["initial_value"] == \
        "Hello from the desk"

    desk.shortcut(A, ids.SHORTCUT_NEW_SMS)
    desk.wait_idle()
    shortcut_modal = _new_sms_modals(desk)[-1]
    assert shortcut_modal["id"] != modal["id"]
    assert "initial_value" not in _block(shortcut_modal, new_sms_view.TO_BLOCK)["element"]
    response = desk.submit_view(A, shortcut_modal, _values(shortcut_modal, "Hi Jane",
                                                           to="Jane Doe"))
    assert response.json() == {"response_action": "clear"}
    assert _sent(desk, JANE)[0].body == "Hi Jane"


def test_a_new_sms_from_an_open_interactions_contact(desk):
    jane = _jane(desk)
    card = accept_new_interaction(desk, JANE, "Is my order in?")
    interaction_id = action_value(card, ids.MARK_DONE)
    desk.choose(A, ids.CARD_MENU, f"{ids.MENU_CONTACT}:{interaction_id}",
                channel=DESK_CHANNEL, message_ts=card["ts"])
    desk.wait_idle()
    contact_modal = [m for m in desk.slack.modals() if m["callback_id"] == ids.CONTACT_VIEW][-1]
    assert has_button(contact_modal, ids.CONTACT_NEW_SMS)
    act_in_view(desk, A, contact_modal, {"type": "button", "action_id": ids.CONTACT_NEW_SMS,
                                         "block_id": "contact.actions", "value": str(jane)})
    desk.wait_idle()
    [modal] = _new_sms_modals(desk)
    assert _block(modal, new_sms_view.TO_BLOCK) is None  # the recipient is fixed
    assert "Jane Doe" in str(modal["blocks"])

    response = desk.submit_view(A, modal, _values(modal, "A follow-up: it ships today."))
    assert response.json() == {"response_action": "clear"}
    assert _sent(desk, JANE)[0].body == "A follow-up: it ships today."
    desk.wait_idle()
    history = contact_history(desk.db, desk.team_id, jane)
    assert [e.direction for e in history] == ["outbound", "inbound"]
    assert history[0].transcript[0].text == "A follow-up: it ships today."


def test_an_agent_without_the_role_is_refused_everywhere(database_url):
    settings = Settings(desk_channel=DESK_CHANNEL, supervisors=("USUP",),
                        new_sms_roles=("supervisor",))
    desk = start_desk(database_url, settings=settings, agents=("UAGENT1", "USUP"))
    try:
        jane = _jane(desk)
        answer = desk.slash(A, ids.COMMAND_SMS, "+1 415 555 0100 hi")
        assert "cannot send new SMS" in answer.text and "supervisors" in answer.text
        desk.shortcut(A, ids.SHORTCUT_NEW_SMS)
        desk.wait_idle()
        assert _new_sms_modals(desk) == []
        [refusal] = [m for m in desk.slack.modals() if m["callback_id"] == ids.NEW_SMS_REFUSED]
        assert "cannot send new SMS" in str(refusal["blocks"]) and "submit" not in refusal

        # No New SMS button for them in the contact view...
        desk.slash(A, ids.COMMAND_CONTACT, "jane")
        desk.click(A, ids.VIEW_CONTACT, str(jane))
        desk.wait_idle()
        contact_modal = [m for m in desk.slack.modals()
                         if m["callback_id"] == ids.CONTACT_VIEW][-1]
        assert not has_button(contact_modal, ids.CONTACT_NEW_SMS)

        # ...and a submission forged without the modal is refused, with nothing stored.
        forged = new_sms_view.build_new_sms(new_sms_view.NewSmsData((BUSINESS_NUMBER,)))
        answer = desk.submit_view(A, forged, _values(forged, "hi", to=JANE)).json()
        assert answer["response_action"] == "errors"
        assert "cannot send new SMS" in str(answer["errors"])
        desk.wait_idle()
        assert desk.twilio.sent == [] and _interactions(desk) == 0

        # A supervisor may.
        assert desk.submit_view("USUP", forged, _values(forged, "hi", to=JANE)).json() == {
            "response_action": "clear"}
        assert _sent(desk, JANE)[0].body == "hi"
    finally:
        desk.close()


@pytest.mark.parametrize(("to", "why"), [
    ("+44 20 7183 8750", "not a mobile number"),  # a London landline
    ("+1 900 555 0100", "not a mobile number"),  # premium rate
    ("12 34", "not a"),
    ("Nobody Known", "No contact is called"),
])
def test_what_cannot_receive_an_sms_is_refused_before_anything_is_stored(desk, to, why):
    modal = new_sms_view.build_new_sms(new_sms_view.NewSmsData((BUSINESS_NUMBER,)))
    answer = desk.submit_view(A, modal, _values(modal, "hello", to=to)).json()
    assert answer["response_action"] == "errors"
    assert why in answer["errors"][new_sms_view.TO_BLOCK]
    desk.wait_idle()
    assert desk.twilio.sent == [] and _interactions(desk) == 0


def test_several_matching_contacts_are_listed_for_the_sender_to_choose(desk):
    _jane(desk)
    _jane(desk, "+14155550111")  # a second Jane Doe
    modal = new_sms_view.build_new_sms(new_sms_view.NewSmsData((BUSINESS_NUMBER,)))
    answer = desk.submit_view(A, modal, _values(modal, "hello", to="Jane")).json()
    error = answer["errors"][new_sms_view.TO_BLOCK]
    assert "Several contacts match" in error and "+1 415-555-0111" in error


@pytest.mark.usefixtures("provider")
def test_stop_opts_out_a_reply_is_blocked_and_start_lets_texts_through_again(desk):
    card = accept_new_interaction(desk, JANE, "Where is my parcel?")
    desk.customer_texts(JANE, "Stop")
    desk.wait_idle()
    with desk.db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(OptOut)) == 1
    # The thread and the card say so.
    thread = str(desk.slack.thread(DESK_CHANNEL, card["ts"]))
    assert "opted out" in thread
    assert "Opted out" in str(desk.slack.message(DESK_CHANNEL, card["ts"])["blocks"])

    # The agent's reply never reaches the provider, and they see why.
    desk.agent_writes_in_thread(A, card["ts"], "Sorry to see you go")
    desk.wait_idle()
    assert desk.provider.sent_to(JANE) == []
    assert "texted STOP" in str(desk.slack.thread(DESK_CHANNEL, card["ts"]))

    # A New SMS is refused up front.
    modal = new_sms_view.build_new_sms(new_sms_view.NewSmsData((BUSINESS_NUMBER,)))
    answer = desk.submit_view(A, modal, _values(modal, "Come back!", to=JANE)).json()
    assert "opted out" in answer["errors"][new_sms_view.TO_BLOCK]

    desk.customer_texts(JANE, "START")
    desk.wait_idle()
    assert desk.submit_view(A, modal, _values(modal, "Welcome back", to=JANE)).json() == {
        "response_action": "clear"}
    assert _sent(desk, JANE)[0].body == "Welcome back"


@pytest.mark.usefixtures("provider")
@pytest.mark.parametrize("word", ["START", "yes", "Unstop."])
def test_each_opt_in_word_after_stop_lets_the_agents_replies_through_again(desk, word):
    card = accept_new_interaction(desk, JANE, "Where is my parcel?")
    desk.customer_texts(JANE, "STOP")
    desk.wait_idle()
    desk.agent_writes_in_thread(A, card["ts"], "Before you go")
    desk.wait_idle()
    assert desk.provider.sent_to(JANE) == []

    desk.customer_texts(JANE, word)
    desk.wait_idle()
    with desk.db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(OptOut)) == 0
    assert "can be sent again" in str(desk.slack.thread(DESK_CHANNEL, card["ts"]))
    desk.agent_writes_in_thread(A, card["ts"], "Welcome back")
    assert [sms.body for sms in _sent(desk, JANE)] == ["Welcome back"]


ACME_HELP = "Acme Parcels support: call +1 415-555-0199 or text us here. Reply STOP to opt out."


def test_help_or_info_is_answered_with_the_configured_text_and_offered_to_nobody(database_url):
    desk = start_desk(database_url, settings=Settings(
        desk_channel=DESK_CHANNEL, offer_timeout_seconds=30, help_reply=ACME_HELP))
    try:
        desk.slash(A, ids.COMMAND_READY)
        desk.customer_texts(JANE, "help")
        assert [(sms.body, sms.from_) for sms in _sent(desk, JANE)] == [
            (ACME_HELP, BUSINESS_NUMBER)]
        desk.customer_texts(JANE, " INFO ")
        assert [sms.body for sms in _sent(desk, JANE, 2)] == [ACME_HELP, ACME_HELP]
        desk.wait_idle()
        # Nobody was offered either text; both are kept, answered and closed.
        assert desk.previews_for(A) == [] and desk.cards() == []
        with desk.db.transaction() as s:
            assert s.scalars(select(Interaction.state)).all() == ["done", "done"]

        # HELP in the middle of a conversation joins it: answered, and the agent sees so;
        # the desk's answer does not close the agent's page-mode interaction.
        card = accept_new_interaction(desk, JANE, "Where is my parcel?")
        desk.customer_texts(JANE, "Help")
        assert [sms.body for sms in _sent(desk, JANE, 3)][-1] == ACME_HELP
        desk.wait_idle()
        assert "texted HELP" in str(desk.slack.thread(DESK_CHANNEL, card["ts"]))
        assert len(desk.previews_for(A)) == 1
        desk.agent_writes_in_thread(A, card["ts"], "It ships today")
        assert [sms.body for sms in _sent(desk, JANE, 4)][-1] == "It ships today"
    finally:
        desk.close()


def test_a_help_reply_with_no_setting_names_the_opt_out():
    assert "Reply STOP to opt out" in Settings().help_reply


@pytest.mark.usefixtures("provider")
def test_the_providers_opted_out_error_is_remembered_and_not_retried(desk):
    card = accept_new_interaction(desk, JANE, "Hi")
    desk.provider.fail_next(**desk.kit.opted_out, message="the recipient opted out")
    desk.agent_writes_in_thread(A, card["ts"], "Hello!")
    desk.wait_idle()
    assert desk.provider.sent_to(JANE) == []
    assert len([c for c in desk.provider.calls if c.method == "POST"]) == 1  # no retry
    assert "opted out" in str(desk.slack.thread(DESK_CHANNEL, card["ts"]))
    modal = new_sms_view.build_new_sms(new_sms_view.NewSmsData((BUSINESS_NUMBER,)))
    answer = desk.submit_view(A, modal, _values(modal, "Another try", to=JANE)).json()
    assert "opted out" in answer["errors"][new_sms_view.TO_BLOCK]
    with desk.db.transaction() as s:
        assert s.scalar(select(Contact.name).where(Contact.phone == JANE)) is None


@pytest.mark.usefixtures("provider")
def test_a_delivery_report_that_the_recipient_opted_out_is_remembered(desk):
    card = accept_new_interaction(desk, JANE, "Hi")
    desk.agent_writes_in_thread(A, card["ts"], "Hello!")
    [sms] = _sent(desk, JANE)
    # The provider took it, then its STOP list (Telnyx's block rule) stopped it.
    answer = desk.carrier_reports(sms, "failed", str(desk.kit.opted_out["code"]))
    assert answer.status_code == 204
    desk.wait_idle()
    assert "opted out" in str(desk.slack.thread(DESK_CHANNEL, card["ts"]))
    modal = new_sms_view.build_new_sms(new_sms_view.NewSmsData((BUSINESS_NUMBER,)))
    answer = desk.submit_view(A, modal, _values(modal, "Another try", to=JANE)).json()
    assert "opted out" in answer["errors"][new_sms_view.TO_BLOCK]


def test_a_standard_response_fills_in_the_contacts_name_and_the_count_follows_typing(desk):
    from bot.desk.admin import responses
    from tests.harness import suggest

    jane = _jane(desk)
    responses.upsert(desk.db, Settings(admins=("UADMIN",)), desk.team_id, "UADMIN",
                     name="Order ready", category="Orders",
                     text="Hi {contact.first_name}, your order is ready.")
    desk.slash(A, ids.COMMAND_CONTACT, "jane")
    desk.click(A, ids.VIEW_CONTACT, str(jane))
    desk.wait_idle()
    contact_modal = [m for m in desk.slack.modals() if m["callback_id"] == ids.CONTACT_VIEW][-1]
    act_in_view(desk, A, contact_modal, {"type": "button", "action_id": ids.CONTACT_NEW_SMS,
                                         "block_id": "contact.actions", "value": str(jane)})
    desk.wait_idle()
    [modal] = _new_sms_modals(desk)
    picker = _block(modal, new_sms_view.RESPONSE_BLOCK)
    found = suggest(desk, A, ids.NEW_SMS_RESPONSE, "order", modal,
                    block_id=picker["block_id"]).json()
    option = found["option_groups"][0]["options"][0]
    act_in_view(desk, A, modal, {"type": "external_select", "action_id": ids.NEW_SMS_RESPONSE,
                                 "block_id": picker["block_id"], "selected_option": option})
    desk.wait_idle()
    filled = desk.slack.view(modal["id"])
    text_block = _block(filled, new_sms_view.TEXT_BLOCK)
    assert text_block["element"]["initial_value"] == "Hi Jane, your order is ready."

    # Typing past one SMS: the count under the box says so, the typing is kept.
    long_text = "Hi Jane, your order is ready. " * 6
    act_in_view(desk, A, filled, {"type": "plain_text_input", "action_id": ids.NEW_SMS_TEXT,
                                  "block_id": text_block["block_id"], "value": long_text},
                values=_values(filled, long_text))
    desk.wait_idle()
    counted = desk.slack.view(modal["id"])
    assert "2 SMS segments" in str(counted["blocks"])
    assert _block(counted, new_sms_view.TEXT_BLOCK)["block_id"] == text_block["block_id"]


def _word_choices(view: dict) -> list[tuple[str, str, dict]]:
    return [(b["block_id"], b["text"]["text"], b["accessory"]) for b in view["blocks"]
            if b.get("accessory", {}).get("action_id") == ids.NEW_SMS_SPELL_WORD]


def _flagged(view: dict) -> list[str]:
    return [text.split("*")[1] for _, text, _ in _word_choices(view)]


def _choose(desk, view: dict, word: str, label: str, text: str) -> dict:
    block_id, _, select = next(c for c in _word_choices(view) if f"*{word}*" in c[1])
    option = next(o for g in select["option_groups"] for o in g["options"]
                  if o["text"]["text"].startswith(label))
    act_in_view(desk, A, view, {"type": "static_select", "action_id": ids.NEW_SMS_SPELL_WORD,
                                "block_id": block_id, "selected_option": option},
                values=_values(view, text, to="(415) 555-0100"))
    desk.wait_idle()
    return desk.slack.view(view["id"])


def test_a_new_sms_is_spell_checked_like_a_reply(desk):
    from bot.spelling import checker

    checker.preload(["en"])
    _jane(desk)
    text = "Your zorbex will arive tomorow"
    desk.slash(A, ids.COMMAND_SMS, "(415) 555-0100 Hello")
    desk.wait_idle()
    [modal] = _new_sms_modals(desk)
    block_id = _block(modal, new_sms_view.TEXT_BLOCK)["block_id"]
    act_in_view(desk, A, modal, {"type": "plain_text_input", "action_id": ids.NEW_SMS_TEXT,
                                 "block_id": block_id, "value": text},
                values=_values(modal, text, to="(415) 555-0100"))
    desk.wait_idle()
    view = desk.slack.view(modal["id"])
    assert _flagged(view) == ["zorbex", "arive", "tomorow"]

    view = _choose(desk, view, "tomorow", "tomorrow", text)
    text = "Your zorbex will arive tomorrow"
    assert _block(view, new_sms_view.TEXT_BLOCK)["element"]["initial_value"] == text
    view = _choose(desk, view, "zorbex", "Ignore All", text)
    assert _flagged(view) == ["arive"]

    # The first Send shows what is still flagged and sends nothing...
    first = desk.submit_view(A, view, _values(view, text, to="(415) 555-0100"))
    assert first.json()["response_action"] == "update"
    assert _flagged(first.json()["view"]) == ["arive"]
    desk.wait_idle()
    assert desk.twilio.sent == []
    # ...the second sends it as it is.
    again = first.json()["view"]
    second = desk.submit_view(A, again, _values(again, text, to="(415) 555-0100"))
    assert second.json() == {"response_action": "clear"}
    assert _sent(desk, JANE)[0].body == text
    with desk.db.transaction() as s:  # Ignore All: for the interaction it started
        assert s.scalars(select(Interaction.spelling_ignored)).one() == {"words": ["zorbex"]}
