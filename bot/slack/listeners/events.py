"""Events: the Home tab opening, and messages in desk threads (agent replies, edits)."""

from __future__ import annotations

from slack_bolt import App, BoltContext
from slack_sdk import WebClient

from bot.desk import agents, replies
from bot.services import Services
from bot.slack.directory import display_name
from bot.slack.reply_text import in_direct_message, names_from, plain_text

DM_ANSWER = ("Messages here do not reach a customer. To text one, reply in the thread of "
             "their interaction (Accept it first), or use `/sms` for a new SMS. `/sms help` "
             "lists everything I do.")

# Message subtypes that are a person writing in a thread; everything else is housekeeping.
PERSON_SUBTYPES = {None, "thread_broadcast", "file_share"}


def register(app: App, services: Services) -> None:
    db = services.db

    @app.event("app_home_opened")
    def home_opened(event: dict, context: BoltContext) -> None:
        if event.get("tab", "home") == "home":
            agents.refresh_home(db, context.team_id, event["user"])

    @app.event("message")
    def message(event: dict, body: dict, client: WebClient, context: BoltContext) -> None:
        subtype = event.get("subtype")
        if event.get("bot_id") or subtype == "bot_message":
            return  # our own posts (and other bots') never loop back to a phone
        if subtype in ("message_changed", "message_deleted"):
            previous = event.get("previous_message") or {}
            if previous.get("user") and previous.get("ts"):
                replies.warn_if_relayed_changed(
                    db, context.team_id, event["channel"], previous["ts"], previous["user"],
                    deleted=subtype == "message_deleted")
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
            event_id=body.get("event_id"),
            has_files=bool(event.get("files")) or subtype == "file_share",
            # The agent's own name is never a typo; cached, and only read after the ack.
            agent_name=display_name(client, context.team_id, event["user"]),
        )
        # The phone's text is worked out here, once, before the reply's send job is queued.
        replies.record_agent_reply(db, settings, reply,
                                   body=plain_text(reply.slack_text,
                                                   names_from(client, context.team_id)),
                                   in_direct_message=in_direct_message(reply.channel))
