"""Delivery of an agent's reply: what the provider answered (sent, refused, retrying, gave
up), the delivery reports that follow, and Retry on a failed one.

A report can come before the answer to the send request is stored (both race, on loopback
and under load): it is kept for UNMATCHED_KEPT_FOR and applied in the transaction that
records the send's id."""

from __future__ import annotations

import enum
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.desk import effects, timings
from bot.desk.directory import opt_outs
from bot.desk.interactions import timeline
from bot.desk.interactions.lifecycle import ACCEPTED, DELIVERY_ORDER, delivery_moves_forward
from bot.desk.messages import DeliveryStatus, SendResult
from bot.desk.notices import Notice, naming
from bot.desk.replies.closing import REPLY_SENT, DoneOutcome, close
from bot.desk.segments import count_segments
from storage import delivery_reports
from storage.clock import utcnow
from storage.db import Database, rows_changed
from storage.models import Interaction, Message, TimelineEvent

# The provider failed a try and another follows: what the agent sees on the reply meanwhile.
RETRYING = "retrying"
# A report on a send not recorded yet waits this long for it: longer than the tries of one
# reply take (an unanswered try's SMS is adopted by a later one), short enough that reports
# on messages the desk never sent do not pile up (the retention timer deletes them).
UNMATCHED_KEPT_FOR = timedelta(minutes=5)


def start_sending(db: Database, message_id: int, provider: str) -> None:
    """The reply's text (stored with it) is about to go to this provider: kept first, so a
    later try knows an earlier one may have reached the phone."""
    with db.transaction() as s:
        message = s.get_one(Message, message_id)
        message.provider = provider
        if message.delivery_state != RETRYING:  # the agent keeps seeing "retrying"
            message.delivery_state = "sending"


def store_plain_body(db: Database, message_id: int, body: str) -> None:
    """The phone's text of a reply taken in before intake stored it (a job queued by an
    earlier version of the desk)."""
    with db.transaction() as s:
        s.get_one(Message, message_id).body = body


def record_send_result(db: Database, settings: Settings, message_id: int,
                       result: SendResult) -> None:
    with db.transaction() as s:
        message = s.get_one(Message, message_id)
        delivery_reports.one_report_at_a_time(s, message.provider, result.provider_sid)
        message.provider_sid = result.provider_sid
        if delivery_moves_forward(message.delivery_state, result.status):
            message.delivery_state = result.status
        interaction = s.get_one(Interaction, message.interaction_id)
        # What the reply cost, so the agent learns when a message runs to several parts.
        report = count_segments(message.body)
        message.segments = result.segments or report.segments
        cost = f"{message.segments} {report.encoding}"
        if message.author_user_id is not None and cost != _last_reply_cost(s, interaction.id):
            # The card shows what the last reply cost (the thread has no line per send):
            # redrawn when that changes.
            effects.update_card(s, message.team_id, interaction.id, supervised=False)
        timeline.record(s, message.team_id, interaction.id, timeline.SENT,
                        actor=message.author_user_id, detail=cost)
        timings.reply_reached_provider(s, interaction, message, utcnow())
        effects.show_delivery(s, message.team_id, message.id, interaction.id)
        # Reports that overtook this answer: as if they came now, in the order they came.
        for early in delivery_reports.take(s, message.provider, result.provider_sid,
                                           since=utcnow() - UNMATCHED_KEPT_FOR):
            code, opted_out = _unmarked(early.error_code)
            _apply_report(s, message, early.status, code, opted_out)
        if interaction.mode == "page" and message.author_user_id is not None:
            # (The desk's own help reply, with no author, answers no agent's conversation.)
            # Page mode: one reply answers the customer, so sending it ends the interaction
            # (or, with mandatory dispositions, asks for the code that lets it end).
            asked_before = interaction.done_requested_by is not None
            outcome = close(s, settings, interaction, message.author_user_id,
                            reason=REPLY_SENT, unless_customer_wrote=True)
            if outcome is DoneOutcome.NEEDS_DISPOSITION and not asked_before:
                effects.notify_agent(
                    s, message.team_id, message.author_user_id,
                    "Your reply was sent. Set a disposition code (card menu > Disposition "
                    "code) to close this interaction.",
                    channel=interaction.desk_channel, thread_ts=interaction.thread_ts)


def _last_reply_cost(s: Session, interaction_id: int) -> str | None:
    return s.scalar(select(TimelineEvent.detail).where(
        TimelineEvent.interaction_id == interaction_id, TimelineEvent.kind == timeline.SENT,
        TimelineEvent.actor_user_id.is_not(None)).order_by(TimelineEvent.id.desc()).limit(1))


OPTED_OUT_REFUSAL = ("the customer opted out (texted STOP), so nothing can be sent to them "
                     "from this number until they text START")


def refuse_if_opted_out(db: Database, message_id: int) -> bool:
    """Checked just before the provider is asked: an opt-out that arrived while the reply
    waited still stops it. True when the message was refused (and marked failed)."""
    with db.transaction() as s:
        message = s.get_one(Message, message_id)
        if not opt_outs.is_opted_out(s, message.team_id, message.to_number,
                                     message.from_number):
            return False
    record_send_failure(db, message_id, OPTED_OUT_REFUSAL)
    return True


def record_send_failure(db: Database, message_id: int, error: str,
                        code: str | None = None, opted_out: bool = False) -> None:
    with db.transaction() as s:
        message = s.get_one(Message, message_id)
        if opted_out or code == opt_outs.PROVIDER_OPTED_OUT:
            _provider_opted_out(s, message, code)
        message.delivery_state = "failed"
        message.error = error[:300]
        timeline.record(s, message.team_id, message.interaction_id, timeline.SEND_FAILED,
                        actor=message.author_user_id, detail=error)
        effects.show_delivery(s, message.team_id, message.id, message.interaction_id)
        effects.sync_transcript(s, message.team_id, message.interaction_id)


def _provider_opted_out(s: Session, message: Message, code: str | None) -> None:
    """The provider knows of an opt-out we missed (say, from before the desk existed, or
    a STOP the provider answered itself)."""
    opt_outs.opt_out(s, message.team_id, message.to_number, message.from_number,
                     source=f"provider error {code}")
    timeline.record(s, message.team_id, message.interaction_id, timeline.OPTED_OUT,
                    detail=f"the provider reports error {code}")
    effects.update_card(s, message.team_id, message.interaction_id)


def adopt_earlier_send(db: Database, settings: Settings, message_id: int,
                       taken: list[SendResult]) -> bool:
    """The provider's SMS that an earlier, unanswered try of this reply produced: the first
    of `taken` that no other message is already known by. True when one was found (and
    recorded as this reply's send)."""
    with db.transaction() as s:
        message = s.get_one(Message, message_id)
        if message.provider_sid in {t.provider_sid for t in taken}:
            # Another run of this send (a worker taken for dead while it sent) has recorded
            # it meanwhile: it is this reply's SMS, not another's, and it is sent.
            return True
        known = set(s.scalars(select(Message.provider_sid).where(
            Message.provider == message.provider, Message.id != message_id,
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
        message = s.get_one(Message, message_id)
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
        message = s.get_one(Message, message_id)
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
        interaction = s.get_one(Interaction, message.interaction_id)
        where = dict(channel=interaction.desk_channel, thread_ts=interaction.thread_ts)
        if interaction.agent_user_id != user_id or interaction.state != ACCEPTED:
            why = (naming("Only {holder}, who holds this interaction, can send the reply "
                          "again.", holder=interaction.agent_user_id or "")
                   if interaction.agent_user_id != user_id else
                   Notice("This interaction is no longer open for messaging, so the reply "
                          "was not sent again."))
            effects.notify_agent(s, team_id, user_id, why, **where)
            return ResendOutcome.REFUSED
        moved = rows_changed(s.execute(
            update(Message)
            .where(Message.id == message.id, Message.delivery_state == "failed",
                   Message.provider_sid.is_(None))
            .values(delivery_state="pending", error=None)
            .execution_options(synchronize_session=False)
        )) == 1
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
    """True when the report was applied now. One on no message the desk knows is kept: its
    send may not be recorded yet, and is applied when it is (record_send_result)."""
    with db.transaction() as s:
        delivery_reports.one_report_at_a_time(s, status.provider, status.provider_sid)
        message = s.scalars(select(Message).where(
            Message.provider == status.provider, Message.provider_sid == status.provider_sid
        )).first()
        if message is None:
            if status.status in DELIVERY_ORDER:  # a state a reply can move to
                code = status.error_code
                if status.opted_out:
                    code = OPTED_OUT_MARK + (code or "")
                delivery_reports.keep(s, status.provider, status.provider_sid, status.status,
                                      code)
            return False
        if message.direction != "outbound":
            return False
        _apply_report(s, message, status.status, status.error_code, status.opted_out)
        return True


# A kept report's error code when the provider said the recipient opted out: the flag
# rides in the code's column, so a report that overtook its send loses none of it.
OPTED_OUT_MARK = "opted-out:"


def _unmarked(code: str | None) -> tuple[str | None, bool]:
    if code and code.startswith(OPTED_OUT_MARK):
        return code.removeprefix(OPTED_OUT_MARK) or None, True
    return code, False


def _apply_report(s: Session, message: Message, status: str, error_code: str | None,
                  opted_out: bool = False) -> None:
    if not delivery_moves_forward(message.delivery_state, status):
        return
    message.delivery_state = status
    if opted_out and status in ("failed", "undelivered"):
        _provider_opted_out(s, message, error_code)
    if status in ("failed", "undelivered"):
        message.error = f"error {error_code}" if error_code else status
        timeline.record(s, message.team_id, message.interaction_id, timeline.NOT_DELIVERED,
                        detail=message.error)
        effects.sync_transcript(s, message.team_id, message.interaction_id)
    effects.show_delivery(s, message.team_id, message.id, message.interaction_id)


def forget_unmatched_reports(db: Database) -> int:
    """Delete the reports kept longer than UNMATCHED_KEPT_FOR (no send claimed them: the
    desk did not send that message, or its send was never recorded). Returns how many."""
    return delivery_reports.forget_received_before(db, utcnow() - UNMATCHED_KEPT_FOR)
