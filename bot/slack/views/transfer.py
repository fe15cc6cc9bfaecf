"""Modals for moving an interaction on: instant transfer and consultation."""

from __future__ import annotations

from bot.desk.interactions.transfers import MAX_REASON, QUEUE_TARGET
from bot.slack import ids
from bot.slack.limits import MAX_OPTION_TEXT, MAX_SELECT_OPTIONS
from bot.slack.views.common import clip, interaction_modal

TARGET_BLOCK, TARGET_ACTION = "target", "target"
REASON_BLOCK, REASON_ACTION = "reason", "reason"
COLLEAGUE_BLOCK, COLLEAGUE_ACTION = "colleague", "colleague"


def build_transfer_modal(interaction_id: int, ready: list[tuple[str, str]],
                         queue_name: str = "SMS") -> dict:
    """`ready` is (user id, name) of the Ready colleagues with room for one more."""
    options = [{"text": {"type": "plain_text", "text": clip(f"Queue: {queue_name} (next Ready "
                                                              "agent)", MAX_OPTION_TEXT)},
                "value": QUEUE_TARGET}]
    options += [{"text": {"type": "plain_text", "text": clip(name, MAX_OPTION_TEXT)},
                 "value": user_id}
                for user_id, name in ready[:MAX_SELECT_OPTIONS - 1]]
    blocks: list[dict] = [
        {"type": "input", "block_id": TARGET_BLOCK,
         "label": {"type": "plain_text", "text": "Transfer to"},
         "element": {"type": "static_select", "action_id": TARGET_ACTION, "options": options,
                     "placeholder": {"type": "plain_text", "text": "Colleague or queue"}}},
        {"type": "input", "block_id": REASON_BLOCK, "optional": True,
         "label": {"type": "plain_text", "text": "Reason (they see it on the preview)"},
         "element": {"type": "plain_text_input", "action_id": REASON_ACTION,
                     "max_length": MAX_REASON}},
    ]
    if not ready:
        blocks.insert(0, {"type": "context", "elements": [{"type": "mrkdwn", "text":
                          "No colleague is Ready with room right now; the queue option offers it "
                          "to whoever becomes available."}]})
    return interaction_modal(ids.TRANSFER_VIEW, interaction_id, "Transfer", blocks,
                             submit="Transfer")


def build_consult_modal(interaction_id: int) -> dict:
    blocks = [
        {"type": "input", "block_id": COLLEAGUE_BLOCK,
         "label": {"type": "plain_text", "text": "Colleague"},
         "element": {"type": "users_select", "action_id": COLLEAGUE_ACTION}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text":
         "Opens a conversation with them and the transcript so far. Nothing said there "
         "reaches the customer."}]},
    ]
    return interaction_modal(ids.CONSULT_VIEW, interaction_id, "Consult a colleague", blocks,
                             submit="Start")


def build_consultation_message(interaction_id: int, from_user: str, colleague: str,
                               contact: str, thread_link: str | None,
                               transcript_quote: str) -> dict:
    where = f" <{thread_link}|Open the interaction>" if thread_link else ""
    text = (f"<@{from_user}> would like to consult <@{colleague}> about an SMS interaction "
            f"with {contact}.{where} Nothing said here reaches the customer.")
    return {
        "text": text,
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": text}},
            {"type": "section", "text": {"type": "mrkdwn",
                                         "text": "*Transcript so far*\n" + transcript_quote}},
            {"type": "actions", "elements": [{
                "type": "button", "action_id": ids.TRANSFER_TO_CONSULTED,
                "value": f"{interaction_id}:{colleague}",
                "text": {"type": "plain_text", "text": "Transfer to them"}}]},
            {"type": "context", "elements": [{"type": "mrkdwn", "text":
             f"Only <@{from_user}> can use the button: it offers the interaction to "
             f"<@{colleague}>."}]},
        ],
    }
