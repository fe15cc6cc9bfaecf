"""The contact directory in Slack: /sms-contact results, the contact modal (information and
a paged history), and one interaction's transcript pushed on top of it."""

from __future__ import annotations

from bot.desk.contacts_directory import ContactSummary
from bot.desk.history import HistoryEntry
from bot.slack import ids
from bot.slack.mrkdwn import escape
from bot.slack.views.common import SECTION_LIMIT, clip, contact_label, escaped_chunks, when
from bot.sms.phone import display

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
    head = (f"*{when(entry.started_at)}* · {entry.media} · {entry.mode} mode · {agent}"
            f" · {escape(entry.state)}")
    lines = [head, f"Disposition: {escape(entry.disposition) if entry.disposition else '—'}"]
    for note in entry.notes[:NOTES_SHOWN]:
        lines.append(":memo: " + escape(clip(note.text.replace("\n", " "), 300)))
    if len(entry.notes) > NOTES_SHOWN:
        lines.append(f"_and {len(entry.notes) - NOTES_SHOWN} more notes in the transcript_")
    return clip("\n".join(lines), SECTION_LIMIT)


def build_contact_modal(contact: ContactSummary, history: list[HistoryEntry],
                        page: int = 0) -> dict:
    """Information, then HISTORY_PAGE interactions of the history (newest first), paged."""
    pages = max(1, -(-len(history) // HISTORY_PAGE))
    page = min(max(page, 0), pages - 1)
    info = [f"*Name*\n{_who(contact) if contact.name else '—'}",
            f"*Number*\n{escape(display(contact.phone))}",
            f"*E-mail*\n{escape(clip(contact.email, 254)) if contact.email else '—'}"]
    blocks: list[dict] = [
        {"type": "header", "text": {"type": "plain_text", "text": "Information"}},
        {"type": "section", "fields": [{"type": "mrkdwn", "text": t} for t in info]},
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
        "private_metadata": f"{contact.contact_id}:{page}",
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
