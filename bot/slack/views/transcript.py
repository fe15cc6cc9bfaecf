"""Lines of the transcript thread: the customer's messages and the system's notes."""

from __future__ import annotations

from datetime import datetime

from bot.config.transcript import TranscriptColors
from bot.desk.interactions import case_info, timeline, transfers
from bot.desk.replies import REPLY_SENT
from bot.slack import ids
from bot.slack.mrkdwn import escape
from bot.slack.views.card import reply_cost
from bot.slack.views.common import clip, contact_label, escaped_chunks, when

CUSTOMER_ICON = ":iphone:"
SYSTEM_ICON = ":gear:"
NOTE_ICON = ":memo:"
INTERNAL = "internal: never sent to the customer"


def in_color(line: dict, color: str) -> dict:
    """A transcript line (chat.postMessage arguments) with a colour bar: its blocks in a
    secondary attachment of that colour. Slack shows a message's `text` above attachments
    when the message has no blocks of its own, so the plain text becomes the attachment's
    `fallback`, what notifications show."""
    colored = {key: value for key, value in line.items() if key not in ("text", "blocks")}
    colored["attachments"] = [{"color": color, "fallback": line["text"],
                               "blocks": line["blocks"]}]
    return colored


def event_color(kind: str, colors: TranscriptColors) -> str:
    """The bar of a timeline event's line: a note's, or the system's."""
    return colors.note if kind == timeline.NOTE else colors.system


def build_customer_line(name: str | None, phone: str, body: str, at: datetime,
                        pictures: int = 0, masked: str | None = None) -> dict:
    """Posted under the contact's name (chat:write.customize), so it reads like a chat.
    `body` is already redacted (bot.desk.data_protection.redaction); `masked` says what
    was hidden."""
    who = contact_label(name, phone)
    sent = f"sent {pictures} picture{'s' if pictures != 1 else ''}" if pictures else ""
    # A long SMS (up to 1600 characters, up to eight times that once escaped) may need
    # several sections.
    chunks = escaped_chunks(body) if body else [f"_({sent or 'empty message'})_"]
    blocks: list[dict] = [{"type": "section", "text": {"type": "mrkdwn", "text": chunk}}
                          for chunk in chunks]
    blocks.append({"type": "context", "elements": [
        {"type": "mrkdwn", "text": f"{CUSTOMER_ICON} Customer · {when(at)}"
                                   + (f" · {sent}" if sent and body else "")}]})
    if masked:
        # The agent should know the customer sent more than is shown, and why.
        blocks.append({"type": "context", "elements": [
            {"type": "mrkdwn", "text": f":lock: {escape(masked)}"}]})
    return {
        "text": escape(f"{who} (customer): {clip(body, 3000) or sent}"),
        "blocks": blocks,
        "username": clip(who, 80),
        "icon_emoji": CUSTOMER_ICON,
    }


def describe_event(kind: str, actor: str | None, detail: str | None,
                   customer: str = "The customer") -> str:
    """`customer`: the contact's name or number, as the thread's customer lines show it."""
    who = f"<@{actor}>" if actor else "the desk"
    safe_detail = escape(detail) if detail else ""
    if kind == timeline.ACCEPTED:
        if detail == "claimed":
            return f"Claimed from the queue by {who}."
        return f"Accepted by {who}."
    if kind == timeline.CLOSED:
        why = f" ({safe_detail})" if safe_detail else ""
        return f"Closed as Done by {who}{why}. The transcript is kept in the contact's history."
    if kind == timeline.SENT:
        cost = reply_cost(detail)
        return f"Reply from {who} sent{' ' + cost if cost else ''}."
    if kind == timeline.SESSION_EXPIRED:
        minutes = f"{safe_detail} minutes" if safe_detail else "a while"
        return (f"No message either way for {minutes}: the session is closed for messaging. "
                "Mark it Done; the customer's next text starts a new interaction.")
    if kind == timeline.TRANSFER_REQUESTED:
        target, _, reason = (detail or "").partition("|")
        why = f' Reason: "{escape(reason)}".' if reason else ""
        return f"{who} is transferring this to <@{target}>.{why}"
    if kind == timeline.TRANSFERRED:
        previous = f" from <@{detail}>" if detail else ""
        return f"Transferred{previous}: now handled by {who}."
    if kind == timeline.TRANSFER_RETURNED:
        what, _, where = (detail or "").partition("|")
        return f"{who} {escape(what)} the transfer. {escape(where)}."
    if kind == timeline.QUEUE_TRANSFERRED:
        return describe_queue_transfer(who, detail)
    if kind == timeline.CONSULTED:
        return f"{who} is consulting <@{detail}> (nothing said there reaches the customer)."
    if kind == timeline.NOTE:
        return f"{NOTE_ICON} Note from {who}: {safe_detail} ({INTERNAL})"
    if kind == timeline.DISPOSITION:
        return f"Disposition set to {safe_detail} by {who}."
    if kind == timeline.DISPOSITION_NEEDED:
        if detail == REPLY_SENT:
            return "Reply sent. Set a disposition code to close this interaction."
        return f"{who} marked it Done: it closes once a disposition code is set."
    if kind == timeline.SPELLING_CORRECTED:
        # The detail is the text the phone got (earlier versions kept Slack's markup).
        sent = escape(detail or "")
        return f"{who}'s reply was sent with spelling corrections: \"{sent}\""
    if kind == timeline.SEND_FAILED:
        return f"The reply could not be sent: {safe_detail}. It was not delivered."
    if kind == timeline.SEND_RETRYING:
        return (f":arrows_counterclockwise: Sending the reply from {who} failed "
                f"({safe_detail}): retrying.")
    if kind == timeline.SEND_GAVE_UP:
        _message_id, _, why = (detail or "").partition("|")
        return (f":x: The reply from {who} could not be sent ({escape(why)}), even after "
                "several tries. It was not delivered: Retry sends it again.")
    if kind == timeline.RESEND_REQUESTED:
        return f"{who} is sending the failed reply again."
    if kind == timeline.NOT_DELIVERED:
        return f"The carrier reports the reply was not delivered ({safe_detail})."
    if kind == timeline.OPTED_OUT:
        return (f":no_entry: The customer opted out ({safe_detail or 'STOP'}): no SMS can be "
                "sent to them from this number until they text START.")
    if kind == timeline.OPTED_IN:
        return "The customer texted START: SMS to them can be sent again."
    if kind == timeline.HELP_REPLIED:
        return ("The customer texted HELP: the desk texted them its help reply "
                "(desk.help_reply in the settings).")
    if kind == timeline.HOLDING_REPLIED:
        return ("The customer had waited a while: the desk texted them its holding reply "
                "(desk.holding_reply in the settings).")
    if kind == timeline.AFTER_HOURS_REPLIED:
        queue = f" {safe_detail}" if safe_detail else ""
        return (f"The customer wrote while queue{queue} was closed: the desk texted them its "
                "after-hours reply (after_hours_reply in the settings).")
    if kind == timeline.AFTER_HOURS_MOVED:
        closed, _, open_queue = (detail or "").partition("|")
        return (f"Queue {escape(closed)} was closed when this arrived: it went to queue "
                f"{escape(open_queue)} (after_hours_queue in the settings).")
    if kind == timeline.WAITED_TOO_LONG:
        seconds = f" {safe_detail} s" if safe_detail else ""
        return f"Nobody had accepted it{seconds} after it arrived: supervisors were told."
    if kind == timeline.OUTBOUND_STARTED:
        return f"New SMS to the customer, started by {who}."
    if kind == timeline.CONTACT_ASSIGNED:
        return (f"{who} assigned this number to the contact {safe_detail}: the interaction is "
                "now in their history.")
    if kind == timeline.KEPT_OPEN:
        return describe_kept_open(who, detail, escape(customer))
    if kind == timeline.CASE_UPDATED:
        return describe_case_update(who, detail)
    if kind == timeline.REASSIGNED:
        return describe_reassignment(who, detail)
    return escape(kind.replace("_", " "))


def describe_queue_transfer(who: str, detail: str | None) -> str:
    moved = transfers.read_queue_transfer(detail)
    if moved is None:
        return f"{who} transferred this to another queue."
    why = f' Reason: "{escape(moved.reason)}".' if moved.reason else ""
    return (f"{who} transferred this to queue {escape(moved.to_queue)}: its next Ready agent "
            f"gets it, and {who}'s replies no longer reach the customer.{why}")


def describe_kept_open(who: str, detail: str | None, customer: str) -> str:
    """A close that did not happen because the customer wrote after the last reply."""
    after = f"after the reply from {who}" if detail == REPLY_SENT else "after the last reply"
    first = "" if detail == REPLY_SENT else "The disposition code is set, but "
    return (f"{first}{customer} wrote again {after}, so this interaction stays open: answer "
            "in this thread, or mark it Done.")


def describe_case_update(who: str, detail: str | None) -> str:
    """The thread line of a case edit: 'Case information: Priority set to High by @U.'
    Field names and values come from agents and webhooks, so they are escaped."""
    changes = [f"{escape(clip(name, 80))} set to {escape(clip(value, 200))}" if value
               else f"{escape(clip(name, 80))} cleared"
               for name, value in case_info.read_changes(detail)]
    return f"Case information: {'; '.join(changes) or 'updated'} by {who}."


def describe_reassignment(who: str, detail: str | None) -> str:
    """'Reassigned by supervisor @S from @A to @B.' The detail holds only user ids."""
    previous, _, target = (detail or "").partition("|")
    before = f" from <@{previous}>" if previous else ""
    to = f"<@{target}>" if target else "another agent"
    return f"Reassigned by supervisor {who}{before} to {to}."


def build_note_line(actor: str | None, text: str, at: datetime) -> dict:
    """An agent's note: their words in full (escaped, cut to fit), marked internal."""
    who = f"<@{actor}>" if actor else "the desk"
    blocks: list[dict] = [{"type": "context", "elements": [
        {"type": "mrkdwn", "text": f"{NOTE_ICON} Note from {who} · {INTERNAL} · {when(at)}"}]}]
    blocks += [{"type": "section", "text": {"type": "mrkdwn", "text": chunk}}
               for chunk in escaped_chunks(text or " ")]
    return {"text": f"{NOTE_ICON} Note from {who}: {escape(clip(text, 3000))} ({INTERNAL})",
            "blocks": blocks}


def build_system_line(kind: str, actor: str | None, detail: str | None, at: datetime,
                      customer: str = "The customer") -> dict:
    if kind == timeline.NOTE:
        return build_note_line(actor, detail or "", at)
    sentence = describe_event(kind, actor, detail, customer)
    blocks: list[dict] = [{"type": "context", "elements": [
        {"type": "mrkdwn", "text": f"{SYSTEM_ICON} {when(at)} · {sentence}"}]}]
    message_id = (detail or "").partition("|")[0]
    if kind == timeline.SEND_GAVE_UP and message_id.isdigit():
        blocks.append({"type": "actions", "elements": [{
            "type": "button", "action_id": ids.RETRY_SEND, "value": message_id,
            "text": {"type": "plain_text", "text": "Retry"}, "style": "primary"}]})
    return {"text": f"System: {sentence}", "blocks": blocks}


# Delivery state of an agent's message, shown as a reaction on it: held for their decision
# (bot/desk/replies/held.py), then how its SMS is doing. A state not listed (a held reply
# discarded) shows none.
DELIVERY_REACTIONS = {
    "held": "pencil2",
    "pending": "hourglass_flowing_sand",
    "sending": "hourglass_flowing_sand",
    "retrying": "arrows_counterclockwise",
    "queued": "outbox_tray",
    "sent": "outbox_tray",
    "delivered": "white_check_mark",
    "undelivered": "x",
    "failed": "x",
}


HISTORY_LINES = 45  # a message holds 50 blocks: the newest lines, and a note for the rest


def build_history_so_far(contact_label_text: str,
                         lines: list[tuple[str, str | None, str, datetime]],
                         previous_holder: str | None) -> dict:
    """The first line of a thread that moved to a new holder's DM: the conversation so far.
    `lines` are (direction, agent user id, text, at), oldest first; all text is escaped."""
    blocks: list[dict] = []
    for direction, author, body, at in lines[-HISTORY_LINES:]:
        who = (f"{CUSTOMER_ICON} *{escape(clip(contact_label_text, 80))}*"
               if direction == "inbound" else f":outbox_tray: <@{author}>" if author
               else ":outbox_tray: Agent")
        text = escaped_chunks(body or " ", 2800)[0]
        blocks.append({"type": "section", "text": {"type": "mrkdwn",
                                                   "text": f"{who} · {when(at)}\n{text}"}})
    earlier = len(lines) - HISTORY_LINES
    intro = "Earlier in this conversation"
    if previous_holder:
        intro += f", with <@{previous_holder}>"
    if earlier > 0:
        intro += f" (the last {HISTORY_LINES} messages; {earlier} earlier ones are in the " \
                 "contact's history)"
    blocks.insert(0, {"type": "context", "elements": [{"type": "mrkdwn", "text": intro}]})
    if len(blocks) == 1:
        blocks.append({"type": "section", "text": {"type": "mrkdwn",
                                                   "text": "_No messages yet._"}})
    return {"text": intro, "blocks": blocks}


def build_moved_card(new_holder: str) -> dict:
    """What an interaction's old card says once its thread moved to another agent's DM."""
    text = (f":arrow_right: This conversation moved to <@{new_holder}>, who holds it now. "
            "Nothing written here reaches the customer any more.")
    return {"text": text, "blocks": [{"type": "section",
                                      "text": {"type": "mrkdwn", "text": text}}]}
