"""SQLAlchemy models: the desk's truth. Slack and the SMS provider are only views of these rows.

Every row that belongs to a Slack workspace carries `team_id`, and every query filters on it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from storage.clock import utcnow


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on SQLite too (SQLite drops tzinfo on the way back)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON}


# BIGINT autoincrement is not rowid on SQLite; the variant keeps both databases happy.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Contact(Base):
    __tablename__ = "contacts"
    __table_args__ = (
        UniqueConstraint("team_id", "phone", name="uq_contacts_team_phone"),
        # Contact search (bot.desk.directory.contacts_directory): names any case, e-mail addresses.
        Index("ix_contacts_team_name_lower", "team_id", text("lower(name)")),
        Index("ix_contacts_team_email", "team_id", "email"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    phone: Mapped[str] = mapped_column(String(32))
    name: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    # Admin-defined fields (account number, plan...), strings by name; shown in the contact view.
    attributes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ContactNumber(Base):
    """Every number a contact can text from, the primary `Contact.phone` included.

    Inbound texts find their contact here, so a number assigned to a contact (manual
    assignment, or an edit) keeps reaching that contact's history.
    """

    __tablename__ = "contact_numbers"
    __table_args__ = (
        UniqueConstraint("team_id", "phone", name="uq_contact_numbers_team_phone"),
        Index("ix_contact_numbers_contact", "contact_id"),
        Index("ix_contact_numbers_suffix", "team_id", "phone_suffix"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"))
    phone: Mapped[str] = mapped_column(String(32))
    # The last four digits, indexed: "search by the end of a number" without a full scan.
    phone_suffix: Mapped[str] = mapped_column(
        String(4), default=lambda context: context.get_current_parameters()["phone"][-4:])
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class OptOut(Base):
    """A number that said STOP (or that the provider reports as opted out) to one business
    number: nothing is sent to it from that number until it says START."""

    __tablename__ = "opt_outs"
    __table_args__ = (UniqueConstraint("team_id", "phone", "business_number",
                                       name="uq_opt_outs"),
                      Index("ix_opt_outs_team_hash", "team_id", "number_hash",
                            "business_number"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    # None once the contact is erased: then only `number_hash` remembers the number.
    phone: Mapped[str | None] = mapped_column(String(64))
    business_number: Mapped[str] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(32))  # "keyword STOP", "provider 21610"
    at: Mapped[datetime] = mapped_column(default=utcnow)
    # bot.desk.directory.opt_outs.number_hash (HMAC under the workspace's PrivacyKey);
    # set on erasure.
    number_hash: Mapped[str | None] = mapped_column(String(64))


class Agent(Base):
    """A Slack user's state on the SMS channel."""

    __tablename__ = "agents"
    __table_args__ = (UniqueConstraint("team_id", "user_id", name="uq_agents_team_user"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str] = mapped_column(String(32))
    ready: Mapped[bool] = mapped_column(default=False)
    not_ready_reason: Mapped[str | None] = mapped_column(String(200))
    state_changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Routing offers to the agent who has waited longest since their last offer.
    last_offer_at: Mapped[datetime | None] = mapped_column()
    # Offers they let run out since they last answered one (desk.missed_offers_not_ready).
    missed_offers: Mapped[int] = mapped_column(default=0, server_default="0")
    # Spelling check before send: None means the desk's default.
    spelling_enabled: Mapped[bool | None] = mapped_column()
    spelling_language: Mapped[str | None] = mapped_column(String(8))


class Interaction(Base):
    __tablename__ = "interactions"
    __table_args__ = (
        Index("ix_interactions_team_state", "team_id", "state", "created_at"),
        Index("ix_interactions_thread", "team_id", "desk_channel", "thread_ts"),
        # A contact's history and activity counts.
        Index("ix_interactions_contact", "team_id", "contact_id", "created_at"),
        # Reports (storage/report_queries.py): a period's interactions, by when they opened.
        Index("ix_interactions_team_created", "team_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"))
    business_number: Mapped[str] = mapped_column(String(32))
    queue: Mapped[str] = mapped_column(String(64), default="SMS")
    media: Mapped[str] = mapped_column(String(8), default="SMS")  # SMS | MMS
    mode: Mapped[str] = mapped_column(String(8), default="page")  # page | session
    # outbound: started by an agent's "New SMS" rather than by the customer's text.
    direction: Mapped[str] = mapped_column(String(8), default="inbound")
    # The number this conversation is with: a contact can have several, and replies go to
    # the one the customer texted from (None on rows older than migration 0008: the primary).
    customer_number: Mapped[str | None] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(16))  # see bot.desk.interactions.lifecycle.STATES
    agent_user_id: Mapped[str | None] = mapped_column(String(32))
    offered_to: Mapped[str | None] = mapped_column(String(32))
    case_data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    desk_channel: Mapped[str | None] = mapped_column(String(32))
    thread_ts: Mapped[str | None] = mapped_column(String(32))
    # Session mode: no message either way until then closes the session for messaging.
    session_expires_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    accepted_at: Mapped[datetime | None] = mapped_column()
    closed_at: Mapped[datetime | None] = mapped_column()
    closed_by: Mapped[str | None] = mapped_column(String(32))
    disposition: Mapped[str | None] = mapped_column(String(120))
    disposition_by: Mapped[str | None] = mapped_column(String(32))
    disposition_at: Mapped[datetime | None] = mapped_column()
    # Words the agent chose "Ignore All" for, for the rest of this interaction.
    spelling_ignored: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # The live card in the queue's supervisor channel.
    supervisor_channel: Mapped[str | None] = mapped_column(String(32))
    supervisor_ts: Mapped[str | None] = mapped_column(String(32))
    # Set when every Ready member declined and the supervisors were told (once per wait).
    everyone_declined_at: Mapped[datetime | None] = mapped_column()
    # Set when Done (or a page-mode reply) waits for a mandatory disposition.
    done_requested_by: Mapped[str | None] = mapped_column(String(32))
    # The customer wrote after the agent's last reply (or Done): set by the text that joins
    # the interaction, cleared by the reply. Page mode's close after a reply, and the close a
    # mandatory code brings, are conditional on it (bot/desk/replies/closing.py), so a text
    # that arrives while the interaction is closing keeps it open.
    awaiting_reply: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Set when retention (bot/desk/data_protection/retention.py) removed its texts, notes
    # and media; the row, its outline and its disposition stay so reports still add up.
    purged_at: Mapped[datetime | None] = mapped_column()


class Offer(Base):
    """One preview shown to one agent; its message is updated to tell how it ended."""

    __tablename__ = "offers"
    __table_args__ = (Index("ix_offers_interaction", "interaction_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    interaction_id: Mapped[int] = mapped_column(ForeignKey("interactions.id"))
    agent_user_id: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(16), default="pending")
    kind: Mapped[str] = mapped_column(String(16), default="route")  # route | transfer
    from_user_id: Mapped[str | None] = mapped_column(String(32))  # who transferred it
    reason: Mapped[str | None] = mapped_column(String(300))
    offered_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    answered_at: Mapped[datetime | None] = mapped_column()
    preview_channel: Mapped[str | None] = mapped_column(String(32))
    preview_ts: Mapped[str | None] = mapped_column(String(32))


class Message(Base):
    """One SMS either way. Inbound rows are committed before the webhook answers 200."""

    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("provider", "provider_sid", name="uq_messages_provider_sid"),
        UniqueConstraint("team_id", "slack_channel", "slack_ts", name="uq_messages_slack_ts"),
        Index("ix_messages_interaction", "interaction_id", "id"),
        # Reports: a period's texts, by when they were sent or received.
        Index("ix_messages_team_created", "team_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    interaction_id: Mapped[int] = mapped_column(ForeignKey("interactions.id"))
    direction: Mapped[str] = mapped_column(String(8))  # inbound | outbound
    body: Mapped[str] = mapped_column(Text, default="")
    # The agent's text as Slack sent it; converted to plain text when relayed.
    slack_text: Mapped[str | None] = mapped_column(Text)
    author_user_id: Mapped[str | None] = mapped_column(String(32))
    provider: Mapped[str] = mapped_column(String(16))
    provider_sid: Mapped[str | None] = mapped_column(String(64))
    from_number: Mapped[str] = mapped_column(String(32))
    to_number: Mapped[str] = mapped_column(String(32))
    # inbound: received | outbound: pending, sending, sent, delivered, undelivered, failed
    delivery_state: Mapped[str] = mapped_column(String(16))
    error: Mapped[str | None] = mapped_column(String(300))
    segments: Mapped[int | None] = mapped_column()
    # Where the message shows in Slack: the customer's line we posted, or the agent's own reply.
    # A customer's text on the thread's card has the card's ts and no channel (several
    # texts share the card; its channel is the interaction's).
    slack_channel: Mapped[str | None] = mapped_column(String(32))
    slack_ts: Mapped[str | None] = mapped_column(String(32))
    # A held reply: the flagged words and the choice made for each so far (or the custom
    # emoji left out of it, bot/desk/replies/custom_emoji.py) the agent is deciding about.
    spelling_flags: Mapped[dict[str, Any] | None] = mapped_column()
    # Why a held reply (delivery_state "held") waits for its agent: "spelling", … (see
    # bot/desk/replies/held.py). Kept after the decision, as a record of why it waited.
    hold_reasons: Mapped[list[str] | None] = mapped_column(JSON)
    # The delivery reactions on the agent's message (names, oldest first, separated by
    # spaces: bot/slack/delivery_marks.py), so a change makes only the calls it needs.
    delivery_shown: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class UnmatchedDeliveryReport(Base):
    """A provider's delivery report on a message no send is recorded for yet: the report can
    overtake the answer to the send request (both race). Kept by the provider's message id
    for a few minutes and applied when the send is recorded (bot/desk/replies/delivery.py).
    No team: which workspace it belongs to is known once its message is; it holds no number
    and no text."""

    __tablename__ = "unmatched_delivery_reports"
    __table_args__ = (
        Index("ix_unmatched_delivery_reports_sid", "provider", "provider_sid"),
        Index("ix_unmatched_delivery_reports_received", "received_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    provider: Mapped[str] = mapped_column(String(16))
    provider_sid: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))  # as Message.delivery_state
    error_code: Mapped[str | None] = mapped_column(String(32))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class Media(Base):
    """One file of an inbound MMS. The original bytes are kept whatever becomes of them."""

    __tablename__ = "media"
    __table_args__ = (Index("ix_media_message", "message_id", "position"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    interaction_id: Mapped[int] = mapped_column(ForeignKey("interactions.id"))
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"))
    position: Mapped[int] = mapped_column()  # 1-based, as the customer sent them
    provider_url: Mapped[str | None] = mapped_column(Text)
    content_type: Mapped[str | None] = mapped_column(String(100))
    # pending (not fetched or not processed yet), ready, rejected (kept, not shown), failed
    state: Mapped[str] = mapped_column(String(16), default="pending")
    note: Mapped[str | None] = mapped_column(String(300))
    original: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    original_size: Mapped[int | None] = mapped_column()
    display: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    display_content_type: Mapped[str | None] = mapped_column(String(50))
    thumbnail: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    width: Mapped[int | None] = mapped_column()
    height: Mapped[int | None] = mapped_column()
    # Where it shows in the thread: set once posted, so a retried job posts once.
    slack_ts: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TimelineEvent(Base):
    """System lines of the transcript: offered, accepted, sent, closed..."""

    __tablename__ = "timeline_events"
    __table_args__ = (Index("ix_timeline_interaction", "interaction_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    interaction_id: Mapped[int] = mapped_column(ForeignKey("interactions.id"))
    kind: Mapped[str] = mapped_column(String(32))
    actor_user_id: Mapped[str | None] = mapped_column(String(32))
    detail: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    slack_ts: Mapped[str | None] = mapped_column(String(32))


class Job(Base):
    """The transactional outbox and the timer table in one.

    Jobs sharing a `lane` run strictly one after another in id order, which is how
    the messages of one interaction reach Slack in the order they happened.
    """

    __tablename__ = "jobs"
    __table_args__ = (
        Index("ix_jobs_due", "state", "due_at"),
        Index("ix_jobs_lane", "lane", "id"),
        Index("ix_jobs_coalesce", "coalesce_key", "state"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(48))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    lane: Mapped[str | None] = mapped_column(String(64))
    # Claimed lowest first among due jobs: 0 customers' messages, 1 offers, 2 cosmetic.
    priority: Mapped[int] = mapped_column(default=1)
    # Jobs that redraw one Slack message from the database: a second request while one is
    # still pending adds nothing (the pending one will draw the latest state).
    coalesce_key: Mapped[str | None] = mapped_column(String(96))
    state: Mapped[str] = mapped_column(String(16), default="pending")  # pending|running|done|dead
    due_at: Mapped[datetime] = mapped_column(default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    # An earlier run may have done its calls without writing down their outcome (it was
    # killed, or a call got no answer); sticky until done (storage.outbox.claim).
    outcome_unknown: Mapped[bool] = mapped_column(default=False, server_default=false())
    locked_until: Mapped[datetime | None] = mapped_column()
    # The worker that claimed it last (WorkerHeartbeat.worker_id): a running job whose
    # worker stopped beating is taken back at once, not after its lease.
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column()


class WorkerHeartbeat(Base):
    """A worker process's last sign of life (storage/heartbeats.py), on the database's
    clock: the jobs of one silent for a few seconds are taken back by the others."""

    __tablename__ = "worker_heartbeats"

    worker_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    started_at: Mapped[datetime] = mapped_column()
    beat_at: Mapped[datetime] = mapped_column()


class HomeView(Base):
    """When a person last looked at the app's Home tab (opened it, or clicked on it): only
    a Home someone has looked at lately is redrawn (storage/home_views.py)."""

    __tablename__ = "home_views"

    team_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    opened_at: Mapped[datetime] = mapped_column()


class StandardResponse(Base):
    """An entry of the Standard Response Library, with {fields} filled in on insert."""

    __tablename__ = "standard_responses"
    __table_args__ = (UniqueConstraint("team_id", "name", name="uq_responses_team_name"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(120))
    category: Mapped[str] = mapped_column(String(120), default="General")
    text: Mapped[str] = mapped_column(Text)
    updated_by: Mapped[str | None] = mapped_column(String(32))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class DictionaryWord(Base):
    """A word the spelling check accepts: an agent's own (personal) or everyone's (corporate)."""

    __tablename__ = "dictionary_words"
    __table_args__ = (UniqueConstraint("team_id", "owner", "word", name="uq_dictionary_word"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    owner: Mapped[str] = mapped_column(String(32))  # a user id, or "corporate"
    word: Mapped[str] = mapped_column(String(100))  # lower case
    added_by: Mapped[str | None] = mapped_column(String(32))
    added_at: Mapped[datetime] = mapped_column(default=utcnow)


class GroupMember(Base):
    """Members of the Slack user groups named in the settings (queues, roles), as last read."""

    __tablename__ = "group_members"
    __table_args__ = (UniqueConstraint("team_id", "group_id", "user_id",
                                       name="uq_group_members"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    group_id: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str] = mapped_column(String(32))
    refreshed_at: Mapped[datetime] = mapped_column(default=utcnow)


class SlackEventReceipt(Base):
    """Slack retries events it thinks failed; the event_id makes a retry a no-op."""

    __tablename__ = "slack_event_receipts"
    __table_args__ = (UniqueConstraint("team_id", "event_id", name="uq_slack_event"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    event_id: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class SettingOverride(Base):
    """A setting an admin changed from Slack (/sms-admin), laid over the settings file's value
    for this workspace (bot/desk/admin/admin_settings.py). `value` is JSON as the file
    would hold it."""

    __tablename__ = "setting_overrides"
    __table_args__ = (UniqueConstraint("team_id", "key", name="uq_setting_overrides_team_key"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(String(200))  # e.g. "dispositions.codes"
    value: Mapped[Any] = mapped_column(JSON)
    updated_by: Mapped[str | None] = mapped_column(String(32))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditEntry(Base):
    """Who changed what, when: any administrative change (settings, and later exports,
    erasures, contact assignments). `detail` holds at least {"old": ..., "new": ...}."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_team_at", "team_id", "at", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    actor_user_id: Mapped[str | None] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(64))  # e.g. "settings.dispositions"
    subject: Mapped[str | None] = mapped_column(String(200))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class PrivacyKey(Base):
    """The workspace's secret key for hashing the numbers of erased contacts (opt-outs)."""

    __tablename__ = "privacy_keys"
    __table_args__ = (UniqueConstraint("team_id", name="uq_privacy_keys_team"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    key: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Erasure(Base):
    """One contact's erasure (bot/desk/data_protection/erasure.py): what the database lost at once
    (`removed`, counts), and, in its steps, what Slack and the provider were asked to delete."""

    __tablename__ = "erasures"
    __table_args__ = (Index("ix_erasures_team", "team_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    requested_by: Mapped[str | None] = mapped_column(String(32))  # None: the command line
    contact_id: Mapped[int] = mapped_column(BigInteger)  # gone (delete) or anonymised
    mode: Mapped[str] = mapped_column(String(16))  # delete | anonymise
    removed: Mapped[dict[str, Any]] = mapped_column(default=dict)
    state: Mapped[str] = mapped_column(String(16), default="running")  # running | done
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column()


class ErasureStep(Base):
    """One deletion asked of Slack (a message, a thread's files) or of the provider (a
    message and its media), and how it ended: pending, deleted, gone (already), refused."""

    __tablename__ = "erasure_steps"
    __table_args__ = (Index("ix_erasure_steps_erasure", "erasure_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    erasure_id: Mapped[int] = mapped_column(ForeignKey("erasures.id"))
    kind: Mapped[str] = mapped_column(String(32))
    target: Mapped[dict[str, Any]] = mapped_column(default=dict)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    reason: Mapped[str | None] = mapped_column(String(300))


class ExportUpload(Base):
    """A contact's export file the app uploaded to someone's DM: a later erasure of the
    contact deletes the file from Slack too (bot/desk/data_protection/erasure.py)."""

    __tablename__ = "export_uploads"
    __table_args__ = (Index("ix_export_uploads_contact", "team_id", "contact_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    contact_id: Mapped[int] = mapped_column(BigInteger)
    requested_by: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str | None] = mapped_column(String(32))  # the requester's DM
    file_id: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
