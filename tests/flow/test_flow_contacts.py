"""The contact directory end to end: /sms-contact finds a contact by name, number or e-mail
and answers privately; View opens the contact's information and history, five interactions
a page; Transcript pushes one interaction's messages, escaped."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert, select

from bot.desk.directory.contacts import create_contact
from bot.slack import ids
from storage.models import Contact, Interaction, Message
from tests.harness import BUSINESS_NUMBER, act_in_view, action_value, find_button, has_button

pytestmark = pytest.mark.postgres

CUSTOMER = "+14155550100"
A = "UAGENT1"
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _contact(desk, phone: str = CUSTOMER, name: str | None = "Jane Doe",
             email: str | None = "jane@example.com") -> int:
    with desk.db.transaction() as s:
        return create_contact(s, desk.team_id, phone, name=name, email=email).id


def _past_interactions(desk, contact_id: int, count: int) -> list[int]:
    """`count` closed interactions, one a day, each with one inbound text naming its day."""
    made = []
    with desk.db.transaction() as s:
        for day in range(count):
            at = START + timedelta(days=day)
            interaction = Interaction(team_id=desk.team_id, contact_id=contact_id,
                                      business_number=BUSINESS_NUMBER, state="done",
                                      agent_user_id=A, created_at=at, closed_at=at,
                                      disposition=f"Code {day}")
            s.add(interaction)
            s.flush()
            s.execute(insert(Message), [{
                "team_id": desk.team_id, "interaction_id": interaction.id,
                "direction": "inbound", "body": f"text of day {day}", "provider": "twilio",
                "from_number": CUSTOMER, "to_number": BUSINESS_NUMBER,
                "delivery_state": "received", "created_at": at}])
            made.append(interaction.id)
    return made


def _modals(desk, callback_id: str) -> list[dict]:
    return [m for m in desk.slack.modals() if m["callback_id"] == callback_id]


def _modal(desk, callback_id: str, count: int = 1) -> dict:
    def opened(s):
        found = _modals(desk, callback_id)
        return len(found) >= count and found[count - 1]
    return desk.slack.wait_for(opened, 5, f"no {callback_id} modal #{count}")


_button = find_button


def _press(desk, view: dict, action_id: str, value: str | None = None):
    button = _button(view, action_id) if value is None else {"value": value}
    return act_in_view(desk, A, view, {"type": "button", "action_id": action_id,
                                        "block_id": "b", "value": button["value"]})


# --- /sms-contact ---------------------------------------------------------------------------

@pytest.mark.parametrize("query", ["(415) 555-0100", "+1 415 555 0100", "4155550100",
                                   "jane", "JANE@example.com"])
def test_sms_contact_finds_a_contact_privately_by_number_name_or_e_mail(desk, query):
    contact_id = _contact(desk)
    _contact(desk, "+14155550199", "Bob Brown", None)
    answer = desk.slash(A, ids.COMMAND_CONTACT, query)
    assert answer.status_code == 200
    body = answer.json()
    assert body.get("response_type", "ephemeral") == "ephemeral"
    shown = json.dumps(body["blocks"])
    assert "Jane Doe" in shown and "+1 415-555-0100" in shown and "Bob Brown" not in shown
    assert _button(body, ids.VIEW_CONTACT)["value"] == str(contact_id)
    assert not desk.slack.calls_to("chat.postMessage")  # nothing posted in public


def test_sms_contact_shows_at_most_ten_matches_and_says_so(desk):
    with desk.db.transaction() as s:
        s.execute(insert(Contact), [{"team_id": desk.team_id, "phone": f"+1415555{n:04d}",
                                     "name": f"Smith {n:02d}"} for n in range(15)])
    body = desk.slash(A, ids.COMMAND_CONTACT, "smith").json()
    views = [b for b in body["blocks"] if b.get("accessory", {}).get("action_id")
             == ids.VIEW_CONTACT]
    assert len(views) == 10
    assert "More than 10 contacts match" in json.dumps(body["blocks"])


def test_sms_contact_without_a_match_or_a_query_explains_itself(desk):
    assert "No contact matches" in desk.slash(A, ids.COMMAND_CONTACT, "nobody").json()["text"]
    assert "Search contacts by name" in desk.slash(A, ids.COMMAND_CONTACT, "").json()["text"]


def test_a_customers_name_cannot_smuggle_a_link_into_the_results(desk):
    _contact(desk, name="<http://evil.example|Bank> <!channel>")
    body = desk.slash(A, ids.COMMAND_CONTACT, "bank").json()
    shown = json.dumps(body["blocks"])
    assert "&lt;http://evil.example|Bank&gt; &lt;!channel&gt;" in shown
    assert "<!channel>" not in shown


# --- the contact modal ------------------------------------------------------------------------

def test_view_opens_the_contact_with_a_real_interaction_in_its_history(desk):
    desk.slash(A, ids.COMMAND_READY)
    desk.customer_texts(CUSTOMER, "Where is <b>my</b> parcel?")
    preview = desk.wait_for_preview(A)
    desk.click(A, ids.ACCEPT_OFFER, action_value(preview, ids.ACCEPT_OFFER))
    card = desk.slack.wait_for(lambda s: desk.cards() and desk.cards()[0], 5, "no card")
    desk.agent_writes_in_thread(A, card["ts"], "It arrives tomorrow")
    desk.twilio.wait_for(lambda t: t.sent, 15, "the reply was not sent")
    desk.wait_idle()

    results = desk.slash(A, ids.COMMAND_CONTACT, "555-0100").json()
    desk.click(A, ids.VIEW_CONTACT, _button(results, ids.VIEW_CONTACT)["value"])
    modal = _modal(desk, ids.CONTACT_VIEW)
    shown = json.dumps(modal["blocks"])
    assert "Information" in shown and "History" in shown and "+1 415-555-0100" in shown
    assert f"<@{A}>" in shown and "SMS" in shown and "page mode" in shown
    assert "Interactions 1\\u20131 of 1" in shown
    assert _button(modal, ids.CONTACT_OLDER) is None and _button(modal, ids.CONTACT_NEWER) is None

    _press(desk, modal, ids.CONTACT_TRANSCRIPT)
    transcript = _modal(desk, ids.CONTACT_TRANSCRIPT_VIEW)
    lines = json.dumps(transcript["blocks"])
    assert "Where is &lt;b&gt;my&lt;/b&gt; parcel?" in lines
    assert "It arrives tomorrow" in lines
    assert desk.slack.calls_to("views.push")


def test_the_history_is_paged_five_at_a_time_newest_first(desk):
    contact_id = _contact(desk)
    _past_interactions(desk, contact_id, 7)
    desk.click(A, ids.VIEW_CONTACT, str(contact_id))
    first = _modal(desk, ids.CONTACT_VIEW)
    shown = json.dumps(first["blocks"])
    assert [f"Code {d}" in shown for d in range(7)] == [False, False] + [True] * 5
    assert shown.index("Code 6") < shown.index("Code 2")  # newest first
    assert _button(first, ids.CONTACT_NEWER) is None

    _press(desk, first, ids.CONTACT_OLDER)
    older = desk.slack.wait_for(lambda s: "Code 0" in json.dumps(s.view(first["id"])["blocks"]),
                                5, "Older did not update the modal")
    older = desk.slack.view(first["id"])
    shown = json.dumps(older["blocks"])
    assert "Code 1" in shown and "Code 2" not in shown
    assert "Interactions 6\\u20137 of 7" in shown
    assert _button(older, ids.CONTACT_OLDER) is None
    assert len(_modals(desk, ids.CONTACT_VIEW)) == 1  # updated in place, not reopened

    _press(desk, older, ids.CONTACT_NEWER)
    desk.slack.wait_for(lambda s: "Code 6" in json.dumps(s.view(first["id"])["blocks"]),
                        5, "Newer did not update the modal")


def test_a_long_transcript_stays_within_a_modals_limits(desk):
    contact_id = _contact(desk)
    [interaction_id] = _past_interactions(desk, contact_id, 1)
    with desk.db.transaction() as s:
        s.execute(insert(Message), [{
            "team_id": desk.team_id, "interaction_id": interaction_id, "direction": "inbound",
            "body": "<&>" * 530, "provider": "twilio", "from_number": CUSTOMER,
            "to_number": BUSINESS_NUMBER, "delivery_state": "received",
            "created_at": START + timedelta(minutes=n)} for n in range(1, 150)])
    desk.click(A, ids.VIEW_CONTACT, str(contact_id))
    modal = _modal(desk, ids.CONTACT_VIEW)
    _press(desk, modal, ids.CONTACT_TRANSCRIPT)
    transcript = _modal(desk, ids.CONTACT_TRANSCRIPT_VIEW)
    assert len(transcript["blocks"]) <= 100
    assert "more parts not shown" in json.dumps(transcript["blocks"])
    assert not [c for c in desk.slack.calls_to("views.push") if c.failed]


def test_another_teams_contact_cannot_be_viewed(desk):
    with desk.db.transaction() as s:
        s.execute(insert(Contact), [{"team_id": "TOTHER", "phone": CUSTOMER, "name": "Secret"}])
        other = s.scalars(select(Contact.id).where(Contact.team_id == "TOTHER")).one()
    desk.click(A, ids.VIEW_CONTACT, str(other))
    desk.wait_idle()
    assert _modals(desk, ids.CONTACT_VIEW) == []


# --- activity on the preview and the card ---------------------------------------------------

def test_the_preview_and_card_count_other_open_and_recent_interactions(desk):
    contact_id = _contact(desk)
    now = datetime.now(UTC)
    with desk.db.transaction() as s:
        for state, days_ago in (("expired", 1), ("done", 2), ("done", 40)):
            s.add(Interaction(team_id=desk.team_id, contact_id=contact_id, mode="session",
                              business_number=BUSINESS_NUMBER, state=state, agent_user_id=A,
                              created_at=now - timedelta(days=days_ago)))
    desk.slash(A, ids.COMMAND_READY)
    desk.customer_texts(CUSTOMER, "Hello again")
    preview = desk.wait_for_preview(A)
    assert "Also in progress: 1 SMS" in json.dumps(preview["blocks"], ensure_ascii=False)
    # The recent count is a button that opens the contact's history.
    count = _button(preview, ids.VIEW_CONTACT)
    assert count["text"]["text"] == "Last 30 days: 3" and count["value"] == str(contact_id)
    desk.click(A, ids.VIEW_CONTACT, count["value"], channel=preview["channel"],
               message_ts=preview["ts"])
    history = _modal(desk, ids.CONTACT_VIEW)
    assert "Interactions 1\\u20134 of 4" in json.dumps(history["blocks"])

    desk.click(A, ids.ACCEPT_OFFER, action_value(preview, ids.ACCEPT_OFFER))
    card = desk.slack.wait_for(lambda s: desk.cards() and desk.cards()[0], 5, "no card")
    assert "Also in progress: 1 SMS" in json.dumps(card["blocks"], ensure_ascii=False)
    count = _button(card, ids.VIEW_CONTACT)
    assert count["text"]["text"] == "Last 30 days: 3" and count["value"] == str(contact_id)
    desk.click(A, ids.VIEW_CONTACT, count["value"], channel=card["channel"],
               message_ts=card["ts"])
    _modal(desk, ids.CONTACT_VIEW, count=2)


def test_a_first_time_customer_has_nothing_else_in_progress(desk):
    desk.slash(A, ids.COMMAND_READY)
    desk.customer_texts(CUSTOMER, "Hello")
    preview = desk.wait_for_preview(A)
    assert "Also in progress: none" in json.dumps(preview["blocks"], ensure_ascii=False)
    assert _button(preview, ids.VIEW_CONTACT)["text"]["text"] == "Last 30 days: 1"


# --- the Home tab ---------------------------------------------------------------------------

def _home(desk, user: str) -> dict:
    desk.event({"type": "app_home_opened", "user": user, "tab": "home",
                "channel": "D" + user[1:], "event_ts": "1.0"})
    return desk.slack.wait_for(lambda s: "Find a contact" in str(s.home_view(user))
                               and s.home_view(user), 5, "no contact tools on Home")


def test_the_home_tab_searches_the_directory_and_opens_a_contact(desk):
    jane = _contact(desk)
    home = _home(desk, A)
    assert has_button(home, ids.HOME_NEW_SMS)
    desk.click(A, ids.HOME_FIND_CONTACT, "")
    search = _modal(desk, ids.CONTACT_SEARCH_VIEW)
    act_in_view(desk, A, search, {"type": "plain_text_input", "block_id": "contact.search",
                                  "action_id": ids.CONTACT_SEARCH_INPUT,
                                  "value": "(415) 555-0100"})
    desk.wait_idle()
    results = desk.slack.view(search["id"])
    assert "1 contact matches" in json.dumps(results["blocks"])
    view_button = _button(results, ids.VIEW_CONTACT)
    assert view_button["value"] == str(jane)
    act_in_view(desk, A, results, {"type": "button", "action_id": ids.VIEW_CONTACT,
                                   "block_id": "b", "value": str(jane)})
    contact = _modal(desk, ids.CONTACT_VIEW)
    assert "Jane Doe" in json.dumps(contact["blocks"])

    # The Search button does the same as Enter.
    answer = desk.submit_view(A, search, {"contact.search": {ids.CONTACT_SEARCH_INPUT: {
        "type": "plain_text_input", "value": "jane"}}}).json()
    assert answer["response_action"] == "update"
    assert _button(answer["view"], ids.VIEW_CONTACT)["value"] == str(jane)


def test_the_home_tab_offers_only_what_the_settings_allow(database_url):
    from bot.config import Settings
    from tests.harness import DESK_CHANNEL, start_desk

    desk = start_desk(database_url, settings=Settings(
        desk_channel=DESK_CHANNEL, supervisors=("UAGENT2",), new_sms_roles=("supervisor",)))
    try:
        assert not has_button(_home(desk, A), ids.HOME_NEW_SMS)
        assert has_button(_home(desk, "UAGENT2"), ids.HOME_NEW_SMS)
    finally:
        desk.close()
