"""Claiming from the queue: an agent takes a waiting text themselves instead of waiting for
routing to offer it. What waits is listed on /sms-queue and the Home tab, oldest first.

Who may claim: an agent ([roles]) of the interaction's queue with room for one more in that
queue (desk.agent_capacity or the queue's own), while desk.agents_may_claim is on. Ready is
not asked for: Ready says "push texts to me"; a claim is the person at their desk pulling one
text by hand (an agent in wrap-up or Not Ready for a break who sees a customer waiting too
long), as Front, Zendesk and Chatwoot let an agent assign a conversation to themselves
whatever their status. Capacity still rules, so a claim never overloads anyone.

A claim is one transaction of conditional updates, in the order a Reject or a reassignment
takes its locks (the interaction row, then the routing lock): the interaction moves to the
claimer as if offered to them (any pending offer to someone else is withdrawn, its preview
redrawn), and that offer is taken by answering.take, the path Accept takes, so the thread
opens exactly as after an Accept. An Accept racing it finds the interaction moved and loses;
a claim racing an Accept finds it held and is refused: one winner."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.desk import effects
from bot.desk.admin import permissions
from bot.desk.data_protection import redaction
from bot.desk.interactions import answering, missed_offers, routing
from bot.desk.interactions.lifecycle import (
    CLAIMED,
    OFFER_PENDING,
    OFFER_WITHDRAWN,
    OFFERED,
    QUEUED,
    move_interaction,
    move_offer,
    place_offer,
)
from bot.desk.notices import Notice, naming
from bot.desk.phone import display
from storage.clock import utcnow
from storage.db import Database
from storage.models import Contact, Interaction, Message, Offer

# States of a text nobody holds yet: waiting in its queue, or offered and not yet accepted.
CLAIMABLE = (QUEUED, OFFERED)
SHOWN = 10  # waiting texts listed at most (the oldest); the rest are counted

TURNED_OFF = ("Claiming from the queue is turned off on this desk (`[desk] agents_may_claim`): "
              "texts are offered to Ready agents in turn. Nothing was changed.")
NOT_AN_AGENT = ("Only SMS agents can claim texts from the queue. An admin adds you to "
                "`[roles] agents` or `agent_groups` in the settings.")
GONE = "That text is no longer on the desk; nothing was changed."


@dataclass(frozen=True)
class WaitingText:
    """A text nobody holds, as an agent of its queue sees it listed."""

    interaction_id: int
    queue: str
    contact: str  # plain text, not escaped
    since: datetime  # when it arrived
    text: str  # the customer's latest text as agents may see it (redacted); plain
    offered_to: str | None  # offered to someone who has not accepted yet
    claimable: bool  # claiming is on and this agent has room in its queue


@dataclass(frozen=True)
class WaitingTexts:
    """The texts waiting in an agent's queues, oldest first (at most SHOWN of `total`)."""

    items: tuple[WaitingText, ...]
    total: int
    claiming: bool  # desk.agents_may_claim
    now: datetime

    @property
    def full(self) -> bool:
        """Some listed text has no Claim button because the agent has no room for it."""
        return self.claiming and any(not item.claimable for item in self.items)


@dataclass(frozen=True)
class ClaimResult:
    won: bool
    answer: Notice  # what the person who clicked is told
    interaction_id: int | None = None


def _my_queues(s: Session, settings: Settings, team_id: str, user_id: str) -> list[str]:
    return [q.name for q in settings.all_queues()
            if (members := routing.queue_members(s, team_id, q)) is None or user_id in members]


def waiting_texts(db: Database, settings: Settings, team_id: str, user_id: str,
                  limit: int = SHOWN) -> WaitingTexts | None:
    """What waits in the agent's queues; None for someone who is no agent (nothing to list)."""
    with db.transaction() as s:
        if not permissions.may_take_interactions(s, settings, team_id, user_id):
            return None
        queues = _my_queues(s, settings, team_id, user_id)
        # An offer to the agent themselves is not listed: its preview in their DM has Accept.
        waiting = (Interaction.team_id == team_id, Interaction.state.in_(CLAIMABLE),
                   Interaction.queue.in_(queues),
                   or_(Interaction.offered_to.is_(None), Interaction.offered_to != user_id))
        total = s.scalar(select(func.count()).select_from(Interaction).where(*waiting)) or 0
        rows = s.execute(select(Interaction, Contact)
                         .join(Contact, Contact.id == Interaction.contact_id)
                         .where(*waiting)
                         .order_by(Interaction.created_at, Interaction.id).limit(limit)).all()
        latest = _latest_texts(s, [interaction.id for interaction, _ in rows])
        load = routing.load(s, team_id).get(user_id, 0)
        items = tuple(
            WaitingText(interaction.id, interaction.queue, contact.name or display(
                interaction.customer_number or contact.phone), interaction.created_at,
                redaction.shown(latest.get(interaction.id, ""), settings),
                interaction.offered_to if interaction.state == OFFERED else None,
                settings.agents_may_claim
                and load < settings.capacity_for(user_id, settings.queue_named(
                    interaction.queue)))
            for interaction, contact in rows)
        return WaitingTexts(items, total, settings.agents_may_claim, utcnow())


def _latest_texts(s: Session, interaction_ids: list[int]) -> dict[int, str]:
    if not interaction_ids:
        return {}
    newest = (select(func.max(Message.id))
              .where(Message.interaction_id.in_(interaction_ids),
                     Message.direction == "inbound")
              .group_by(Message.interaction_id))
    return {interaction_id: body or "" for interaction_id, body in s.execute(
        select(Message.interaction_id, Message.body).where(Message.id.in_(newest)))}


def claim(db: Database, settings: Settings, team_id: str, interaction_id: int,
          user_id: str) -> ClaimResult:
    """The agent takes the interaction from its queue; a refusal (nothing changed) says why."""
    try:
        with db.transaction() as s:
            return _claim(s, settings, team_id, interaction_id, user_id)
    except answering.LostRace:
        with db.transaction() as s:
            interaction = s.get(Interaction, interaction_id)
            return ClaimResult(False, _taken(interaction, user_id), interaction_id)


def _claim(s: Session, settings: Settings, team_id: str, interaction_id: int,
           user_id: str) -> ClaimResult:
    if not settings.agents_may_claim:
        return ClaimResult(False, Notice(TURNED_OFF))
    if not permissions.may_take_interactions(s, settings, team_id, user_id):
        return ClaimResult(False, Notice(NOT_AN_AGENT))
    # The interaction row first, then the routing lock: the order a Reject, a timeout or a
    # reassignment takes them in, so a claim racing one waits instead of deadlocking.
    interaction = s.get(Interaction, interaction_id, with_for_update=True,
                        populate_existing=True)
    if interaction is None or interaction.team_id != team_id:
        return ClaimResult(False, Notice(GONE))
    queue = settings.queue_named(interaction.queue)
    members = routing.queue_members(s, team_id, queue)
    if members is not None and user_id not in members:
        return ClaimResult(False, Notice(
            f"You are not an agent of queue {queue.name}, so you cannot claim its texts. "
            "Nothing was changed."), interaction_id)
    if interaction.state not in CLAIMABLE:
        return ClaimResult(False, _taken(interaction, user_id), interaction_id)
    now = utcnow()
    mine = s.scalars(select(Offer).where(Offer.interaction_id == interaction_id,
                                         Offer.agent_user_id == user_id,
                                         Offer.state == OFFER_PENDING)).first()
    if interaction.offered_to == user_id and mine is not None:
        # Offered to them already: claiming it is accepting that offer.
        answering.take(s, settings, mine, now)
        missed_offers.answered(s, settings, team_id, user_id)
        return _claimed(settings, interaction)
    routing.lock_team_routing(s, team_id)
    holds = routing.load(s, team_id).get(user_id, 0)
    capacity = settings.capacity_for(user_id, queue)
    if holds >= capacity:
        return ClaimResult(False, Notice(
            f"You already hold or are being offered {holds} interactions, your limit in "
            f"queue {queue.name} ({capacity}): finish one, then claim. Nothing was changed."),
            interaction_id)
    previous = interaction.offered_to
    if not move_interaction(s, interaction_id, interaction.state, OFFERED,
                            _where={"offered_to": previous}, offered_to=user_id):
        raise answering.LostRace
    for offer_id in s.scalars(select(Offer.id).where(Offer.interaction_id == interaction_id,
                                                     Offer.state == OFFER_PENDING)):
        # The preview of whoever had it offered now says who took it.
        if move_offer(s, offer_id, OFFER_WITHDRAWN, answered_at=now):
            effects.update_preview(s, team_id, offer_id, interaction_id, ended=True)
    if previous:
        effects.publish_home(s, team_id, previous)
    offer = place_offer(s, team_id, interaction_id, user_id, CLAIMED, now, 0)
    answering.take(s, settings, offer, now)
    if previous:
        routing.dispatch_waiting(s, settings, team_id)  # a slot of theirs is free again
    return _claimed(settings, interaction)


def _claimed(settings: Settings, interaction: Interaction) -> ClaimResult:
    where = ("in your DM with the app" if settings.threads_in_dm(interaction.queue)
             else "in the desk channel")
    return ClaimResult(True, Notice(
        f"You claimed SMS interaction #{interaction.id} from queue {interaction.queue}: its "
        f"thread is {where}, and your replies there reach the customer."), interaction.id)


def _taken(interaction: Interaction | None, user_id: str) -> Notice:
    """Why a claim found nothing to take: who has it now, in words."""
    if interaction is None:
        return Notice(GONE)
    holder = interaction.agent_user_id
    if holder == user_id:
        return Notice(f"SMS interaction #{interaction.id} is already yours.")
    if holder:
        return naming(f"Too late: {{holder}} took SMS interaction #{interaction.id} first. "
                      "Nothing was changed.", holder=holder)
    return Notice(f"SMS interaction #{interaction.id} is no longer waiting "
                  f"({interaction.state}); nothing was changed.")


def answer(db: Database, team_id: str, user_id: str, result: ClaimResult, *,
           channel: str | None, from_home: bool) -> None:
    """Tell the person who clicked Claim what came of it. From the Home tab: the tab is
    redrawn (the text gone from the list, or now theirs), and a refusal is said in their DM;
    from a message (/sms-queue): only they see the answer, in that channel."""
    with db.transaction() as s:
        if from_home:
            effects.publish_home(s, team_id, user_id, looking=True)
            if not result.won:
                effects.notify_agent(s, team_id, user_id, result.answer)
        else:
            effects.notify_agent(s, team_id, user_id, result.answer, channel=channel)
