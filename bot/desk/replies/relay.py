"""Relay a reply to the phone: the one home of the use case, from the stored text to the
provider's answer. The SMS job is a shell around it (its tries, its metrics, its log lines).

A reply is sent at most once: an earlier try whose answer never came may have reached the
provider, so before sending again the provider is asked for an SMS with the same text
(`find_sent`); the text was stored with the reply when it was taken in, so both tries carry
the same one."""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from datetime import timedelta

from bot.config import Settings
from bot.desk.messages import SendError, SendResult
from bot.desk.ports import SmsSender
from bot.desk.replies.delivery import (
    adopt_earlier_send,
    record_send_failure,
    record_send_gave_up,
    record_send_result,
    record_send_retry,
    refuse_if_opted_out,
    start_sending,
)
from storage import queries
from storage.db import Database

# The provider's clock and ours differ a little, and its dates are whole seconds.
LOOKUP_MARGIN = timedelta(minutes=2)


class Relayed(enum.Enum):
    ALREADY = "already"  # sent (or given up) before: a second run must not text twice
    REFUSED = "refused"  # the customer opted out meanwhile (marked failed)
    ADOPTED = "adopted"  # an earlier, unanswered try had reached the provider: that is it
    SENT = "sent"
    FAILED = "failed"  # the provider refused it for good (marked failed)
    GAVE_UP = "gave_up"  # the last try failed too (failed, with a Retry button)
    RETRY = "retry"  # failed this time; the agent sees "retrying": try again later


@dataclass(frozen=True)
class RelayResult:
    outcome: Relayed
    message_id: int
    to_number: str = ""
    interaction_id: int | None = None
    sent: SendResult | None = None
    error: SendError | None = None
    send_failed: bool = False  # the send itself failed (not the look for an earlier one)


def relay_reply(db: Database, settings: Settings, sender: SmsSender, message_id: int, *,
                last_try: bool) -> RelayResult:
    """One try at sending the reply. last_try: a failure that could pass is given up on."""
    message = queries.message(db, message_id)
    facts = RelayResult(Relayed.ALREADY, message.id, message.to_number, message.interaction_id)
    if message.provider_sid or message.delivery_state in ("failed", "delivered"):
        return replace(facts, outcome=Relayed.ALREADY)
    if refuse_if_opted_out(db, message.id):
        return replace(facts, outcome=Relayed.REFUSED)
    if message.provider == sender.name:
        # An earlier try was made (its answer never came, or it failed): the provider may
        # have the SMS all the same. If so, that is this reply: do not text it twice.
        try:
            taken = sender.find_sent(
                from_number=message.from_number, to_number=message.to_number,
                body=message.body,  # what the earlier try sent
                since=message.created_at - LOOKUP_MARGIN)
        except SendError as error:
            if last_try:
                record_send_gave_up(db, message.id, str(error))
                return replace(facts, outcome=Relayed.GAVE_UP, error=error)
            record_send_retry(db, message.id, str(error))
            return replace(facts, outcome=Relayed.RETRY, error=error)
        if adopt_earlier_send(db, settings, message.id, taken):
            return replace(facts, outcome=Relayed.ADOPTED)
    start_sending(db, message.id, sender.name)
    try:
        result = sender.send(from_number=message.from_number, to_number=message.to_number,
                             body=message.body)
    except SendError as error:
        if error.permanent:
            record_send_failure(db, message.id, str(error), code=error.code,
                                opted_out=error.opted_out)
            return replace(facts, outcome=Relayed.FAILED, error=error, send_failed=True)
        if last_try:
            record_send_gave_up(db, message.id, str(error))
            return replace(facts, outcome=Relayed.GAVE_UP, error=error, send_failed=True)
        record_send_retry(db, message.id, str(error))
        return replace(facts, outcome=Relayed.RETRY, error=error, send_failed=True)
    record_send_result(db, settings, message.id, result)
    return replace(facts, outcome=Relayed.SENT, sent=result)
