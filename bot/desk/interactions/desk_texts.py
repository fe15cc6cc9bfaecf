"""Texts the desk sends a customer in its own name (the HELP answer, the holding reply, the
after-hours reply): kept
in the interaction like any message, sent through the normal send path (an opted-out number
is refused at send time, as every send is), and the thread says it went out."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.desk import effects
from bot.desk.interactions import timeline
from storage.models import Message


def text_customer(s: Session, team_id: str, interaction_id: int, body: str, *,
                  from_number: str, to_number: str, recorded_as: str,
                  detail: str | None = None) -> None:
    """`recorded_as`: the timeline event that says why the desk wrote (with `detail`)."""
    reply = Message(team_id=team_id, interaction_id=interaction_id, direction="outbound",
                    body=body, provider="", from_number=from_number, to_number=to_number,
                    delivery_state="pending")
    s.add(reply)
    s.flush()
    timeline.record(s, team_id, interaction_id, recorded_as, detail=detail)
    effects.send_sms(s, team_id, reply.id, interaction_id)
