"""Held replies where they cannot be missed: the agent's Home tab section (with the prompt's
choices), the card's line, the supervisor card's line. Reasons are the domain's codes
(bot/desk/replies/held.py), worded here."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.desk.interactions.spelling import WordFlag
from bot.desk.replies.held import CUSTOM_EMOJI, SPELLING, HeldReply
from bot.slack import ids
from bot.slack.mrkdwn import escape
from bot.slack.views.common import contact_label, quoted, when
from bot.slack.views.custom_emoji import custom_emoji_buttons
from bot.slack.views.spelling import decision_buttons, word_blocks

REASON_WORDS = {SPELLING: "spelling", CUSTOM_EMOJI: "custom emoji a phone cannot show"}
HOME_REPLIES_SHOWN = 5  # each takes up to HOME_WORDS_SHOWN + 2 blocks of the Home tab's 100
HOME_WORDS_SHOWN = 5


def reasons_words(reasons: Sequence[str]) -> str:
    return ", ".join(REASON_WORDS.get(r, r.replace("_", " ")) for r in reasons) or "spelling"


def _replies(count: int) -> str:
    return f"{count} repl{'y' if count == 1 else 'ies'}"


@dataclass(frozen=True)
class HeldReplyData:
    """A held reply on the Home tab: the reply, its flagged words, its thread's link."""

    reply: HeldReply
    flags: tuple[WordFlag, ...] = ()
    link: str | None = None


def home_blocks(replies: Sequence[HeldReplyData]) -> list[dict]:
    """The Home tab's section of held replies, each with the prompt's choices; none: none."""
    if not replies:
        return []
    blocks: list[dict] = [
        {"type": "divider"},
        {"type": "section", "block_id": "held", "text": {"type": "mrkdwn", "text": (
            f"*{_replies(len(replies))} waiting for you* (not sent until you choose)")}},
    ]
    for data in replies[:HOME_REPLIES_SHOWN]:
        reply = data.reply
        who = escape(contact_label(reply.contact_name, reply.contact_phone))
        shown = f"<{data.link}|{who}>" if data.link else who
        blocks.append({"type": "section", "block_id": f"held.{reply.message_id}",
                       "text": {"type": "mrkdwn", "text": (
                           f":pencil2: To {shown} · held since {when(reply.since)} · "
                           f"{reasons_words(reply.reasons)}\n{quoted(reply.text, 1500)}")}})
        if SPELLING in reply.reasons:
            blocks += word_blocks(reply.text, data.flags, action_id=ids.SPELL_WORD,
                                  ref=str(reply.message_id),
                                  block_prefix=f"held.{reply.message_id}.word",
                                  limit=HOME_WORDS_SHOWN)
        buttons = (custom_emoji_buttons(reply.message_id) if CUSTOM_EMOJI in reply.reasons
                   else decision_buttons(reply.message_id, data.flags))
        blocks.append({"type": "actions", "block_id": f"held.{reply.message_id}.decide",
                       "elements": buttons})
    if len(replies) > HOME_REPLIES_SHOWN:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": (
            f"{_replies(len(replies) - HOME_REPLIES_SHOWN)} more: decide on these first, "
            "or in each thread's prompt.")}]})
    return blocks


def card_line(count: int, reasons: Sequence[str]) -> dict:
    """The card's line while the agent's replies wait for them (the card is the thread's
    root: the agent sees it after any reload)."""
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": (
        f":pencil2: {_replies(count)} waiting for you: {reasons_words(reasons)}. Not sent "
        "until you choose, in the prompt or on your Home tab.")}]}


def supervisor_line(count: int, since: datetime, reasons: Sequence[str],
                    agent_user_id: str | None) -> dict:
    """The supervisor card's line for replies held longer than the reminder's delay."""
    agent = f"<@{agent_user_id}>" if agent_user_id else "the agent"
    verb = "reply held" if count == 1 else "replies held"
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": (
        f":pencil2: {count} {verb} since {when(since)} for {agent} to decide "
        f"({reasons_words(reasons)}): the customer has not got "
        f"{'it' if count == 1 else 'them'}.")}]}
