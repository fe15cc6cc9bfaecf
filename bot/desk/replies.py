"""Use cases of the open interaction: the agent replies, the provider reports, Done."""

from __future__ import annotations

import enum

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from bot.config import Settings
from bot.desk import effects, opt_outs, routing, sessions, spelling, timeline
from bot.desk.lifecycle import (
    ACCEPTED,
    DONE,
    EXPIRED,
    TRANSFERRING,
    delivery_moves_forward,
    move_interaction,
)
from bot.desk.messages import DeliveryStatus, SendResult
from bot.desk.segments import count_segments
from bot.desk.thread_reply import ThreadReply
from storage.db import Database
from storage.models import Contact, Interaction, Message, SlackEventReceipt, utcnow


class ReplyOutcome(enum.Enum):
    RELAYED = "relayed"  # stored, and an SMS send job is committed
    HELD = "held"  # stored, waiting for the agent's decision on flagged words
    INTERNAL = "internal"  # someone other than the owner: stays in Slack
    CLOSED = "closed"  # owner wrote after Done: not sent, told so
    NOT_A_DESK_THREAD = "not_a_desk_thread"
    NOT_SENDABLE = "not_sendable"  # a file upload: there is no outbound MMS
    DEFERRED = "deferred"  # a desk-channel thread we may not have recorded yet: look again
    DUPLICATE = "duplicate"  # Slack retried an event we already have


def find_by_thread(s, team_id: str, channel: str, thread_ts: str) -> Interaction | None:
    return s.scalars(select(Interaction).where(
        Interaction.team_id == team_id,
        Interaction.desk_channel == channel,
        Interaction.thread_ts == thread_ts,
    )).first()


# How often a reply in an unknown desk-channel thread is looked at again, one second apart.
RECHECKS = 5


def record_agent_reply(db: Database, settings: Settings, reply: ThreadReply, *,
                       recheck: int = 0) -> ReplyOutcome:
    try:
        return _record_agent_reply(db, settings, reply, recheck)
    except IntegrityError:
        return ReplyOutcome.DUPLICATE


def _record_agent_reply(db: Database, settings: Settings, reply: ThreadReply,
                        recheck: int) -> ReplyOutcome:
    desk_channel = settings.desk_channel
    with db.transaction() as s:
        interaction = find_by_thread(s, reply.team_id, reply.channel, reply.thread_ts)
        if interaction is None:
            # Desk-channel threads, and threads in an agent's DM with the app (D...).
            ours = reply.channel == desk_channel or reply.channel.startswith("D")
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
            owner = f"<@{interaction.agent_user_id}>" if interaction.agent_user_id else "the owner"
            effects.notify_agent(
                s, reply.team_id, reply.user_id,
                f"Internal note: not sent to the customer. Only {owner}'s replies in this "
                "thread reach the phone.",
                channel=reply.channel, thread_ts=reply.thread_ts,
            )
            return ReplyOutcome.INTERNAL
        if interaction.state != ACCEPTED:
            if interaction.state == TRANSFERRING:
                why = (f"This interaction is being transferred to <@{interaction.offered_to}>, "
                       "so your message was not sent. If they do not take it, it comes back "
                       "to you.")
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

        contact = s.get(Contact, interaction.contact_id)
        message = Message(
            team_id=reply.team_id,
            interaction_id=interaction.id,
            direction="outbound",
            slack_text=reply.slack_text,
            body="",
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
        sessions.keep_alive(s, settings, interaction.id)
        if spelling.review(s, settings, interaction, message, reply.agent_name):
            return ReplyOutcome.HELD
        effects.send_sms(s, reply.team_id, message.id, interaction.id)
        effects.show_delivery(s, reply.team_id, message.id, interaction.id)
        return ReplyOutcome.RELAYED


def save_plain_body(db: Database, message_id: int, body: str, provider: str) -> None:
    """Keep exactly what goes to the phone before it goes (store first)."""
    with db.transaction() as s:
        message = s.get(Message, message_id)
        message.body = body
        message.provider = provider
        if message.delivery_state != RETRYING:  # the agent keeps seeing "retrying"
            message.delivery_state = "sending"


def record_send_result(db: Database, settings: Settings, message_id: int,
                       result: SendResult) -> None:
    with db.transaction() as s:
        message = s.get(Message, message_id)
        message.provider_sid = result.provider_sid
        if delivery_moves_forward(message.delivery_state, result.status):
            message.delivery_state = result.status
        interaction = s.get(Interaction, message.interaction_id)
        # What the reply cost, so the agent learns when a message runs to several parts.
        report = count_segments(message.body)
        message.segments = result.segments or report.segments
        timeline.record(s, message.team_id, interaction.id, timeline.SENT,
                        actor=message.author_user_id,
                        detail=f"{message.segments} {report.encoding}")
        effects.show_delivery(s, message.team_id, message.id, interaction.id)
        if interaction.mode == "page" and message.author_user_id is not None:
            # (The desk's own help reply, with no author, answers no agent's conversation.)
            # Page mode: one reply answers the customer, so sending it ends the interaction
            # (or, with mandatory dispositions, asks for the code that lets it end).
            asked_before = interaction.done_requested_by is not None
            outcome = _close(s, settings, interaction, message.author_user_id,
                             reason=REPLY_SENT)
            if outcome is DoneOutcome.NEEDS_DISPOSITION and not asked_before:
                effects.notify_agent(
                    s, message.team_id, message.author_user_id,
                    "Your reply was sent. Set a disposition code (card menu > Disposition "
                    "code) to close this interaction.",
                    channel=interaction.desk_channel, thread_ts=interaction.thread_ts)


OPTED_OUT_REFUSAL = ("the customer opted out (texted STOP), so nothing can be sent to them "
                     "from this number until they text START")


def refuse_if_opted_out(db: Database, message_id: int) -> bool:
    """Checked just before the provider is asked: an opt-out that arrived while the reply
    waited still stops it. True when the message was refused (and marked failed)."""
    with db.transaction() as s:
        message = s.get(Message, message_id)
        if not opt_outs.is_opted_out(s, message.team_id, message.to_number,
                                     message.from_number):
            return False
    record_send_failure(db, message_id, OPTED_OUT_REFUSAL)
    return True


def record_send_failure(db: Database, message_id: int, error: str,
                        code: str | None = None) -> None:
    with db.transaction() as s:
        message = s.get(Message, message_id)
        if code == opt_outs.PROVIDER_OPTED_OUT:
            # The provider knows of an opt-out we missed (say, from before the desk existed).
            opt_outs.opt_out(s, message.team_id, message.to_number, message.from_number,
                             source=f"provider error {code}")
            timeline.record(s, message.team_id, message.interaction_id, timeline.OPTED_OUT,
                            detail=f"the provider reports error {code}")
            effects.update_card(s, message.team_id, message.interaction_id)
        message.delivery_state = "failed"
        message.error = error[:300]
        timeline.record(s, message.team_id, message.interaction_id, timeline.SEND_FAILED,
                        actor=message.author_user_id, detail=error)
        effects.show_delivery(s, message.team_id, message.id, message.interaction_id)
        effects.sync_transcript(s, message.team_id, message.interaction_id)


RETRYING = "retrying"


def adopt_earlier_send(db: Database, settings: Settings, message_id: int,
                       taken: list[SendResult]) -> bool:
    """The provider's SMS that an earlier, unanswered try of this reply produced: the first
    of `taken` that no other message is already known by. True when one was found (and
    recorded as this reply's send)."""
    with db.transaction() as s:
        message = s.get(Message, message_id)
        known = set(s.scalars(select(Message.provider_sid).where(
            Message.provider == message.provider,
            Message.provider_sid.in_([t.provider_sid for t in taken])))) if taken else set()
    for result in taken:
        if result.provider_sid not in known:
            record_send_result(db, settings, message_id, result)
            return True
    return False


def record_send_retry(db: Database, message_id: int, error: str) -> None:
    """The provider failed this send and it will be tried again: the agent sees "retrying"
    on the reply (and once, in the thread, why), so a slow outage is never a silent wait."""
    with db.transaction() as s:
        message = s.get(Message, message_id)
        first = message.delivery_state != RETRYING
        message.delivery_state = RETRYING
        message.error = error[:300]
        if first:
            timeline.record(s, message.team_id, message.interaction_id,
                            timeline.SEND_RETRYING, actor=message.author_user_id,
                            detail=error)
            effects.sync_transcript(s, message.team_id, message.interaction_id)
        effects.show_delivery(s, message.team_id, message.id, message.interaction_id)


def record_send_gave_up(db: Database, message_id: int, error: str) -> None:
    """Every try failed (the provider stayed down): failed, with a Retry button in the
    thread. Retrying may still help, unlike a permanent refusal (record_send_failure)."""
    with db.transaction() as s:
        message = s.get(Message, message_id)
        message.delivery_state = "failed"
        message.error = error[:300]
        timeline.record(s, message.team_id, message.interaction_id, timeline.SEND_GAVE_UP,
                        actor=message.author_user_id, detail=f"{message.id}|{error}")
        effects.show_delivery(s, message.team_id, message.id, message.interaction_id)
        effects.sync_transcript(s, message.team_id, message.interaction_id)


class ResendOutcome(enum.Enum):
    SENDING = "sending"  # back to pending, a send job is committed
    NOT_FAILED = "not_failed"  # sent meanwhile, or a Retry already took it (told so)
    REFUSED = "refused"  # not the clicker's interaction, or it is no longer open (told why)


def resend_failed_reply(db: Database, team_id: str, message_id: int,
                        user_id: str) -> ResendOutcome:
    """Retry on a failed reply: send it once more. Conditional, like a transition: two
    clicks (or two instances) move it from failed to pending once, so the phone gets it once."""
    with db.transaction() as s:
        message = s.get(Message, message_id)
        if message is None or message.team_id != team_id or message.direction != "outbound":
            return ResendOutcome.REFUSED
        interaction = s.get(Interaction, message.interaction_id)
        where = dict(channel=interaction.desk_channel, thread_ts=interaction.thread_ts)
        if interaction.agent_user_id != user_id or interaction.state != ACCEPTED:
            why = (f"Only <@{interaction.agent_user_id}>, who holds this interaction, can "
                   "send the reply again." if interaction.agent_user_id != user_id else
                   "This interaction is no longer open for messaging, so the reply was not "
                   "sent again.")
            effects.notify_agent(s, team_id, user_id, why, **where)
            return ResendOutcome.REFUSED
        moved = s.execute(
            update(Message)
            .where(Message.id == message.id, Message.delivery_state == "failed",
                   Message.provider_sid.is_(None))
            .values(delivery_state="pending", error=None)
            .execution_options(synchronize_session=False)
        ).rowcount == 1
        if not moved:
            effects.notify_agent(s, team_id, user_id,
                                 "This reply is already being sent again (or was sent).",
                                 **where)
            return ResendOutcome.NOT_FAILED
        timeline.record(s, team_id, interaction.id, timeline.RESEND_REQUESTED, actor=user_id)
        effects.sync_transcript(s, team_id, interaction.id)
        effects.show_delivery(s, team_id, message.id, interaction.id)
        effects.send_sms(s, team_id, message.id, interaction.id)
        return ResendOutcome.SENDING


def apply_delivery_status(db: Database, status: DeliveryStatus) -> bool:
    """False when the provider reports on a message we never sent (nothing to update)."""
    with db.transaction() as s:
        message = s.scalars(select(Message).where(
            Message.provider == status.provider, Message.provider_sid == status.provider_sid
        )).first()
        if message is None or message.direction != "outbound":
            return False
        if not delivery_moves_forward(message.delivery_state, status.status):
            return True
        message.delivery_state = status.status
        if status.status in ("failed", "undelivered"):
            message.error = f"error {status.error_code}" if status.error_code else status.status
            timeline.record(s, message.team_id, message.interaction_id, timeline.NOT_DELIVERED,
                            detail=message.error)
            effects.sync_transcript(s, message.team_id, message.interaction_id)
        effects.show_delivery(s, message.team_id, message.id, message.interaction_id)
        return True


class DoneOutcome(enum.Enum):
    CLOSED = "closed"
    # Mandatory dispositions and none set yet: Done is recorded (done_requested_by) and the
    # interaction closes once a code is set. The Done listener opens the code picker.
    NEEDS_DISPOSITION = "needs_disposition"
    REFUSED = "refused"  # not the clicker's to close (they are told why)
    NOT_OPEN = "not_open"  # already closed, gone, or in a state Done cannot leave


MARKED_DONE = "marked Done"
REPLY_SENT = "reply sent"


def mark_done(db: Database, settings: Settings, team_id: str, interaction_id: int,
              user_id: str) -> DoneOutcome:
    """Done from the card."""
    with db.transaction() as s:
        interaction = s.get(Interaction, interaction_id)
        if interaction is None or interaction.team_id != team_id:
            return DoneOutcome.NOT_OPEN
        if interaction.agent_user_id != user_id:
            effects.notify_agent(
                s, team_id, user_id,
                f"Only <@{interaction.agent_user_id}>, who holds this interaction, can mark "
                "it Done.",
                channel=interaction.desk_channel, thread_ts=interaction.thread_ts)
            return DoneOutcome.REFUSED
        return _close(s, settings, interaction, user_id, reason=MARKED_DONE)


def _close(s, settings: Settings, interaction: Interaction, user_id: str | None,
           reason: str) -> DoneOutcome:
    if settings.disposition_mandatory and not interaction.disposition:
        # Conditional, like a transition: a code set meanwhile (another transaction) makes
        # this match nothing, and then the interaction closes below instead of waiting.
        asked_before = interaction.done_requested_by is not None
        waiting = s.execute(
            update(Interaction)
            .where(Interaction.id == interaction.id, Interaction.state.in_((ACCEPTED, EXPIRED)),
                   Interaction.disposition.is_(None))
            .values(done_requested_by=interaction.done_requested_by or user_id
                    or interaction.agent_user_id)
            .execution_options(synchronize_session=False)
        ).rowcount == 1
        if waiting:
            if not asked_before:
                timeline.record(s, interaction.team_id, interaction.id,
                                timeline.DISPOSITION_NEEDED, actor=user_id, detail=reason)
                effects.update_card(s, interaction.team_id, interaction.id)
            effects.sync_transcript(s, interaction.team_id, interaction.id)
            return DoneOutcome.NEEDS_DISPOSITION
        s.refresh(interaction)
    closed = any(move_interaction(s, interaction.id, from_state, DONE,
                                  closed_at=utcnow(), closed_by=user_id)
                 for from_state in (ACCEPTED, EXPIRED))
    if not closed:
        return DoneOutcome.NOT_OPEN
    timeline.record(s, interaction.team_id, interaction.id, timeline.CLOSED, actor=user_id,
                    detail=reason)
    effects.update_card(s, interaction.team_id, interaction.id)
    effects.sync_transcript(s, interaction.team_id, interaction.id)
    if interaction.agent_user_id:
        effects.publish_home(s, interaction.team_id, interaction.agent_user_id)
    # A slot just freed up: whoever waits in the queue can be offered now.
    routing.dispatch_waiting(s, settings, interaction.team_id)
    return DoneOutcome.CLOSED


def warn_if_relayed_changed(db: Database, team_id: str, channel: str, ts: str, user_id: str,
                            *, deleted: bool) -> bool:
    """An SMS cannot be unsent: if the edited/deleted Slack message was relayed, say so."""
    with db.transaction() as s:
        message = s.scalars(select(Message).where(
            Message.team_id == team_id, Message.slack_channel == channel,
            Message.slack_ts == ts, Message.direction == "outbound")).first()
        if message is None:
            return False
        interaction = s.get(Interaction, message.interaction_id)
        change = "Deleting" if deleted else "Editing"
        effects.notify_agent(
            s, team_id, user_id,
            f"{change} your message in Slack does not change the SMS: the customer already "
            "has (or is about to get) the original text. Reply again to correct it.",
            channel=channel, thread_ts=interaction.thread_ts)
        return True


# --- Reply… : a reply written in the compose modal ------------------------------------------

COMPOSED_LIMIT = 1600  # characters: about ten concatenated segments, what carriers accept


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
        contact = s.get(Contact, interaction.contact_id)
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
        sessions.keep_alive(s, settings, interaction.id)
        # The thread line first (interaction lane), so the delivery marks find it there.
        effects.post_composed(s, team_id, message.id, interaction.id)
        effects.send_sms(s, team_id, message.id, interaction.id)
        return ComposedOutcome.SENT
