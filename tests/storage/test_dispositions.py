"""Notes and disposition codes without Slack: the settings, the modals and lines as pure
functions, and the domain rules (who may set a code, Done waiting for one)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot.config import ConfigError, Settings
from bot.desk import replies
from bot.desk.interactions import dispositions
from bot.desk.interactions.dispositions import DispositionForm, DispositionOutcome
from bot.desk.replies import DoneOutcome
from bot.slack import ids
from bot.slack.views.card import CardData, build_card
from bot.slack.views.common import SECTION_LIMIT
from bot.slack.views.disposition import CODE_BLOCK, build_disposition_modal, submitted_code
from bot.slack.views.note import NOTE_BLOCK, build_note_modal, submitted_note
from bot.slack.views.transcript import build_system_line, describe_event
from storage.models import Contact, Interaction, TimelineEvent

AT = datetime(2026, 11, 25, 14, 0, tzinfo=UTC)
TEAM = "T0001"
pytestmark = pytest.mark.postgres  # the domain tests run on PostgreSQL too when configured


# --- settings -------------------------------------------------------------------------------

def _load(tmp_path, text: str) -> Settings:
    path = tmp_path / "smsdesk.toml"
    path.write_text(text)
    return Settings.load(path, env={})


def test_without_a_dispositions_section_three_plain_codes_are_offered(tmp_path):
    settings = _load(tmp_path, "")
    assert settings.disposition_codes == ("Resolved", "Follow-up needed", "No action")
    assert settings.disposition_groups == () and settings.disposition_mandatory is False


def test_grouped_codes_keep_the_order_they_are_written_in(tmp_path):
    settings = _load(tmp_path, """
[dispositions]
mandatory = true
[dispositions.groups]
Sales = ["Order placed", " Quote sent "]
Support = ["Resolved"]
""")
    assert settings.disposition_mandatory is True
    assert settings.disposition_codes == ()
    assert settings.disposition_groups == (("Sales", ("Order placed", "Quote sent")),
                                           ("Support", ("Resolved",)))
    assert dispositions.all_codes(settings) == ("Order placed", "Quote sent", "Resolved")


def test_an_empty_code_list_turns_the_picker_off(tmp_path):
    assert _load(tmp_path, "[dispositions]\ncodes = []").disposition_codes == ()


@pytest.mark.parametrize("text, complaint", [
    ("[dispositions]\nmandatory = 'yes'", "dispositions.mandatory must be true or false"),
    ("[dispositions]\nmandatroy = true",
     "mandatroy is not a setting of [dispositions]; did you mean mandatory?"),
    ("[dispositions]\ncodes = ['A']\n[dispositions.groups]\nX = ['B']", "not both"),
    ("[dispositions]\ncodes = ['A', 'A']", "repeated: ['A']"),
    ("[dispositions.groups]\nX = ['A']\nY = ['A']", "repeated: ['A']"),
    ("[dispositions]\ncodes = ['" + "x" * 76 + "']", "longer than the 75 characters"),
    ("[dispositions.groups]\n'" + "G" * 76 + "' = ['A']", "the label"),
    ("[dispositions]\ncodes = ['ok', '  ']", "every code must be non-empty text"),
    ("[dispositions]\ncodes = 'Resolved'", "must be a non-empty list"),
    ("[dispositions.groups]\nSales = []", "dispositions.groups.Sales must be a non-empty list"),
    ("[dispositions]\ncodes = [" + ", ".join(f"'c{n}'" for n in range(101)) + "]",
     "has 101 codes; Slack shows at most 100"),
    ("[dispositions]\nmandatory = true\ncodes = []", "no codes are configured"),
])
def test_a_mistake_in_the_dispositions_is_named(tmp_path, text, complaint):
    with pytest.raises(ConfigError) as error:
        _load(tmp_path, text)
    assert complaint in str(error.value)


# --- views ----------------------------------------------------------------------------------

def _form(**overrides) -> DispositionForm:
    values = dict(interaction_id=7, codes=("Resolved", "No action"), groups=(), current=None,
                  closes_on_save=False)
    values.update(overrides)
    return DispositionForm(**values)


def _select(view: dict) -> dict:
    return next(b for b in view["blocks"] if b.get("block_id") == CODE_BLOCK)["element"]


def test_the_disposition_modal_offers_the_flat_codes():
    view = build_disposition_modal(_form())
    assert (view["callback_id"], view["private_metadata"]) == (ids.DISPOSITION_VIEW, "7")
    assert view["submit"]["text"] == "Save"
    select = _select(view)
    assert select["type"] == "static_select" and "initial_option" not in select
    assert [o["value"] for o in select["options"]] == ["Resolved", "No action"]


def test_grouped_codes_become_option_groups_with_the_current_code_selected():
    view = build_disposition_modal(_form(
        codes=(), groups=(("Sales", ("Order placed", "Quote sent")), ("Support", ("Resolved",))),
        current="Quote sent", closes_on_save=True))
    select = _select(view)
    assert "options" not in select
    assert [(g["label"]["text"], [o["value"] for o in g["options"]])
            for g in select["option_groups"]] == [("Sales", ["Order placed", "Quote sent"]),
                                                  ("Support", ["Resolved"])]
    assert select["initial_option"] == select["option_groups"][0]["options"][1]
    assert view["submit"]["text"] == "Save and close"
    assert "saving one closes" in str(view["blocks"])


def test_a_code_no_longer_configured_is_named_but_not_preselected():
    view = build_disposition_modal(_form(current="Old <code>"))
    assert "initial_option" not in _select(view)
    assert "Currently *Old &lt;code&gt;*" in str(view["blocks"])


def test_with_no_codes_the_modal_explains_and_cannot_be_submitted():
    view = build_disposition_modal(_form(codes=()))
    assert "submit" not in view
    assert not any(b["type"] == "input" for b in view["blocks"])


def test_the_submitted_code_and_note_are_read_from_the_view_state():
    assert submitted_code({"state": {"values": {}}}) is None
    assert submitted_code({"state": {"values": {CODE_BLOCK: {"code": {
        "selected_option": {"value": "Resolved"}}}}}}) == "Resolved"
    assert submitted_note({"state": {"values": {NOTE_BLOCK: {"text": {"value": None}}}}}) == ""


def test_the_note_modal_takes_up_to_3000_characters_and_says_it_is_internal():
    view = build_note_modal(42)
    assert (view["callback_id"], view["private_metadata"]) == (ids.NOTE_VIEW, "42")
    element = view["blocks"][0]["element"]
    assert element["multiline"] is True and element["max_length"] == 3000
    assert "never sent to the customer" in str(view["blocks"])


def test_a_long_note_full_of_markup_fits_in_sections_and_stays_escaped():
    note = "<@U1> & <!here> " * 190  # about 3000 characters, five times that once escaped
    line = build_system_line("note", "UAGENT2", note, AT)
    sections = [b["text"]["text"] for b in line["blocks"] if b["type"] == "section"]
    assert len(sections) > 1 and all(len(text) <= SECTION_LIMIT for text in sections)
    assert "".join(sections) == note.replace("&", "&amp;").replace("<", "&lt;").replace(
        ">", "&gt;")
    assert line["text"].startswith(":memo: Note from <@UAGENT2>: &lt;@U1&gt; &amp;")
    assert "internal" in line["text"] and "internal" in str(line["blocks"][0])
    assert "<!here>" not in str(line)


def test_disposition_lines_read_as_sentences():
    assert describe_event("disposition", "UAGENT1", "Follow-up <needed>") == (
        "Disposition set to Follow-up &lt;needed&gt; by <@UAGENT1>.")
    assert describe_event("disposition_needed", "UAGENT1", replies.REPLY_SENT) == (
        "Reply sent. Set a disposition code to close this interaction.")
    assert "marked it Done" in describe_event("disposition_needed", "UAGENT1",
                                              replies.MARKED_DONE)


def _card(**overrides) -> dict:
    values = dict(interaction_id=7, state="accepted", contact_name=None,
                  contact_phone="+14155550100", business_number="+15005550006", media="SMS",
                  mode="page", agent_user_id="UAGENT1", started_at=AT, closed_at=None,
                  closed_by=None, case_data={})
    values.update(overrides)
    return build_card(CardData(**values))


def _fields(card: dict) -> list[str]:
    return [f["text"] for b in card["blocks"] for f in b.get("fields", [])]


def test_the_card_shows_the_disposition_or_that_one_is_needed():
    assert not any(f.startswith("*Disposition*") for f in _fields(_card()))
    assert "*Disposition*\nSold &amp; shipped" in _fields(_card(disposition="Sold & shipped"))
    assert "*Disposition*\n:warning: Needed to close" in _fields(_card(disposition_needed=True))


# --- domain ---------------------------------------------------------------------------------

def _accepted(db, agent: str = "UAGENT1") -> int:
    with db.transaction() as s:
        contact = Contact(team_id=TEAM, phone="+14155550100")
        s.add(contact)
        s.flush()
        interaction = Interaction(team_id=TEAM, contact_id=contact.id,
                                  business_number="+15005550006", state="accepted",
                                  agent_user_id=agent, desk_channel="CDESK", thread_ts="1.0")
        s.add(interaction)
        s.flush()
        return interaction.id


def _row(db, interaction_id: int) -> Interaction:
    with db.transaction() as s:
        return s.get(Interaction, interaction_id)


def _kinds(db, interaction_id: int) -> list[str]:
    with db.transaction() as s:
        return list(s.scalars(select(TimelineEvent.kind).where(
            TimelineEvent.interaction_id == interaction_id).order_by(TimelineEvent.id)))


MANDATORY = Settings(disposition_mandatory=True, supervisors=("USUPER1",))


def test_only_the_holder_or_a_supervisor_may_set_the_code(db):
    interaction_id = _accepted(db)
    assert dispositions.open_form(db, MANDATORY, TEAM, interaction_id, "UAGENT2") is None
    assert dispositions.set_disposition(db, MANDATORY, TEAM, interaction_id, "UAGENT2",
                                        "Resolved") is DispositionOutcome.NOT_ALLOWED
    assert dispositions.set_disposition(db, MANDATORY, "T0002", interaction_id, "UAGENT1",
                                        "Resolved") is DispositionOutcome.NOT_FOUND
    assert dispositions.set_disposition(db, MANDATORY, TEAM, interaction_id, "UAGENT1",
                                        "Made up") is DispositionOutcome.UNKNOWN_CODE
    assert _row(db, interaction_id).disposition is None
    assert dispositions.open_form(db, MANDATORY, TEAM, interaction_id, "USUPER1") is not None
    assert dispositions.set_disposition(db, MANDATORY, TEAM, interaction_id, "USUPER1",
                                        "No action") is DispositionOutcome.SET
    row = _row(db, interaction_id)
    assert (row.disposition, row.disposition_by, row.state) == ("No action", "USUPER1",
                                                                "accepted")
    assert row.disposition_at is not None


def test_a_mandatory_done_waits_once_and_setting_the_code_closes_it(db):
    interaction_id = _accepted(db)
    assert replies.mark_done(db, MANDATORY, TEAM, interaction_id, "UAGENT2") \
        is DoneOutcome.REFUSED
    assert replies.mark_done(db, MANDATORY, TEAM, interaction_id, "UAGENT1") \
        is DoneOutcome.NEEDS_DISPOSITION
    assert replies.mark_done(db, MANDATORY, TEAM, interaction_id, "UAGENT1") \
        is DoneOutcome.NEEDS_DISPOSITION
    row = _row(db, interaction_id)
    assert (row.state, row.done_requested_by) == ("accepted", "UAGENT1")
    assert _kinds(db, interaction_id) == ["disposition_needed"]  # said once, not per click
    form = dispositions.open_form(db, MANDATORY, TEAM, interaction_id, "UAGENT1")
    assert form.closes_on_save

    assert dispositions.set_disposition(db, MANDATORY, TEAM, interaction_id, "USUPER1",
                                        "Resolved") is DispositionOutcome.SET_AND_CLOSED
    row = _row(db, interaction_id)
    assert (row.state, row.closed_by) == ("done", "UAGENT1")
    assert _kinds(db, interaction_id) == ["disposition_needed", "disposition", "closed"]
    assert replies.mark_done(db, MANDATORY, TEAM, interaction_id, "UAGENT1") \
        is DoneOutcome.NOT_OPEN


def test_without_mandatory_dispositions_done_closes_at_once(db):
    interaction_id = _accepted(db)
    assert replies.mark_done(db, Settings(), TEAM, interaction_id, "UAGENT1") \
        is DoneOutcome.CLOSED
    assert _row(db, interaction_id).done_requested_by is None
