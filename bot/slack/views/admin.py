"""The admin modals (/sms-admin): the overview, one form per setting, the response library,
and the change log. Pure functions of what bot/desk/admin/admin_settings.py and audit.py return.

Admin-typed text (codes, queue and response names) is escaped like any other: one escape for
everything that did not come from this code."""

from __future__ import annotations

from typing import Any

from bot.config import Settings
from bot.config.schema import SLACK_USER_ID
from bot.desk.admin.audit import AuditLine, AuditPage
from bot.desk.admin.responses import ResponseEntry
from bot.desk.queues import Queue
from bot.slack import ids
from bot.slack.limits import MAX_INPUT_LENGTH, MAX_OPTION_TEXT, MAX_SELECT_OPTIONS
from bot.slack.mrkdwn import escape
from bot.slack.views.common import SECTION_LIMIT, clip, escaped_chunks, when

VALUE = "value"  # the action_id of every input in these forms; blocks tell them apart
CODES_BLOCK = "admin.codes"
OFFER_BLOCK = "admin.offer_timeout"
EXPIRY_BLOCK = "admin.session_expiry"
MEMBERS_BLOCK = "admin.members"
NAME_BLOCK = "admin.response_name"
CATEGORY_BLOCK = "admin.response_category"
TEXT_BLOCK = "admin.response_text"
DICTIONARY_ADD_BLOCK = "admin.dictionary_add"
DICTIONARY_REMOVE_BLOCK = "admin.dictionary_remove"
# Outcome.errors names (bot/desk/admin/admin_settings.py) -> the block that shows the error.
ERROR_BLOCKS = {"codes": CODES_BLOCK, "offer_timeout": OFFER_BLOCK,
                "session_expiry": EXPIRY_BLOCK, "members": MEMBERS_BLOCK,
                "name": NAME_BLOCK, "category": CATEGORY_BLOCK, "text": TEXT_BLOCK,
                "add_words": DICTIONARY_ADD_BLOCK, "remove_words": DICTIONARY_REMOVE_BLOCK}
SHOWN_QUEUES = 30
SHOWN_RESPONSES = 40
ACTION_LABELS = {
    "settings.dispositions": "disposition codes",
    "settings.offer_timeout": "offer timeout (seconds)",
    "settings.session_expiry": "session expiry (minutes)",
    "settings.queue_members": "members of queue",
    "responses.add": "added standard response",
    "responses.edit": "edited standard response",
    "responses.delete": "deleted standard response",
    "dictionary.add": "added to the corporate dictionary",
    "dictionary.remove": "removed from the corporate dictionary",
}


def _plain(text: str) -> dict:
    return {"type": "plain_text", "text": text}


def _modal(callback_id: str, title: str, blocks: list[dict], *, submit: str | None = None,
           metadata: str = "") -> dict:
    view: dict[str, Any] = {"type": "modal", "callback_id": callback_id,
                            "private_metadata": metadata, "title": _plain(clip(title, 24)),
                            "close": _plain("Back" if submit else "Close"), "blocks": blocks}
    if submit:
        view["submit"] = _plain(submit)
    return view


def _section(text: str, button: tuple[str, str, str] | None = None) -> dict:
    block: dict[str, Any] = {"type": "section",
                             "text": {"type": "mrkdwn", "text": clip(text, SECTION_LIMIT)}}
    if button:
        action_id, value, label = button
        block["accessory"] = {"type": "button", "action_id": action_id, "value": value,
                              "text": _plain(label)}
    return block


def mention(user_id: str) -> str:
    """<@U…> for a real user id; anything else shown as the text it is."""
    return f"<@{user_id}>" if SLACK_USER_ID.match(user_id or "") else escape(str(user_id))


def _members(queue: Queue) -> str:
    if queue.everyone:
        return "Every agent (no members set)"
    shown = [mention(m) for m in queue.members[:40]]
    if len(queue.members) > 40:
        shown.append(f"and {len(queue.members) - 40} more")
    groups = f" · user groups: {escape(', '.join(queue.member_groups))}" \
        if queue.member_groups else ""
    return (", ".join(shown) or "No members by id") + groups


def _words(count: int) -> str:
    return f"{count} word{'' if count == 1 else 's'}"


def build_admin_modal(settings: Settings, response_count: int,
                      dictionary_count: int = 0) -> dict:
    codes = list(settings.disposition_codes) + [
        c for _label, listed in settings.disposition_groups for c in listed]
    # Cut after escaping would split an entity: escaped_chunks cuts the raw text.
    code_text = escaped_chunks(", ".join(codes), 2000)[0] if codes \
        else "None: the disposition picker is off."
    blocks = [
        _section(f"*Disposition codes*\n{code_text}",
                 (ids.ADMIN_EDIT, ids.ADMIN_FORM_DISPOSITIONS, "Edit")),
        _section(f"*Timeouts*\nAn offer waits *{settings.offer_timeout_seconds} s* for an "
                 f"answer · a session ends after *{settings.session_expiry_minutes} min* of "
                 "silence", (ids.ADMIN_EDIT, ids.ADMIN_FORM_TIMEOUTS, "Edit")),
        _section(f"*Home tabs*\nRedrawn as the desk changes for people who looked at theirs "
                 f"in the last *{settings.home_viewed_minutes} min*; one opened later shows "
                 "the newest state. Set in the settings file: `[slack] home_viewed_minutes`"),
        _section(f"*Standard responses*\n{response_count} in the library",
                 (ids.ADMIN_EDIT, ids.ADMIN_FORM_RESPONSES, "Manage")),
        _section(f"*Corporate dictionary*\n{_words(dictionary_count)} added here"
                 + (f" · {_words(len(settings.corporate_words))} from the settings file"
                    if settings.corporate_words else "")
                 + ": never flagged by the spelling check",
                 (ids.ADMIN_EDIT, ids.ADMIN_FORM_DICTIONARY, "Edit")),
        _section("*Change log*\nWho changed what, when", (ids.ADMIN_EDIT, ids.ADMIN_FORM_LOG,
                                                          "View")),
        {"type": "divider"},
    ]
    queues = settings.all_queues()
    for queue in queues[:SHOWN_QUEUES]:
        blocks.append(_section(f"*Queue {escape(queue.name)}*\n{_members(queue)}",
                               (ids.ADMIN_EDIT, f"{ids.ADMIN_FORM_QUEUE}:{queue.name}",
                                "Edit members")))
    if len(queues) > SHOWN_QUEUES:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text":
                       f"{len(queues) - SHOWN_QUEUES} more queues: change them in the "
                       "settings file."}]})
    return _modal(ids.ADMIN_VIEW, "SMS desk settings", blocks)


def _text_input(block_id: str, label: str, *, initial: str = "", multiline: bool = False,
                hint: str | None = None, optional: bool = False,
                limit: int = MAX_INPUT_LENGTH) -> dict:
    element: dict[str, Any] = {"type": "plain_text_input", "action_id": VALUE,
                               "multiline": multiline, "max_length": limit}
    if initial:
        element["initial_value"] = initial[:limit]
    block: dict[str, Any] = {"type": "input", "block_id": block_id, "label": _plain(label),
                             "element": element, "optional": optional}
    if hint:
        block["hint"] = _plain(hint)
    return block


def build_dispositions_form(codes: list[str], mandatory: bool) -> dict:
    """The codes one per line, in as many inputs as they need (an input holds 3,000
    characters; 100 codes of 75 take 7,599), so a save never keeps a cut list."""
    if len(codes) > MAX_SELECT_OPTIONS:
        # Only [dispositions.groups] in the settings file holds more; a flat list cannot.
        return _modal(ids.ADMIN_DISPOSITIONS_VIEW, "Disposition codes", [_section(
            f"The settings file groups {len(codes):,} codes. A list set here holds at most "
            f"{MAX_SELECT_OPTIONS}, so change them in the settings file "
            "([dispositions.groups]).")])
    hint = (f"One code per line: at most {MAX_SELECT_OPTIONS}, each up to {MAX_OPTION_TEXT} "
            "characters." + (" Done waits for a code, so keep at least one." if mandatory
                             else " Empty turns the picker off."))
    parts = _lines_in_parts(codes, MAX_INPUT_LENGTH)
    if len(codes) < MAX_SELECT_OPTIONS and \
            len(parts[-1]) + 1 + MAX_OPTION_TEXT > MAX_INPUT_LENGTH:
        parts.append("")  # room to add a code
    return _modal(ids.ADMIN_DISPOSITIONS_VIEW, "Disposition codes", [
        _text_input(CODES_BLOCK if number == 0 else f"{CODES_BLOCK}:{number + 1}",
                    "Codes" if number == 0 else "More codes", initial=part, multiline=True,
                    hint=hint if number == 0 else None, optional=True)
        for number, part in enumerate(parts)], submit="Save")


def _lines_in_parts(lines: list[str], limit: int) -> list[str]:
    """Whole lines joined into texts of at most `limit` characters each (at least one)."""
    parts = [""]
    for line in lines:
        if parts[-1] and len(parts[-1]) + 1 + len(line) > limit:
            parts.append(line)
        else:
            parts[-1] += ("\n" if parts[-1] else "") + line
    return parts


def _number_input(block_id: str, label: str, value: int, minimum: int, hint: str) -> dict:
    return {"type": "input", "block_id": block_id, "label": _plain(label), "hint": _plain(hint),
            "element": {"type": "number_input", "action_id": VALUE,
                        "is_decimal_allowed": False, "initial_value": str(value),
                        "min_value": str(minimum)}}


def build_timeouts_form(offer_timeout: int, session_expiry: int) -> dict:
    return _modal(ids.ADMIN_TIMEOUTS_VIEW, "Timeouts", [
        _number_input(OFFER_BLOCK, "Offer timeout (seconds)", offer_timeout, 5,
                      "How long an offer waits for Accept before the next agent gets it."),
        _number_input(EXPIRY_BLOCK, "Session expiry (minutes)", session_expiry, 1,
                      "A session-mode conversation ends after this long without a message."),
    ], submit="Save")


def build_queue_form(queue: Queue) -> dict:
    element: dict[str, Any] = {"type": "multi_users_select", "action_id": VALUE,
                               "placeholder": _plain("Agents in this queue")}
    members = [m for m in queue.members if SLACK_USER_ID.match(m)]
    if members:
        element["initial_users"] = members[:100]
    blocks: list[dict] = [{"type": "input", "block_id": MEMBERS_BLOCK, "optional": True,
                           "label": _plain(f"Members of {clip(queue.name, 60)}"),
                           "element": element,
                           "hint": _plain("No members and no user groups: every agent "
                                          "belongs to this queue.")}]
    if queue.member_groups:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": (
            "Members of the user groups " + escape(", ".join(queue.member_groups))
            + " belong to it too (from the settings file).")}]})
    return _modal(ids.ADMIN_QUEUE_VIEW, f"Queue {queue.name}", blocks, submit="Save",
                  metadata=queue.name)


def build_dictionary_form(words: list[str], from_file: tuple[str, ...]) -> dict:
    """Add and remove corporate words; lists what is there (clipped: it may be long)."""
    listed = escaped_chunks(", ".join(words), 2500)[0] if words else "None yet."
    blocks: list[dict] = [_section(f"*Added from Slack* ({len(words)})\n{listed}")]
    if from_file:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": (
            "From the settings file ([spelling] corporate_words), changed only there: "
            + escaped_chunks(", ".join(from_file), 1500)[0])}]})
    blocks += [
        _text_input(DICTIONARY_ADD_BLOCK, "Add", multiline=True, optional=True,
                    hint="One word or name per line (product names, brands); any case."),
        _text_input(DICTIONARY_REMOVE_BLOCK, "Remove", multiline=True, optional=True,
                    hint="One per line, as listed above."),
    ]
    return _modal(ids.ADMIN_DICTIONARY_VIEW, "Corporate dictionary", blocks, submit="Save")


def build_responses_modal(entries: list[ResponseEntry]) -> dict:
    blocks: list[dict] = [{"type": "actions", "block_id": "admin.responses", "elements": [
        {"type": "button", "action_id": ids.ADMIN_RESPONSE_EDIT, "value": "",
         "style": "primary", "text": _plain("Add a response")}]}]
    if not entries:
        blocks.append(_section("The library is empty."))
    for entry in entries[:SHOWN_RESPONSES]:
        preview = escaped_chunks(clip(entry.text, 150), 600)[0]
        blocks.append(_section(f"*{escape(clip(entry.name, 120))}* · "
                               f"{escape(clip(entry.category, 60))}\n{preview}",
                               (ids.ADMIN_RESPONSE_EDIT, str(entry.id), "Edit")))
    if len(entries) > SHOWN_RESPONSES:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text":
                       f"The first {SHOWN_RESPONSES} of {len(entries)} are shown; "
                       "`smsdesk responses import FILE` edits many at once."}]})
    return _modal(ids.ADMIN_RESPONSES_VIEW, "Standard responses", blocks)


def build_response_form(entry: ResponseEntry | None, list_view_id: str = "") -> dict:
    """Add (entry None) or edit a response. private_metadata "<id>:<list view id>": the
    library underneath is refreshed after a save."""
    blocks = [
        _text_input(NAME_BLOCK, "Name", initial=entry.name if entry else "", limit=120),
        _text_input(CATEGORY_BLOCK, "Category", initial=entry.category if entry else "",
                    optional=True, limit=120, hint="Empty: General"),
        _text_input(TEXT_BLOCK, "Text", initial=entry.text if entry else "", multiline=True,
                    limit=1600, hint="Fields filled in on insert: {contact.first_name}, "
                                     "{contact.name}, {contact.phone}, {agent.name}, "
                                     "{agent.first_name}"),
    ]
    if entry is not None:
        blocks.append({"type": "actions", "block_id": "admin.response_delete", "elements": [
            {"type": "button", "action_id": ids.ADMIN_RESPONSE_DELETE, "value": str(entry.id),
             "style": "danger", "text": _plain("Delete this response"),
             "confirm": {"title": _plain("Delete the response?"),
                         "text": _plain(f"{clip(entry.name, 200)} is removed from the "
                                        "library for every agent."),
                         "confirm": _plain("Delete"), "deny": _plain("Keep it"),
                         "style": "danger"}}]})
    return _modal(ids.ADMIN_RESPONSE_VIEW, "Edit response" if entry else "Add a response",
                  blocks, submit="Save", metadata=f"{entry.id if entry else ''}:{list_view_id}")


def _shown(action: str, value: Any) -> str:
    """A value before or after a change, as mrkdwn (escaped, clipped)."""
    if value is None or value == []:
        return "_(none)_"
    if action == "settings.queue_members" and isinstance(value, list):
        return clip(", ".join(mention(str(v)) for v in value), 1000)
    if isinstance(value, dict):
        value = f"{value.get('name')} ({value.get('category')}): {value.get('text')}"
    elif isinstance(value, list):
        value = ", ".join(str(v) for v in value)
    return escaped_chunks(clip(str(value), 400), 1000)[0]


def log_line(line: AuditLine) -> str:
    label = ACTION_LABELS.get(line.action, escape(line.action))
    subject = f" {escape(clip(line.subject, 100))}" if line.subject and (
        line.action.startswith("responses.") or line.action == "settings.queue_members"
        or line.action not in ACTION_LABELS) else ""
    who = mention(line.actor_user_id) if line.actor_user_id else "the desk"
    return (f"{when(line.at)} · {who} · *{label}{subject}*\n"
            f"{_shown(line.action, line.old)} → {_shown(line.action, line.new)}")


def build_log_modal(page: AuditPage) -> dict:
    blocks: list[dict] = []
    if not page.lines:
        blocks.append(_section("No changes yet."))
    blocks += [_section(log_line(line)) for line in page.lines]
    buttons = []
    if page.page > 0:
        buttons.append({"type": "button", "action_id": ids.ADMIN_LOG_NEWER,
                        "value": str(page.page - 1), "text": _plain("Newer")})
    if page.page + 1 < page.pages:
        buttons.append({"type": "button", "action_id": ids.ADMIN_LOG_OLDER,
                        "value": str(page.page + 1), "text": _plain("Older")})
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text":
                   f"Newest first · page {page.page + 1} of {page.pages}"}]})
    if buttons:
        blocks.append({"type": "actions", "block_id": "admin.log_pages", "elements": buttons})
    return _modal(ids.ADMIN_LOG_VIEW, "Change log", blocks)


# --- reading submissions --------------------------------------------------------------------

def _value(view: dict, block_id: str) -> Any:
    return ((view.get("state") or {}).get("values") or {}).get(block_id, {}).get(VALUE) or {}


def submitted_codes(view: dict) -> list[str]:
    """Every code input's lines, in the form's order."""
    blocks = [block["block_id"] for block in view.get("blocks") or []
              if str(block.get("block_id", "")).startswith(CODES_BLOCK)] or [CODES_BLOCK]
    return [line for block_id in blocks
            for line in (_value(view, block_id).get("value") or "").splitlines()]


def submitted_timeouts(view: dict) -> tuple[str | None, str | None]:
    return _value(view, OFFER_BLOCK).get("value"), _value(view, EXPIRY_BLOCK).get("value")


def submitted_members(view: dict) -> list[str]:
    return list(_value(view, MEMBERS_BLOCK).get("selected_users") or [])


def submitted_dictionary(view: dict) -> tuple[list[str], list[str]]:
    """(words to add, words to remove), one per line as typed."""
    return ((_value(view, DICTIONARY_ADD_BLOCK).get("value") or "").splitlines(),
            (_value(view, DICTIONARY_REMOVE_BLOCK).get("value") or "").splitlines())


def submitted_response(view: dict) -> dict[str, str]:
    return {"name": _value(view, NAME_BLOCK).get("value") or "",
            "category": _value(view, CATEGORY_BLOCK).get("value") or "",
            "text": _value(view, TEXT_BLOCK).get("value") or ""}


def field_errors(errors: dict[str, str], fallback: str) -> dict[str, str]:
    """Outcome errors keyed by the blocks that show them."""
    return {ERROR_BLOCKS.get(name, fallback): clip(why, 300) for name, why in errors.items()}
