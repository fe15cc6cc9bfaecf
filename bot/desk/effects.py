"""The side effects the desk asks for, written as outbox jobs in the caller's transaction.

What each job carries, where it queues and how urgent it is lives with the job, in the
catalogue (bot/desk/jobs.py); these are the requests the use cases make, in their words.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from bot.desk import jobs
from bot.desk.notices import Notice
from bot.desk.thread_reply import ThreadReply
from storage import home_views
from storage.clock import utcnow


def post_preview(s: Session, team_id: str, offer_id: int, interaction_id: int) -> None:
    jobs.queue(s, team_id, jobs.PostPreview(offer_id, interaction_id=interaction_id))


def update_preview(s: Session, team_id: str, offer_id: int, interaction_id: int,
                   due_at: datetime | None = None, *, response_url: str | None = None,
                   at_once: bool = False, customer_wrote: bool = False,
                   ended: bool = False) -> None:
    """The preview's new state now, or (`due_at`) a tick of its countdown then; drawn
    through the click's `response_url` when there is one (jobs.UpdatePreview).
    `customer_wrote`: it is to show the customer's newest text, which they wait on.
    `ended`: the offer ended untaken (its preview says where the text went), so the redraw
    holds back nothing of the interaction's (jobs.UpdatePreview's `aside`)."""
    jobs.queue(s, team_id, jobs.UpdatePreview(offer_id, response_url,
                                              interaction_id=interaction_id,
                                              countdown=due_at is not None, at_once=at_once,
                                              aside=ended),
               due_at=due_at, waited_on=customer_wrote)


def expire_offer_at(s: Session, team_id: str, offer_id: int, due_at: datetime) -> None:
    jobs.queue(s, team_id, jobs.ExpireOffer(offer_id), due_at=due_at)


def reoffer_at(s: Session, team_id: str, interaction_id: int, due_at: datetime) -> None:
    """Offer the waiting interaction again then (brought forward if one waits for later)."""
    jobs.queue(s, team_id, jobs.ReofferInteraction(interaction_id), due_at=due_at)


def check_waiting_at(s: Session, team_id: str, interaction_id: int, due_at: datetime) -> None:
    """Look at the interaction then: if still nobody's, supervisors hear of it."""
    jobs.queue(s, team_id, jobs.WaitingTooLong(interaction_id), due_at=due_at)


def offer_when_open(s: Session, team_id: str, queue: str, opens_at: datetime) -> None:
    """The queue is closed: when it opens, offer what waited for it (brought forward if
    one waits for later)."""
    jobs.queue(s, team_id, jobs.QueueOpens(queue, team_id=team_id), due_at=opens_at)


def open_thread(s: Session, team_id: str, interaction_id: int, *,
                with_history: bool = False) -> None:
    """The card, then (a thread that moved) the conversation so far, then new lines."""
    jobs.queue(s, team_id, jobs.OpenThread(interaction_id))
    if with_history:
        jobs.queue(s, team_id, jobs.PostHistory(interaction_id))
    sync_transcript(s, team_id, interaction_id)


def retire_card(s: Session, team_id: str, interaction_id: int, channel: str, ts: str,
                new_holder: str) -> None:
    """The card of a thread the interaction left: say where it went."""
    jobs.queue(s, team_id, jobs.RetireCard(interaction_id, channel, ts, new_holder))


def sync_transcript(s: Session, team_id: str, interaction_id: int) -> None:
    jobs.queue(s, team_id, jobs.SyncTranscript(interaction_id))


def update_card(s: Session, team_id: str, interaction_id: int, *,
                supervised: bool = True) -> None:
    """The thread's card, and the supervisor card with it: whatever changed one changed both
    (supervised=False: a change only the thread's card shows)."""
    jobs.queue(s, team_id, jobs.UpdateCard(interaction_id))
    update_supervision(s, team_id, interaction_id, supervised)


def send_sms(s: Session, team_id: str, message_id: int, interaction_id: int) -> None:
    jobs.queue(s, team_id, jobs.SendSms(message_id, interaction_id=interaction_id))


def show_delivery(s: Session, team_id: str, message_id: int, interaction_id: int) -> None:
    jobs.queue(s, team_id, jobs.ShowDelivery(message_id, interaction_id=interaction_id))


def notify_agent(s: Session, team_id: str, user_id: str, text: str | Notice, *,
                 channel: str | None = None, thread_ts: str | None = None) -> None:
    """An ephemeral note to one person (in the thread when given, else their DM)."""
    notice = text if isinstance(text, Notice) else Notice(text)
    jobs.queue(s, team_id, jobs.NotifyAgent(user_id, notice.text, channel, thread_ts,
                                            people=notice.people or None))


def publish_home(s: Session, team_id: str, user_id: str, *, looking: bool = False) -> None:
    """Redraw the person's Home tab, if they looked at it lately ([slack]
    home_viewed_minutes, checked when it runs). `looking`: they have it in front of them
    now (they opened it, or clicked on it), which is remembered."""
    if looking:
        home_views.opened(s, team_id, user_id, utcnow())
    jobs.queue(s, team_id, jobs.PublishHome(user_id, team_id=team_id, looking=looking))


def recheck_reply(s: Session, team_id: str, reply: ThreadReply, recheck: int) -> None:
    jobs.queue(s, team_id, jobs.RecheckReply(reply, recheck),
               due_at=utcnow() + timedelta(seconds=1))


def expire_session_at(s: Session, team_id: str, interaction_id: int, due_at: datetime) -> None:
    """One timer per session; it re-arms itself while messages keep the session alive."""
    jobs.queue(s, team_id, jobs.ExpireSession(interaction_id), due_at=due_at)


def process_media(s: Session, team_id: str, media_id: int) -> None:
    jobs.queue(s, team_id, jobs.ProcessMedia(media_id))


def post_composed(s: Session, team_id: str, message_id: int, interaction_id: int) -> None:
    """Show a reply written in the compose modal in the thread, as the agent wrote it."""
    jobs.queue(s, team_id, jobs.PostComposed(message_id, interaction_id=interaction_id))


def update_supervision(s: Session, team_id: str, interaction_id: int,
                       supervised: bool = True) -> None:
    """Refresh the interaction's live card in its queue's supervisor channel.

    supervised=False (the queue has no supervisor channel) writes nothing: the hot path of
    every inbound SMS should not pay for a job that would only find no channel.
    """
    if supervised:
        jobs.queue(s, team_id, jobs.UpdateSupervision(interaction_id))


def tell_supervisors(s: Session, team_id: str, queue: str, text: str) -> None:
    jobs.queue(s, team_id, jobs.TellSupervisors(queue, text))


def post_waiting_alert(s: Session, team_id: str, interaction_id: int, to: str) -> None:
    """A text waited too long: tell `to` (a supervisor channel or a supervisor)."""
    jobs.queue(s, team_id, jobs.PostWaitingAlert(interaction_id, to))


def spelling_prompt(s: Session, team_id: str, message_id: int, *, held: bool) -> None:
    """Show the agent the flagged words of a reply (with choices, when it is held)."""
    jobs.queue(s, team_id, jobs.SpellingPrompt(message_id, held))


def custom_emoji_prompt(s: Session, team_id: str, message_id: int) -> None:
    """Tell the agent a reply's custom emoji cannot reach the phone."""
    jobs.queue(s, team_id, jobs.CustomEmojiPrompt(message_id))

def remind_held_reply(s: Session, team_id: str, message_id: int, due_at: datetime) -> None:
    """Prompt the agent again (and show supervisors) if the reply is still held then."""
    jobs.queue(s, team_id, jobs.RemindHeldReply(message_id), due_at=due_at)


def call_off_held_reply_reminder(s: Session, team_id: str, message_id: int) -> None:
    jobs.call_off(s, team_id, jobs.RemindHeldReply(message_id),
                  "called off: the held reply was sent or discarded")


def open_consultation(s: Session, team_id: str, interaction_id: int, from_user: str,
                      colleague: str) -> None:
    jobs.queue(s, team_id, jobs.OpenConsultation(interaction_id, from_user, colleague))


def deliver_export(s: Session, team_id: str, contact_id: int, user_id: str) -> None:
    jobs.queue(s, team_id, jobs.DeliverExport(contact_id, user_id))
