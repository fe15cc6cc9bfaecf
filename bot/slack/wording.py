"""How a domain notice reads in Slack: each person it names becomes a mention."""

from __future__ import annotations

import re

from bot.slack.mrkdwn import escape

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def worded(text: str, people: dict[str, str] | None) -> str:
    """Only placeholders that name someone are replaced, so other braces stay as written."""
    if not people:
        return text
    return _PLACEHOLDER.sub(
        lambda found: f"<@{escape(people[found[1]])}>" if found[1] in people else found[0],
        text)
