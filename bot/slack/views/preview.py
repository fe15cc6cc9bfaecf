"""The interaction preview an agent gets in their DM: who, what, Accept / Reject."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.desk.case_links import CaseLink
from bot.desk.directory.contacts_directory import ContactActivity
from bot.desk.interactions.lifecycle import (
    OFFER_ACCEPTED,
    OFFER_PENDING,
    OFFER_REJECTED,
    OFFER_TIMED_OUT,
)
from bot.desk.phone import display
from bot.slack import ids
from bot.slack.mrkdwn import escape
from bot.slack.views.common import activity_block, case_fields, contact_label, quoted, when


@dataclass(frozen=True)
class PreviewData:
    offer_id: int
    offer_state: str
    expires_at: datetime
    contact_name: str | None
    contact_phone: str
    business_number: str
    media: str  # SMS | MMS
    mode: str  # page | session
    messages: list[str]  # the customer's texts so far, oldest first
    case_data: dict[str, str]
    thread_link: str | None = None
    pictures: int = 0
    transfer_from: str | None = None  # set on a transfer offer
    transfer_reason: str | None = None
    transcript: tuple[tuple[str, str], ...] = ()  # (inbound|outbound, text), for transfers
    # Set when an agent of another queue transferred it to this queue's line.
    queue_transfer_by: str | None = None
    queue_transfer_from: str | None = None
    auto_answer_in: int | None = None  # seconds until an auto-answer countdown accepts it
    allow_reject: bool = True
    case_links: tuple[CaseLink, ...] = ()  # the admin's links for case fields
    activity: ContactActivity | None = None  # the contact's other and recent interactions
    # Once rejected or unanswered: whose preview this is, whom the interaction was offered
    # to after them (maybe them again), and whether it waits in the queue now.
    agent_user_id: str | None = None
    next_offer_to: str | None = None
    in_queue: bool = False
    taken_by: str | None = None  # withdrawn because this agent took it (a claim)


def _outcome_line(p: PreviewData) -> str:
    if p.transfer_from and p.offer_state == OFFER_REJECTED:
        return (":leftwards_arrow_with_hook: You rejected the transfer; it went back to "
                f"<@{p.transfer_from}>.")
    if p.transfer_from and p.offer_state == OFFER_TIMED_OUT:
        return f":hourglass: Not answered in time; it went back to <@{p.transfer_from}>."
    if p.offer_state == OFFER_ACCEPTED:
        where = f" <{p.thread_link}|Open the conversation>" if p.thread_link else ""
        return f":white_check_mark: You accepted this interaction.{where}"
    if p.offer_state == OFFER_REJECTED:
        return f":leftwards_arrow_with_hook: You rejected this; {_went(p)}"
    if p.offer_state == OFFER_TIMED_OUT:
        return f":hourglass: Not answered in time; {_went(p)}"
    if p.taken_by:
        return f":information_source: Taken by <@{p.taken_by}>; no action needed."
    return ":information_source: Taken by someone else; no action needed."


def _went(p: PreviewData) -> str:
    """Where the interaction went after this agent's offer ended, as it stands now."""
    if p.next_offer_to and p.next_offer_to == p.agent_user_id:
        return "nobody else could take it, so it was offered to you again."
    if p.next_offer_to:
        return f"it was offered to <@{p.next_offer_to}>."
    if p.in_queue:
        return ("it returned to the queue. If nobody else can take it, it will be offered "
                "to you again.")
    return "it is no longer waiting for you."


def build_preview(p: PreviewData) -> dict:
    """chat.postMessage / chat.update arguments (text + blocks) for one offer."""
    who = contact_label(p.contact_name, p.contact_phone)
    mode = p.mode.capitalize()
    latest = p.messages[-1] if p.messages else ""
    # The fallback is what notifications and screen readers speak; it is mrkdwn too.
    fallback = escape(f"New {p.media} from {who} ({mode} mode): {latest}") + " Accept or Reject."
    if p.transfer_from:
        fallback = (f"<@{p.transfer_from}> is transferring an {p.media} interaction with "
                    f"{escape(who)} to you. Accept or Reject.")
    elif p.queue_transfer_by:
        fallback = (f"<@{p.queue_transfer_by}> transferred an {p.media} interaction with "
                    f"{escape(who)} from queue {escape(p.queue_transfer_from or '')}. "
                    "Accept or Reject.")
    title = f"Transfer: {p.media} interaction" if p.transfer_from or p.queue_transfer_by \
        else f"New {p.media} interaction"
    blocks: list[dict] = [
        {"type": "header", "text": {"type": "plain_text", "text": title}},
        {
            "type": "section",
            "fields": [
                {"type": "mrkdwn", "text": f"*Contact*\n{escape(who)}"},
                {"type": "mrkdwn", "text": f"*Type*\n{p.media}"},
                {"type": "mrkdwn", "text": f"*Mode*\n{mode}"},
                {"type": "mrkdwn", "text": f"*To*\n{escape(display(p.business_number))}"},
            ],
        },
    ]
    if p.transfer_from or p.queue_transfer_by:
        why = f' "{escape(p.transfer_reason)}"' if p.transfer_reason else ""
        said = (f"*<@{p.transfer_from}> is transferring this to you.*" if p.transfer_from else
                f"*<@{p.queue_transfer_by}> transferred this from queue "
                f"{escape(p.queue_transfer_from or '')}.*")
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": said + why}})
        lines = [("Customer: " if d == "inbound" else "Agent: ") + text for d, text in p.transcript]
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text":
                       "*Transcript so far*\n" + quoted("\n".join(lines), 2600)}})
    else:
        blocks.append({"type": "section", "text": {"type": "mrkdwn",
                                                   "text": quoted("\n".join(p.messages[-5:]))}})
    if p.activity is not None and p.offer_state == OFFER_PENDING:
        blocks.append(activity_block(p.activity))
    if p.pictures:
        plural = "s" if p.pictures != 1 else ""
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text":
                       f":frame_with_picture: {p.pictures} picture{plural}, shown in the "
                       "thread once you accept"}]})
    if p.case_data:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": "*Case information*"},
                       "fields": case_fields(p.case_data, p.case_links)})
    if p.offer_state == OFFER_PENDING:
        if p.auto_answer_in is not None:
            deadline = (f":stopwatch: Accepted for you automatically at {when(p.expires_at)} "
                        f"(in about {p.auto_answer_in} s).")
            fallback = fallback.replace(" Accept or Reject.", " It will be accepted for you in "
                                        f"about {p.auto_answer_in} seconds.")
        else:
            deadline = f"Answer by {when(p.expires_at)} or it goes to the next agent."
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": deadline}]})
        accept = "Accept" if p.auto_answer_in is None else f"Accept · {p.auto_answer_in} s"
        buttons = [{"type": "button", "action_id": ids.ACCEPT_OFFER, "style": "primary",
                    "text": {"type": "plain_text", "text": accept}, "value": str(p.offer_id)}]
        if p.allow_reject:
            buttons.append({"type": "button", "action_id": ids.REJECT_OFFER, "style": "danger",
                            "text": {"type": "plain_text", "text": "Reject"},
                            "value": str(p.offer_id)})
        blocks.append({"type": "actions", "elements": buttons})
    else:
        line = _outcome_line(p)
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": line}})
        fallback = escape(f"{p.media} from {who}: ") + line.split(" ", 1)[1]
    return {"text": fallback, "blocks": blocks}
