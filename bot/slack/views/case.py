"""The case information modal: every field as text, the editable ones as inputs.

An input's block_id names its field (`case.field:<name>`), so a submission says which fields
it sets; the desk decides whether each may be set, whatever the payload claims.
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.desk.case_links import CaseLink
from bot.slack import ids
from bot.slack.mrkdwn import escape
from bot.slack.views.common import case_fields, clip

FIELD_BLOCK = "case.field:"
VALUE_LIMIT = 500  # case_info.VALUE_LIMIT
FIELDS_PER_SECTION = 10  # Slack's limit
MAX_SECTIONS = 40  # 400 fields shown; a modal holds 100 blocks in all
NOT_EDITABLE_NOTE = ("Only the agent holding this interaction, a supervisor or an admin can "
                     "edit case information.")


def field_block_id(name: str) -> str:
    return FIELD_BLOCK + name


def submitted_values(view: dict) -> dict[str, str]:
    """{field: value} of the case inputs in a view_submission ("" for an emptied input)."""
    values: dict[str, str] = {}
    for block_id, actions in ((view.get("state") or {}).get("values") or {}).items():
        if not block_id.startswith(FIELD_BLOCK) or not isinstance(actions, dict):
            continue
        for element in actions.values():
            if isinstance(element, dict):
                values[block_id.removeprefix(FIELD_BLOCK)] = str(element.get("value") or "")
                break
    return values


def build_case_modal(interaction_id: int, case_data: dict[str, str], editable: Iterable[str],
                     can_edit: bool, links: Iterable[CaseLink] = ()) -> dict:
    links = tuple(links)
    # A value from outside (the webhook's fields) may be longer than agents may write: it
    # is shown, not offered as an input an agent could not save (and Slack's max_length
    # stops at 3,000).
    too_long = {name: len(str(case_data.get(name) or "")) for name in editable
                if len(str(case_data.get(name) or "")) > VALUE_LIMIT} if can_edit else {}
    inputs = [name for name in editable if name not in too_long] if can_edit else []
    shown = {k: str(v) for k, v in case_data.items() if k not in inputs}
    blocks: list[dict] = []
    items = list(shown.items())
    sections = max(1, min(MAX_SECTIONS, 94 - len(inputs)))  # 100 blocks per modal
    for start in range(0, min(len(items), FIELDS_PER_SECTION * sections), FIELDS_PER_SECTION):
        blocks.append({"type": "section",
                       "fields": case_fields(dict(items[start:start + FIELDS_PER_SECTION]),
                                             links)})
    if not items and not inputs:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text":
                       "No case information for this interaction yet."}})
    if blocks and inputs:
        blocks.append({"type": "divider"})
    for name in inputs:
        current = str(case_data.get(name) or "")
        element: dict = {"type": "plain_text_input", "action_id": ids.CASE_FIELD,
                         "max_length": VALUE_LIMIT}
        if current:
            element["initial_value"] = current
        block: dict = {"type": "input", "block_id": field_block_id(name), "optional": True,
                       "label": {"type": "plain_text", "text": name}, "element": element}
        if any(link.field == name for link in links):
            block["hint"] = {"type": "plain_text", "text": "Shown on the card as a link."}
        blocks.append(block)
    if too_long:
        named = list(too_long.items())[:5]  # a context text holds 3,000 characters
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": "; ".join(
            f"{escape(clip(name, 80))} is too long to edit here ({length:,} characters; at "
            f"most {VALUE_LIMIT})" for name, length in named) + "."}]})
    if not can_edit and tuple(editable):
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn",
                                                        "text": NOT_EDITABLE_NOTE}]})
    view = {
        "type": "modal",
        "callback_id": ids.CASE_VIEW,
        "private_metadata": str(interaction_id),
        "title": {"type": "plain_text", "text": "Case information"},
        "close": {"type": "plain_text", "text": "Cancel" if inputs else "Close"},
        "blocks": blocks,
    }
    if inputs:
        view["submit"] = {"type": "plain_text", "text": "Save"}
    return view
