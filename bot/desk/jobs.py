"""The desk's outbox jobs, each declared once: what it carries, where it queues, how urgent.

Every side effect the desk asks for (a Slack post, an SMS send, a timer) is one of the frozen
dataclasses below. `queue` writes it in the caller's transaction; the worker reads it back
with `decode` and hands the same type to its handler (bot/worker/handlers.py). The fields are
the payload stored as JSON in the jobs table under the job's KIND: those strings and names are
the table's contract with rows written by earlier versions, so they change only with a
migration of the rows.

Each job says
- its lane: jobs of one lane run one after another in the order written (an interaction's
  lines reach Slack in the order they happened); a job in no lane runs once it is due. SMS
  sends have their own lane so a Slack outage never holds a reply back from the phone, and
  the card its own so a redraw waiting for chat.update's budget never holds back a line;
- its priority: what a person waits for first (a customer's message and its delivery mark,
  the thread an agent just accepted), previews and cards next, cosmetic work last. The
  outbox claims in this order and the worker's Slack pacing (bot/worker/pacing.py) keeps
  budget in reserve by it. A job is raised when someone starts waiting for it (`queue`'s
  `waited_on`), and lends its priority to the jobs ahead of it in its lane;
- its coalescing key, for a job that draws from the database (a card, a preview, the
  transcript's unposted lines): asking again while one waits adds nothing (the waiting one
  draws the newest state);
- whether it REDRAWS one Slack message or view: then a run that finds a later one waiting
  right behind it is skipped (bot/worker/runner.py), since drawing the same state twice is
  a call of Slack's budget spent for nothing.

A lane can need more than the payload holds (a preview queues in its interaction's lane; its
payload names only the offer): such a job takes it as a keyword-only placement field, which
is not stored, so a decoded job has it unset (None). Handlers read the payload fields only.
"""

from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy.orm import Session

from bot.desk.thread_reply import ThreadReply
from storage import outbox
from storage.models import Job

# Priorities, lower first.
CUSTOMER = 0  # a customer's message, an agent's relayed reply and its delivery state
OFFER = 1  # previews, offers, the thread's card
COSMETIC = 2  # supervisor cards, countdown ticks, Home tabs, erasure steps, housekeeping

_PLACEMENT = "placement"


def placement(default: Any = dataclasses.MISSING) -> Any:
    """A field that says where the job queues and is not part of its payload."""
    return field(default=default, kw_only=True, metadata={_PLACEMENT: True})


def interaction_lane(interaction_id: int | None) -> str:
    return f"interaction:{interaction_id}"


def sms_lane(interaction_id: int | None) -> str:
    return f"sms:{interaction_id}"


def card_lane(interaction_id: int | None) -> str:
    return f"card:{interaction_id}"


def erasure_lane(erasure_id: int | None) -> str:
    return f"erasure:{erasure_id}"


@dataclass(frozen=True)
class OutboxJob:
    """One job of the catalogue. Subclasses set KIND and PRIORITY, and override `lane` and
    `coalesce_key` where they queue in a lane or coalesce."""

    KIND: ClassVar[str]
    PRIORITY: ClassVar[int] = OFFER
    REDRAWS: ClassVar[bool] = False

    @property
    def lane(self) -> str | None:
        return None

    @property
    def priority(self) -> int:
        return self.PRIORITY

    @property
    def coalesce_key(self) -> str | None:
        return None


# --- offers -----------------------------------------------------------------------------

@dataclass(frozen=True)
class PostPreview(OutboxJob):
    """Show an agent the offer in their DM."""

    KIND = "slack.post_preview"
    offer_id: int
    interaction_id: int | None = placement()

    @property
    def lane(self) -> str:
        return interaction_lane(self.interaction_id)


@dataclass(frozen=True)
class UpdatePreview(OutboxJob):
    """Redraw an offer's preview: its new state, or (`countdown`) a tick of an auto-answer's
    countdown, due later, or (`aside`) the preview of an offer that ended without being
    taken (declined, timed out, withdrawn), saying where its text is now. Ticks and those
    wait in no lane, so they never hold back the interaction's next preview or its lines
    (a redraw draws the newest state, whenever it runs), and are cosmetic.

    `response_url`: the click's own address for answering it (Slack's response_url, good
    for five uses in thirty minutes), through which the preview is redrawn without spending
    the workspace's chat.update budget. `at_once`: the click's answer, drawn before its
    thread opens (in no lane, so it holds the thread back neither); it never coalesces, and
    the redraw queued behind the thread adds the thread's link."""

    KIND = "slack.update_preview"
    REDRAWS = True
    offer_id: int
    response_url: str | None = None
    interaction_id: int | None = placement()
    countdown: bool | None = placement()
    at_once: bool | None = placement()
    aside: bool | None = placement(default=None)

    @property
    def lane(self) -> str | None:
        return None if self.countdown or self.at_once or self.aside \
            else interaction_lane(self.interaction_id)

    @property
    def priority(self) -> int:
        # The agent who clicked Reject is looking at the preview; redraws through the
        # click's response_url spend no chat.update budget either.
        return COSMETIC if self.countdown or (self.aside and not self.response_url) else OFFER

    @property
    def coalesce_key(self) -> str | None:
        return None if self.at_once else f"preview:{self.offer_id}"


@dataclass(frozen=True)
class ExpireOffer(OutboxJob):
    """The offer's timer: nobody answered in time."""

    KIND = "timer.expire_offer"
    PRIORITY = CUSTOMER
    offer_id: int


@dataclass(frozen=True)
class ReofferInteraction(OutboxJob):
    """The back-off after a Reject or a missed offer is over: offer the waiting interaction
    again, to whoever declined it too. One waits per interaction: asked again, the one
    waiting is brought forward."""

    KIND = "timer.reoffer"
    PRIORITY = CUSTOMER
    interaction_id: int

    @property
    def coalesce_key(self) -> str:
        return f"reoffer:{self.interaction_id}"


@dataclass(frozen=True)
class WaitingTooLong(OutboxJob):
    """A text's waiting alert: if nobody has accepted it by now, supervisors are told and
    the customer gets the holding reply."""

    KIND = "timer.waiting_alert"
    PRIORITY = CUSTOMER
    interaction_id: int


@dataclass(frozen=True)
class QueueOpens(OutboxJob):
    """A queue's opening time (business hours): offer the texts that waited for it. One
    waits per queue of a workspace: asked again, the one waiting is brought forward."""

    KIND = "timer.queue_opens"
    PRIORITY = CUSTOMER
    queue: str
    team_id: str | None = placement()

    @property
    def coalesce_key(self) -> str:
        return f"queue_opens:{self.team_id}:{self.queue}"


# --- the thread -------------------------------------------------------------------------

@dataclass(frozen=True)
class OpenThread(OutboxJob):
    """Post the interaction's card, the root of its thread. Queued when an agent accepts,
    who then waits for it: as urgent as a customer's message."""

    KIND = "slack.open_thread"
    PRIORITY = CUSTOMER
    interaction_id: int

    @property
    def lane(self) -> str:
        return interaction_lane(self.interaction_id)


@dataclass(frozen=True)
class PostHistory(OutboxJob):
    """A thread that moved to a new holder's DM starts with the conversation so far."""

    KIND = "slack.post_history"
    PRIORITY = CUSTOMER
    interaction_id: int

    @property
    def lane(self) -> str:
        return interaction_lane(self.interaction_id)


@dataclass(frozen=True)
class SyncTranscript(OutboxJob):
    """Post every transcript line not yet in the thread, oldest first.

    It coalesces but is no redraw: a run put back by pacing holds its booked Slack slot,
    and a later sync behind it would post the very same lines, so skipping it would only
    give the slot away."""

    KIND = "slack.sync_transcript"
    PRIORITY = CUSTOMER
    interaction_id: int

    @property
    def lane(self) -> str:
        return interaction_lane(self.interaction_id)

    @property
    def coalesce_key(self) -> str:
        return f"transcript:{self.interaction_id}"


@dataclass(frozen=True)
class UpdateCard(OutboxJob):
    """Redraw the thread's card from the database."""

    KIND = "slack.update_card"
    REDRAWS = True
    interaction_id: int

    @property
    def lane(self) -> str:
        return card_lane(self.interaction_id)

    @property
    def coalesce_key(self) -> str:
        return f"card:{self.interaction_id}"


@dataclass(frozen=True)
class RetireCard(OutboxJob):
    """The card of a thread the interaction left: say where it went."""

    KIND = "slack.retire_card"
    interaction_id: int
    channel: str
    ts: str
    new_holder: str

    @property
    def lane(self) -> str:
        return card_lane(self.interaction_id)


@dataclass(frozen=True)
class PostComposed(OutboxJob):
    """Show a reply written in the compose modal in the thread, as the agent wrote it."""

    KIND = "slack.post_composed"
    PRIORITY = CUSTOMER
    message_id: int
    interaction_id: int | None = placement()

    @property
    def lane(self) -> str:
        return interaction_lane(self.interaction_id)


@dataclass(frozen=True)
class OpenConsultation(OutboxJob):
    """A group DM of two agents and the app, with the transcript and a transfer button."""

    KIND = "slack.open_consultation"
    interaction_id: int
    from_user: str
    colleague: str

    @property
    def lane(self) -> str:
        return interaction_lane(self.interaction_id)


# --- the phone --------------------------------------------------------------------------

@dataclass(frozen=True)
class SendSms(OutboxJob):
    """Relay an agent's reply through the SMS provider."""

    KIND = "sms.send"
    PRIORITY = CUSTOMER
    message_id: int
    interaction_id: int | None = placement()

    @property
    def lane(self) -> str:
        return sms_lane(self.interaction_id)


@dataclass(frozen=True)
class ShowDelivery(OutboxJob):
    """Mark a relayed reply in the thread with its delivery state.

    Its own lane: a mark waiting for the reactions budget (50 a minute for the whole
    workspace) must not hold back the customer's next line. A mark whose message is not in
    Slack yet is drawn by the job that posts it."""

    KIND = "slack.show_delivery"
    PRIORITY = CUSTOMER
    REDRAWS = True
    message_id: int
    interaction_id: int | None = placement()

    @property
    def lane(self) -> str:
        return f"delivery:{self.interaction_id}"

    @property
    def coalesce_key(self) -> str:
        return f"delivery:{self.message_id}"


@dataclass(frozen=True)
class RecheckReply(OutboxJob):
    """Look at a thread reply again: the thread's bookkeeping may not have been written yet."""

    KIND = "timer.recheck_reply"
    PRIORITY = CUSTOMER
    reply: ThreadReply
    recheck: int


@dataclass(frozen=True)
class SpellingPrompt(OutboxJob):
    """Show the agent the flagged words of a reply (with choices, when it is held)."""

    KIND = "slack.spelling_prompt"
    PRIORITY = CUSTOMER
    message_id: int
    held: bool


@dataclass(frozen=True)
class CustomEmojiPrompt(OutboxJob):
    """Tell the agent a reply's custom emoji cannot reach the phone (with choices, when it
    is held; when nothing else was in it, that it was not sent)."""

    KIND = "slack.custom_emoji_prompt"
    PRIORITY = CUSTOMER
    message_id: int


@dataclass(frozen=True)
class RemindHeldReply(OutboxJob):
    """A reply still held for its agent's decision: prompt them again, show supervisors.
    One timer per held reply (its key finds it to call it off); it re-arms itself while the
    reply stays held."""

    KIND = "timer.remind_held_reply"
    PRIORITY = CUSTOMER
    message_id: int

    @property
    def coalesce_key(self) -> str:
        return held_reply_key(self.message_id)


def held_reply_key(message_id: int) -> str:
    return f"held_reply:{message_id}"


@dataclass(frozen=True)
class ExpireSession(OutboxJob):
    """One timer per session; it re-arms itself while messages keep the session alive."""

    KIND = "timer.expire_session"
    PRIORITY = CUSTOMER
    interaction_id: int


@dataclass(frozen=True)
class ProcessMedia(OutboxJob):
    """Fetch (if need be) and check one MMS file; no lane, so files download side by side."""

    KIND = "media.process"
    PRIORITY = CUSTOMER
    media_id: int


# --- agents and supervisors -------------------------------------------------------------

@dataclass(frozen=True)
class NotifyAgent(OutboxJob):
    """An ephemeral note to one person (in the thread when given, else their DM)."""

    KIND = "slack.notify_agent"
    PRIORITY = CUSTOMER
    user_id: str
    text: str  # "{holder}" names the person people["holder"]: the Slack side mentions them
    channel: str | None = None
    thread_ts: str | None = None
    people: dict[str, str] | None = None


@dataclass(frozen=True)
class PublishHome(OutboxJob):
    """Redraw a person's Home tab (only if they looked at it lately: bot/worker). Asked for
    by the person opening it, it is what they wait for, and goes before cosmetic work."""

    KIND = "slack.publish_home"
    PRIORITY = COSMETIC
    REDRAWS = True
    user_id: str
    team_id: str | None = placement()
    looking: bool | None = placement(default=False)

    @property
    def lane(self) -> str:
        return f"home:{self.team_id}:{self.user_id}"

    @property
    def priority(self) -> int:
        return OFFER if self.looking else COSMETIC

    @property
    def coalesce_key(self) -> str:
        return f"home:{self.team_id}:{self.user_id}"


@dataclass(frozen=True)
class UpdateSupervision(OutboxJob):
    """Redraw the interaction's live card in its queue's supervisor channel."""

    KIND = "slack.update_supervision"
    PRIORITY = COSMETIC
    REDRAWS = True
    interaction_id: int

    @property
    def lane(self) -> str:
        return f"supervision:{self.interaction_id}"

    @property
    def coalesce_key(self) -> str:
        return f"supervision:{self.interaction_id}"


@dataclass(frozen=True)
class TellSupervisors(OutboxJob):
    """A note to a queue's supervisors (every agent declined, say)."""

    KIND = "slack.tell_supervisors"
    queue: str
    text: str


@dataclass(frozen=True)
class PostWaitingAlert(OutboxJob):
    """Tell supervisors (a channel, or one supervisor's DM) that a text has waited too long,
    with a Reassign button."""

    KIND = "slack.waiting_alert"
    interaction_id: int
    to: str  # the supervisor channel's id, or a supervisor's user id


@dataclass(frozen=True)
class RefreshGroups(OutboxJob):
    """Read the user groups the settings name into the cache; one timer per workspace."""

    KIND = "groups.refresh"


# --- data protection and housekeeping ---------------------------------------------------

@dataclass(frozen=True)
class DeliverExport(OutboxJob):
    """Upload a contact's export to the requester's DM."""

    KIND = "privacy.deliver_export"
    contact_id: int
    user_id: str


@dataclass(frozen=True)
class ErasureStepJob(OutboxJob):
    """One deletion an erasure asks of Slack or the provider. An erasure's steps run in its
    own lane, in order, and never before a customer's message."""

    PRIORITY = COSMETIC
    step_id: int
    erasure_id: int | None = placement()

    @property
    def lane(self) -> str:
        return erasure_lane(self.erasure_id)


@dataclass(frozen=True)
class DeleteSlackMessage(ErasureStepJob):
    KIND = "privacy.delete_slack_message"


@dataclass(frozen=True)
class DeleteSlackFile(ErasureStepJob):
    KIND = "privacy.delete_slack_file"


@dataclass(frozen=True)
class SweepThread(ErasureStepJob):
    KIND = "privacy.sweep_thread"


@dataclass(frozen=True)
class DeleteProviderMessage(ErasureStepJob):
    KIND = "privacy.delete_provider_message"


@dataclass(frozen=True)
class ReportErasure(OutboxJob):
    """The last job of an erasure's lane: tell the requester what was removed."""

    KIND = "privacy.report_erasure"
    PRIORITY = COSMETIC
    erasure_id: int

    @property
    def lane(self) -> str:
        return erasure_lane(self.erasure_id)


# Why a workspace's purge was asked for; only an uninstall's purge is called off by a
# reinstall.
BY_UNINSTALL, BY_ADMIN = "uninstall", "admin"


@dataclass(frozen=True)
class PurgeWorkspace(OutboxJob):
    """Delete a workspace's desk data (bot/desk/data_protection/purge.py), due after the
    grace period."""

    KIND = "privacy.purge_workspace"
    reason: str = BY_UNINSTALL


@dataclass(frozen=True)
class PurgeExpired(OutboxJob):
    """The desk-wide retention timer (bot/desk/data_protection/retention.py)."""

    KIND = "retention.purge"
    PRIORITY = COSMETIC


# --- reports ------------------------------------------------------------------------------

@dataclass(frozen=True)
class ShowReport(OutboxJob):
    """Work out the report /sms-report asked for and show it, with its chart, in the modal
    the command opened (`view_id`); the person is looking at a "working it out" modal."""

    KIND = "reports.show"
    view_id: str
    user_id: str
    period: str  # a name named_period knows: today, yesterday, week, month
    queue: str | None = None


@dataclass(frozen=True)
class DigestTimer(OutboxJob):
    """The workspace's daily digest timer (bot/desk/reports/digest.py): due at the next
    `[reports] digest_at`, it queues one PostDigest per supervised queue, then re-arms."""

    KIND = "reports.digest_timer"
    PRIORITY = COSMETIC


@dataclass(frozen=True)
class PostDigest(OutboxJob):
    """Post one queue's digest for one day (the local date, ISO) to its supervisor channel."""

    KIND = "reports.post_digest"
    PRIORITY = COSMETIC
    queue: str
    day: str

    @property
    def coalesce_key(self) -> str:
        return f"digest:{self.queue}:{self.day}"


def _catalogue() -> dict[str, type[OutboxJob]]:
    found: dict[str, type[OutboxJob]] = {}
    pending = list(OutboxJob.__subclasses__())
    while pending:
        kind = pending.pop()
        pending += kind.__subclasses__()
        if "KIND" in vars(kind):
            assert kind.KIND not in found, f"job kind {kind.KIND} declared twice"
            found[kind.KIND] = kind
    return found


# Every job kind the desk writes, by the string stored in the jobs table.
CATALOGUE: dict[str, type[OutboxJob]] = _catalogue()


# --- the codec --------------------------------------------------------------------------

class UnreadableJob(ValueError):
    """A row whose kind is not in the catalogue, or whose payload does not fit its kind."""


def _payload_fields(kind: type[OutboxJob]) -> list[dataclasses.Field[Any]]:
    return [f for f in dataclasses.fields(kind) if not f.metadata.get(_PLACEMENT)]


def payload(job: OutboxJob) -> dict[str, Any]:
    """The job as stored: its payload fields, nested dataclasses as dicts."""
    return {f.name: _plain(getattr(job, f.name)) for f in _payload_fields(type(job))}


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    return value


def decode(kind: str, stored: dict[str, Any]) -> OutboxJob:
    """The job a row holds. Raises UnreadableJob (with the reason) when it is none."""
    job_type = CATALOGUE.get(kind)
    if job_type is None:
        raise UnreadableJob(f"no job kind {kind}")
    fields = _payload_fields(job_type)
    names = {f.name for f in fields}
    unknown = sorted(set(stored) - names)
    missing = [f.name for f in fields if f.name not in stored
               and f.default is dataclasses.MISSING]
    if unknown or missing:
        raise UnreadableJob(f"{kind} payload: missing {missing}, unknown {unknown}")
    hints = typing.get_type_hints(job_type)
    values = {name: _typed(hints[name], value) for name, value in stored.items()}
    unset = {f.name: None for f in dataclasses.fields(job_type) if f.metadata.get(_PLACEMENT)}
    try:
        return job_type(**values, **unset)
    except TypeError as error:
        raise UnreadableJob(f"{kind} payload: {error}") from None


def _typed(hint: Any, value: Any) -> Any:
    if isinstance(hint, type) and dataclasses.is_dataclass(hint) and isinstance(value, dict):
        try:
            return hint(**value)
        except TypeError as error:
            raise UnreadableJob(f"{hint.__name__}: {error}") from None
    return value


def queue(session: Session, team_id: str, job: OutboxJob, *,
          due_at: datetime | None = None, waited_on: bool = False) -> Job:
    """Write the job in the caller's transaction (coalesced into a waiting one if it may).
    `waited_on`: a person waits for it now (a customer's new text shown in a preview), so
    it is as urgent as a customer's message whatever its kind, and so is whatever queues
    ahead of it in its lane (storage.outbox.enqueue)."""
    return outbox.enqueue(session, team_id, job.KIND, payload(job), lane=job.lane,
                          due_at=due_at, priority=CUSTOMER if waited_on else job.priority,
                          coalesce_key=job.coalesce_key)


def call_off(session: Session, team_id: str, job: OutboxJob, reason: str) -> int:
    """Cancel the unfinished jobs of this kind waiting under this job's coalescing key (a
    timer no longer wanted). Returns how many."""
    assert job.coalesce_key is not None, f"{job.KIND} has no key to find it by"
    return outbox.cancel(session, outbox.waiting_with_key(session, team_id, job.KIND,
                                                          job.coalesce_key), reason)


def ensure_one(session: Session, team_id: str, job: OutboxJob, *,
               due_at: datetime | None = None) -> tuple[Job, bool]:
    """The workspace's one unfinished job of this kind (a timer), brought forward to `due_at`
    (taking this one's payload) when it waits longer; written when there is none. Returns it,
    and whether it is new."""
    return outbox.ensure_one(session, team_id, job.KIND, payload(job), due_at=due_at,
                             priority=job.priority)
