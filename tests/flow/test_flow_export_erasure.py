"""A contact's data, exported and erased (data protection), over HTTP against the fakes.

An admin (or a role the settings open export to) gets one JSON file in their DM with
everything the desk holds about a contact; an admin erases a contact after a confirmation:
the rows go at once, the app's Slack messages and the provider's copies go through paced
jobs, a DM says what was removed and what was not. A number that said STOP stays blocked
after its contact is erased, and START still opts it back in."""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys

import pytest
from PIL import Image
from sqlalchemy import func, select

from bot.config import Settings
from bot.desk.directory.contacts import create_contact
from bot.slack import ids
from bot.slack.views import new_sms as new_sms_view
from bot.slack.views import privacy as privacy_views
from bot.slack.views.note import NOTE_ACTION, NOTE_BLOCK
from storage.models import (
    AuditEntry,
    Contact,
    ContactNumber,
    Interaction,
    Job,
    Media,
    Message,
    OptOut,
    TimelineEvent,
)
from tests import REPO_ROOT
from tests.harness import (
    BUSINESS_NUMBER,
    DESK_CHANNEL,
    accept_new_interaction,
    action_value,
    start_desk,
    wait_for_modal,
)

pytestmark = pytest.mark.postgres

CUSTOMER = "+14155550100"
NEIGHBOUR = "+14155550199"  # another contact of the same workspace
ADMIN, SUPERVISOR, AGENT = "UADMIN", "USUPER", "UAGENT1"
NOTE = "Prefers a call after 5pm"


def _settings(**overrides) -> Settings:
    return Settings(desk_channel=DESK_CHANNEL, offer_timeout_seconds=30, admins=(ADMIN,),
                    supervisors=(SUPERVISOR,), export_roles=("admin", "supervisor"),
                    **overrides)


@pytest.fixture
def desk(database_url):
    running = start_desk(database_url, settings=_settings(),
                         agents=(AGENT, "UAGENT2", ADMIN, SUPERVISOR))
    yield running
    running.close()


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(out, "JPEG")
    return out.getvalue()


def _a_customer_with_history(desk) -> dict:
    """Two interactions: a text, a note and the agent's reply (page mode: that closes it);
    then STOP and an MMS, the second interaction."""
    first = accept_new_interaction(desk, CUSTOMER, "My account is 4417", agent=AGENT)
    desk.choose(AGENT, ids.CARD_MENU,
                f"{ids.MENU_NOTE}:{action_value(first, ids.MARK_DONE)}",
                channel=DESK_CHANNEL, message_ts=first["ts"])
    note_modal = wait_for_modal(desk, ids.NOTE_VIEW)
    desk.submit_view(AGENT, note_modal, {NOTE_BLOCK: {NOTE_ACTION: {
        "type": "plain_text_input", "value": NOTE}}})
    desk.wait_idle()
    desk.agent_writes_in_thread(AGENT, first["ts"], "Thanks, checking now")
    [reply] = desk.twilio.wait_for(lambda t: t.sent_to(CUSTOMER), 10,
                                   "the reply never went out")
    desk.slack.wait_for(lambda _s: _count(desk, Message, Message.provider_sid == reply.sid),
                        5, "the send was never written down")
    desk.carrier_reports(reply, "delivered")
    desk.wait_idle()
    desk.customer_texts(CUSTOMER, "STOP", sid="SMstop0001")
    picture = _jpeg()
    media_url = desk.twilio.add_media(
        f"/2010-04-01/Accounts/{desk.twilio.account_sid}/Messages/MMpic0001/Media/MEpic0001",
        picture, "image/jpeg")
    desk.customer_texts(CUSTOMER, "Here is the receipt", sid="MMpic0001", NumMedia="1",
                        MediaUrl0=media_url, MediaContentType0="image/jpeg")
    preview = desk.wait_for_preview(AGENT, count=2)
    desk.click(AGENT, ids.ACCEPT_OFFER, action_value(preview, ids.ACCEPT_OFFER))
    desk.slack.wait_for(lambda s: len(desk.cards()) >= 2 and desk.slack.files(), 5,
                        "the picture never reached the second thread")
    desk.wait_idle()
    with desk.db.transaction() as s:
        neighbour = create_contact(s, desk.team_id, NEIGHBOUR, name="Nina Neighbour").id
        contact_id = s.scalar(select(Contact.id).where(Contact.team_id == desk.team_id,
                                                      Contact.phone == CUSTOMER))
    return {"contact_id": contact_id, "neighbour": neighbour, "picture": picture}


def _apps_messages(desk) -> list[tuple[str, str]]:
    """Every message the app posted that is still in Slack: cards, thread lines, previews."""
    found = []
    for channel in (DESK_CHANNEL, desk.slack.dm_channel(AGENT)):
        for message in desk.slack.messages(channel):
            for one in [message, *desk.slack.thread(channel, message["ts"])]:
                if one.get("bot_id"):
                    found.append((channel, one["ts"]))
    return found


def _audit(desk, action: str) -> list[AuditEntry]:
    with desk.db.transaction() as s:
        rows = list(s.scalars(select(AuditEntry).where(AuditEntry.action == action)))
        s.expunge_all()
        return rows


def _count(desk, model, *where) -> int:
    with desk.db.transaction() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where)) or 0


# --- export --------------------------------------------------------------------------------

def test_an_export_is_one_json_file_in_the_requesters_dm_with_everything(desk):
    history = _a_customer_with_history(desk)
    files_before = len(desk.slack.files())
    answer = desk.slash(SUPERVISOR, ids.COMMAND_ADMIN, "export (415) 555-0100")
    assert f"Exporting contact #{history['contact_id']}" in answer.text
    desk.wait_idle()
    [exported] = desk.slack.files()[files_before:]
    assert exported["name"] == f"contact-{history['contact_id']}-export.json"
    assert [share[0] for share in exported["shares"]] == [
        desk.slack.dm_channel(SUPERVISOR)]
    document = json.loads(exported["content"])

    assert document["contact"]["phone"] == CUSTOMER
    assert document["contact"]["numbers"] == [CUSTOMER]
    assert [o["business_number"] for o in document["contact"]["opt_outs"]] == [BUSINESS_NUMBER]
    first, second = document["interactions"]
    assert (first["state"], first["queue"], first["agent_user_id"]) == ("done", "SMS", AGENT)
    assert [(m["direction"], m["body"]) for m in first["messages"]] == [
        ("inbound", "My account is 4417"), ("outbound", "Thanks, checking now")]
    assert first["messages"][1]["delivery_state"] == "delivered"
    assert [n["text"] for n in first["notes"]] == [NOTE]
    assert {"accepted", "closed"} <= {e["kind"] for e in first["timeline"]}
    stop, mms = second["messages"]
    assert (stop["body"], stop["delivery_state"]) == ("STOP", "received")
    assert (second["state"], second["agent_user_id"]) == ("accepted", AGENT)
    assert mms["body"] == "Here is the receipt"
    [picture] = mms["media"]
    assert picture["content_type"] == "image/jpeg"
    assert picture["size"] == len(history["picture"])
    assert picture["sha256"] == hashlib.sha256(history["picture"]).hexdigest()
    assert "content" not in picture and "original" not in picture

    [entry] = _audit(desk, "privacy.export")
    assert (entry.actor_user_id, entry.subject) == (SUPERVISOR,
                                                   f"contact {history['contact_id']}")


def test_an_agent_may_not_export_and_an_unclear_contact_is_asked_about(desk):
    history = _a_customer_with_history(desk)
    with desk.db.transaction() as s:
        other = create_contact(s, desk.team_id, "+14155550142", name="Nina <!channel>").id
    files_before = len(desk.slack.files())
    refused = desk.slash(AGENT, ids.COMMAND_ADMIN, f"export {CUSTOMER}")
    assert "open to admins or supervisors" in refused.text
    unknown = desk.slash(ADMIN, ids.COMMAND_ADMIN, "export +1 212 555 0000")
    assert "No contact matches" in unknown.text
    several = desk.slash(ADMIN, ids.COMMAND_ADMIN, "export nina")
    assert "Several contacts match" in several.text
    assert f"#{history['neighbour']} Nina Neighbour" in several.text
    assert f"#{other} Nina &lt;!channel&gt;" in several.text
    desk.wait_idle()
    assert len(desk.slack.files()) == files_before
    assert _audit(desk, "privacy.export") == []


# --- erasure -------------------------------------------------------------------------------

def _erase(desk, user: str, query: str = CUSTOMER) -> dict:
    answer = desk.slash(user, ids.COMMAND_ADMIN, f"erase {query}")
    assert answer.status_code == 200
    modal = wait_for_modal(desk, privacy_views.ERASE_VIEW)
    return modal


def _new_sms_to(desk, number: str) -> dict:
    modal = new_sms_view.build_new_sms(new_sms_view.NewSmsData((BUSINESS_NUMBER,)))
    text_block = next(b for b in modal["blocks"]
                      if b.get("block_id", "").startswith(new_sms_view.TEXT_BLOCK))
    return desk.submit_view(AGENT, modal, {
        text_block["block_id"]: {ids.NEW_SMS_TEXT: {"type": "plain_text_input",
                                                    "value": "We miss you"}},
        new_sms_view.TO_BLOCK: {ids.NEW_SMS_TO: {"type": "plain_text_input",
                                                 "value": number}}}).json()


def test_erasure_removes_the_rows_the_slack_messages_and_the_providers_copies(desk):
    history = _a_customer_with_history(desk)
    contact_id = history["contact_id"]
    posted = _apps_messages(desk)
    assert len(posted) >= 8  # two cards, their lines, two previews
    outbound_sids = [sms.sid for sms in desk.twilio.sent_to(CUSTOMER)]

    modal = _erase(desk, ADMIN, "(415) 555-0100")
    listed = json.dumps(modal["blocks"])
    assert "2 interactions" in listed and "1 note" in listed and "1 media file" in listed
    answer = desk.submit_view(ADMIN, modal, {}).json()
    assert answer["response_action"] == "update"
    assert "was erased" in json.dumps(answer["view"])
    desk.wait_idle(timeout=20)

    # The database: nothing of the contact is left; the neighbour is untouched.
    assert _count(desk, Contact, Contact.id == contact_id) == 0
    assert _count(desk, ContactNumber, ContactNumber.phone == CUSTOMER) == 0
    assert _count(desk, Interaction, Interaction.contact_id == contact_id) == 0
    assert _count(desk, Message) == 0 and _count(desk, Media) == 0
    assert _count(desk, TimelineEvent) == 0
    assert _count(desk, Contact, Contact.id == history["neighbour"],
                  Contact.name == "Nina Neighbour") == 1
    # The opt-out stays, as a hash only.
    with desk.db.transaction() as s:
        [(phone, hashed)] = s.execute(select(OptOut.phone, OptOut.number_hash)).all()
    assert phone is None and len(hashed) == 64 and CUSTOMER not in hashed

    # Slack: every message the app posted is gone, and the picture file with it.
    deletes = {(c.params.get("channel"), c.params.get("ts"))
               for c in desk.slack.calls_to("chat.delete")}
    for channel, ts in posted:
        assert (channel, ts) in deletes
        with pytest.raises(KeyError):
            desk.slack.message(channel, ts)
    assert desk.slack.files() == []
    # The provider: every message (both ways) and the picture.
    deleted = desk.twilio.deleted
    for sid in [*outbound_sids, "SMstop0001", "MMpic0001"]:
        assert sid in deleted
    assert "MMpic0001/MEpic0001" in deleted
    assert deleted.index("MMpic0001/MEpic0001") < deleted.index("MMpic0001")

    # The requester's report.
    report = desk.slack.wait_for(
        lambda s: next((m for m in s.messages(s.dm_channel(ADMIN))
                        if "was erased" in m["text"]), None), 5, "no report DM")
    shown = json.dumps(report["blocks"])
    assert f"Contact #{contact_id} was erased" in shown
    assert "2 interactions" in shown and "1 note" in shown
    assert "kept as a hash" in shown and "Everything the app had posted" in shown

    [started] = _audit(desk, "privacy.erase")
    assert (started.actor_user_id, started.subject) == (ADMIN, f"contact {contact_id}")
    assert started.detail["removed"]["interactions"] == 2
    assert started.detail["removed"]["messages"] == 4
    [finished] = _audit(desk, "privacy.erase_finished")
    assert finished.detail["not_removed"] == []

    # STOP outlives the erasure: a New SMS to the number is refused before Twilio.
    sent_before = len(desk.twilio.sent)
    refused = _new_sms_to(desk, "(415) 555-0100")
    assert refused["response_action"] == "errors"
    assert "opted out" in json.dumps(refused["errors"])
    desk.wait_idle()
    assert len(desk.twilio.sent) == sent_before
    # The number texts again: the agent's card says it opted out, by the hash alone.
    card = accept_new_interaction(desk, CUSTOMER, "Is anyone there?", agent=AGENT)
    assert "Opted out" in json.dumps(desk.slack.message(DESK_CHANNEL, card["ts"])["blocks"])

    # ...until the number texts START.
    desk.customer_texts(CUSTOMER, "START")
    desk.wait_idle()
    assert _count(desk, OptOut) == 0


def test_erasure_deletes_the_export_files_sent_to_admins(desk):
    history = _a_customer_with_history(desk)
    desk.slash(SUPERVISOR, ids.COMMAND_ADMIN, f"export #{history['contact_id']}")
    desk.wait_idle()
    [exported] = [f for f in desk.slack.files() if f["name"].endswith("-export.json")]

    desk.submit_view(ADMIN, _erase(desk, ADMIN), {})
    desk.wait_idle(timeout=20)
    assert exported["id"] in {c.params.get("file") for c in desk.slack.calls_to("files.delete")}
    assert desk.slack.files() == []  # the export went with the thread's picture
    report = desk.slack.wait_for(
        lambda s: next((m for m in s.messages(s.dm_channel(ADMIN))
                        if "was erased" in m["text"]), None), 5, "no report DM")
    assert "1 export file" in json.dumps(report["blocks"])
    [finished] = _audit(desk, "privacy.erase_finished")
    assert finished.detail["not_removed"] == []


def _jobs_text(desk) -> str:
    with desk.db.transaction() as s:
        return json.dumps([[j.payload, j.last_error] for j in s.scalars(select(Job))],
                          ensure_ascii=False)


def test_erasure_leaves_nothing_of_the_contact_in_the_outbox(desk):
    history = _a_customer_with_history(desk)
    fresh = "+14155550123"
    assert "errors" not in _new_sms_to(desk, "(415) 555-0123")
    desk.wait_idle()
    # The agent was told "Your SMS to +1 415-555-0123 is on its way", through a job.
    assert "415-555-0123" in _jobs_text(desk)
    jobs_before = _count(desk, Job)

    desk.submit_view(ADMIN, _erase(desk, ADMIN, fresh), {})
    desk.wait_idle(timeout=20)
    left = _jobs_text(desk)
    assert "555-0123" not in left and "4155550123" not in left
    assert "We miss you" not in left
    # Only that contact's jobs were scrubbed: the other contact's thread is still there.
    assert _count(desk, Interaction, Interaction.contact_id == history["contact_id"]) == 2
    assert _count(desk, Job) >= jobs_before  # scrubbed, not deleted: counts still add up


def test_what_slack_keeps_is_named_in_the_report(desk):
    history = _a_customer_with_history(desk)
    modal = _erase(desk, ADMIN, f"#{history['contact_id']}")
    desk.slack.fail_next("chat.delete", error="cant_delete_message")
    desk.submit_view(ADMIN, modal, {})
    desk.wait_idle(timeout=20)
    report = desk.slack.wait_for(
        lambda s: next((m for m in s.messages(s.dm_channel(ADMIN))
                        if "was erased" in m["text"]), None), 5, "no report DM")
    shown = json.dumps(report["blocks"])
    assert "Could not be removed" in shown
    assert "only its author (or a workspace admin)" in shown
    [finished] = _audit(desk, "privacy.erase_finished")
    assert len(finished.detail["not_removed"]) == 1


def test_only_admins_may_erase_even_with_a_forged_confirmation(desk):
    history = _a_customer_with_history(desk)
    for user in (AGENT, SUPERVISOR):
        answer = desk.slash(user, ids.COMMAND_ADMIN, f"erase {CUSTOMER}")
        assert "Only the desk's admins" in answer.text
    assert [m for m in desk.slack.modals() if m["callback_id"] == privacy_views.ERASE_VIEW] == []
    forged = {"callback_id": privacy_views.ERASE_VIEW,
              "private_metadata": str(history["contact_id"])}
    answer = desk.submit_view(SUPERVISOR, forged, {}).json()
    assert "Only the desk's admins" in json.dumps(answer["view"])
    desk.wait_idle()
    assert _count(desk, Contact, Contact.id == history["contact_id"]) == 1
    assert _count(desk, Message) == 4
    assert desk.slack.calls_to("chat.delete") == [] and desk.twilio.deleted == []
    assert _audit(desk, "privacy.erase") == []


def test_anonymising_keeps_the_rows_for_counts_but_nothing_personal(database_url):
    desk = start_desk(database_url, settings=_settings(erasure="anonymise"),
                      agents=(AGENT, ADMIN, SUPERVISOR))
    try:
        history = _a_customer_with_history(desk)
        desk.submit_view(ADMIN, _erase(desk, ADMIN), {})
        desk.wait_idle(timeout=20)
        with desk.db.transaction() as s:
            contact = s.get(Contact, history["contact_id"])
            assert (contact.name, contact.email) == (None, None)
            assert CUSTOMER not in contact.phone
            assert s.scalar(select(func.count()).select_from(Interaction).where(
                Interaction.contact_id == contact.id)) == 2
            bodies = list(s.scalars(select(Message.body)))
            assert len(bodies) == 4 and set(bodies) == {""}
            assert CUSTOMER not in {n for m in s.scalars(select(Message))
                                    for n in (m.from_number, m.to_number)}
            [media] = s.scalars(select(Media)).all()
            assert media.original is None and media.thumbnail is None
            assert media.original_size is not None  # kept for counts
            notes = list(s.scalars(select(TimelineEvent.detail).where(
                TimelineEvent.kind == "note")))
            assert notes == [None]
        assert desk.slack.files() == []
        refused = _new_sms_to(desk, CUSTOMER)
        assert "opted out" in json.dumps(refused["errors"])
    finally:
        desk.close()


# --- the command line ----------------------------------------------------------------------

def _cli(args: list[str], database_url: str, cwd, stdin: str = ""):
    base = {"PATH": os.environ["PATH"], "PYTHONPATH": str(REPO_ROOT),
            "DATABASE_URL": database_url}
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], env=base, cwd=cwd,
                          input=stdin, capture_output=True, text=True, timeout=60)


def test_the_command_line_exports_and_erases_and_the_desk_finishes_the_job(desk, tmp_path):
    history = _a_customer_with_history(desk)
    out = tmp_path / "export.json"
    team = ["--team", desk.team_id]
    exported = _cli(["contacts", "export", "415-555-0100", "-o", str(out), *team],
                    desk.db.url, tmp_path)
    assert exported.returncode == 0, exported.stderr
    # Its progress (not a terminal: plain lines) and no library's log lines.
    assert f"Exporting contact #{history['contact_id']}: 1/2 interactions (50%)\n" \
        f"Exporting contact #{history['contact_id']}: 2 interactions done in " in exported.stderr
    assert "INFO" not in exported.stderr
    document = json.loads(out.read_text())
    assert len(document["interactions"]) == 2 and document["contact"]["phone"] == CUSTOMER
    [entry] = _audit(desk, "privacy.export")
    assert entry.actor_user_id is None and entry.detail["via"] == "command line"

    declined = _cli(["contacts", "erase", CUSTOMER, *team], desk.db.url, tmp_path, "n\n")
    assert declined.returncode == 1 and "Nothing was erased" in declined.stdout
    assert _count(desk, Contact, Contact.id == history["contact_id"]) == 1

    erased = _cli(["contacts", "erase", f"#{history['contact_id']}", "--yes", *team],
                  desk.db.url, tmp_path)
    assert erased.returncode == 0, erased.stderr
    assert "2 interaction(s)" in erased.stdout
    assert _count(desk, Contact, Contact.id == history["contact_id"]) == 0
    # The running desk's worker picks the queued deletions up.
    desk.slack.wait_for(lambda s: _audit(desk, "privacy.erase_finished"), 10,
                        "the desk never finished the erasure")
    assert desk.slack.files() == [] and "MMpic0001" in desk.twilio.deleted


# --- two workspaces ------------------------------------------------------------------------

def test_erasing_in_one_workspace_leaves_the_same_number_in_another_untouched(database_url):
    from bot.config.workspaces import Workspace

    acme_team, beta_team = "T0ACME", "T0BETA"
    acme_number, beta_number = "+15005550006", "+15005550007"
    settings = Settings(workspaces=(
        Workspace(acme_team, Settings(desk_channel="CACMEDESK", business_numbers=(acme_number,),
                                      admins=("UACMEADMIN",))),
        Workspace(beta_team, Settings(desk_channel="CBETADESK", business_numbers=(beta_number,),
                                      admins=("UBETAADMIN",))),
    ))
    desk = start_desk(database_url, oauth=True, settings=settings, agents=())
    try:
        desk.slack.add_user("UACMEADMIN", "ann", "Ann Acme", team_id=acme_team)
        desk.slack.add_user("UBETAADMIN", "bob", "Bob Beta", team_id=beta_team)
        desk.slack.add_channel("CACMEDESK", "sms-desk", team_id=acme_team)
        desk.slack.add_channel("CBETADESK", "sms-desk", team_id=beta_team)
        for team in (acme_team, beta_team):
            assert desk.install_workspace(team).status_code == 200
        acme = desk.in_workspace(acme_team)
        for number, sid in ((acme_number, "SMacme0001"), (beta_number, "SMbeta0001")):
            assert desk.customer_texts(CUSTOMER, "STOP", sid=sid, To=number).status_code == 200
        desk.wait_idle()

        answer = acme.slash("UBETAADMIN", ids.COMMAND_ADMIN, f"erase {CUSTOMER}")
        assert "Only the desk's admins" in answer.text  # Beta's admin is nobody in Acme
        acme.slash("UACMEADMIN", ids.COMMAND_ADMIN, f"erase {CUSTOMER}")
        modal = wait_for_modal(desk, privacy_views.ERASE_VIEW)
        acme.submit_view("UACMEADMIN", modal, {})
        desk.wait_idle(timeout=20)

        with desk.db.transaction() as s:
            contacts = {row.team_id: row.phone for row in s.scalars(select(Contact))}
            bodies = {m.team_id: m.body for m in s.scalars(select(Message))}
            kept = {o.team_id: o.phone for o in s.scalars(select(OptOut))}
        assert contacts == {beta_team: CUSTOMER}
        assert bodies == {beta_team: "STOP"}
        assert kept == {acme_team: None, beta_team: CUSTOMER}
        assert desk.twilio.deleted == ["SMacme0001"]
        desk.slack.wait_for(lambda s: any("was erased" in m["text"] for m in
                                          s.messages(s.dm_channel("UACMEADMIN"))), 5,
                            "no report in Acme")
    finally:
        desk.close()


# --- the views, without Slack --------------------------------------------------------------

def test_the_confirmation_escapes_the_contacts_name_and_counts_what_goes():
    from bot.desk.data_protection.erasure import ErasurePlan

    plan = ErasurePlan(contact_id=7, name="<!channel> <http://evil|bank>", phone=CUSTOMER,
                       numbers=2, interactions=1, messages=3, notes=0, media_files=1,
                       slack_messages=5, provider_messages=3, opt_outs=1, mode="delete")
    modal = privacy_views.build_erase_confirmation(plan)
    shown = json.dumps(modal["blocks"])
    assert "<!channel>" not in shown and "&lt;!channel&gt;" in shown
    assert "2 phone numbers" in shown and "1 interaction" in shown and "0 notes" in shown
    assert "5 Slack messages" in shown and "1 opt-out (STOP)" in shown
    assert modal["private_metadata"] == "7" and privacy_views.contact_of(modal) == 7
    assert privacy_views.contact_of({"private_metadata": "7; drop"}) is None
