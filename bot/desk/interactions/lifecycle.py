"""The conversation lifecycle: which state an interaction and an offer may move to.

Every state change in the desk goes through `check_transition`, so an illegal move raises
instead of quietly happening. The storage layer then makes the move a conditional update
(`WHERE state = <from>`), which is what makes it safe between threads and instances.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # at run time imported inside the functions: the states need no database
    from datetime import datetime

    from sqlalchemy.orm import Session

    from storage.models import Agent, Offer

QUEUED = "queued"
OFFERED = "offered"
ACCEPTED = "accepted"
TRANSFERRING = "transferring"  # still its owner's, offered to a colleague
EXPIRED = "expired"  # a session closed for messaging; the agent can only mark it Done
DONE = "done"
STATES = (QUEUED, OFFERED, ACCEPTED, TRANSFERRING, EXPIRED, DONE)
# States in which a new text from the contact joins the interaction instead of opening one.
OPEN_STATES = (QUEUED, OFFERED, ACCEPTED, TRANSFERRING)
# States in which an agent holds the interaction (and it counts against their capacity).
HELD_STATES = (ACCEPTED, TRANSFERRING, EXPIRED)

TRANSITIONS: set[tuple[str, str]] = {
    (QUEUED, OFFERED),  # routed to a Ready agent
    (OFFERED, QUEUED),  # rejected or timed out, nobody else Ready
    (OFFERED, OFFERED),  # rejected or timed out, offered to the next agent
    (OFFERED, ACCEPTED),
    (ACCEPTED, DONE),
    (ACCEPTED, EXPIRED),  # session: no message either way for the expiry interval
    (EXPIRED, DONE),
    (ACCEPTED, TRANSFERRING),  # instant transfer offered to a colleague
    (TRANSFERRING, ACCEPTED),  # the colleague accepted, or it came back to its owner
    (TRANSFERRING, QUEUED),  # it came back while the owner is no longer Ready
    (ACCEPTED, QUEUED),  # transferred to a queue: in that queue's line, the owner freed
}

# How an offer (one preview to one agent) ended.
OFFER_PENDING = "pending"
OFFER_ACCEPTED = "accepted"
OFFER_REJECTED = "rejected"
OFFER_TIMED_OUT = "timed_out"
OFFER_WITHDRAWN = "withdrawn"  # taken by someone else or otherwise no longer offered
OFFER_TRANSITIONS: set[tuple[str, str]] = {
    (OFFER_PENDING, OFFER_ACCEPTED),
    (OFFER_PENDING, OFFER_REJECTED),
    (OFFER_PENDING, OFFER_TIMED_OUT),
    (OFFER_PENDING, OFFER_WITHDRAWN),
}

# What an offer is (Offer.kind): routed from the queue to a Ready agent, routed to an agent
# whose rule answers it when its countdown ends, or a colleague's transfer. A claim is an
# agent taking a waiting text themselves: an offer to them, taken in the same transaction
# (no preview), so it is accepted by the path every Accept takes.
ROUTED, AUTO_ANSWER, TRANSFER, CLAIMED = "route", "auto", "transfer", "claim"

# Outbound delivery states, in the order they can only move forward.
DELIVERY_ORDER = {
    "pending": 0,
    "sending": 1,
    "retrying": 1,  # the provider failed a send; the next try is on its way
    "queued": 2,
    "sent": 3,
    "delivered": 4,
    "undelivered": 4,
    "failed": 4,
}


class IllegalTransition(Exception):
    pass


def check_transition(from_state: str, to_state: str) -> None:
    if (from_state, to_state) not in TRANSITIONS:
        raise IllegalTransition(f"interaction cannot go from {from_state} to {to_state}")


def check_offer_transition(from_state: str, to_state: str) -> None:
    if (from_state, to_state) not in OFFER_TRANSITIONS:
        raise IllegalTransition(f"offer cannot go from {from_state} to {to_state}")


def delivery_moves_forward(current: str, new: str) -> bool:
    """Provider callbacks arrive out of order; a late 'sent' must not undo 'delivered'."""
    return DELIVERY_ORDER.get(new, -1) > DELIVERY_ORDER.get(current, -1)


def move_interaction(session: Session, interaction_id: int, from_state: str, to_state: str,
                     **values: Any) -> bool:
    """Conditional update: True only for the one caller that found the interaction in
    `from_state`. Two clicks, two agents or two instances cannot both win."""
    from sqlalchemy import update

    from storage.db import rows_changed
    from storage.models import Interaction

    check_transition(from_state, to_state)
    result = session.execute(
        update(Interaction)
        .where(Interaction.id == interaction_id, Interaction.state == from_state)
        .where(*[getattr(Interaction, k) == v for k, v in values.pop("_where", {}).items()])
        .values(state=to_state, **values)
        .execution_options(synchronize_session=False)
    )
    return rows_changed(result) == 1


def join_customer_text(session: Session, interaction_id: int) -> bool:
    """A customer's text joins the interaction while it is open, and the interaction now
    awaits the agent's reply. Conditional, like a transition: False when a close committed
    meanwhile (the text then starts a new interaction); a close after it finds the reply
    awaited and keeps the interaction open (bot/desk/replies/closing.py)."""
    from sqlalchemy import update

    from storage.db import rows_changed
    from storage.models import Interaction

    result = session.execute(
        update(Interaction)
        .where(Interaction.id == interaction_id, Interaction.state.in_(OPEN_STATES))
        .values(awaiting_reply=True)
        .execution_options(synchronize_session=False)
    )
    return rows_changed(result) == 1


def reply_taken(session: Session, interaction_id: int) -> None:
    """The agent's reply (or Done) answers what the customer wrote until now."""
    from sqlalchemy import update

    from storage.models import Interaction

    session.execute(update(Interaction).where(Interaction.id == interaction_id)
                    .values(awaiting_reply=False)
                    .execution_options(synchronize_session=False))


def move_offer(session: Session, offer_id: int, to_state: str, **values: Any) -> bool:
    from sqlalchemy import update

    from storage.db import rows_changed
    from storage.models import Offer

    check_offer_transition(OFFER_PENDING, to_state)
    result = session.execute(
        update(Offer)
        .where(Offer.id == offer_id, Offer.state == OFFER_PENDING)
        .values(state=to_state, **values)
        .execution_options(synchronize_session=False)
    )
    return rows_changed(result) == 1


def place_offer(session: Session, team_id: str, interaction_id: int, agent_user_id: str,
                kind: str, offered_at: datetime, seconds: int, *, agent: Agent | None = None,
                **values: Any) -> Offer:
    """A pending offer to an agent, open for `seconds`. The agent's last_offer_at moves with
    it, whoever offers (routing, a transfer, a supervisor): routing takes the agent offered
    longest ago first, so every offer must count. `agent`: their row, when already loaded."""
    from datetime import timedelta

    from sqlalchemy import select

    from storage.models import Agent, Offer

    offer = Offer(team_id=team_id, interaction_id=interaction_id, agent_user_id=agent_user_id,
                  kind=kind, offered_at=offered_at,
                  expires_at=offered_at + timedelta(seconds=seconds), **values)
    session.add(offer)
    if agent is None:
        agent = session.scalars(select(Agent).where(Agent.team_id == team_id,
                                                 Agent.user_id == agent_user_id)).first()
    if agent is not None:
        agent.last_offer_at = offered_at
    session.flush()
    return offer


# States in which a supervisor may hand an interaction to another agent as its new owner.
REASSIGNABLE_HELD = (ACCEPTED, EXPIRED)


def change_owner(session: Session, interaction_id: int, state: str, from_agent: str,
                 to_agent: str, **values: Any) -> bool:
    """A supervisor's reassignment of a held interaction: the state stays, the owner changes.

    Conditional on the state and the old owner, like a transition: if the owner closed it,
    transferred it or it expired meanwhile, nothing happens and the caller is told (False).
    """
    from sqlalchemy import update

    from storage.db import rows_changed
    from storage.models import Interaction

    if state not in REASSIGNABLE_HELD:
        raise IllegalTransition(f"an interaction cannot change owner while {state}")
    result = session.execute(
        update(Interaction)
        .where(Interaction.id == interaction_id, Interaction.state == state,
               Interaction.agent_user_id == from_agent)
        .values(agent_user_id=to_agent, **values)
        .execution_options(synchronize_session=False)
    )
    return rows_changed(result) == 1
