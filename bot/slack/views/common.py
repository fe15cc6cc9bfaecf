"""Small pieces every view uses: who a contact is, Slack date tokens, safe truncation."""

from __future__ import annotations

from datetime import datetime

from bot.slack.mrkdwn import escape
from bot.sms.phone import display

SECTION_LIMIT = 3000  # Slack refuses a section text longer than this


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


def case_fields(case_data: dict[str, str]) -> list[dict]:
    """Case information as section fields: keys and values both come from outside."""
    return [
        {"type": "mrkdwn", "text": f"*{escape(clip(str(k), 80))}*\n{escape(clip(str(v), 500))}"}
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
