"""The spelling prompt an agent sees (only they) when a reply has flagged words."""

from __future__ import annotations

from bot.slack import ids
from bot.slack.mrkdwn import escape

MAX_WORDS_SHOWN = 10  # each word takes two blocks; Slack allows 50 per message


def build_spelling_prompt(message_id: int, flags: list[dict], *, held: bool) -> dict:
    if not flags:
        text = "No flagged words left. Send the reply?"
    elif held:
        text = (f"{len(flags)} word{'s' if len(flags) != 1 else ''} may be misspelled, so your "
                "reply is held, not sent yet.")
    else:
        text = f"Sent. {len(flags)} word{'s' if len(flags) != 1 else ''} may be misspelled."
    blocks: list[dict] = [{"type": "section", "text": {"type": "mrkdwn",
                                                       "text": f":pencil2: {text}"}}]
    for flag in flags[:MAX_WORDS_SHOWN]:
        word = escape(flag["word"])
        hints = ", ".join(escape(s) for s in flag["suggestions"]) or "no suggestions"
        blocks.append({"type": "section", "text": {"type": "mrkdwn",
                                                   "text": f"*{word}* → {hints}"}})
        value = f"{message_id}|{flag['word']}"[:2000]
        blocks.append({"type": "actions", "elements": [
            {"type": "button", "action_id": ids.SPELL_IGNORE_ALL, "value": value,
             "text": {"type": "plain_text", "text": "Ignore All"}},
            {"type": "button", "action_id": ids.SPELL_ADD_WORD, "value": value,
             "text": {"type": "plain_text", "text": "Add to My Dictionary"}},
        ]})
    if held:
        value = str(message_id)
        buttons = []
        if any(flag["suggestions"] for flag in flags):
            buttons.append({"type": "button", "action_id": ids.SPELL_SEND_CORRECTED,
                            "value": value, "style": "primary",
                            "text": {"type": "plain_text", "text": "Send corrected"}})
        buttons.append({"type": "button", "action_id": ids.SPELL_SEND_ANYWAY, "value": value,
                        "text": {"type": "plain_text",
                                 "text": "Send anyway" if flags else "Send"}})
        buttons.append({"type": "button", "action_id": ids.SPELL_CANCEL, "value": value,
                        "style": "danger", "text": {"type": "plain_text", "text": "Cancel"}})
        blocks.append({"type": "actions", "elements": buttons})
    words = ", ".join(f["word"] for f in flags[:MAX_WORDS_SHOWN])
    fallback = text + (f" Flagged: {escape(words)}." if words else "")
    return {"text": fallback, "blocks": blocks}
