"""Admins change the everyday settings from Slack (/sms-admin) and see who changed what, when:
disposition codes, the Standard Response Library, queue members and timeouts, each change
taking effect for agents at once, refused for non-admins and for bad values, audited, and
kept to the workspace it was made in."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.config import Settings
from bot.config.workspaces import Workspace
from bot.desk.admin import admin_settings
from bot.desk.queues import Queue
from bot.slack import ids
from bot.slack.views import admin as views
from bot.slack.views.disposition import CODE_BLOCK
from storage.models import AuditEntry, Offer, SettingOverride, StandardResponse
from tests.harness import (
    BUSINESS_NUMBER,
    DESK_CHANNEL,
    accept_new_interaction,
    act_in_view,
    action_value,
    find_button,
    start_desk,
    suggest,
    wait_for_modal,
)

pytestmark = pytest.mark.postgres

ADMIN = "UADMIN"
AGENT = "UAGENT1"
CUSTOMER = "+14155550100"
HOME_TEAM, OTHER_TEAM = "T0HOME", "T0OTHER"


@pytest.fixture
def desk(database_url):
    settings = Settings(desk_channel=DESK_CHANNEL, offer_timeout_seconds=30, admins=(ADMIN,),
                        disposition_codes=("Resolved", "No action"),
                        queues=(Queue("Support", numbers=(BUSINESS_NUMBER,),
                                      members=("UAGENT1",)),))
    running = start_desk(database_url, settings=settings, agents=("UAGENT1", "UAGENT2", ADMIN))
    yield running
    running.close()


# --- driving the admin modals ---------------------------------------------------------------

def _open_admin(desk, user: str = ADMIN) -> dict:
    before = len(desk.slack.modals())
    response = desk.slash(user, ids.COMMAND_ADMIN)
    assert response.status_code == 200
    desk.wait_idle()
    modals = desk.slack.modals()
    assert len(modals) == before + 1, response.text
    return modals[-1]


def _push(desk, view: dict, value: str, action_id: str = ids.ADMIN_EDIT,
          user: str = ADMIN) -> dict:
    before = len(desk.slack.modals())
    act_in_view(desk, user, view, {"type": "button", "action_id": action_id,
                                   "block_id": "b", "value": value})
    desk.wait_idle()
    return desk.slack.wait_for(lambda s: len(s.modals()) > before and s.modals()[-1], 5,
                               f"no modal pushed for {value!r}")


def _text(block: str, value: str) -> dict:
    return {block: {views.VALUE: {"type": "plain_text_input", "value": value}}}


def _number(block: str, value: str) -> dict:
    return {block: {views.VALUE: {"type": "number_input", "value": value}}}


def _submit(desk, view: dict, values: dict, user: str = ADMIN):
    response = desk.submit_view(user, view, values)
    assert response.status_code == 200
    desk.wait_idle()
    return response


def _errors(response) -> dict:
    body = response.json()
    assert body["response_action"] == "errors", body
    return body["errors"]


def _change_codes(desk, codes: str, user: str = ADMIN):
    form = _push(desk, _open_admin(desk), ids.ADMIN_FORM_DISPOSITIONS)
    assert form["callback_id"] == ids.ADMIN_DISPOSITIONS_VIEW
    return form, _submit(desk, form, _text(views.CODES_BLOCK, codes), user)


def _change_timeouts(desk, offer: str, expiry: str):
    form = _push(desk, _open_admin(desk), ids.ADMIN_FORM_TIMEOUTS)
    return _submit(desk, form, {**_number(views.OFFER_BLOCK, offer),
                                **_number(views.EXPIRY_BLOCK, expiry)})


def _all_text(view: dict) -> str:
    return str(view["blocks"])


def _log(desk) -> dict:
    before = len(desk.slack.modals())
    desk.slash(ADMIN, ids.COMMAND_ADMIN, "log")
    desk.wait_idle()
    return desk.slack.wait_for(lambda s: len(s.modals()) > before and s.modals()[-1], 5,
                               "no log modal")


def _count(desk, model) -> int:
    with desk.db.transaction() as s:
        return s.scalar(select(func.count()).select_from(model))


# --- disposition codes ----------------------------------------------------------------------

def test_an_admin_changes_the_disposition_codes_and_agents_get_the_new_ones(desk):
    form, response = _change_codes(desk, "Sale made\n  Callback booked \n\nNo action\n")
    assert response.text == ""  # saved: the form closes
    assert form["blocks"][0]["element"]["initial_value"] == "Resolved\nNo action"
    # The overview underneath shows the new codes.
    overview = desk.slack.modals()[-2]
    assert "Sale made, Callback booked, No action" in _all_text(desk.slack.view(overview["id"]))

    card = accept_new_interaction(desk, CUSTOMER, "Hello")
    desk.choose(AGENT, ids.CARD_MENU,
                f"{ids.MENU_DISPOSITION}:{action_value(card, ids.MARK_DONE)}",
                channel=DESK_CHANNEL, message_ts=card["ts"])
    modal = wait_for_modal(desk, ids.DISPOSITION_VIEW)
    select_block = next(b for b in modal["blocks"] if b.get("block_id") == CODE_BLOCK)
    assert [o["value"] for o in select_block["element"]["options"]] == [
        "Sale made", "Callback booked", "No action"]


def test_a_bad_value_is_refused_on_its_field_and_nothing_changes(desk):
    _form, response = _change_codes(desk, "Resolved\n" + "x" * 80)
    errors = _errors(response)
    assert list(errors) == [views.CODES_BLOCK]
    assert "longer than the 75 characters" in errors[views.CODES_BLOCK]

    _form, response = _change_codes(desk, "Resolved\nResolved")
    assert "only once" in _errors(response)[views.CODES_BLOCK]

    errors = _errors(_change_timeouts(desk, "3", "0"))
    assert "at least 5" in errors[views.OFFER_BLOCK]
    assert "at least 1" in errors[views.EXPIRY_BLOCK]
    errors = _errors(_change_timeouts(desk, "soon", "30"))
    assert errors == {views.OFFER_BLOCK: "Enter a whole number of seconds."}

    settings = desk.runtime.services.settings_for(desk.team_id)
    assert settings.disposition_codes == ("Resolved", "No action")
    assert settings.offer_timeout_seconds == 30
    assert _count(desk, SettingOverride) == 0 and _count(desk, AuditEntry) == 0


def test_the_longest_code_list_the_settings_allow_is_edited_whole(database_url):
    # 100 codes of 75 characters: 7,599 characters one per line, and an input holds 3,000.
    codes = tuple(f"{n:03d} " + "Customer called back about the delivery window and " * 2
                  for n in range(100))
    codes = tuple(code[:75].strip() for code in codes)
    desk = start_desk(database_url, settings=Settings(
        desk_channel=DESK_CHANNEL, admins=(ADMIN,), disposition_codes=codes))
    try:
        form = _push(desk, _open_admin(desk), ids.ADMIN_FORM_DISPOSITIONS)
        inputs = [b for b in form["blocks"] if b["type"] == "input"]
        assert all(len(b["element"].get("initial_value", "")) <= b["element"]["max_length"]
                   <= 3000 for b in inputs)
        shown = [line for b in inputs
                 for line in b["element"].get("initial_value", "").splitlines()]
        assert tuple(shown) == codes

        # Saved as Slack submits it (each input's text): nothing is lost, nothing changes.
        values = {}
        for block in inputs:
            values.update(_text(block["block_id"], block["element"].get("initial_value", "")))
        assert _submit(desk, form, values).text == ""
        assert desk.runtime.services.settings_for(desk.team_id).disposition_codes == codes
        assert _count(desk, AuditEntry) == 0

        # The last code goes, one is added in the room left: both are saved.
        values[inputs[-1]["block_id"]][views.VALUE]["value"] = "\n".join(
            shown[-len(inputs[-1]["element"]["initial_value"].splitlines()):-1] + ["New one"])
        form = _push(desk, _open_admin(desk), ids.ADMIN_FORM_DISPOSITIONS)
        assert _submit(desk, form, values).text == ""
        saved = desk.runtime.services.settings_for(desk.team_id).disposition_codes
        assert saved == (*codes[:-1], "New one")
    finally:
        desk.close()


# --- timeouts -------------------------------------------------------------------------------

def test_an_admin_changes_the_offer_timeout_and_the_next_offer_uses_it(desk):
    assert _change_timeouts(desk, "90", "45").text == ""
    settings = desk.runtime.services.settings_for(desk.team_id)
    assert (settings.offer_timeout_seconds, settings.session_expiry_minutes) == (90, 45)

    desk.slash(AGENT, ids.COMMAND_READY)
    desk.customer_texts(CUSTOMER, "Anyone there?")
    desk.wait_for_preview(AGENT)
    with desk.db.transaction() as s:
        offer = s.scalars(select(Offer)).one()
        assert offer.expires_at - offer.offered_at == timedelta(seconds=90)


# --- queue members --------------------------------------------------------------------------

def test_an_admin_changes_a_queues_members_and_routing_follows(desk):
    desk.slash("UAGENT2", ids.COMMAND_READY)
    desk.customer_texts(CUSTOMER, "Hi")  # only UAGENT1 is in Support, and is not Ready
    desk.wait_idle()
    assert desk.previews_for("UAGENT2") == []

    overview = _open_admin(desk)
    button = find_button(overview, ids.ADMIN_EDIT)
    assert button is not None
    assert "<@UAGENT1>" in _all_text(overview)
    form = _push(desk, overview, f"{ids.ADMIN_FORM_QUEUE}:Support")
    assert form["callback_id"] == ids.ADMIN_QUEUE_VIEW
    assert form["blocks"][0]["element"]["initial_users"] == ["UAGENT1"]
    response = _submit(desk, form, {views.MEMBERS_BLOCK: {views.VALUE: {
        "type": "multi_users_select", "selected_users": ["UAGENT2"]}}})
    assert response.text == ""

    # The waiting customer goes to the new member at once.
    desk.wait_for_preview("UAGENT2")
    assert "<@UAGENT2>" in _all_text(desk.slack.view(overview["id"]))
    [queue] = desk.runtime.services.settings_for(desk.team_id).queues
    assert queue.members == ("UAGENT2",)


# --- the Standard Response Library ----------------------------------------------------------

def test_an_admin_adds_a_standard_response_and_an_agent_finds_it_in_compose(desk):
    library = _push(desk, _open_admin(desk), ids.ADMIN_FORM_RESPONSES)
    assert library["callback_id"] == ids.ADMIN_RESPONSES_VIEW
    form = _push(desk, library, "", ids.ADMIN_RESPONSE_EDIT)
    assert form["callback_id"] == ids.ADMIN_RESPONSE_VIEW
    values = {**_text(views.NAME_BLOCK, "Store hours <b>"),
              **_text(views.CATEGORY_BLOCK, "Info"),
              **_text(views.TEXT_BLOCK, "Hi {contact.first_name}, we open at 9.")}
    assert _submit(desk, form, values).text == ""
    # The library underneath lists it, escaped.
    shown = _all_text(desk.slack.view(library["id"]))
    assert "Store hours &lt;b&gt;" in shown and "<b>" not in shown

    # Same name again: refused on the name.
    form = _push(desk, library, "", ids.ADMIN_RESPONSE_EDIT)
    assert views.NAME_BLOCK in _errors(desk.submit_view(ADMIN, form, values))

    card = accept_new_interaction(desk, CUSTOMER, "When do you open?")
    desk.click(AGENT, ids.OPEN_COMPOSE, action_value(card, ids.OPEN_COMPOSE),
               channel=DESK_CHANNEL, message_ts=card["ts"])
    compose = wait_for_modal(desk, ids.COMPOSE_VIEW)
    found = suggest(desk, AGENT, ids.RESPONSE_SEARCH, "store", compose).json()
    assert [[o["text"]["text"] for o in g["options"]] for g in found["option_groups"]] == [
        ["Store hours <b>"]]


def test_an_admin_edits_and_deletes_a_response(desk):
    library = _push(desk, _open_admin(desk), ids.ADMIN_FORM_RESPONSES)
    form = _push(desk, library, "", ids.ADMIN_RESPONSE_EDIT)
    _submit(desk, form, {**_text(views.NAME_BLOCK, "Hours"),
                         **_text(views.TEXT_BLOCK, "9 to 5")})
    with desk.db.transaction() as s:
        response_id = s.scalars(select(StandardResponse.id)).one()

    form = _push(desk, desk.slack.view(library["id"]), str(response_id), ids.ADMIN_RESPONSE_EDIT)
    assert form["blocks"][0]["element"]["initial_value"] == "Hours"
    _submit(desk, form, {**_text(views.NAME_BLOCK, "Opening hours"),
                         **_text(views.CATEGORY_BLOCK, "Info"),
                         **_text(views.TEXT_BLOCK, "9 to 6")})
    with desk.db.transaction() as s:
        row = s.get(StandardResponse, response_id)
        assert (row.name, row.category, row.text) == ("Opening hours", "Info", "9 to 6")

    form = _push(desk, desk.slack.view(library["id"]), str(response_id), ids.ADMIN_RESPONSE_EDIT)
    delete = find_button(form, ids.ADMIN_RESPONSE_DELETE)
    assert delete["confirm"]  # Slack asks before it is gone
    act_in_view(desk, ADMIN, form, {"type": "button", "action_id": ids.ADMIN_RESPONSE_DELETE,
                                    "block_id": "admin.response_delete",
                                    "value": str(response_id)})
    desk.wait_idle()
    assert _count(desk, StandardResponse) == 0
    assert "The library is empty." in _all_text(desk.slack.view(library["id"]))


# --- permissions ----------------------------------------------------------------------------

def test_a_non_admin_is_refused_and_nothing_changes(desk):
    before = len(desk.slack.modals())
    response = desk.slash(AGENT, ids.COMMAND_ADMIN)
    assert "Only admins" in response.text
    desk.wait_idle()
    assert len(desk.slack.modals()) == before  # no modal opened

    # A forged submission (the form as an admin saw it) is refused too.
    form, _ = _change_codes(desk, "Resolved\nNo action")  # unchanged: no audit line
    response = desk.submit_view(AGENT, form, _text(views.CODES_BLOCK, "Hacked"))
    assert "Only admins" in _errors(response)[views.CODES_BLOCK]
    queue_form = {"callback_id": ids.ADMIN_QUEUE_VIEW, "private_metadata": ":Support"}
    response = desk.submit_view(AGENT, queue_form, {views.MEMBERS_BLOCK: {views.VALUE: {
        "type": "multi_users_select", "selected_users": [AGENT]}}})
    assert "Only admins" in _errors(response)[views.MEMBERS_BLOCK]
    response_form = {"callback_id": ids.ADMIN_RESPONSE_VIEW, "private_metadata": ":"}
    response = desk.submit_view(AGENT, response_form, {
        **_text(views.NAME_BLOCK, "Mine"), **_text(views.TEXT_BLOCK, "text")})
    assert "Only admins" in _errors(response)[views.NAME_BLOCK]

    settings = desk.runtime.services.settings_for(desk.team_id)
    assert settings.disposition_codes == ("Resolved", "No action")
    assert settings.queues[0].members == ("UAGENT1",)
    assert _count(desk, SettingOverride) == 0 and _count(desk, StandardResponse) == 0
    assert _count(desk, AuditEntry) == 0


# --- the corporate dictionary ---------------------------------------------------------------

def _change_dictionary(desk, add: str = "", remove: str = "", user: str = ADMIN):
    overview = _open_admin(desk)
    assert "Corporate dictionary" in _all_text(overview)
    form = _push(desk, overview, ids.ADMIN_FORM_DICTIONARY)
    assert form["callback_id"] == ids.ADMIN_DICTIONARY_VIEW
    return form, _submit(desk, form, {**_text(views.DICTIONARY_ADD_BLOCK, add),
                                      **_text(views.DICTIONARY_REMOVE_BLOCK, remove)}, user)


def _held_prompts(desk) -> list[dict]:
    return [e for e in desk.slack.ephemerals(DESK_CHANNEL) if e["user"] == AGENT
            and ":pencil2:" in str(e.get("blocks"))]


def test_an_admin_adds_and_removes_corporate_words_and_replies_follow(desk):
    from bot.spelling import checker

    checker.preload(["en"])
    _form, response = _change_dictionary(desk, add="Zorbex\n  florp \n")
    assert response.text == ""  # saved: the form closes
    overview = desk.slack.modals()[-2]
    assert "2 words" in _all_text(desk.slack.view(overview["id"]))
    form = _push(desk, _open_admin(desk), ids.ADMIN_FORM_DICTIONARY)
    assert "florp, zorbex" in _all_text(form)

    card = accept_new_interaction(desk, CUSTOMER, "Hello")
    desk.agent_writes_in_thread(AGENT, card["ts"], "Your zorbex is ready")
    desk.twilio.wait_for(lambda t: t.sent, 5, "a corporate word held the reply")
    assert _held_prompts(desk) == []

    _change_dictionary(desk, remove="zorbex")
    desk.customer_texts("+14155550111", "Hello again")
    preview = desk.wait_for_preview(AGENT, 2)
    desk.click(AGENT, ids.ACCEPT_OFFER, action_value(preview, ids.ACCEPT_OFFER))
    card = desk.slack.wait_for(lambda s: len(desk.cards()) == 2 and desk.cards()[1], 5,
                               "no second card")
    desk.wait_idle()
    desk.agent_writes_in_thread(AGENT, card["ts"], "Your zorbex is ready")
    desk.slack.wait_for(lambda s: _held_prompts(desk), 5, "a removed word is still accepted")

    lines = [b["text"]["text"] for b in _log(desk)["blocks"] if b["type"] == "section"]
    assert "removed from the corporate dictionary" in lines[0] and "zorbex" in lines[0]
    assert "added to the corporate dictionary" in lines[1] and "florp, zorbex" in lines[1]


def test_a_corporate_word_change_is_refused_with_its_reason(desk):
    _form, response = _change_dictionary(desk, remove="nosuchword")
    assert "not in the corporate dictionary" in _errors(response)[views.DICTIONARY_REMOVE_BLOCK]
    form, response = _change_dictionary(desk, add="x" * 101)
    assert "100 characters" in _errors(response)[views.DICTIONARY_ADD_BLOCK]
    response = desk.submit_view(AGENT, form, _text(views.DICTIONARY_ADD_BLOCK, "mine"))
    assert "Only admins" in _errors(response)[views.DICTIONARY_ADD_BLOCK]
    assert _count(desk, AuditEntry) == 0


# --- the audit log --------------------------------------------------------------------------

def test_the_change_log_lists_each_change_newest_first_with_who_and_old_and_new(desk):
    _change_codes(desk, "Resolved\nEscalated")
    _change_timeouts(desk, "45", "30")  # only the offer timeout changed
    log = _log(desk)
    assert log["callback_id"] == ids.ADMIN_LOG_VIEW
    lines = [b["text"]["text"] for b in log["blocks"] if b["type"] == "section"]
    assert len(lines) == 2
    assert "<@UADMIN>" in lines[0] and "offer timeout" in lines[0] and "30 → 45" in lines[0]
    assert "disposition codes" in lines[1]
    assert "Resolved, No action → Resolved, Escalated" in lines[1]
    assert "<!date^" in lines[0]  # when, in each reader's time zone


def test_the_change_log_pages(desk):
    for seconds in range(31, 31 + 12):
        admin_settings.save_timeouts(desk.db, desk.runtime.services.settings_overlay,
                                     desk.runtime.services.settings_for(desk.team_id),
                                     desk.team_id, ADMIN, offer_timeout=str(seconds),
                                     session_expiry="30")
    log = _log(desk)
    first = [b for b in log["blocks"] if b["type"] == "section"]
    assert len(first) == 10 and "41 → 42" in first[0]["text"]["text"]
    assert find_button(log, ids.ADMIN_LOG_NEWER) is None
    older = find_button(log, ids.ADMIN_LOG_OLDER)
    act_in_view(desk, ADMIN, log, {**older, "block_id": "admin.log_pages"})
    desk.wait_idle()
    second = desk.slack.view(log["id"])
    lines = [b["text"]["text"] for b in second["blocks"] if b["type"] == "section"]
    assert len(lines) == 2 and "30 → 31" in lines[-1]
    assert find_button(second, ids.ADMIN_LOG_NEWER) is not None


# --- workspaces -----------------------------------------------------------------------------

def test_a_change_in_one_workspace_leaves_another_alone(database_url):
    # Two workspaces need the OAuth desk: one bot token serves one workspace only.
    def workspace(channel: str) -> Settings:
        return Settings(desk_channel=channel, offer_timeout_seconds=30, admins=(ADMIN,),
                        disposition_codes=("Resolved", "No action"))
    running = start_desk(database_url, oauth=True, agents=(), settings=Settings(workspaces=(
        Workspace(HOME_TEAM, workspace(DESK_CHANNEL)),
        Workspace(OTHER_TEAM, workspace("COTHERDESK")))))
    try:
        for team in (HOME_TEAM, OTHER_TEAM):
            assert running.install_workspace(team).status_code == 200
        desk, elsewhere = running.in_workspace(HOME_TEAM), running.in_workspace(OTHER_TEAM)
        _change_codes(desk, "Sale made")
        _change_timeouts(desk, "120", "30")
        services = desk.runtime.services
        assert services.settings_for(HOME_TEAM).disposition_codes == ("Sale made",)
        other = services.settings_for(OTHER_TEAM)
        assert other.disposition_codes == ("Resolved", "No action")
        assert other.offer_timeout_seconds == 30
        # The other workspace's admin sees its own settings and an empty log.
        overview = _open_admin(elsewhere)
        assert "Resolved, No action" in _all_text(overview)
        assert "No changes yet." in _all_text(_log(elsewhere))
    finally:
        running.close()


def test_another_instance_picks_a_change_up_within_seconds(desk):
    """The overlay of a second process on the same database: not told, it re-reads."""
    clock = [0.0]
    services = desk.runtime.services
    elsewhere = admin_settings.SettingsOverlay(services.db, clock=lambda: clock[0])
    base = services.all_settings.for_team(desk.team_id)
    assert elsewhere.apply(desk.team_id, base).offer_timeout_seconds == 30
    _change_timeouts(desk, "75", "30")
    assert elsewhere.apply(desk.team_id, base).offer_timeout_seconds == 30  # cached
    clock[0] += admin_settings.REFRESH_SECONDS
    assert elsewhere.apply(desk.team_id, base).offer_timeout_seconds == 75


def test_admins_find_an_admin_button_on_the_home_tab_and_agents_do_not(desk):
    for user in (ADMIN, AGENT):
        desk.opens_home(user)
    desk.wait_idle()
    home = desk.slack.wait_for(lambda s: s.home_view(ADMIN), 5, "no Home tab")
    assert find_button(home, ids.HOME_ADMIN) is not None
    assert find_button(desk.slack.home_view(AGENT), ids.HOME_ADMIN) is None

    before = len(desk.slack.modals())
    desk.click(ADMIN, ids.HOME_ADMIN, "home")
    desk.wait_idle()
    assert desk.slack.modals()[before]["callback_id"] == ids.ADMIN_VIEW
    desk.click(AGENT, ids.HOME_ADMIN, "home")  # a stale Home tab: told, nothing opens to edit
    desk.wait_idle()
    assert "Only admins" in _all_text(desk.slack.modals()[before + 1])


# --- finding the commands -------------------------------------------------------------------

ADMIN_WORDS = ("log", "export", "erase", "purge")


@pytest.mark.parametrize("user", [ADMIN, AGENT])
def test_sms_admin_help_names_every_word_it_takes(desk, user):
    # Export can be open to supervisors, so the help is for anyone who asks.
    response = desk.slash(user, ids.COMMAND_ADMIN, "help")
    assert response.status_code == 200
    for word in ADMIN_WORDS:
        assert f"/sms-admin {word}" in response.text, word
    desk.wait_idle()
    assert not desk.slack.modals()


def test_slack_s_autocomplete_hint_for_sms_admin_names_every_word():
    hint = ids.SLASH_COMMANDS[ids.COMMAND_ADMIN][1]
    assert all(word in hint for word in (*ADMIN_WORDS, "help")), hint
