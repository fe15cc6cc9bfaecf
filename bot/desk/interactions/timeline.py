"""Recording what happened to an interaction: the system lines of its transcript."""

from __future__ import annotations

from sqlalchemy.orm import Session

from storage.models import TimelineEvent

RECEIVED = "received"
OFFERED = "offered"
ACCEPTED = "accepted"
REJECTED = "rejected"
OFFER_TIMED_OUT = "offer_timed_out"
QUEUED = "queued"
SENT = "sent"
SEND_FAILED = "send_failed"
SEND_RETRYING = "send_retrying"  # the provider failed a send; it is tried again (detail: why)
SEND_GAVE_UP = "send_gave_up"  # every try failed; detail "<message id>|<why>" (a Retry button)
RESEND_REQUESTED = "resend_requested"  # the agent pressed Retry on a failed reply
NOT_DELIVERED = "not_delivered"
CLOSED = "closed"
SESSION_EXPIRED = "session_expired"
TRANSFER_REQUESTED = "transfer_requested"
TRANSFERRED = "transferred"
TRANSFER_RETURNED = "transfer_returned"
# The owner put it in another queue's line (actor); detail: transfers.queue_transfer_detail.
QUEUE_TRANSFERRED = "queue_transferred"
CONSULTED = "consulted"
SPELLING_CORRECTED = "spelling_corrected"
CASE_UPDATED = "case_updated"
REASSIGNED = "reassigned"  # by a supervisor (actor); detail "<old holder or ''>|<new agent>"

NOTE = "note"  # an agent's internal note: in the thread and the history, never on the phone
DISPOSITION = "disposition"  # the disposition code was set (detail: the code)
DISPOSITION_NEEDED = "disposition_needed"  # Done waits for a mandatory code (detail: why)
OPTED_OUT = "opted_out"  # the customer texted STOP (or the provider said so); detail: source
OPTED_IN = "opted_in"  # the customer texted START again
HELP_REPLIED = "help_replied"  # the customer texted HELP; the desk texted its help reply
WAITED_TOO_LONG = "waited_too_long"  # nobody accepted it in time: supervisors told (detail: s)
HOLDING_REPLIED = "holding_replied"  # the desk texted its holding reply to the waiting customer
# Outside business hours: the desk texted the queue's after_hours_reply (detail: the queue,
# whose closed period it answers once a customer), or the text went to the queue's
# after_hours_queue (detail "<closed queue>|<open queue>").
AFTER_HOURS_REPLIED = "after_hours_replied"
AFTER_HOURS_MOVED = "after_hours_moved"
OUTBOUND_STARTED = "outbound_started"  # an agent's New SMS began this interaction
CONTACT_ASSIGNED = "contact_assigned"  # the number was given to a contact; detail: its label
# A close nobody clicked (detail: which, e.g. "reply sent") did not happen: the customer wrote
# after the last reply, so the interaction stays open.
KEPT_OPEN = "kept_open"

# Lines shown in the Slack thread; the rest stay in the history for supervisors. Who
# accepted it, what the last reply cost and how it closed are the card's to show (the
# thread's root, redrawn): a line each would cost a post each in a busy desk channel.
SHOWN_IN_THREAD = {SEND_FAILED, SEND_RETRYING, SEND_GAVE_UP,
                   RESEND_REQUESTED, NOT_DELIVERED, SESSION_EXPIRED,
                   TRANSFER_REQUESTED, TRANSFERRED, TRANSFER_RETURNED, QUEUE_TRANSFERRED,
                   CONSULTED,
                   NOTE, DISPOSITION, DISPOSITION_NEEDED, CASE_UPDATED, REASSIGNED,
                   SPELLING_CORRECTED, OPTED_OUT, OPTED_IN, HELP_REPLIED, HOLDING_REPLIED,
                   AFTER_HOURS_REPLIED, AFTER_HOURS_MOVED,
                   OUTBOUND_STARTED, CONTACT_ASSIGNED, KEPT_OPEN}


def record(s: Session, team_id: str, interaction_id: int, kind: str, *,
           actor: str | None = None, detail: str | None = None) -> TimelineEvent:
    event = TimelineEvent(team_id=team_id, interaction_id=interaction_id, kind=kind,
                          actor_user_id=actor, detail=detail)
    s.add(event)
    return event
