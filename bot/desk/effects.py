"""The side effects the desk asks for, written as outbox jobs in the caller's transaction.

Jobs of one interaction share a lane so Slack shows them in the order they happened; SMS
sends have their own lane so a Slack outage never holds a reply back from the phone, and
the card its own, so a card update waiting for Slack's chat.update budget never holds back
a customer's message.

Each job has a priority (bot/worker/pacing.py): customers' messages and delivery marks
first, previews and cards next, cosmetic updates last. Jobs that redraw one Slack message
from the database coalesce: while one is pending, asking again adds nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from storage.models import utcnow
from storage.outbox import enqueue

# Priorities (the same numbers as bot.worker.pacing, which the desk does not import).
CUSTOMER, OFFER, COSMETIC = 0, 1, 2

POST_PREVIEW = "slack.post_preview"
UPDATE_PREVIEW = "slack.update_preview"
OPEN_THREAD = "slack.open_thread"
SYNC_TRANSCRIPT = "slack.sync_transcript"
UPDATE_CARD = "slack.update_card"
SHOW_DELIVERY = "slack.show_delivery"
NOTIFY_AGENT = "slack.notify_agent"
PUBLISH_HOME = "slack.publish_home"
SEND_SMS = "sms.send"
EXPIRE_OFFER = "timer.expire_offer"
RECHECK_REPLY = "timer.recheck_reply"
EXPIRE_SESSION = "timer.expire_session"
PROCESS_MEDIA = "media.process"


def interaction_lane(interaction_id: int) -> str:
    return f"interaction:{interaction_id}"


def sms_lane(interaction_id: int) -> str:
    return f"sms:{interaction_id}"


def card_lane(interaction_id: int) -> str:
    return f"card:{interaction_id}"


def post_preview(s: Session, team_id: str, offer_id: int, interaction_id: int) -> None:
    enqueue(s, team_id, POST_PREVIEW, {"offer_id": offer_id},
            lane=interaction_lane(interaction_id), priority=OFFER)


def update_preview(s: Session, team_id: str, offer_id: int, interaction_id: int,
                   due_at: datetime | None = None) -> None:
    # A countdown tick is due later; it waits in its own lane so it never holds back the
    # interaction's lines while it waits.
    enqueue(s, team_id, UPDATE_PREVIEW, {"offer_id": offer_id},
            lane=None if due_at else interaction_lane(interaction_id), due_at=due_at,
            priority=COSMETIC if due_at else OFFER, coalesce_key=f"preview:{offer_id}")


def expire_offer_at(s: Session, team_id: str, offer_id: int, due_at: datetime) -> None:
    enqueue(s, team_id, EXPIRE_OFFER, {"offer_id": offer_id}, due_at=due_at,
            priority=CUSTOMER)


def open_thread(s: Session, team_id: str, interaction_id: int, *,
                with_history: bool = False) -> None:
    """The card, then (a thread that moved) the conversation so far, then new lines."""
    lane = interaction_lane(interaction_id)
    enqueue(s, team_id, OPEN_THREAD, {"interaction_id": interaction_id}, lane=lane,
            priority=OFFER)
    if with_history:
        enqueue(s, team_id, POST_HISTORY, {"interaction_id": interaction_id}, lane=lane,
                priority=CUSTOMER)
    sync_transcript(s, team_id, interaction_id)


POST_HISTORY = "slack.post_history"
RETIRE_CARD = "slack.retire_card"


def retire_card(s: Session, team_id: str, interaction_id: int, channel: str, ts: str,
                new_holder: str) -> None:
    """The card of a thread the interaction left: say where it went."""
    enqueue(s, team_id, RETIRE_CARD, {"interaction_id": interaction_id, "channel": channel,
                                      "ts": ts, "new_holder": new_holder},
            lane=card_lane(interaction_id), priority=OFFER)


def sync_transcript(s: Session, team_id: str, interaction_id: int) -> None:
    enqueue(s, team_id, SYNC_TRANSCRIPT, {"interaction_id": interaction_id},
            lane=interaction_lane(interaction_id), priority=CUSTOMER,
            coalesce_key=f"transcript:{interaction_id}")


def update_card(s: Session, team_id: str, interaction_id: int) -> None:
    """The thread's card, and the supervisor card with it: whatever changed one changed both."""
    enqueue(s, team_id, UPDATE_CARD, {"interaction_id": interaction_id},
            lane=card_lane(interaction_id), priority=OFFER,
            coalesce_key=f"card:{interaction_id}")
    update_supervision(s, team_id, interaction_id)


def send_sms(s: Session, team_id: str, message_id: int, interaction_id: int) -> None:
    enqueue(s, team_id, SEND_SMS, {"message_id": message_id}, lane=sms_lane(interaction_id),
            priority=CUSTOMER)


def show_delivery(s: Session, team_id: str, message_id: int, interaction_id: int) -> None:
    # Its own lane: a mark waiting for the reactions budget (50 a minute for the whole
    # workspace) must not hold back the customer's next line. A mark whose message is not
    # in Slack yet is drawn by the job that posts it.
    enqueue(s, team_id, SHOW_DELIVERY, {"message_id": message_id},
            lane=f"delivery:{interaction_id}", priority=CUSTOMER,
            coalesce_key=f"delivery:{message_id}")


def notify_agent(s: Session, team_id: str, user_id: str, text: str, *,
                 channel: str | None = None, thread_ts: str | None = None) -> None:
    """An ephemeral note to one person (in the thread when given, else their DM)."""
    enqueue(s, team_id, NOTIFY_AGENT,
            {"user_id": user_id, "text": text, "channel": channel, "thread_ts": thread_ts},
            priority=CUSTOMER)


def publish_home(s: Session, team_id: str, user_id: str) -> None:
    enqueue(s, team_id, PUBLISH_HOME, {"user_id": user_id}, lane=f"home:{team_id}:{user_id}",
            priority=COSMETIC, coalesce_key=f"home:{team_id}:{user_id}")


def recheck_reply(s: Session, team_id: str, reply: dict, recheck: int) -> None:
    enqueue(s, team_id, RECHECK_REPLY, {"reply": reply, "recheck": recheck},
            due_at=utcnow() + timedelta(seconds=1), priority=CUSTOMER)


def expire_session_at(s: Session, team_id: str, interaction_id: int, due_at: datetime) -> None:
    """One timer per session; it re-arms itself while messages keep the session alive."""
    enqueue(s, team_id, EXPIRE_SESSION, {"interaction_id": interaction_id}, due_at=due_at,
            priority=CUSTOMER)


def process_media(s: Session, team_id: str, media_id: int) -> None:
    """Fetch (if need be) and check one MMS file; no lane, so files download side by side."""
    enqueue(s, team_id, PROCESS_MEDIA, {"media_id": media_id}, priority=CUSTOMER)


POST_COMPOSED = "slack.post_composed"


def post_composed(s: Session, team_id: str, message_id: int, interaction_id: int) -> None:
    """Show a reply written in the compose modal in the thread, as the agent wrote it."""
    enqueue(s, team_id, POST_COMPOSED, {"message_id": message_id},
            lane=interaction_lane(interaction_id), priority=CUSTOMER)


UPDATE_SUPERVISION = "slack.update_supervision"
TELL_SUPERVISORS = "slack.tell_supervisors"


def update_supervision(s: Session, team_id: str, interaction_id: int,
                       supervised: bool = True) -> None:
    """Refresh the interaction's live card in its queue's supervisor channel.

    supervised=False (the queue has no supervisor channel) writes nothing: the hot path of
    every inbound SMS should not pay for a job that would only find no channel.
    """
    if supervised:
        enqueue(s, team_id, UPDATE_SUPERVISION, {"interaction_id": interaction_id},
                lane=f"supervision:{interaction_id}", priority=COSMETIC,
                coalesce_key=f"supervision:{interaction_id}")


def tell_supervisors(s: Session, team_id: str, queue: str, text: str) -> None:
    enqueue(s, team_id, TELL_SUPERVISORS, {"queue": queue, "text": text}, priority=OFFER)


SPELLING_PROMPT = "slack.spelling_prompt"


def spelling_prompt(s: Session, team_id: str, message_id: int, *, held: bool) -> None:
    """Show the agent the flagged words of a reply (with choices, when it is held)."""
    enqueue(s, team_id, SPELLING_PROMPT, {"message_id": message_id, "held": held},
            priority=CUSTOMER)
