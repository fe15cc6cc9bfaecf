"""What supervisors see: the live card per interaction in the queue's supervisor channel, the
/sms-queue report, and the Reassign modal."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.desk.interactions.lifecycle import ACCEPTED, DONE, EXPIRED, OFFERED, QUEUED, TRANSFERRING
from bot.desk.interactions.supervision import (
    REASSIGNABLE,
    QueueReport,
    QueueSummary,
    ReassignForm,
    WaitingItem,
)
from bot.desk.interactions.waiting import WaitingAlert
from bot.desk.phone import display
from bot.slack import ids
from bot.slack.limits import MAX_OPTION_TEXT, MAX_SELECT_OPTIONS
from bot.slack.mrkdwn import escape
from bot.slack.views.common import SECTION_LIMIT, clip, contact_label, interaction_modal, when
from bot.slack.views.held import supervisor_line

MAX_BLOCKS = 50  # Slack's limit for a message (an ephemeral answer too)
AGENT_BLOCK, AGENT_ACTION = "agent", "agent"

STATE_ICONS = {
    QUEUED: ":hourglass_flowing_sand:",
    OFFERED: ":bell:",
    ACCEPTED: ":speech_balloon:",
    TRANSFERRING: ":arrows_counterclockwise:",
    EXPIRED: ":zzz:",
    DONE: ":white_check_mark:",
}


@dataclass(frozen=True)
class SupervisionCardData:
    interaction_id: int
    queue: str
    state: str
    contact_name: str | None
    contact_phone: str
    business_number: str
    media: str
    mode: str
    agent_user_id: str | None
    offered_to: str | None
    created_at: datetime
    accepted_at: datetime | None  # when an agent first took it
    closed_at: datetime | None
    closed_by: str | None
    disposition: str | None
    # The agent's replies held for their decision longer than the reminder's delay.
    held_replies: int = 0
    held_since: datetime | None = None
    held_reasons: tuple[str, ...] = ()


def duration(seconds: float) -> str:
    """'45 seconds', '3 minutes 5 seconds', '2 hours 4 minutes': words, as read aloud."""
    seconds = max(0, int(seconds))

    def unit(count: int, name: str) -> str:
        return f"{count} {name}{'' if count == 1 else 's'}"

    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return unit(hours, "hour") + (f" {unit(minutes, 'minute')}" if minutes else "")
    if minutes:
        return unit(minutes, "minute") + (f" {unit(secs, 'second')}" if secs else "")
    return unit(secs, "second")


def _mention(user_id: str | None) -> str:
    return f"<@{user_id}>" if user_id else "nobody"


def state_words(c: SupervisionCardData) -> str:
    """The state as a supervisor would say it (mrkdwn: mentions and a date token)."""
    if c.state == QUEUED:
        return f"Waiting since {when(c.created_at)}"
    if c.state == OFFERED:
        return f"Offered to {_mention(c.offered_to)}"
    if c.state == ACCEPTED:
        return f"In progress with {_mention(c.agent_user_id)}"
    if c.state == TRANSFERRING:
        return (f"Being transferred to {_mention(c.offered_to)} "
                f"by {_mention(c.agent_user_id)}")
    if c.state == EXPIRED:
        return f"Session expired; {_mention(c.agent_user_id)} has not marked it Done"
    if c.state == DONE:
        return f"Done by {_mention(c.closed_by or c.agent_user_id)}"
    return escape(c.state)


def waiting_time(c: SupervisionCardData) -> str | None:
    if c.accepted_at is None:
        return None
    return duration((c.accepted_at - c.created_at).total_seconds())


def handling_time(c: SupervisionCardData) -> str | None:
    if c.accepted_at is None or c.closed_at is None:
        return None
    return duration((c.closed_at - c.accepted_at).total_seconds())


def reassign_button(interaction_id: int) -> dict:
    return {"type": "button", "action_id": ids.REASSIGN, "value": str(interaction_id),
            "text": {"type": "plain_text", "text": "Reassign"}}


def build_supervision_card(c: SupervisionCardData, *, moved_away: bool = False,
                           followed_in: str | None = None) -> dict:
    """chat.postMessage / chat.update arguments for the card in the supervisor channel.

    `moved_away`: the last draw of a card left in the channel of the queue the interaction
    was transferred out of; `followed_in` is the channel its new card is in, if any."""
    who = escape(contact_label(c.contact_name, c.contact_phone))
    queue = escape(c.queue)
    state, icon = state_words(c), STATE_ICONS.get(c.state, "")
    if moved_away:
        where = f"followed in <#{followed_in}>" if followed_in else \
            "which has no supervisor channel"
        state, icon = f"Moved to queue {queue}, {where}", ":arrow_right:"
    waited, handled = waiting_time(c), handling_time(c)
    fallback = f"{c.media} interaction with {who} in queue {queue}: {state}."
    if waited:
        fallback += f" Waited {waited}."
    if handled:
        fallback += f" Handled in {handled}."
    if c.disposition:
        fallback += f" Disposition: {escape(c.disposition)}."
    fields = [
        {"type": "mrkdwn", "text": f"*State*\n{icon} {state}".strip()},
        {"type": "mrkdwn", "text": f"*Queue*\n{queue}"},
        {"type": "mrkdwn", "text": f"*Contact number*\n{escape(display(c.contact_phone))}"},
        {"type": "mrkdwn", "text": f"*Business number*\n{escape(display(c.business_number))}"},
    ]
    if waited:
        fields.append({"type": "mrkdwn", "text": f"*Waiting time*\n{waited}"})
    if handled:
        fields.append({"type": "mrkdwn", "text": f"*Handling time*\n{handled}"})
    if c.disposition:
        fields.append({"type": "mrkdwn", "text": f"*Disposition*\n{escape(c.disposition)}"})
    blocks: list[dict] = [
        {"type": "section", "text": {"type": "mrkdwn", "text":
                                     f"*{c.media} · {c.mode.capitalize()}* with *{who}*"}},
        {"type": "section", "fields": fields},
    ]
    context = f"Interaction #{c.interaction_id} · Arrived {when(c.created_at)}"
    if c.state == DONE and c.closed_at:
        context += f" · Done {when(c.closed_at)}"
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": context}]})
    if c.held_replies and c.held_since is not None:
        blocks.append(supervisor_line(c.held_replies, c.held_since, c.held_reasons,
                                      c.agent_user_id))
    if c.state in REASSIGNABLE and not moved_away:
        blocks.append({"type": "actions", "elements": [reassign_button(c.interaction_id)]})
    return {"text": fallback, "blocks": blocks}


def build_waiting_alert(alert: WaitingAlert) -> dict:
    """chat.postMessage arguments: a text nobody has accepted, with a one-click Reassign."""
    who = escape(contact_label(alert.contact_name, alert.contact_phone))
    waited = duration((alert.now - alert.since).total_seconds())
    where = (f"offered to {_mention(alert.offered_to)}, who has not answered yet"
             if alert.state == OFFERED else "waiting in the queue")
    held = (" The customer was texted the holding reply." if alert.holding_reply_sent
            else "")
    text = (f":rotating_light: A text from {who} has waited {waited} in queue "
            f"{escape(alert.queue)} and nobody has accepted it: it is {where}.{held}")
    return {"text": text, "blocks": [
        {"type": "section", "text": {"type": "mrkdwn", "text": text},
         "accessory": reassign_button(alert.interaction_id)},
        {"type": "context", "elements": [{"type": "mrkdwn", "text":
            f"Interaction #{alert.interaction_id} · Arrived {when(alert.since)} · Reassign "
            "offers it to a Ready agent you pick."}]},
    ]}


# --- /sms-queue ---------------------------------------------------------------------------

def _oldest(summary: QueueSummary, now: datetime) -> str:
    if summary.oldest_since is None:
        return "nobody waiting"
    return (f"{duration((now - summary.oldest_since).total_seconds())} "
            f"(since {when(summary.oldest_since)})")


def opening(summary: QueueSummary) -> str:
    """'Closed: opens Tue 8 Dec, 09:00 America/New_York', in the queue's own time zone (its
    hours are written in it); empty for an open queue."""
    if summary.opens_at is None:
        return ""
    zone = ZoneInfo(summary.time_zone) if summary.time_zone else UTC
    local = summary.opens_at.astimezone(zone)
    return (f"Closed: opens {local:%a} {local.day} {local:%b, %H:%M} "
            f"{summary.time_zone or 'UTC'}")


def _agent_line(summary: QueueSummary) -> str:
    lines = []
    for agent in summary.agents:
        icon = ":large_green_circle:" if agent.ready else ":red_circle:"
        why = f" ({escape(clip(agent.not_ready_reason, 60))})" \
            if agent.not_ready_reason and not agent.ready else ""
        lines.append(f"{icon} <@{agent.user_id}> holds {agent.holds} of {agent.capacity}{why}")
    text = "*Agents*\n" + ("\n".join(lines) if lines else "Nobody has gone Ready yet.")
    return clip(text, SECTION_LIMIT)


def _item_text(item: WaitingItem, now: datetime) -> str:
    who = escape(clip(item.contact, 80))
    waited = duration((now - item.since).total_seconds())
    if item.state == QUEUED:
        what = "waiting"
    elif item.state == OFFERED:
        what = f"offered to {_mention(item.holder)}"
    else:
        what = f"held by {_mention(item.holder)}: {escape(item.stuck_because or item.state)}"
    return f"*{who}* (#{item.interaction_id}) · {what} · arrived {waited} ago"


def _summary_blocks(summary: QueueSummary, report: QueueReport) -> list[dict]:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text":
                                           f"*Queue {escape(summary.name)}*"},
               "fields": [
                   {"type": "mrkdwn", "text": f"*Waiting*\n{summary.waiting}"},
                   {"type": "mrkdwn", "text": f"*Oldest wait*\n{_oldest(summary, report.now)}"},
                   {"type": "mrkdwn", "text": f"*Ready agents*\n{summary.ready}"},
                   {"type": "mrkdwn", "text": f"*Not Ready agents*\n{summary.not_ready}"},
               ]}]
    if summary.closed:
        blocks[0]["fields"].append({"type": "mrkdwn", "text": f"*Hours*\n{opening(summary)}"})
    if report.detailed:
        blocks.append({"type": "section", "text": {"type": "mrkdwn",
                                                   "text": _agent_line(summary)}})
    return blocks


def build_queue_report(report: QueueReport) -> dict:
    """The /sms-queue answer (ephemeral): at most MAX_BLOCKS blocks, whatever the queues."""
    spoken = []
    for q in report.queues:
        oldest = ("" if q.oldest_since is None else ", the oldest for "
                  + duration((report.now - q.oldest_since).total_seconds()))
        agents = "agent" if q.ready == 1 else "agents"
        hours = f" {opening(q)}." if q.closed else ""
        spoken.append(f"Queue {escape(q.name)}: {q.waiting} waiting{oldest}; "
                      f"{q.ready} {agents} Ready, {q.not_ready} Not Ready.{hours}")
    blocks: list[dict] = [{"type": "header", "text": {"type": "plain_text",
                                                      "text": "SMS queues"}}]
    budget = MAX_BLOCKS - 2  # the header, and one line saying what did not fit
    hidden_queues = hidden_items = 0
    sections = [(_summary_blocks(q, report), q.items) for q in report.queues]
    summary_cost = 0
    shown: list[tuple[list[dict], tuple[WaitingItem, ...]]] = []
    for summary, items in sections:
        if summary_cost + len(summary) > budget:
            hidden_queues += 1
            hidden_items += len(items)
            continue
        summary_cost += len(summary)
        shown.append((summary, items))
    room = budget - summary_cost
    for summary, items in shown:
        blocks += summary
        for item in items:
            if room <= 0:
                hidden_items += 1
                continue
            room -= 1
            blocks.append({"type": "section",
                           "text": {"type": "mrkdwn", "text": _item_text(item, report.now)},
                           "accessory": reassign_button(item.interaction_id)})
        if report.detailed and not items:
            if room > 0:
                room -= 1
                blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text":
                               "Nothing waiting or stuck in this queue."}]})
    notes = []
    if hidden_queues:
        notes.append(f"{hidden_queues} more queues not shown")
    if hidden_items:
        notes.append(f"{hidden_items} more waiting or stuck interactions not shown: see the "
                     "supervisor channels")
    if notes:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn",
                                                        "text": "; ".join(notes) + "."}]})
    elif not report.detailed:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text":
                       "Supervisors also see who holds what, and can reassign from here."}]})
    return {"text": " ".join(spoken) or "No queues are configured.", "blocks": blocks}


# --- Reassign -----------------------------------------------------------------------------

def build_reassign_modal(form: ReassignForm, names: list[tuple[str, str]]) -> dict:
    """`names`: (user id, name) of the candidates, in the order to list them."""
    where = {QUEUED: "It is waiting in the queue", OFFERED: f"It is offered to "
             f"{_mention(form.holder)}", ACCEPTED: f"It is held by {_mention(form.holder)}",
             EXPIRED: f"Its session expired while {_mention(form.holder)} held it"}
    effect = ("They get the preview and can accept or reject it."
              if form.state in (QUEUED, OFFERED) else
              "They become its agent at once; only their replies reach the customer.")
    intro = (f"*{escape(clip(form.contact, 80))}* in queue *{escape(form.queue)}*. "
             f"{where.get(form.state, escape(form.state))}. {effect}")
    blocks: list[dict] = [{"type": "section", "text": {"type": "mrkdwn", "text": intro}}]
    view = interaction_modal(ids.REASSIGN_VIEW, form.interaction_id, "Reassign", blocks)
    if not names:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text":
                       f"Nobody in queue {escape(form.queue)} is Ready with room right now. "
                       "Try again when someone goes Ready."}]})
        return view
    options = [{"text": {"type": "plain_text", "text": clip(name, MAX_OPTION_TEXT)},
                "value": user_id}
               for user_id, name in names[:MAX_SELECT_OPTIONS]]
    blocks.append({"type": "input", "block_id": AGENT_BLOCK,
                   "label": {"type": "plain_text", "text": "Reassign to"},
                   "element": {"type": "static_select", "action_id": AGENT_ACTION,
                               "options": options,
                               "placeholder": {"type": "plain_text",
                                               "text": "A Ready agent"}}})
    view["submit"] = {"type": "plain_text", "text": "Reassign"}
    return view


def chosen_agent(view: dict) -> str | None:
    values = view.get("state", {}).get("values", {})
    selected = values.get(AGENT_BLOCK, {}).get(AGENT_ACTION, {}).get("selected_option") or {}
    return selected.get("value") or None


# --- Home tab -----------------------------------------------------------------------------

def home_queue_lines(queues: tuple[QueueSummary, ...], now: datetime) -> str:
    """The supervisor's Home tab section: depth and oldest wait per queue."""
    lines = []
    for q in queues[:40]:
        oldest = "" if q.oldest_since is None else \
            f", the oldest for {duration((now - q.oldest_since).total_seconds())}"
        hours = f" · {opening(q)}" if q.closed else ""
        lines.append(f"• {escape(clip(q.name, 60))}: *{q.waiting}* waiting{oldest} · "
                     f"{q.ready} Ready{hours}")
    return clip("*Queues* (you supervise)\n" + "\n".join(lines) + "\nDetails: `/sms-queue`",
                SECTION_LIMIT)
