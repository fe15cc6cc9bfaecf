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


def quoted(customer_text: str, limit: int = SECTION_LIMIT - 100) -> str:
    """Customer text as a mrkdwn quote: escaped, clipped so the escape never overflows."""
    body = escape(clip(customer_text, limit // 5 * 4))
    body = clip(body, limit)
    return "\n".join("> " + line for line in body.splitlines() or [""])


def case_fields(case_data: dict[str, str]) -> list[dict]:
    """Case information as section fields: keys and values both come from outside."""
    return [
        {"type": "mrkdwn", "text": f"*{escape(clip(str(k), 80))}*\n{escape(clip(str(v), 500))}"}
        for k, v in list(case_data.items())[:10]
    ]
