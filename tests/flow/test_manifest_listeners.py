"""Every slash command and event in the manifests has a listener, and every listener is in
the manifests: an admin never installs a command that answers "dispatch_failed"."""

from __future__ import annotations

import ast
import json

import pytest

from bot.slack import ids
from tests import REPO_ROOT

ROOT = REPO_ROOT
LISTENERS = ROOT / "bot" / "slack" / "listeners"


def _decorated(kind: str) -> set[str]:
    """Arguments of @app.<kind>(...) decorators in the listener modules, resolved."""
    found: set[str] = set()
    for path in LISTENERS.rglob("*.py"):  # tools/ too
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr == kind and node.args):
                continue
            arg = node.args[0]
            if isinstance(arg, ast.Constant):
                found.add(arg.value)
            elif isinstance(arg, ast.Attribute) and isinstance(arg.value, ast.Name) \
                    and arg.value.id == "ids":
                found.add(getattr(ids, arg.attr))
    return found


def _manifest(mode: str) -> dict:
    return json.loads((ROOT / "manifests" / f"{mode}.json").read_text())


@pytest.mark.parametrize("mode", ["http", "socket"])
def test_manifest_commands_and_listeners_match(mode):
    manifest = _manifest(mode)
    in_manifest = {c["command"] for c in manifest["features"].get("slash_commands", [])}
    assert in_manifest == _decorated("command")


@pytest.mark.parametrize("mode", ["http", "socket"])
def test_manifest_shortcuts_and_listeners_match(mode):
    shortcuts = _manifest(mode)["features"].get("shortcuts", [])
    assert {s["callback_id"] for s in shortcuts} == _decorated("shortcut")
    assert all(s["type"] == "global" for s in shortcuts)


@pytest.mark.parametrize("mode", ["http", "socket"])
def test_manifest_events_and_listeners_match(mode):
    events = set(_manifest(mode)["settings"]["event_subscriptions"]["bot_events"])
    # message.channels / message.groups all arrive as the one "message" event type.
    subscribed = {event.split(".")[0] for event in events}
    assert subscribed == _decorated("event")


def test_every_button_the_views_render_has_a_listener():
    rendered = {ids.ACCEPT_OFFER, ids.REJECT_OFFER, ids.MARK_DONE, ids.SET_READY,
                ids.SET_NOT_READY}
    rendered |= {ids.OPEN_COMPOSE, ids.RESPONSE_SEARCH, ids.COMPOSE_TEXT}
    rendered |= {ids.CARD_MENU}  # the card's overflow menu: note, disposition code, ...
    rendered |= {ids.REASSIGN}  # supervisor card and /sms-queue
    rendered |= {ids.VIEW_CONTACT, ids.CONTACT_OLDER, ids.CONTACT_NEWER, ids.CONTACT_TRANSCRIPT,
                 ids.CONTACT_NEW_SMS, ids.CONTACT_EDIT, ids.CONTACT_ASSIGN,
                 ids.HOME_FIND_CONTACT, ids.HOME_NEW_SMS, ids.CONTACT_SEARCH_INPUT}
    rendered |= {ids.NEW_SMS_RESPONSE, ids.NEW_SMS_TEXT}
    assert rendered <= _decorated("action")
    # External selects ask for their options.
    assert {ids.RESPONSE_SEARCH, ids.NEW_SMS_RESPONSE, ids.ASSIGN_SEARCH} <= _decorated("options")


def test_every_contact_and_new_sms_modal_with_a_submit_has_a_submission_listener():
    from bot.desk.directory.contacts_directory import ContactSummary
    from bot.slack.views import contacts, new_sms

    jane = ContactSummary(1, "Jane", "+14155550100", None)
    opened = [contacts.build_contact_edit_modal(jane, "V1"),
              contacts.build_assign_modal(1, "+14155550100"),
              contacts.build_assign_confirm(1, "+14155550100", jane),
              contacts.build_search_modal(),
              new_sms.build_new_sms(new_sms.NewSmsData(("+15005550006",)))]
    assert all("submit" in view for view in opened)
    assert {view["callback_id"] for view in opened} <= _decorated("view")


def test_every_modal_the_card_tools_open_has_a_submission_listener():
    from bot.desk.interactions.dispositions import DispositionForm
    from bot.slack.views.disposition import build_disposition_modal
    from bot.slack.views.note import build_note_modal

    form = DispositionForm(1, ("Resolved",), (), None, False)
    from bot.desk.interactions.supervision import ReassignForm
    from bot.slack.views.supervision import build_reassign_modal

    reassign = ReassignForm(1, "SMS", "queued", "Ann", None, ("U1",))
    opened = {build_note_modal(1)["callback_id"], build_disposition_modal(form)["callback_id"],
              build_reassign_modal(reassign, [("U1", "Ann")])["callback_id"]}
    assert opened == {ids.NOTE_VIEW, ids.DISPOSITION_VIEW, ids.REASSIGN_VIEW}
    assert opened <= _decorated("view")


def test_every_manifest_command_is_answered_by_the_running_app(desk):
    for command in _manifest("http")["features"]["slash_commands"]:
        response = desk.slash("UAGENT1", command["command"])
        assert response.status_code == 200, command["command"]
    # The check can fail: a command the app does not know is refused.
    assert desk.slash("UAGENT1", "/sms-unknown").status_code == 404
