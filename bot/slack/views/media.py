"""MMS files in the thread: the button under a thumbnail, or the note for one not shown."""

from __future__ import annotations

from bot.slack import ids
from bot.slack.mrkdwn import escape


def build_media_actions(media_id: int, position: int, width: int | None,
                        height: int | None) -> dict:
    size = f" ({width}×{height})" if width and height else ""
    return {
        "text": f"Picture {position}{size} from the customer.",
        "blocks": [{"type": "actions", "elements": [{
            "type": "button", "action_id": ids.OPEN_MEDIA, "value": str(media_id),
            "text": {"type": "plain_text", "text": f"Open picture {position} full size"},
        }]}],
    }


def build_media_note(media_id: int, position: int, reason: str | None,
                     original_size: int | None, content_type: str | None) -> dict:
    kept = ""
    if original_size:
        kind = f", {escape(content_type)}" if content_type else ""
        kept = f" The original file is kept ({original_size // 1024 + 1} KB{kind})."
    why = escape(reason or "it could not be read")
    sentence = f"Picture {position} could not be shown: {why}.{kept}"
    blocks: list[dict] = [{"type": "context", "elements": [
        {"type": "mrkdwn", "text": f":warning: {sentence}"}]}]
    if original_size:
        blocks.append({"type": "actions", "elements": [{
            "type": "button", "action_id": ids.OPEN_MEDIA, "value": str(media_id),
            "text": {"type": "plain_text", "text": "Get the original"}}]})
    return {"text": f"System: {sentence}", "blocks": blocks}
