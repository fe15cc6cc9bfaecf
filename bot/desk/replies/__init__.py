"""Use cases of the open interaction: the agent replies (intake), the reply goes to the phone
(relay), the provider reports (delivery), Done (closing). The package's names are the use
cases callers reach for."""

from bot.desk.replies.closing import MARKED_DONE, REPLY_SENT, DoneOutcome, close, mark_done
from bot.desk.replies.delivery import (
    OPTED_OUT_REFUSAL,
    RETRYING,
    ResendOutcome,
    adopt_earlier_send,
    apply_delivery_status,
    record_send_failure,
    record_send_gave_up,
    record_send_result,
    record_send_retry,
    refuse_if_opted_out,
    resend_failed_reply,
    start_sending,
    store_plain_body,
)
from bot.desk.replies.intake import (
    COMPOSED_LIMIT,
    RECHECKS,
    ComposedOutcome,
    ReplyOutcome,
    find_by_thread,
    record_agent_reply,
    send_composed,
    warn_if_relayed_changed,
)
from bot.desk.replies.relay import Relayed, RelayResult, relay_reply
from bot.desk.thread_reply import ThreadReply

__all__ = [
    "COMPOSED_LIMIT", "MARKED_DONE", "OPTED_OUT_REFUSAL", "RECHECKS", "REPLY_SENT", "RETRYING",
    "ComposedOutcome", "DoneOutcome", "ReplyOutcome", "ResendOutcome", "ThreadReply",
    "adopt_earlier_send", "apply_delivery_status", "close", "find_by_thread", "mark_done",
    "record_agent_reply", "record_send_failure", "record_send_gave_up", "record_send_result",
    "record_send_retry", "refuse_if_opted_out", "resend_failed_reply", "start_sending",
    "store_plain_body",
    "send_composed", "warn_if_relayed_changed", "Relayed", "RelayResult", "relay_reply",
]
