"""The texts waiting in an agent's queues, each with a Claim button: on /sms-queue (below the
queues) and on the Home tab."""

from __future__ import annotations

from bot.desk.interactions.claiming import WaitingText, WaitingTexts
from bot.slack import ids
from bot.slack.mrkdwn import escape
from bot.slack.views.common import clip, escaped_chunks
from bot.slack.views.supervision import duration

TEXT_SHOWN = 140  # characters of the customer's latest text, before escaping


def claim_button(interaction_id: int) -> dict:
    return {"type": "button", "action_id": ids.CLAIM, "value": str(interaction_id),
            "style": "primary", "text": {"type": "plain_text", "text": "Claim"}}


def _item(item: WaitingText, waiting: WaitingTexts) -> dict:
    who = escape(clip(item.contact, 80))
    waited = duration((waiting.now - item.since).total_seconds())
    offered = f" · offered to <@{item.offered_to}>, not accepted yet" if item.offered_to else ""
    said = escaped_chunks(item.text, TEXT_SHOWN)[0] if item.text else ""
    if said and len(item.text) > TEXT_SHOWN:
        said += "…"
    quote = f"\n> {said}" if said else ""
    block: dict = {"type": "section", "text": {"type": "mrkdwn", "text": (
        f"*{who}* · waiting {waited} · queue {escape(clip(item.queue, 60))}{offered}{quote}")}}
    if item.claimable:
        block["accessory"] = claim_button(item.interaction_id)
    return block


def waiting_blocks(waiting: WaitingTexts, room: int) -> list[dict]:
    """At most `room` blocks: a title, the oldest waiting texts, and what was left out."""
    if room < 2:
        return []
    # Offered ones too: an offer nobody has accepted yet can still be claimed.
    title = "*Waiting for an agent* in your queues, oldest first"
    if not waiting.items:
        return [{"type": "section", "text": {"type": "mrkdwn",
                                             "text": f"{title}\nNothing is waiting."}}]
    notes = []
    if not waiting.claiming:
        notes.append("Texts are offered to Ready agents in turn; this desk does not let "
                     "agents claim them.")
    elif waiting.full:
        notes.append("No Claim button: you hold as many interactions as that queue allows "
                     "you. Finish one to claim another.")
    shown = waiting.items[:room - 2]  # the title, and a line for the notes
    left_out = waiting.total - len(shown)
    if left_out > 0:
        notes.append(f"{left_out} more waiting, not listed here.")
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": title}}]
    blocks += [_item(item, waiting) for item in shown]
    if notes:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn",
                                                        "text": " ".join(notes)}]})
    return blocks


def with_waiting(message: dict, waiting: WaitingTexts | None, max_blocks: int) -> dict:
    """A message (the /sms-queue answer) with the waiting texts after its blocks, as many
    as fit in `max_blocks`."""
    if waiting is None:
        return message
    blocks = message["blocks"]
    return {**message, "blocks": blocks + waiting_blocks(waiting, max_blocks - len(blocks))}
