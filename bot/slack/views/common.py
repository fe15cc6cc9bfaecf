"""Small pieces every view uses: who a contact is, Slack date tokens, safe truncation."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from urllib.parse import urlsplit

from bot.desk.case_links import CaseLink
from bot.desk.directory.contacts_directory import ContactActivity
from bot.desk.phone import display
from bot.slack import ids
from bot.slack.mrkdwn import escape

SECTION_LIMIT = 3000  # Slack refuses a section text longer than this


def activity_block(activity: ContactActivity) -> dict:
    """The contact's activity: "Also in progress: 1 SMS", and the recent count as a button
    ("Last 30 days: 4") that opens the contact's history."""
    busy = ", ".join(f"{count} {media}" for media, count in activity.in_progress) or "none"
    return {"type": "section", "text": {"type": "mrkdwn", "text": f"Also in progress: {busy}"},
            "accessory": {"type": "button", "action_id": ids.VIEW_CONTACT,
                          "value": str(activity.contact_id), "text": {
                              "type": "plain_text",
                              "text": f"Last {activity.recent_days} days: {activity.recent}"}}}


def contact_label(name: str | None, phone: str) -> str:
    """Plain text (not yet escaped): the name if known, else the number as people write it."""
    return name if name else display(phone)


def when(at: datetime) -> str:
    """A Slack date token: every reader sees the time in their own time zone."""
    fallback = at.strftime("%H:%M UTC")
    return f"<!date^{int(at.timestamp())}^{{time}}|{fallback}>"


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def quoted(customer_text: str, limit: int = SECTION_LIMIT - 200) -> str:
    """Customer text as a mrkdwn quote that fits one section, clipped on a whole character."""
    lines: list[str] = []
    size = 0
    for line in customer_text.splitlines() or [""]:
        room = limit - size - len("\n> …")
        shown = escape(line)
        if len(shown) > room:
            if room > 0 and line:
                lines.append("> " + escaped_chunks(line, room)[0] + "…")
            else:
                lines.append("> …")
            break
        lines.append("> " + shown)
        size += len(shown) + len("\n> ")
    return "\n".join(lines)


def is_web_url(value: str) -> bool:
    """An http(s) address with a host and no spaces: what Slack turns into a link by itself."""
    if not value or any(ch.isspace() for ch in value):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


def _escaped_clip(text: str, limit: int) -> str:
    """Escaped, and at most about `limit` characters once escaped (an entity is never cut)."""
    pieces = escaped_chunks(text, limit)
    return pieces[0] + ("…" if len(pieces) > 1 else "") if pieces else ""


def case_value(name: str, value: str, links: dict[str, CaseLink] | None = None) -> str:
    """One case value as mrkdwn.

    Keys and values come from outside (a webhook, an agent), so they are escaped: a value
    that is an address shows as the literal address, which Slack links by itself; it can
    never carry a label. The one exception is a field the admin gave a link in the settings:
    that shows as `<admin URL with the value quoted|admin's text with the value escaped>`.
    """
    link = (links or {}).get(name)
    if link is not None and value:
        anchor = _escaped_clip(clip(link.anchor(value), 300), 600)
        markup = f"<{escape(link.href(value))}|{anchor}>"
        if len(markup) <= 1500:
            return markup
    if is_web_url(value) and len(escape(value)) <= 1500:
        return escape(value)  # whole, or the link Slack makes would go somewhere else
    return _escaped_clip(clip(value, 500), 1500)


def case_fields(case_data: dict[str, str], links: Iterable[CaseLink] = ()) -> list[dict]:
    """Case information as section fields (at most 10, Slack's limit for one section)."""
    by_field = {link.field: link for link in links}
    return [
        {"type": "mrkdwn", "text": f"*{_escaped_clip(clip(str(k), 80), 300)}*\n"
                                   f"{case_value(str(k), str(v), by_field)}"}
        for k, v in list(case_data.items())[:10]
    ]


def escaped_chunks(customer_text: str, limit: int = SECTION_LIMIT) -> list[str]:
    """Customer text escaped and cut into pieces that each fit one section.

    Cutting after escaping could split an entity ("&am" + "p;"); cutting the raw text and
    escaping each piece cannot.
    """
    chunks: list[str] = []
    current: list[str] = []
    size = 0
    for char in customer_text:
        piece = escape(char)
        if size + len(piece) > limit:
            chunks.append("".join(current))
            current, size = [], 0
        current.append(piece)
        size += len(piece)
    if current:
        chunks.append("".join(current))
    return chunks


def interaction_modal(callback_id: str, interaction_id: int, title: str, blocks: list[dict],
                      submit: str | None = None) -> dict:
    """The shell of a card tool's modal: its submission finds the interaction again through
    private_metadata. Without `submit` the modal can only be closed."""
    view = {
        "type": "modal", "callback_id": callback_id, "private_metadata": str(interaction_id),
        "title": {"type": "plain_text", "text": title},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": blocks,
    }
    if submit:
        view["submit"] = {"type": "plain_text", "text": submit}
    return view


_MAX_ROW_ID = 2**63 - 1  # BIGINT: a larger id is no row, and the database would refuse it


def row_id_of(text: object) -> int | None:
    """A row id as this app writes it into a button value or private_metadata, or None for
    anything else (a forged or damaged payload)."""
    text = str(text or "")
    if not (text.isascii() and text.isdigit()) or int(text) > _MAX_ROW_ID:
        return None
    return int(text)


def interaction_id_of(view: dict) -> int | None:
    """The interaction a submitted `interaction_modal` belongs to, or None when its
    private_metadata is not an id this app writes."""
    return row_id_of(view.get("private_metadata"))


def notice_modal(title: str, text: str, *, callback_id: str | None = None) -> dict:
    """A modal that only explains (a refusal, a result): escaped, since it may carry names
    from the directory, and with nothing to submit."""
    modal: dict = {"type": "modal", "title": {"type": "plain_text", "text": clip(title, 24)},
                   "close": {"type": "plain_text", "text": "Close"},
                   "blocks": [{"type": "section", "text": {
                       "type": "mrkdwn", "text": clip(escape(text), SECTION_LIMIT)}}]}
    if callback_id:
        modal["callback_id"] = callback_id
    return modal
