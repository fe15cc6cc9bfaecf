"""The live interaction card: the root message of the thread that is the SMS conversation."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from bot.desk.case_links import CaseLink
from bot.desk.directory.contacts_directory import ContactActivity
from bot.desk.interactions.lifecycle import ACCEPTED, DONE, EXPIRED, HELD_STATES, TRANSFERRING
from bot.desk.phone import display
from bot.slack import ids
from bot.slack.mrkdwn import escape
from bot.slack.views.common import (
    activity_block,
    case_fields,
    clip,
    contact_label,
    escaped_chunks,
    when,
)
from bot.slack.views.held import card_line

STATE_LABELS = {
    "queued": ":hourglass_flowing_sand: Waiting",
    "offered": ":bell: Offered",
    ACCEPTED: ":speech_balloon: In progress",
    EXPIRED: ":zzz: Session expired",
    TRANSFERRING: ":arrows_counterclockwise: Being transferred",
    DONE: ":white_check_mark: Done",
}


# The customer's texts from before the thread opened ride on the card, the thread's root, so
# that opening a thread costs one post. What they may take of a message: Slack allows 50
# blocks, and refuses a message's blocks (msg_blocks_too_long) well before its 40,000
# characters; the rest of the card needs under 20 blocks and a few thousand characters.
OPENING_BLOCKS = 30
OPENING_CHARS = 6000
CUSTOMER_ICON = ":iphone:"


@dataclass(frozen=True)
class OpeningText:
    """A customer's text the card shows: one they wrote before the thread opened."""

    body: str  # already redacted (bot.desk.data_protection.redaction)
    at: datetime
    pictures: int = 0  # posted in the thread, under the card
    masked: str | None = None  # what redaction hid, and why


@dataclass(frozen=True)
class CardData:
    interaction_id: int
    state: str
    contact_name: str | None
    contact_phone: str
    business_number: str
    media: str
    mode: str
    agent_user_id: str | None
    started_at: datetime
    closed_at: datetime | None
    closed_by: str | None
    case_data: dict[str, str]
    session_expiry_minutes: int | None = None
    offered_to: str | None = None  # the colleague a transfer is offered to
    disposition: str | None = None
    disposition_needed: bool = False  # Done waits for a mandatory disposition code
    case_links: tuple[CaseLink, ...] = ()  # the admin's links for case fields
    contact_email: str | None = None
    activity: ContactActivity | None = None  # the contact's other and recent interactions
    direction: str = "inbound"  # outbound: an agent's New SMS
    opted_out: bool = False  # the customer texted STOP to this business number
    contact_known: bool = True  # False: an unknown number, which can be assigned to a contact
    queue: str | None = None  # shown on a desk with several queues
    held_replies: int = 0  # the agent's replies held for their decision
    held_reasons: tuple[str, ...] = ()
    opening: tuple[OpeningText, ...] = ()  # the customer's first texts, shown on the card
    last_reply_cost: str | None = None  # "<segments> <encoding>" of the agent's last reply
    closed_reason: str | None = None  # why it closed ("reply sent", "marked Done"…)


def opening_blocks(text: OpeningText) -> list[dict]:
    """One of the customer's first texts, as the card shows it (escaped, cut to fit)."""
    sent = (f"sent {text.pictures} picture{'s' if text.pictures != 1 else ''}, in the thread"
            if text.pictures else "")
    about = f"{CUSTOMER_ICON} Customer · {when(text.at)}" + (
        f" · {sent}" if sent and text.body else "")
    blocks: list[dict] = [{"type": "context", "elements": [{"type": "mrkdwn", "text": about}]}]
    chunks = escaped_chunks(text.body) if text.body else [f"_({sent or 'empty message'})_"]
    blocks += [{"type": "section", "text": {"type": "mrkdwn", "text": chunk}}
               for chunk in chunks]
    if text.masked:
        # The agent should know the customer sent more than is shown, and why.
        blocks.append({"type": "context", "elements": [
            {"type": "mrkdwn", "text": f":lock: {escape(text.masked)}"}]})
    return blocks


def openings_that_fit(texts: list[OpeningText] | tuple[OpeningText, ...]) -> int:
    """How many of `texts`, from the first, the card can carry. Decided when the card is
    posted; every redraw shows the same texts, so it fits then too."""
    blocks = chars = 0
    for count, text in enumerate(texts):
        shown = opening_blocks(text)
        blocks += len(shown)
        chars += sum(len(element["text"]) for block in shown
                     for element in block.get("elements") or [block["text"]])
        if blocks > OPENING_BLOCKS or chars > OPENING_CHARS:
            return count
    return len(texts)


def reply_cost(detail: str | None) -> str:
    """ "as 2 SMS segments (UCS-2)" from a sent reply's "<segments> <encoding>"."""
    parts, _, encoding = (detail or "").partition(" ")
    if not parts.isdigit():
        return ""
    noun = "SMS" if parts == "1" else "SMS segments"
    return f"as {parts} {noun}" + (f" ({escape(encoding)})" if encoding else "")


def build_card(c: CardData) -> dict:
    who = escape(contact_label(c.contact_name, c.contact_phone))
    state = STATE_LABELS.get(c.state, c.state)
    agent = f"<@{c.agent_user_id}>" if c.agent_user_id else "nobody yet"
    fallback = f"{c.media} interaction with {who}, {c.mode} mode: {state.split(' ', 1)[1]}, "
    fallback += f"agent {agent}."
    shown = c.opening[:openings_that_fit(c.opening)]
    if shown:
        fallback += f" {who} wrote: {escape(clip(shown[0].body, 300))}"
    kind = f"{c.media} · {c.mode.capitalize()}"
    if c.direction == "outbound":
        kind = f"Outbound {kind}"
    blocks: list[dict] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*{kind}* with *{who}*"}},
        *(block for text in shown for block in opening_blocks(text)),
    ]
    if len(shown) < len(c.opening):
        # Chosen to fit when the card was posted; one can grow since (new redaction rules).
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text":
                       f"{len(c.opening) - len(shown)} more texts: see the contact's history."}]})
    fields = {"type": "section", "fields": [
        {"type": "mrkdwn", "text": f"*State*\n{state}"},
        {"type": "mrkdwn", "text": f"*Agent*\n{agent}"},
        {"type": "mrkdwn", "text": f"*Contact number*\n{escape(display(c.contact_phone))}"},
        {"type": "mrkdwn", "text": f"*Business number*\n{escape(display(c.business_number))}"},
    ]}
    blocks.append(fields)
    if c.queue:
        fields["fields"].insert(2, {"type": "mrkdwn", "text": f"*Queue*\n{escape(c.queue)}"})
    if c.disposition or c.disposition_needed:
        code = escape(c.disposition) if c.disposition else ":warning: Needed to close"
        fields["fields"].append({"type": "mrkdwn", "text": f"*Disposition*\n{code}"})
    if c.opted_out:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": (
            ":no_entry: *Opted out*: the customer texted STOP, so no SMS can be sent to them "
            "from this number until they text START.")}]})
    reach = contact_reach(c.contact_phone, c.contact_email)
    if reach:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": reach}]})
    if c.case_data:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": "*Case information*"},
                       "fields": case_fields(c.case_data, c.case_links)})
    context = f"Started {when(c.started_at)}"
    cost = reply_cost(c.last_reply_cost)
    if cost:
        # The thread has no line per send: here the agent learns a reply ran long.
        context += f" · :outbox_tray: Last reply sent {cost}"
    if c.state == DONE and c.closed_at:
        by = f" by <@{c.closed_by}>" if c.closed_by else ""
        why = f" ({escape(c.closed_reason)})" if c.closed_reason else ""
        context += (f" · Done — closed{by}{why} {when(c.closed_at)}. The transcript is kept "
                    "in the contact's history.")
    if c.mode == "session" and c.state == ACCEPTED and c.session_expiry_minutes:
        # A fixed rule, not a deadline: the card is not rewritten on every message.
        context += f" · Closes after {c.session_expiry_minutes} minutes without a message"
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": context}]})
    if c.activity is not None and c.state != DONE:
        blocks.append(activity_block(c.activity))
    if c.state == ACCEPTED:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text":
                       "Reply in this thread to text the customer. Only the agent's replies "
                       "are sent; anyone else's stay internal."}]})
        if c.held_replies:
            blocks.append(card_line(c.held_replies, c.held_reasons))
    elif c.state == TRANSFERRING and c.offered_to:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text":
                       f"Offered to <@{c.offered_to}>. Until they accept, replies in this thread "
                       "are not sent."}]})
    elif c.state == EXPIRED:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text":
                       "The session is closed for messaging. Mark it Done when you have "
                       "wrapped up; the customer's next text starts a new interaction."}]})
    if c.state in HELD_STATES:
        blocks.append({"type": "actions", "elements": card_actions(c)})
    return {"text": fallback, "blocks": blocks}


def _option(label: str, value: str) -> dict:
    return {"text": {"type": "plain_text", "text": label}, "value": value}


def card_actions(c: CardData) -> list[dict]:
    """The agent's tools: what the state allows (an expired session can only be closed)."""
    value = str(c.interaction_id)
    elements: list[dict] = []
    if c.state == ACCEPTED:
        elements += [
            {"type": "button", "action_id": ids.OPEN_COMPOSE, "value": value,
             "text": {"type": "plain_text", "text": "Reply…"}},
            {"type": "button", "action_id": ids.OPEN_TRANSFER, "value": value,
             "text": {"type": "plain_text", "text": "Transfer"}},
        ]
    if c.state != TRANSFERRING:
        elements.append({"type": "button", "action_id": ids.MARK_DONE, "value": value,
                         "style": "primary", "text": {"type": "plain_text", "text": "Done"}})
    menu = [_option("Add a note", f"{ids.MENU_NOTE}:{value}"),
            _option("Disposition code", f"{ids.MENU_DISPOSITION}:{value}"),
            _option("Case information", f"{ids.MENU_CASE}:{value}")]
    if c.state == ACCEPTED:
        menu.insert(0, _option("Consult a colleague", f"{ids.MENU_CONSULT}:{value}"))
    # Slack allows five options in an overflow menu; the contact's own actions (New SMS,
    # Edit, Assign) live in the contact view this opens.
    menu.append(_option("Contact: history, New SMS…" if c.contact_known else
                        "Contact: assign, history…", f"{ids.MENU_CONTACT}:{value}"))
    elements.append({"type": "overflow", "action_id": ids.CARD_MENU, "options": menu})
    return elements


# A plain address check: enough to refuse what would break a mailto: link or carry markup.
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")


_E164 = re.compile(r"\+[1-9][0-9]{5,14}")


def contact_reach(phone: str | None, email: str | None) -> str:
    """How to reach the contact outside SMS: Call, a tel: link that opens the phone's dialer
    where Slack makes one (its text, the number, reads the same where it does not), and an
    e-mail link when the record has an address."""
    parts = []
    if phone and _E164.fullmatch(phone):
        parts.append(f":telephone_receiver: <tel:{phone}|Call {escape(display(phone))}>")
    elif phone and phone.startswith("+"):
        parts.append(f":telephone_receiver: Call {escape(display(phone))}")
    if email and len(email) <= 254 and _EMAIL.fullmatch(email.strip()):
        address = escape(email.strip())
        parts.append(f":email: <mailto:{address}|E-mail {address}>")
    return " · ".join(parts)
