"""Replies: an agent writes in an interaction's thread (or edits, or deletes, what was
relayed), writes to the app's DM outside any thread, or clicks Retry on a failed reply."""

from __future__ import annotations

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.desk import replies
from bot.services import Services
from bot.slack import ids
from bot.slack.directory import display_name
from bot.slack.listeners.common import a_row_id_value, clicked_row_id
from bot.slack.reply_text import in_direct_message, names_from, phone_text

DM_ANSWER = ("Messages here do not reach a customer. To text one, reply in the thread of "
             "their interaction (Accept it first), or use `/sms` for a new SMS. `/sms help` "
             "lists everything I do.")

# Message subtypes that are a person writing in a thread; everything else is housekeeping.
PERSON_SUBTYPES = {None, "thread_broadcast", "file_share"}


def write_message(event: dict, body: dict, client: WebClient, context: BoltContext,
                  services: Services) -> None:
    """Every `message` event: a reply in a desk thread goes to the customer."""
    subtype = event.get("subtype")
    if event.get("bot_id") or subtype == "bot_message":
        return  # our own posts (and other bots') never loop back to a phone
    if subtype in ("message_changed", "message_deleted"):
        previous = event.get("previous_message") or {}
        if previous.get("user") and previous.get("ts"):
            replies.warn_if_relayed_changed(
                services.db, context.team_id, event["channel"], previous["ts"],
                previous["user"], deleted=subtype == "message_deleted")
        return
    if subtype not in PERSON_SUBTYPES:
        return
    thread_ts = event.get("thread_ts")
    if event.get("channel_type") == "im" and not thread_ts and event.get("user"):
        # Someone wrote to the app outside any thread: nothing goes to a customer from
        # here, so say where to write instead of staying silent.
        client.chat_postMessage(channel=event["user"], text=DM_ANSWER)
        return
    if not thread_ts or thread_ts == event.get("ts") or not event.get("user"):
        return
    settings = services.settings_for(context.team_id)
    reply = replies.ThreadReply(
        team_id=context.team_id,
        channel=event["channel"],
        thread_ts=thread_ts,
        ts=event["ts"],
        user_id=event["user"],
        slack_text=event.get("text") or "",
        blocks=event.get("blocks"),
        event_id=body.get("event_id"),
        has_files=bool(event.get("files")) or subtype == "file_share",
        # The agent's own name is never a typo; cached, and only read after the ack.
        agent_name=display_name(client, context.team_id, event["user"]),
    )
    # The phone's text is worked out here, once, before the reply's send job is queued.
    replies.record_agent_reply(services.db, settings, reply,
                               phone=phone_text(reply.slack_text, reply.blocks,
                                                names_from(client, context.team_id)),
                               in_direct_message=in_direct_message(reply.channel))


def retry_reply(ack: Ack, body: dict, context: BoltContext, services: Services) -> None:
    """Retry on a reply that did not reach the customer."""
    ack()
    replies.resend_failed_reply(services.db, context.team_id, clicked_row_id(body),
                                context.user_id)


def register(app: App) -> None:
    app.event("message")(write_message)
    app.action(ids.RETRY_SEND, middleware=[a_row_id_value])(retry_reply)
