"""Intake of an agent's reply: what they wrote in a desk thread (or the compose modal) is
recorded, held (for custom emoji, or for spelling), or refused with the reason; a relayed
one gets its send job."""

from __future__ import annotations

import enum

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.desk import effects
from bot.desk.interactions import sessions, spelling
from bot.desk.interactions.lifecycle import ACCEPTED, EXPIRED, TRANSFERRING, reply_taken
from bot.desk.notices import Notice, naming
from bot.desk.replies import custom_emoji
from bot.desk.thread_reply import PhoneText, ThreadReply
from storage.db import Database
from storage.models import Contact, Interaction, Message, SlackEventReceipt


class ReplyOutcome(enum.Enum):
    RELAYED = "relayed"  # stored, and an SMS send job is committed
    HELD = "held"  # stored, waiting for the agent's decision on custom emoji or flagged words
    INTERNAL = "internal"  # someone other than the owner: stays in Slack
    CLOSED = "closed"  # owner wrote after Done: not sent, told so
    NOT_A_DESK_THREAD = "not_a_desk_thread"
    NOT_SENDABLE = "not_sendable"  # a file upload (no outbound MMS), or custom emoji only
    TOO_LONG = "too_long"  # longer than one (concatenated) SMS carries: not sent, told so
    DEFERRED = "deferred"  # a desk-channel thread we may not have recorded yet: look again
    DUPLICATE = "duplicate"  # Slack retried an event we already have


def find_by_thread(s: Session, team_id: str, channel: str,
                   thread_ts: str) -> Interaction | None:
    return s.scalars(select(Interaction).where(
        Interaction.team_id == team_id,
        Interaction.desk_channel == channel,
        Interaction.thread_ts == thread_ts,
    )).first()


# How often a reply in an unknown desk-channel thread is looked at again, one second apart.
RECHECKS = 5
# Characters one reply may have: what Twilio (and carriers) take as one concatenated message,
# about ten segments. A thread reply and the Reply… modal are held to it alike.
REPLY_LIMIT = 1600


def too_long_notice(length: int) -> str:
    """What the agent is told of a thread reply over REPLY_LIMIT (counted on the text the
    phone would get)."""
    return (f"Not sent: this reply is {length:,} characters, and one SMS carries at most "
            f"{REPLY_LIMIT:,}. Your text is still here in the thread: send it again as "
            "shorter replies.")


def record_agent_reply(db: Database, settings: Settings, reply: ThreadReply, *,
                       recheck: int = 0, phone: PhoneText | None = None,
                       in_direct_message: bool = False) -> ReplyOutcome:
    """phone: what the phone gets, worked out by the Slack side from the message's blocks
    (emoji as emoji, styles gone, mentions named); its text is stored with the reply.
    in_direct_message: the thread is in an agent's DM with the app."""
    try:
        return _record_agent_reply(db, settings, reply, recheck, phone or PhoneText(""),
                                   in_direct_message)
    except IntegrityError:
        return ReplyOutcome.DUPLICATE


def _record_agent_reply(db: Database, settings: Settings, reply: ThreadReply, recheck: int,
                        phone: PhoneText, in_direct_message: bool) -> ReplyOutcome:
    desk_channel = settings.desk_channel
    with db.transaction() as s:
        interaction = find_by_thread(s, reply.team_id, reply.channel, reply.thread_ts)
        if interaction is None:
            # Desk-channel threads, and threads in an agent's DM with the app (D...).
            ours = reply.channel == desk_channel or in_direct_message
            if ours and recheck < RECHECKS:
                # The card is in Slack a moment before its ts is in the database; a reply
                # landing in that gap must not be lost. Most such threads are colleagues
                # chatting under some other message, and after a few looks we let them be.
                effects.recheck_reply(s, reply.team_id, reply, recheck + 1)
                return ReplyOutcome.DEFERRED
            return ReplyOutcome.NOT_A_DESK_THREAD
        if reply.event_id:
            seen = s.scalars(select(SlackEventReceipt.id).where(
                SlackEventReceipt.team_id == reply.team_id,
                SlackEventReceipt.event_id == reply.event_id)).first()
            if seen is not None:
                return ReplyOutcome.DUPLICATE
            s.add(SlackEventReceipt(team_id=reply.team_id, event_id=reply.event_id))
        already = s.scalars(select(Message.id).where(
            Message.team_id == reply.team_id, Message.slack_channel == reply.channel,
            Message.slack_ts == reply.ts)).first()
        if already is not None:
            return ReplyOutcome.DUPLICATE

        if reply.user_id != interaction.agent_user_id:
            owner = "{owner}" if interaction.agent_user_id else "the owner"
            effects.notify_agent(
                s, reply.team_id, reply.user_id,
                naming(f"Internal note: not sent to the customer. Only {owner}'s replies in "
                       "this thread reach the phone.", owner=interaction.agent_user_id or ""),
                channel=reply.channel, thread_ts=reply.thread_ts,
            )
            return ReplyOutcome.INTERNAL
        if interaction.state != ACCEPTED:
            if interaction.state == TRANSFERRING:
                why: str | Notice = naming(
                    "This interaction is being transferred to {colleague}, so your message "
                    "was not sent. If they do not take it, it comes back to you.",
                    colleague=interaction.offered_to or "")
            elif interaction.state == EXPIRED:
                why = ("The session expired (no message either way for "
                       f"{settings.session_expiry_minutes} minutes), so your message was not "
                       "sent. Mark it Done; the customer's next text starts a new interaction.")
            else:
                why = ("This interaction is closed, so your message was not sent to the "
                       "customer. Start a new SMS to write to them again.")
            effects.notify_agent(s, reply.team_id, reply.user_id, why,
                                 channel=reply.channel, thread_ts=reply.thread_ts)
            return ReplyOutcome.CLOSED
        if reply.has_files:
            # No outbound MMS: rather than send the words without the picture they refer to,
            # send nothing and say so.
            effects.notify_agent(
                s, reply.team_id, reply.user_id,
                "Files and images cannot be sent by SMS, so this message was not sent. Write "
                "the text again without the attachment (a link works).",
                channel=reply.channel, thread_ts=reply.thread_ts)
            return ReplyOutcome.NOT_SENDABLE
        if len(phone.text) > REPLY_LIMIT:
            # Refused before it is stored or sent, as the Reply… modal refuses it.
            effects.notify_agent(s, reply.team_id, reply.user_id, too_long_notice(len(phone.text)),
                                 channel=reply.channel, thread_ts=reply.thread_ts)
            return ReplyOutcome.TOO_LONG

        contact = s.get_one(Contact, interaction.contact_id)
        message = Message(
            team_id=reply.team_id,
            interaction_id=interaction.id,
            direction="outbound",
            slack_text=reply.slack_text,
            # Stored with the reply, so the send job relays it as is (the phone's text is
            # worked out once, on the Slack side). Shown as written in Slack until sent.
            body=phone.text,
            author_user_id=reply.user_id,
            provider="",
            from_number=interaction.business_number,
            to_number=interaction.customer_number or contact.phone,
            delivery_state="pending",
            slack_channel=reply.channel,
            slack_ts=reply.ts,
        )
        s.add(message)
        s.flush()
        reply_taken(s, interaction.id)
        sessions.keep_alive(s, settings, interaction.id)
        # The agent's own name, and the colleagues the reply names, are never typos.
        never_flagged = " ".join(filter(None, (reply.agent_name, *phone.names))) or None
        if phone.custom_emoji:
            held = custom_emoji.hold(s, settings, message, phone.custom_emoji, never_flagged)
            return ReplyOutcome.HELD if held else ReplyOutcome.NOT_SENDABLE
        if spelling.review(s, settings, interaction, message, never_flagged):
            return ReplyOutcome.HELD
        effects.send_sms(s, reply.team_id, message.id, interaction.id)
        effects.show_delivery(s, reply.team_id, message.id, interaction.id)
        return ReplyOutcome.RELAYED


def warn_if_relayed_changed(db: Database, team_id: str, channel: str, ts: str, user_id: str,
                            *, deleted: bool) -> bool:
    """An SMS cannot be unsent: if the edited/deleted Slack message was relayed, say so."""
    with db.transaction() as s:
        message = s.scalars(select(Message).where(
            Message.team_id == team_id, Message.slack_channel == channel,
            Message.slack_ts == ts, Message.direction == "outbound")).first()
        if message is None:
            return False
        interaction = s.get_one(Interaction, message.interaction_id)
        change = "Deleting" if deleted else "Editing"
        effects.notify_agent(
            s, team_id, user_id,
            f"{change} your message in Slack does not change the SMS: the customer already "
            "has (or is about to get) the original text. Reply again to correct it.",
            channel=channel, thread_ts=interaction.thread_ts)
        return True


# --- Reply… : a reply written in the compose modal ------------------------------------------

COMPOSED_LIMIT = REPLY_LIMIT


class ComposedOutcome(enum.Enum):
    SENT = "sent"  # stored; posting it in the thread and sending the SMS are committed jobs
    EMPTY = "empty"
    TOO_LONG = "too_long"
    NOT_HELD = "not_held"  # not (or no longer) this agent's: transferred, or never theirs
    TRANSFERRING = "transferring"  # offered to a colleague: replies wait for their answer
    CLOSED = "closed"  # still theirs, but no longer open for messaging (Done, expired)


def send_composed(db: Database, settings: Settings, team_id: str, interaction_id: int,
                  user_id: str, text: str) -> ComposedOutcome:
    """Store the agent's reply from the compose modal and ask for it to be shown in the
    thread (as the agent) and sent to the phone. The text is plain already, so it goes to the
    phone exactly as typed (`slack_text` stays None)."""
    text = (text or "").strip()
    if not text:
        return ComposedOutcome.EMPTY
    if len(text) > COMPOSED_LIMIT:
        return ComposedOutcome.TOO_LONG
    with db.transaction() as s:
        interaction = s.get(Interaction, interaction_id)
        if interaction is None or interaction.team_id != team_id \
                or interaction.agent_user_id != user_id:
            return ComposedOutcome.NOT_HELD
        if interaction.state != ACCEPTED:
            return (ComposedOutcome.TRANSFERRING if interaction.state == TRANSFERRING
                    else ComposedOutcome.CLOSED)
        contact = s.get_one(Contact, interaction.contact_id)
        message = Message(
            team_id=team_id,
            interaction_id=interaction.id,
            direction="outbound",
            slack_text=None,
            body=text,
            author_user_id=user_id,
            provider="",
            from_number=interaction.business_number,
            to_number=interaction.customer_number or contact.phone,
            delivery_state="pending",
        )
        s.add(message)
        s.flush()
        reply_taken(s, interaction.id)
        sessions.keep_alive(s, settings, interaction.id)
        # The thread line first (interaction lane), so the delivery marks find it there.
        effects.post_composed(s, team_id, message.id, interaction.id)
        effects.send_sms(s, team_id, message.id, interaction.id)
        return ComposedOutcome.SENT
