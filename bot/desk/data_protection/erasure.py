"""Erasing a contact: the database at once, Slack and the provider through outbox jobs.

One transaction removes (settings.erasure "delete") or anonymises ("anonymise": the rows
stay, so counts and reports still add up, but every name, number, e-mail, message body, case
field, note and media file in them is gone) the contact, its numbers, interactions,
transcripts, notes and media; keeps the contact's opt-outs as hashes only (bot/desk/
opt_outs.py); cancels the jobs still waiting to show those rows; and writes one erasure step
per deletion to ask elsewhere: each Slack message the app posted with their text (agents'
previews, the thread cards and every thread line, supervisor cards), each export file of the
contact uploaded to someone's DM, each thread swept for files and lines the database never
tracked, each message (and its media) the provider holds. Outbox jobs of the contact, finished
ones too, lose their payloads and error texts (a number, a line of an SMS).
The steps run in one lane, in order, paced like every Slack call (chat.delete is Tier 3);
the last job tells the requester what was removed and what could not be, and why.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.desk import effects, jobs
from bot.desk.admin import audit
from bot.desk.directory import opt_outs
from bot.desk.directory.contacts import numbers_of
from bot.desk.interactions import timeline
from bot.desk.interactions.lifecycle import DONE
from bot.desk.phone import national_digits
from storage import outbox
from storage.clock import utcnow
from storage.db import Database
from storage.models import (
    Contact,
    ContactNumber,
    Erasure,
    ErasureStep,
    ExportUpload,
    Interaction,
    Media,
    Message,
    Offer,
    TimelineEvent,
)
from storage.outbox import UNFINISHED

# Step kinds, and the job that carries each out (bot/worker/erasure_jobs.py runs them).
SLACK_MESSAGE, THREAD, PROVIDER_MESSAGE = "slack_message", "slack_thread", "provider_message"
SLACK_FILE = "slack_file"
STEP_JOBS: dict[str, type[jobs.ErasureStepJob]] = {
    SLACK_MESSAGE: jobs.DeleteSlackMessage, THREAD: jobs.SweepThread,
    SLACK_FILE: jobs.DeleteSlackFile, PROVIDER_MESSAGE: jobs.DeleteProviderMessage}
# How a step ended, as the report reads it.
PENDING, DELETED, GONE, REFUSED = "pending", "deleted", "gone", "refused"

_TWILIO_MEDIA = re.compile(r"/Messages/(?P<message>[A-Za-z0-9]+)/Media/(?P<media>[A-Za-z0-9]+)")
ERASED_NUMBER = "erased"
# What an erased contact's jobs keep of their payload.
SCRUBBED = {"scrubbed": "the contact was erased"}
_NOT_DIGITS = re.compile(r"\D")


@dataclass(frozen=True)
class ErasurePlan:
    """What an erasure of this contact would remove: for the confirmation modal."""

    contact_id: int
    name: str | None
    phone: str
    numbers: int
    interactions: int
    messages: int
    notes: int
    media_files: int
    slack_messages: int
    provider_messages: int
    opt_outs: int
    mode: str
    export_files: int = 0


@dataclass(frozen=True)
class ErasureStarted:
    erasure_id: int
    removed: dict[str, int]
    steps: int


class _Rows:
    """Every row of one contact, read once, in this workspace only."""

    def __init__(self, s: Session, team_id: str, contact: Contact):
        self.contact = contact
        self.numbers = numbers_of(s, team_id, contact.id)
        self.interactions = list(s.scalars(select(Interaction).where(
            Interaction.team_id == team_id, Interaction.contact_id == contact.id)
            .order_by(Interaction.id)))
        ids = [i.id for i in self.interactions] or [-1]
        self.messages = list(s.scalars(select(Message).where(
            Message.team_id == team_id, Message.interaction_id.in_(ids)).order_by(Message.id)))
        self.media = list(s.scalars(select(Media).where(
            Media.team_id == team_id, Media.interaction_id.in_(ids)).order_by(Media.id)))
        self.events = list(s.scalars(select(TimelineEvent).where(
            TimelineEvent.team_id == team_id, TimelineEvent.interaction_id.in_(ids))
            .order_by(TimelineEvent.id)))
        self.offers = list(s.scalars(select(Offer).where(
            Offer.team_id == team_id, Offer.interaction_id.in_(ids)).order_by(Offer.id)))
        self.opt_outs = opt_outs.opt_outs_of(s, team_id, self.numbers)
        self.exports = list(s.scalars(select(ExportUpload).where(
            ExportUpload.team_id == team_id, ExportUpload.contact_id == contact.id)
            .order_by(ExportUpload.id)))

    @property
    def notes(self) -> int:
        return sum(e.kind == timeline.NOTE for e in self.events)

    def slack_targets(self) -> list[tuple[str, dict[str, Any]]]:
        """(step kind, target) in the order to run: each thread's lines, the sweep of what
        was never tracked (files, the history a moved thread starts with), then its card;
        then the previews in agents' DMs and the supervisor cards."""
        steps: list[tuple[str, dict[str, Any]]] = []
        seen: set[tuple[str, str]] = set()

        def add(channel: str | None, ts: str | None, what: str) -> None:
            if channel and ts and (channel, ts) not in seen:
                seen.add((channel, ts))
                steps.append((SLACK_MESSAGE, {"channel": channel, "ts": ts, "what": what}))

        by_interaction = {i.id: i for i in self.interactions}
        for i in self.interactions:
            for m in self.messages:
                # A text the card carries goes with the card, after its thread.
                if m.interaction_id == i.id and not (m.slack_channel is None
                                                     and m.slack_ts == i.thread_ts):
                    add(m.slack_channel or i.desk_channel, m.slack_ts,
                        "customer's message" if m.direction == "inbound" else "agent's reply")
            for e in self.events:
                if e.interaction_id == i.id:
                    add(i.desk_channel, e.slack_ts, "thread line")
            for media in self.media:
                if media.interaction_id == i.id:
                    add(i.desk_channel, media.slack_ts, "picture line")
            if i.desk_channel and i.thread_ts:
                steps.append((THREAD, {"channel": i.desk_channel, "ts": i.thread_ts}))
                add(i.desk_channel, i.thread_ts, "interaction card")
        for o in self.offers:
            add(o.preview_channel, o.preview_ts, "preview in an agent's DM")
        for i in by_interaction.values():
            add(i.supervisor_channel, i.supervisor_ts, "supervisor card")
        for export in self.exports:
            steps.append((SLACK_FILE, {"file": export.file_id, "channel": export.channel,
                                       "what": "export file in a DM"}))
        return steps

    def slack_stamps(self) -> set[str]:
        """Every Slack ts the rows remember: a job naming one is about this contact."""
        stamps = {i.thread_ts for i in self.interactions}
        stamps |= {m.slack_ts for m in self.messages} | {e.slack_ts for e in self.events}
        stamps |= {m.slack_ts for m in self.media} | {o.preview_ts for o in self.offers}
        return {ts for ts in stamps if ts}

    def provider_targets(self) -> list[dict[str, Any]]:
        media_of: dict[int, list[list[str]]] = {}
        for media in self.media:
            found = _TWILIO_MEDIA.search(media.provider_url or "")
            if found:
                media_of.setdefault(media.message_id, []).append(
                    [found["message"], found["media"]])
        return [{"provider": m.provider, "sid": m.provider_sid, "media": media_of.get(m.id, [])}
                for m in self.messages if m.provider and m.provider_sid]


def _contact(s: Session, team_id: str, contact_id: int) -> Contact | None:
    contact = s.get(Contact, contact_id)
    return contact if contact is not None and contact.team_id == team_id else None


def plan(db: Database, settings: Settings, team_id: str, contact_id: int) -> ErasurePlan | None:
    with db.transaction() as s:
        contact = _contact(s, team_id, contact_id)
        if contact is None:
            return None
        rows = _Rows(s, team_id, contact)
        return ErasurePlan(
            contact.id, contact.name, contact.phone, len(rows.numbers), len(rows.interactions),
            len(rows.messages), rows.notes, len(rows.media),
            sum(kind == SLACK_MESSAGE for kind, _ in rows.slack_targets()),
            len(rows.provider_targets()), len(rows.opt_outs), settings.erasure,
            len(rows.exports))


def erase(db: Database, settings: Settings, team_id: str, contact_id: int, *,
          requested_by: str | None) -> ErasureStarted | None:
    """Erase now (the database), and queue what Slack and the provider must delete.
    `requested_by`: the admin, told the outcome in a DM; None from the command line."""
    mode = settings.erasure
    with db.transaction() as s:
        contact = _contact(s, team_id, contact_id)
        if contact is None:
            return None
        rows = _Rows(s, team_id, contact)
        slack_targets, provider_targets = rows.slack_targets(), rows.provider_targets()
        removed = {"contacts": 1, "numbers": len(rows.numbers),
                   "export_files": len(rows.exports),
                   "interactions": len(rows.interactions), "messages": len(rows.messages),
                   "notes": rows.notes, "media_files": len(rows.media),
                   "timeline_events": len(rows.events)}
        holders = {i.agent_user_id for i in rows.interactions
                   if i.state != DONE and i.agent_user_id}
        _forget_jobs(s, team_id, rows)
        s.execute(delete(ExportUpload).where(ExportUpload.team_id == team_id,
                                             ExportUpload.contact_id == contact.id))
        removed["opt_outs_kept_as_hash"] = opt_outs.forget_numbers(s, team_id, rows.numbers)
        if mode == "anonymise":
            _anonymise(s, team_id, rows)
        else:
            _delete(s, team_id, rows)
        erasure = Erasure(team_id=team_id, requested_by=requested_by, contact_id=contact_id,
                          mode=mode, removed=removed, state="running", created_at=utcnow())
        s.add(erasure)
        s.flush()
        steps = [ErasureStep(team_id=team_id, erasure_id=erasure.id, kind=kind, target=target,
                             state=PENDING) for kind, target in slack_targets]
        steps += [ErasureStep(team_id=team_id, erasure_id=erasure.id, kind=PROVIDER_MESSAGE,
                              target=target, state=PENDING) for target in provider_targets]
        s.add_all(steps)
        s.flush()
        for step in steps:
            jobs.queue(s, team_id, STEP_JOBS[step.kind](step.id, erasure_id=erasure.id))
        jobs.queue(s, team_id, jobs.ReportErasure(erasure.id))
        for user_id in holders:
            effects.publish_home(s, team_id, user_id)  # their Home tab listed the contact
        audit.record(s, team_id, requested_by, "privacy.erase", f"contact {contact_id}",
                     old=None, new=None, mode=mode, removed=removed,
                     slack_messages=sum(k == SLACK_MESSAGE for k, _ in slack_targets),
                     provider_messages=len(provider_targets),
                     export_files=len(rows.exports),
                     via="slack" if requested_by else "command line")
        return ErasureStarted(erasure.id, removed, len(steps))


def _forget_jobs(s: Session, team_id: str, rows: _Rows) -> None:
    """Jobs still waiting to show these rows would find them gone (or show emptied ones), or
    post the number again (a notification): they are cancelled. Every job of the contact,
    finished ones too, keeps its kind and times but loses its payload and error text, which
    can hold the number or a line of text ("Your SMS to +1 415-555-0100 is on its way")."""
    wanted = {"interaction_id": {i.id for i in rows.interactions},
              "offer_id": {o.id for o in rows.offers},
              "message_id": {m.id for m in rows.messages},
              "media_id": {m.id for m in rows.media}}
    stamps = rows.slack_stamps()
    # Digits only, so any way of writing the number matches (+1 415-555-0100, 4155550100).
    numbers = {n.lstrip("+") for n in rows.numbers} | {national_digits(n) for n in rows.numbers}
    numbers.discard("")
    words = {w.casefold() for w in (rows.contact.name, rows.contact.email) if w and len(w) > 2}

    def about(payload: dict[str, Any], error: str | None) -> tuple[bool, bool]:
        """(names its rows or number, mentions its name or e-mail)"""
        reply = payload.get("reply")
        if not isinstance(reply, dict):
            reply = {}
        if any(payload.get(key) in ids or reply.get(key) in ids
               for key, ids in wanted.items()):
            return True, True
        texts = [t for t in _strings(payload) if t] + ([error] if error else [])
        if stamps.intersection(texts):
            return True, True
        if any(n in _NOT_DIGITS.sub("", t) for t in texts for n in numbers):
            return True, True
        return False, any(w in t.casefold() for t in texts for w in words)

    called_off, scrubbed = [], []
    for job in outbox.every_job(s, team_id):
        rows_or_number, named = about(job.payload or {}, job.last_error)
        unfinished = job.state in UNFINISHED
        if unfinished and rows_or_number:
            called_off.append(job)
        elif not unfinished and named:
            scrubbed.append(job)
        # Otherwise: another contact's work that merely shares a word with this name.
    outbox.cancel(s, called_off, "cancelled: the contact was erased", payload=SCRUBBED)
    outbox.scrub(s, scrubbed, SCRUBBED)


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [t for v in value.values() for t in _strings(v)]
    if isinstance(value, (list, tuple)):
        return [t for v in value for t in _strings(v)]
    return []


def _delete(s: Session, team_id: str, rows: _Rows) -> None:
    ids = [i.id for i in rows.interactions] or [-1]
    for model in (Media, TimelineEvent, Offer, Message):
        s.execute(delete(model).where(model.team_id == team_id,
                                      model.interaction_id.in_(ids)))
    s.execute(delete(Interaction).where(Interaction.team_id == team_id,
                                        Interaction.id.in_(ids)))
    s.execute(delete(ContactNumber).where(ContactNumber.team_id == team_id,
                                          ContactNumber.contact_id == rows.contact.id))
    s.execute(delete(Contact).where(Contact.team_id == team_id,
                                    Contact.id == rows.contact.id))


def _anonymise(s: Session, team_id: str, rows: _Rows) -> None:
    numbers = set(rows.numbers)
    contact = rows.contact
    # Unique per workspace, and no number: a later text from the number is a new contact.
    contact.phone, contact.name, contact.email = f"{ERASED_NUMBER}:{contact.id}", None, None
    contact.attributes = {}
    for number in s.scalars(select(ContactNumber).where(
            ContactNumber.team_id == team_id, ContactNumber.contact_id == contact.id)):
        number.phone, number.phone_suffix = f"{ERASED_NUMBER}:{number.id}", ""
    for i in rows.interactions:
        i.customer_number, i.case_data, i.spelling_ignored = None, {}, {}
    for m in rows.messages:
        m.body, m.slack_text, m.error, m.spelling_flags = "", None, None, None
        if m.from_number in numbers:
            m.from_number = ERASED_NUMBER
        if m.to_number in numbers:
            m.to_number = ERASED_NUMBER
    for media in rows.media:
        media.original = media.display = media.thumbnail = None
        media.provider_url, media.note, media.state = None, None, "erased"
    for event in rows.events:
        event.detail = None
    for offer in rows.offers:
        offer.reason = None


# --- the steps' outcomes, and the report ------------------------------------------------

def step(db: Database, team_id: str, step_id: int) -> ErasureStep | None:
    with db.transaction() as s:
        found = s.get(ErasureStep, step_id)
        if found is None or found.team_id != team_id:
            return None
        s.expunge(found)
        return found


def finish_step(db: Database, team_id: str, step_id: int, state: str,
                reason: str | None = None, **result: int) -> None:
    """`result`: counts worth reporting (a sweep's lines and files)."""
    with db.transaction() as s:
        found = s.get(ErasureStep, step_id)
        if found is None or found.team_id != team_id:
            return
        found.state, found.reason = state, (reason or None) and reason[:300]
        if result:
            found.target = {**found.target, "result": result}


@dataclass(frozen=True)
class ErasureReport:
    erasure_id: int
    contact_id: int
    mode: str
    requested_by: str | None
    removed: dict[str, int]
    deleted: dict[str, int]  # step kind -> how many were deleted (or were already gone)
    not_removed: tuple[str, ...]  # one line each: what, and why
    swept_lines: int = 0
    swept_files: int = 0
    done: bool = False


_WHAT = {SLACK_MESSAGE: "Slack message", THREAD: "Slack thread", SLACK_FILE: "Slack file",
         PROVIDER_MESSAGE: "provider message"}


def report(db: Database, team_id: str, erasure_id: int) -> ErasureReport | None:
    """How the erasure went, step by step. A step still pending when this runs (the last job
    of the erasure's lane) is one whose job gave up after its retries."""
    with db.transaction() as s:
        erasure = s.get(Erasure, erasure_id)
        if erasure is None or erasure.team_id != team_id:
            return None
        steps = list(s.scalars(select(ErasureStep).where(
            ErasureStep.team_id == team_id, ErasureStep.erasure_id == erasure_id)
            .order_by(ErasureStep.id)))
        deleted: dict[str, int] = {}
        problems: list[str] = []
        lines = files = 0
        for one in steps:
            result = one.target.get("result") or {}
            lines += result.get("lines", 0)
            files += result.get("files", 0)
            if one.state in (DELETED, GONE):
                deleted[one.kind] = deleted.get(one.kind, 0) + 1
            else:
                what = one.target.get("what") or _WHAT[one.kind]
                where = one.target.get("channel") or one.target.get("sid") or ""
                reason = one.reason or "gave up after repeated failures"
                problems.append(f"{what} {where}: {reason}".replace("  ", " "))
        return ErasureReport(erasure.id, erasure.contact_id, erasure.mode,
                             erasure.requested_by, dict(erasure.removed or {}), deleted,
                             tuple(problems), lines, files, erasure.state == "done")


def mark_done(db: Database, team_id: str, done: ErasureReport) -> None:
    with db.transaction() as s:
        erasure = s.get(Erasure, done.erasure_id)
        if erasure is None or erasure.team_id != team_id or erasure.state == "done":
            return
        erasure.state, erasure.finished_at = "done", utcnow()
        audit.record(s, team_id, erasure.requested_by, "privacy.erase_finished",
                     f"contact {erasure.contact_id}", old=None, new=None,
                     deleted=done.deleted, swept_lines=done.swept_lines,
                     swept_files=done.swept_files, not_removed=list(done.not_removed[:50]))
