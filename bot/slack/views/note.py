"""The "Add a note" modal: a note for colleagues, shown in the thread and the contact's history."""

from __future__ import annotations

from bot.desk.interactions.notes import MAX_NOTE
from bot.slack import ids
from bot.slack.views.common import interaction_modal

NOTE_BLOCK, NOTE_ACTION = "note", "text"


def build_note_modal(interaction_id: int) -> dict:
    blocks = [
        {"type": "input", "block_id": NOTE_BLOCK,
         "label": {"type": "plain_text", "text": "Note"},
         "element": {"type": "plain_text_input", "action_id": NOTE_ACTION,
                     "multiline": True, "max_length": MAX_NOTE,
                     "placeholder": {"type": "plain_text",
                                     "text": "What should colleagues know?"}}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text":
         "Internal: the note shows in the thread and in the contact's history. It is "
         "never sent to the customer."}]},
    ]
    return interaction_modal(ids.NOTE_VIEW, interaction_id, "Add a note", blocks,
                             submit="Add note")


def submitted_note(view: dict) -> str:
    """The note as typed (Slack sends None for an input left empty)."""
    values = view.get("state", {}).get("values", {})
    return values.get(NOTE_BLOCK, {}).get(NOTE_ACTION, {}).get("value") or ""
