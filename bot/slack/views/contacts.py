"""The contact directory in Slack: /sms-contact results, the contact modal (information,
actions and a paged history), one interaction's transcript pushed on top of it, the edit
form, and the two steps of assigning an unknown number to a contact."""

from __future__ import annotations

from dataclasses import dataclass

from bot.desk.directory.contacts_directory import ContactSummary
from bot.desk.directory.history import HistoryEntry
from bot.desk.phone import display
from bot.slack import ids
from bot.slack.limits import MAX_OPTION_TEXT
from bot.slack.mrkdwn import escape
from bot.slack.views.common import SECTION_LIMIT, clip, contact_label, escaped_chunks, when

SHOWN_RESULTS = 10
HISTORY_PAGE = 5  # interactions per page of the contact modal
MAX_MODAL_BLOCKS = 100  # Slack's limit for a modal
NOTES_SHOWN = 3  # per interaction in the history list; the rest are in the transcript modal
DELIVERY_MARKS = {"pending": "⏳", "sent": "📤", "delivered": "✅", "failed": "❌",
                  "undelivered": "❌"}


def _section(text: str, accessory: dict | None = None) -> dict:
    block: dict = {"type": "section", "text": {"type": "mrkdwn", "text": text}}
    if accessory:
        block["accessory"] = accessory
    return block


def _button(text: str, action_id: str, value: str) -> dict:
    return {"type": "button", "text": {"type": "plain_text", "text": text},
            "action_id": action_id, "value": value}


def _who(contact: ContactSummary) -> str:
    return escape(clip(contact_label(contact.name, contact.phone), 200))


def build_search_results(query: str, found: list[ContactSummary]) -> dict:
    """The /sms-contact answer (ephemeral): up to SHOWN_RESULTS contacts, each with View."""
    shown_query = escape(clip(query, 100))
    if not query.strip():
        text = "Search contacts by name, number or e-mail: `/sms-contact Jane` or " \
               "`/sms-contact (415) 555-0100`."
        return {"text": text, "blocks": [_section(text)]}
    if not found:
        text = f"No contact matches “{shown_query}”."
        return {"text": text, "blocks": [_section(text)]}
    blocks = []
    for contact in found[:SHOWN_RESULTS]:
        lines = [f"*{_who(contact)}*", escape(display(contact.phone))]
        if contact.email:
            lines.append(escape(clip(contact.email, 254)))
        blocks.append(_section(" · ".join(lines),
                               _button("View", ids.VIEW_CONTACT, str(contact.contact_id))))
    more = len(found) > SHOWN_RESULTS
    summary = (f"More than {SHOWN_RESULTS} contacts match “{shown_query}”; the first "
               f"{SHOWN_RESULTS} are shown, type more to narrow it down." if more else
               f"1 contact matches “{shown_query}”." if len(found) == 1 else
               f"{len(found)} contacts match “{shown_query}”.")
    blocks.insert(0, {"type": "context", "elements": [{"type": "mrkdwn", "text": summary}]})
    return {"text": summary, "blocks": blocks}


def _entry_text(entry: HistoryEntry) -> str:
    agent = f"<@{entry.agent_user_id}>" if entry.agent_user_id else "no agent"
    kind = f"Outbound {entry.media}" if entry.direction == "outbound" else entry.media
    head = (f"*{when(entry.started_at)}* · {kind} · {entry.mode} mode · {agent}"
            f" · {escape(entry.state)}")
    lines = [head, f"Disposition: {escape(entry.disposition) if entry.disposition else '—'}"]
    for note in entry.notes[:NOTES_SHOWN]:
        lines.append(":memo: " + escape(clip(note.text.replace("\n", " "), 300)))
    if len(entry.notes) > NOTES_SHOWN:
        lines.append(f"_and {len(entry.notes) - NOTES_SHOWN} more notes in the transcript_")
    return clip("\n".join(lines), SECTION_LIMIT)


@dataclass(frozen=True)
class ContactActions:
    """What the person looking may do from the contact modal (their roles decide)."""

    new_sms: bool = False
    edit: bool = False
    # Opened from an interaction of this unknown number, by someone who may assign it.
    assign_interaction_id: int | None = None
    # The interaction the modal was opened from (kept across paging), if any.
    from_interaction_id: int | None = None
    opted_out: bool = False


def _information(contact: ContactSummary, opted_out: bool) -> list[dict]:
    numbers = [escape(display(contact.phone))]
    numbers += [escape(display(n)) for n in contact.other_phones]
    fields = [f"*Name*\n{_who(contact) if contact.name else '— (unknown number)'}",
              f"*Number{'s' if len(numbers) > 1 else ''}*\n{clip(', '.join(numbers), 1900)}",
              f"*E-mail*\n{escape(clip(contact.email, 254)) if contact.email else '—'}"]
    for name, value in contact.attributes[:7]:  # a section holds ten fields
        fields.append(f"*{escape(clip(name, 50))}*\n{escape(clip(value, 200))}")
    blocks = [{"type": "section", "fields": [{"type": "mrkdwn", "text": t} for t in fields]}]
    if len(contact.attributes) > 7:
        rest = "; ".join(f"{escape(clip(n, 50))}: {escape(clip(v, 200))}"
                         for n, v in contact.attributes[7:])
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn",
                                                        "text": clip(rest, 2900)}]})
    if opted_out:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": (
            ":no_entry: Opted out of SMS from at least one of the desk's numbers (texted "
            "STOP).")}]})
    return blocks


def _action_buttons(contact: ContactSummary, actions: ContactActions) -> list[dict]:
    buttons = []
    if actions.new_sms:
        buttons.append(_button("New SMS", ids.CONTACT_NEW_SMS, str(contact.contact_id)))
    if actions.assign_interaction_id is not None and contact.name is None:
        assign = _button("Assign to a contact", ids.CONTACT_ASSIGN,
                         str(actions.assign_interaction_id))
        assign["style"] = "primary"
        buttons.append(assign)
    if actions.edit:
        buttons.append(_button("Edit", ids.CONTACT_EDIT, str(contact.contact_id)))
    return [{"type": "actions", "block_id": "contact.actions", "elements": buttons}] \
        if buttons else []


def build_contact_modal(contact: ContactSummary, history: list[HistoryEntry],
                        page: int = 0, actions: ContactActions = ContactActions()) -> dict:
    """Information and actions, then HISTORY_PAGE interactions of the history (newest
    first), paged."""
    pages = max(1, -(-len(history) // HISTORY_PAGE))
    page = min(max(page, 0), pages - 1)
    blocks: list[dict] = [
        {"type": "header", "text": {"type": "plain_text", "text": "Information"}},
        *_information(contact, actions.opted_out),
        *_action_buttons(contact, actions),
        {"type": "header", "text": {"type": "plain_text", "text": "History"}},
    ]
    if not history:
        blocks.append(_section("No interactions with this contact yet."))
    start = page * HISTORY_PAGE
    for entry in history[start:start + HISTORY_PAGE]:
        blocks.append(_section(_entry_text(entry), _button(
            "Transcript", ids.CONTACT_TRANSCRIPT,
            f"{contact.contact_id}:{entry.interaction_id}")))
    if history:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": (
            f"Interactions {start + 1}–{min(start + HISTORY_PAGE, len(history))} of "
            f"{len(history)}, newest first")}]})
    paging = []
    if page > 0:
        paging.append(_button("Newer", ids.CONTACT_NEWER, f"{contact.contact_id}:{page - 1}"))
    if page < pages - 1:
        paging.append(_button("Older", ids.CONTACT_OLDER, f"{contact.contact_id}:{page + 1}"))
    if paging:
        blocks.append({"type": "actions", "block_id": "contact.paging", "elements": paging})
    return {
        "type": "modal",
        "callback_id": ids.CONTACT_VIEW,
        "private_metadata": f"{contact.contact_id}:{page}:{actions.from_interaction_id or ''}",
        "title": {"type": "plain_text", "text": "Contact"},
        "close": {"type": "plain_text", "text": "Close"},
        "blocks": blocks,
    }


def _transcript_line(line) -> list[str]:
    if line.direction == "inbound":
        who = ":iphone: Customer"
        if line.pictures:
            who += f" (sent {line.pictures} picture{'s' if line.pictures != 1 else ''})"
    else:
        agent = f"<@{line.author_user_id}>" if line.author_user_id else "Agent"
        mark = DELIVERY_MARKS.get(line.delivery_state or "", "")
        who = f"{agent} {mark}".rstrip()
    head = f"*{who}* · {when(line.at)}\n"
    chunks = escaped_chunks(line.text, SECTION_LIMIT - len(head)) if line.text else ["_(empty)_"]
    return [head + chunks[0], *chunks[1:]]


def build_transcript_modal(contact: ContactSummary, entry: HistoryEntry) -> dict:
    """One interaction's transcript and notes, escaped, within a modal's 100 blocks."""
    room = MAX_MODAL_BLOCKS - 2  # the header context and a possible "not shown" note
    texts: list[str] = []
    for line in entry.transcript:
        texts.extend(_transcript_line(line))
    for note in entry.notes:
        author = f"<@{note.author_user_id}>" if note.author_user_id else "the desk"
        head = f":memo: *Note by {author}* · {when(note.at)} (internal)\n"
        texts.extend(head + c if i == 0 else c for i, c in
                     enumerate(escaped_chunks(note.text or " ", SECTION_LIMIT - len(head))))
    if not texts:
        texts = ["No messages in this interaction."]
    blocks: list[dict] = [{"type": "context", "elements": [{"type": "mrkdwn", "text": clip(
        f"{_who(contact)} · {when(entry.started_at)} · {entry.media} · {entry.mode} mode",
        SECTION_LIMIT)}]}]
    blocks.extend(_section(t) for t in texts[:room])
    if len(texts) > room:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": (
            f"{len(texts) - room} more parts not shown: the full transcript is kept "
            "in the desk's database.")}]})
    return {
        "type": "modal",
        "callback_id": ids.CONTACT_TRANSCRIPT_VIEW,
        "private_metadata": f"{contact.contact_id}:{entry.interaction_id}",
        "title": {"type": "plain_text", "text": "Transcript"},
        "close": {"type": "plain_text", "text": "Back"},
        "blocks": blocks,
    }


def origin_of(view: dict) -> int | None:
    """The interaction a contact modal was opened from (its card's menu), if any."""
    tail = (view.get("private_metadata") or "").split(":")[2:3]
    return int(tail[0]) if tail and tail[0].isdigit() else None


def _input(block_id: str, label: str, action_id: str, value: str | None, *,
           multiline: bool = False, optional: bool = True, hint: str | None = None,
           max_length: int | None = None) -> dict:
    element: dict = {"type": "plain_text_input", "action_id": action_id, "multiline": multiline}
    if value:
        element["initial_value"] = value
    if max_length:
        element["max_length"] = max_length
    block: dict = {"type": "input", "block_id": block_id, "optional": optional,
                   "label": {"type": "plain_text", "text": label}, "element": element}
    if hint:
        block["hint"] = {"type": "plain_text", "text": hint}
    return block


EDIT_FIELDS = ("name", "numbers", "email", "attributes")  # block ids: "contact_edit.<field>"


def build_contact_edit_modal(contact: ContactSummary, root_view_id: str | None,
                             from_interaction: int | None = None) -> dict:
    """The edit form, pushed over the contact modal; Save updates that modal in place (still
    as opened from `from_interaction`, if it was, so Assign stays)."""
    numbers = "\n".join(display(n) for n in (contact.phone, *contact.other_phones))
    attributes = "\n".join(f"{name}: {value}" for name, value in contact.attributes)
    return {
        "type": "modal",
        "callback_id": ids.CONTACT_EDIT_VIEW,
        "private_metadata": f"{contact.contact_id}:{root_view_id or ''}:{from_interaction or ''}",
        "title": {"type": "plain_text", "text": "Edit contact"},
        "submit": {"type": "plain_text", "text": "Save"},
        "close": {"type": "plain_text", "text": "Back"},
        "blocks": [
            _input("contact_edit.name", "Name", "value", contact.name, max_length=200),
            _input("contact_edit.numbers", "Numbers", "value", numbers, multiline=True,
                   optional=False, hint="One per line, the main one first. Texts from any of "
                                        "them reach this contact's history."),
            _input("contact_edit.email", "E-mail", "value", contact.email, max_length=254),
            _input("contact_edit.attributes", "Other information", "value", attributes,
                   multiline=True, hint="One per line, as “Name: value” (account number, "
                                        "plan…)."),
        ],
    }


def edit_values(view: dict) -> dict[str, str]:
    values = (view.get("state") or {}).get("values") or {}
    return {field: ((values.get(f"contact_edit.{field}") or {}).get("value") or {}).get("value")
            or "" for field in EDIT_FIELDS}


def contact_option(contact: ContactSummary) -> dict:
    label = contact_label(contact.name, contact.phone)
    if contact.name:
        label += f" · {display(contact.phone)}"
    return {"text": {"type": "plain_text", "text": clip(label, MAX_OPTION_TEXT)},
            "value": str(contact.contact_id)}


ASSIGN_BLOCK = "assign.contact"


def build_assign_modal(interaction_id: int, phone: str) -> dict:
    """Step one: search the directory and pick the contact this number belongs to."""
    return {
        "type": "modal",
        "callback_id": ids.ASSIGN_VIEW,
        "private_metadata": f"{interaction_id}:",
        "title": {"type": "plain_text", "text": "Assign to a contact"},
        "submit": {"type": "plain_text", "text": "Next"},
        "close": {"type": "plain_text", "text": "Back"},
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": (
                f"Who is texting from *{escape(display(phone))}*? The number joins the contact "
                "you pick, and this interaction with its transcript moves to their history.")}},
            {"type": "input", "block_id": ASSIGN_BLOCK,
             "label": {"type": "plain_text", "text": "Contact"},
             "element": {"type": "external_select", "action_id": ids.ASSIGN_SEARCH,
                         "min_query_length": 2,
                         "placeholder": {"type": "plain_text",
                                         "text": "Name, number or e-mail"}}},
        ],
    }


def build_assign_confirm(interaction_id: int, phone: str, target: ContactSummary) -> dict:
    """Step two: say exactly what will happen, and do it on Assign."""
    return {
        "type": "modal",
        "callback_id": ids.ASSIGN_VIEW,
        "private_metadata": f"{interaction_id}:{target.contact_id}",
        "title": {"type": "plain_text", "text": "Assign to a contact"},
        "submit": {"type": "plain_text", "text": "Assign"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": (
            f"Assign *{escape(display(phone))}* to *{_who(target)}* "
            f"({escape(display(target.phone))})?\n\nTheir history will show this "
            "interaction and any earlier one from this number, and their next texts from it "
            "will arrive under their name.")}}],
    }


def assign_choice(view: dict) -> tuple[int, int | None, int | None]:
    """(interaction id, confirmed contact id or None, contact picked in step one or None)."""
    interaction, _, confirmed = (view.get("private_metadata") or "").partition(":")
    values = (view.get("state") or {}).get("values") or {}
    picked = (((values.get(ASSIGN_BLOCK) or {}).get(ids.ASSIGN_SEARCH) or {})
              .get("selected_option") or {}).get("value")
    return (int(interaction), int(confirmed) if confirmed.isdigit() else None,
            int(picked) if str(picked or "").isdigit() else None)


SEARCH_BLOCK = "contact.search"


def build_search_modal(query: str = "", found: list[ContactSummary] | None = None) -> dict:
    """The Home tab's contact search: type, press Enter, pick a result to open it."""
    blocks: list[dict] = [{
        "type": "input", "block_id": SEARCH_BLOCK, "dispatch_action": True,
        "label": {"type": "plain_text", "text": "Name, number or e-mail"},
        "element": {"type": "plain_text_input", "action_id": ids.CONTACT_SEARCH_INPUT,
                    "dispatch_action_config": {"trigger_actions_on": ["on_enter_pressed"]},
                    "placeholder": {"type": "plain_text",
                                    "text": "Jane, (415) 555-0100, jane@example.com"}},
    }]
    if found is not None:
        blocks += build_search_results(query, found)["blocks"]
    return {"type": "modal", "callback_id": ids.CONTACT_SEARCH_VIEW,
            "title": {"type": "plain_text", "text": "Find a contact"},
            "submit": {"type": "plain_text", "text": "Search"},
            "close": {"type": "plain_text", "text": "Close"}, "blocks": blocks}


def search_query(view: dict) -> str:
    values = (view.get("state") or {}).get("values") or {}
    return (((values.get(SEARCH_BLOCK) or {}).get(ids.CONTACT_SEARCH_INPUT) or {})
            .get("value") or "").strip()
