"""What an agent sees (only they) when a reply has custom emoji, which no phone can show."""

from __future__ import annotations

from bot.slack import ids
from bot.slack.mrkdwn import escape
from bot.slack.views.common import quoted


def build_custom_emoji_prompt(message_id: int, emoji: tuple[str, ...], phone_text: str, *,
                              held: bool) -> dict:
    """held: the reply waits for Send without / Cancel; else nothing was left to send.
    phone_text: what the customer gets without them."""
    # Slack shows the agent the emoji themselves; the customer would get nothing at all.
    shown = " ".join(f":{escape(name)}:" for name in emoji)
    several = len(emoji) > 1
    these, them = ("these custom emoji", "them") if several else ("a custom emoji", "it")
    what = f"The customer's phone cannot show {shown} ({these} of this workspace)"
    if not held:
        text = (f"{what}, and there was nothing else in your reply, so it was not sent. "
                "Write it in words, or with standard emoji.")
        return {"text": text,
                "blocks": [{"type": "section", "text": {"type": "mrkdwn",
                                                        "text": f":warning: {text}"}}]}
    text = (f"{what}, so your reply is held, not sent yet. Without {them}, the customer "
            "gets:")
    return {"text": f"{text} {phone_text}", "blocks": [
        {"type": "section", "text": {"type": "mrkdwn", "text": f":warning: {text}"}},
        {"type": "section", "text": {"type": "mrkdwn", "text": quoted(phone_text)}},
        {"type": "actions", "elements": custom_emoji_buttons(message_id, several)}]}


def custom_emoji_buttons(message_id: int, several: bool = False) -> list[dict]:
    """Send without them, Cancel: the choices of a reply held for its custom emoji."""
    value = str(message_id)
    return [
        {"type": "button", "action_id": ids.CUSTOM_EMOJI_SEND_WITHOUT, "value": value,
         "style": "primary",
         "text": {"type": "plain_text",
                  "text": f"Send without {'them' if several else 'it'}"}},
        {"type": "button", "action_id": ids.CUSTOM_EMOJI_CANCEL, "value": value,
         "style": "danger", "text": {"type": "plain_text", "text": "Cancel"}}]
