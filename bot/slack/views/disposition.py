"""The "Disposition code" modal: a select of the configured codes, flat or in groups."""

from __future__ import annotations

from bot.desk.interactions.dispositions import DispositionForm
from bot.slack import ids
from bot.slack.limits import MAX_OPTION_TEXT, MAX_SELECT_OPTIONS
from bot.slack.mrkdwn import escape
from bot.slack.views.common import clip, interaction_modal

CODE_BLOCK, CODE_ACTION = "disposition", "code"


def _option(code: str) -> dict:
    # The value is the code itself (at most 75 characters; Slack allows 150 in a value).
    return {"text": {"type": "plain_text", "text": clip(code, MAX_OPTION_TEXT)}, "value": code}


def build_disposition_modal(form: DispositionForm) -> dict:
    configured = set(form.codes) | {code for _label, codes in form.groups for code in codes}
    select: dict = {"type": "static_select", "action_id": CODE_ACTION,
                    "placeholder": {"type": "plain_text", "text": "Choose a code"}}
    if form.groups:
        select["option_groups"] = [
            {"label": {"type": "plain_text", "text": clip(label, MAX_OPTION_TEXT)},
             "options": [_option(code) for code in codes[:MAX_SELECT_OPTIONS]]}
            for label, codes in form.groups[:MAX_SELECT_OPTIONS]]
    else:
        select["options"] = [_option(code) for code in form.codes[:MAX_SELECT_OPTIONS]]
    if form.current in configured:
        select["initial_option"] = _option(form.current)
    view = interaction_modal(ids.DISPOSITION_VIEW, form.interaction_id, "Disposition code",
                             [])
    if form.closes_on_save:
        view["blocks"].append({"type": "section", "text": {"type": "mrkdwn", "text":
                               "Done is waiting for a disposition code: saving one closes "
                               "this interaction."}})
    if form.current and form.current not in configured:
        view["blocks"].append({"type": "context", "elements": [{"type": "mrkdwn", "text":
                               f"Currently *{escape(form.current)}*, which is no longer one "
                               "of the codes."}]})
    if not configured:
        view["blocks"].append({"type": "section", "text": {"type": "mrkdwn", "text":
                               "No disposition codes are configured. An admin can add them "
                               "under `[dispositions]` in the desk settings."}})
        return view
    view["submit"] = {"type": "plain_text",
                      "text": "Save and close" if form.closes_on_save else "Save"}
    view["blocks"].append({"type": "input", "block_id": CODE_BLOCK,
                           "label": {"type": "plain_text", "text": "How did it end?"},
                           "element": select})
    return view


def submitted_code(view: dict) -> str | None:
    values = view.get("state", {}).get("values", {})
    chosen = values.get(CODE_BLOCK, {}).get(CODE_ACTION, {}).get("selected_option") or {}
    return chosen.get("value")
