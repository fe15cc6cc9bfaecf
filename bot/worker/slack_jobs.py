"""Jobs that show the desk in Slack. Each is idempotent: a job that runs twice posts once."""

from __future__ import annotations

import logging
from datetime import timedelta

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.webhook import WebhookClient

from bot.desk import jobs
from bot.desk.admin import admin_settings
from bot.desk.data_protection import redaction
from bot.desk.directory import contacts_directory
from bot.desk.interactions import (
    agents,
    claiming,
    offers,
    outbound,
    spelling,
    supervision,
    timeline,
)
from bot.desk.interactions.lifecycle import OFFER_PENDING
from bot.desk.replies import custom_emoji, held
from bot.services import Services
from bot.slack import delivery_marks, directory, permalinks, presenters, problems
from bot.slack.mrkdwn import escape
from bot.slack.views.card import build_card
from bot.slack.views.common import contact_label, quoted
from bot.slack.views.compose import build_composed_line
from bot.slack.views.custom_emoji import build_custom_emoji_prompt
from bot.slack.views.home import SpellingChoice, build_home
from bot.slack.views.media import build_media_actions, build_media_note
from bot.slack.views.preview import build_preview
from bot.slack.views.spelling import build_spelling_prompt
from bot.slack.views.transcript import (
    DELIVERY_REACTIONS,
    build_customer_line,
    build_history_so_far,
    build_moved_card,
    build_system_line,
    event_color,
    in_color,
)
from bot.slack.views.transfer import build_consultation_message
from bot.slack.wording import worded
from bot.spelling import checker
from bot.worker.channel_posts import post_joining
from bot.worker.posted_once import EarlierPosts, posted_earlier, tagged
from bot.worker.runner import RetryLater, write_down
from storage import outbox, queries
from storage.models import utcnow
from storage.outbox import ClaimedJob
from storage.queries import MediaItem

log = logging.getLogger(__name__)


def post_preview(services: Services, job: jobs.PostPreview, run: ClaimedJob) -> None:
    settings = services.settings_for(run.team_id)
    offer = queries.offer(services.db, job.offer_id)
    if offer.preview_ts:
        # Shown by an earlier run, which may have failed before dealing the queue on.
        offers.preview_shown(services.db, settings, run.team_id, offer.id)
        return
    if offer.state != OFFER_PENDING:
        return
    client = services.slack_client(run.team_id)
    key = f"offer:{offer.id}"
    if run.outcome_unknown and (found := posted_earlier(client, offer.agent_user_id, key)):
        write_down(queries.remember_preview, services.db, offer.id, *found)
    else:
        message = tagged(build_preview(presenters.preview_data(
            services.db, settings, offer,
            lambda channel, ts: permalinks.link_to(client, run.team_id, channel, ts))), key)
        response = client.chat_postMessage(channel=offer.agent_user_id, **message)
        write_down(queries.remember_preview, services.db, offer.id, response["channel"],
                   response["ts"])
    offers.preview_shown(services.db, settings, run.team_id, offer.id)


def update_preview(services: Services, job: jobs.UpdatePreview, run: ClaimedJob) -> None:
    offer = queries.offer(services.db, job.offer_id)
    if not offer.preview_ts:
        if offer.state == OFFER_PENDING:
            # A countdown tick runs outside the interaction's lane and can come before the
            # preview's ts is written down: look again shortly, while the offer lasts.
            raise RetryLater("preview not posted yet", utcnow() + timedelta(seconds=1))
        return  # never shown (it ended before Slack could be reached): nothing to correct
    client = services.slack_client(run.team_id)
    message = build_preview(presenters.preview_data(
        services.db, services.settings_for(run.team_id), offer,
        lambda channel, ts: permalinks.link_to(client, run.team_id, channel, ts)))
    if job.response_url and _replaced_through(job.response_url, message):
        return
    client.chat_update(channel=offer.preview_channel, ts=offer.preview_ts, **message)


# Seconds to wait for Slack to take a redraw through a response_url before drawing it with
# chat.update instead.
RESPONSE_URL_TIMEOUT = 5


def _replaced_through(response_url: str, message: dict) -> bool:
    """Redraw the clicked message through the click's response_url: no Web API method, so
    none of the workspace's chat.update budget. False when Slack would not take it (the
    URL spent its five uses or its thirty minutes, or Slack is away)."""
    try:
        answer = WebhookClient(response_url, timeout=RESPONSE_URL_TIMEOUT).send_dict(
            {**message, "replace_original": True})
    except (OSError, SlackClientError) as error:
        log.info("a preview's response_url was not reached (%s): redrawn with chat.update",
                 error)
        return False
    if answer.status_code != 200:
        log.info("a preview's response_url was refused (%s %s): redrawn with chat.update",
                 answer.status_code, answer.body)
        return False
    return True


def open_thread(services: Services, job: jobs.OpenThread, run: ClaimedJob) -> None:
    interaction_id = job.interaction_id
    interaction = queries.interaction_view(services.db, interaction_id).interaction
    if interaction.thread_ts:
        return
    settings = services.settings_for(run.team_id)
    channel = interaction.desk_channel or settings.desk_channel
    client = services.slack_client(run.team_id)
    key = f"card:{interaction_id}"
    # The card carries the customer's first texts: the thread opens with one post.
    on_card, texts = presenters.texts_for_a_new_card(services.db, settings, interaction_id)
    if run.outcome_unknown and (found := posted_earlier(client, channel, key)):
        write_down(queries.remember_thread, services.db, interaction_id, *found, on_card)
        # Which texts that card showed is not known (one may have come since): draw it
        # with those now written down as on it.
        client.chat_update(channel=found[0], ts=found[1], **build_card(
            presenters.card_data(services.db, settings, interaction_id)))
        return
    card = tagged(build_card(presenters.card_data(services.db, settings, interaction_id,
                                                  opening=texts)), key)
    response = post_joining(client, channel, card)
    write_down(queries.remember_thread, services.db, interaction_id, response["channel"],
               response["ts"], on_card)


def update_card(services: Services, job: jobs.UpdateCard, run: ClaimedJob) -> None:
    interaction = queries.interaction_view(services.db, job.interaction_id).interaction
    if not interaction.thread_ts:
        opening = jobs.OpenThread(interaction.id)
        if outbox.still_to_run(services.db, opening.KIND, opening.lane):
            # The card has its own lane: its thread may still be on the way. Draw it once
            # the thread is there, or the change would never show.
            raise RetryLater("thread not opened yet", utcnow() + timedelta(seconds=1))
        return
    card = build_card(presenters.card_data(services.db, services.settings_for(run.team_id),
                                           interaction.id))
    services.slack_client(run.team_id).chat_update(
        channel=interaction.desk_channel, ts=interaction.thread_ts, **card)


def sync_transcript(services: Services, job: jobs.SyncTranscript, run: ClaimedJob) -> None:
    """Post every transcript line not yet in the thread, oldest first, remembering each."""
    settings = services.settings_for(run.team_id)
    view = queries.interaction_view(services.db, job.interaction_id)
    interaction, contact = view.interaction, view.contact
    if not interaction.thread_ts:
        return  # not accepted yet: the lines are posted when the thread opens
    client = services.slack_client(run.team_id)
    channel, thread_ts = interaction.desk_channel, interaction.thread_ts
    earlier = EarlierPosts(client, channel, rerun=run.outcome_unknown,
                           thread_ts=thread_ts)

    def post(line: dict, key: str) -> str:
        return earlier.ts_of(key) or client.chat_postMessage(
            channel=channel, thread_ts=thread_ts, **tagged(line, key))["ts"]

    for item in queries.unposted_transcript(services.db, interaction.id,
                                            timeline.SHOWN_IN_THREAD):
        if item.media is not None:
            if item.media.state == "pending":
                break  # keep the order: the file's job syncs again once it is ready
            _post_media(services, client, channel, thread_ts, item.media,
                        contact_label(contact.name, view.customer_number), earlier)
        elif item.message is not None:
            shown = redaction.redact(item.message.body, redaction.rules_for(settings))
            line = in_color(build_customer_line(
                contact.name, view.customer_number, shown.text, item.at,
                pictures=queries.picture_count(services.db, item.message.id),
                masked=shown.note), settings.transcript_colors.customer)
            write_down(queries.remember_posted_message, services.db, item.message.id,
                       channel, post(line, f"message:{item.message.id}"))
        else:
            event = item.event
            line = in_color(build_system_line(event.kind, event.actor_user_id, event.detail,
                                              event.at,
                                              contact_label(contact.name,
                                                            view.customer_number)),
                            event_color(event.kind, settings.transcript_colors))
            write_down(queries.remember_posted_event, services.db, event.id,
                       post(line, f"event:{event.id}"))


def _post_media(services: Services, client: WebClient, channel: str, thread_ts: str,
                media: MediaItem, contact: str, earlier: EarlierPosts) -> None:
    key = f"media:{media.id}"
    if ts := earlier.ts_of(key):
        write_down(queries.remember_posted_media, services.db, media.id, ts)
        return
    if media.state == "ready":
        client.files_upload_v2(
            channel=channel, thread_ts=thread_ts,
            file=queries.media_thumbnail(services.db, media.id),
            filename=f"picture-{media.position}.jpg",
            title=f"Picture {media.position} from {contact}",
            alt_txt=f"Picture {media.position} sent by the customer",
        )
        line = build_media_actions(media.id, media.position, media.width, media.height)
    else:
        line = build_media_note(media.id, media.position, media.note, media.original_size,
                                media.content_type)
    response = client.chat_postMessage(channel=channel, thread_ts=thread_ts,
                                       **tagged(line, key))
    write_down(queries.remember_posted_media, services.db, media.id, response["ts"])


def show_delivery(services: Services, job: jobs.ShowDelivery, run: ClaimedJob) -> None:
    _show_delivery(services, run.team_id, job.message_id, may_wait=True)


# A reply's ⏳ is drawn only once its send has taken this long: most sends are answered in
# well under a second, and the ⏳ would cost a reaction call for a state nobody saw.
SENDING_MARK_AFTER = timedelta(seconds=2)
WAITING_MARK = DELIVERY_REACTIONS["sending"]


def _show_delivery(services: Services, team_id: str, message_id: int, *,
                   may_wait: bool) -> None:
    """Bring the reply's marks to its delivery state (bot/slack/delivery_marks.py).
    `may_wait`: a fresh reply's ⏳ waits (this job comes again, or the send's own mark job
    takes its place); otherwise it is left to the send's mark job."""
    message = queries.message(services.db, message_id)
    if not message.slack_ts:
        return
    shown = delivery_marks.shown_marks(message.delivery_shown)
    change = delivery_marks.change_marks(
        shown, DELIVERY_REACTIONS.get(message.delivery_state))
    if not change.calls:
        return
    if change.add == WAITING_MARK and not shown:
        mark_from = message.created_at + SENDING_MARK_AFTER
        if utcnow() < mark_from:
            if may_wait:
                raise RetryLater("the send has a moment before its mark", mark_from)
            return
    client = services.slack_client(team_id)
    where = dict(channel=message.slack_channel, timestamp=message.slack_ts)
    # Written down after each call: a call put back for the reactions budget (paced) must
    # not make the ones before it again.
    for mark in change.remove:
        _ignore(("no_reaction",), client.reactions_remove, **where, name=mark)
        shown = tuple(m for m in shown if m != mark)
        queries.remember_delivery_shown(services.db, message.id,
                                        delivery_marks.stored_marks(shown))
    if change.add is not None:
        _ignore(("already_reacted",), client.reactions_add, **where, name=change.add)
        queries.remember_delivery_shown(services.db, message.id,
                                        delivery_marks.stored_marks(change.shown))


def _ignore(errors: tuple[str, ...], call, **kwargs) -> None:
    try:
        call(**kwargs)
    except SlackApiError as error:
        if error.response.get("error") not in errors:
            raise


# Where an ephemeral cannot go. Its channel came from the click's payload, so a forged or
# stale one is nobody's to fix: the note goes to the person's DM instead, and no admin is
# alerted as if the desk channel were broken.
EPHEMERAL_UNDELIVERABLE = problems.CHANNEL_PROBLEMS | {"user_not_in_channel"}


def notify_agent(services: Services, job: jobs.NotifyAgent, run: ClaimedJob) -> None:
    client = services.slack_client(run.team_id)
    text = worded(job.text, job.people)
    if job.channel:
        try:
            client.chat_postEphemeral(channel=job.channel, user=job.user_id, text=text,
                                      thread_ts=job.thread_ts)
            return
        except SlackApiError as error:
            code = error.response.get("error")
            if code not in EPHEMERAL_UNDELIVERABLE:
                raise
            log.info("an ephemeral for %s in %s was refused (%s): sent to their DM instead",
                     job.user_id, job.channel, code)
    client.chat_postMessage(channel=job.user_id, text=text)


def publish_home(services: Services, job: jobs.PublishHome, run: ClaimedJob) -> None:
    settings = services.settings_for(run.team_id)
    user_id = job.user_id
    if not agents.home_in_view(services.db, settings, run.team_id, user_id):
        log.debug("Home of %s not redrawn: not looked at lately", user_id)
        return
    desk = agents.agent_desk(services.db, run.team_id, user_id, settings)
    client = services.slack_client(run.team_id)
    labels, links = {}, {}
    for interaction in desk.in_progress:
        view = queries.interaction_view(services.db, interaction.id)
        labels[interaction.id] = contact_label(view.contact.name, view.contact.phone)
        if interaction.thread_ts:
            link = permalinks.link_to(client, run.team_id, interaction.desk_channel,
                                      interaction.thread_ts)
            if link:
                links[interaction.id] = link
    # Supervisors and admins also see the queues; agents only what they may use.
    overview = supervision.home_overview(services.db, settings, run.team_id, user_id)
    prefs = spelling.current_preferences(services.db, settings, run.team_id, user_id)
    choice = SpellingChoice(prefs.enabled, prefs.language, tuple(checker.languages()))
    view = build_home(desk, simulator_url=services.simulator_url, labels=labels, links=links,
                      queues=overview, now=utcnow(), spelling=choice,
                      held=presenters.held_replies(services.db, run.team_id, user_id, links),
                      contacts=contacts_directory.may_view(services.db, settings,
                                                           run.team_id, user_id),
                      new_sms=outbound.may_send(services.db, settings, run.team_id,
                                                user_id),
                      admin=admin_settings.is_admin(services.db, settings,
                                                    run.team_id, user_id),
                      waiting=claiming.waiting_texts(services.db, settings, run.team_id,
                                                     user_id))
    client.views_publish(user_id=user_id, view=view)


def open_consultation(services: Services, job: jobs.OpenConsultation, run: ClaimedJob) -> None:
    """A group DM of the two agents and the app, with the transcript and a transfer button."""
    settings = services.settings_for(run.team_id)
    view = queries.interaction_view(services.db, job.interaction_id)
    client = services.slack_client(run.team_id)
    channel = client.conversations_open(users=f"{job.from_user},{job.colleague}")
    link = None
    if view.interaction.thread_ts:
        link = permalinks.link_to(client, run.team_id, view.interaction.desk_channel,
                                  view.interaction.thread_ts)
    lines = [("Customer: " if d == "inbound" else "Agent: ")
             + redaction.shown(text, settings)
             for d, text in queries.transcript(services.db, view.interaction.id)]
    message = build_consultation_message(
        view.interaction.id, job.from_user, job.colleague,
        escape(contact_label(view.contact.name, view.contact.phone)), link,
        quoted("\n".join(lines), 2600))
    client.chat_postMessage(channel=channel["channel"]["id"], **message)


def post_composed(services: Services, job: jobs.PostComposed, run: ClaimedJob) -> None:
    """A reply from the compose modal, in the thread under the agent's name; then its
    delivery mark (the send may already have happened: the SMS has its own lane)."""
    message = queries.message(services.db, job.message_id)
    client = services.slack_client(run.team_id)
    if not message.slack_ts:
        interaction = queries.interaction_view(services.db, message.interaction_id).interaction
        if not interaction.thread_ts:
            return  # no thread to show it in (the card was never posted)
        name = directory.display_name(client, run.team_id, message.author_user_id)
        line = build_composed_line(None if name == message.author_user_id else name,
                                   message.author_user_id, message.body, message.created_at,
                                   via="New SMS" if interaction.direction == "outbound"
                                   else "Reply…")
        response = client.chat_postMessage(channel=interaction.desk_channel,
                                           thread_ts=interaction.thread_ts, **line)
        write_down(queries.remember_posted_message, services.db, message.id,
                   response["channel"], response["ts"])
    _show_delivery(services, run.team_id, job.message_id, may_wait=False)


def spelling_prompt(services: Services, job: jobs.SpellingPrompt, run: ClaimedJob) -> None:
    message = queries.message(services.db, job.message_id)
    if job.held and not held.is_held(message):
        return  # decided meanwhile (on the Home tab, say): nothing left to ask
    interaction = queries.interaction_view(services.db, message.interaction_id).interaction
    prompt = build_spelling_prompt(message.id, message.slack_text or message.body,
                                   spelling.word_flags(message.spelling_flags), held=job.held)
    services.slack_client(run.team_id).chat_postEphemeral(
        channel=message.slack_channel or interaction.desk_channel,
        user=message.author_user_id, thread_ts=interaction.thread_ts, **prompt)


def custom_emoji_prompt(services: Services, job: jobs.CustomEmojiPrompt,
                        run: ClaimedJob) -> None:
    message = queries.message(services.db, job.message_id)
    interaction = queries.interaction_view(services.db, message.interaction_id).interaction
    prompt = build_custom_emoji_prompt(message.id, custom_emoji.left_out(message), message.body,
                                       held=custom_emoji.is_held_for_them(message))
    services.slack_client(run.team_id).chat_postEphemeral(
        channel=message.slack_channel or interaction.desk_channel,
        user=message.author_user_id, thread_ts=interaction.thread_ts, **prompt)


def post_history(services: Services, job: jobs.PostHistory, run: ClaimedJob) -> None:
    """A thread that moved to a new holder's DM starts with the conversation so far."""
    settings = services.settings_for(run.team_id)
    view = queries.interaction_view(services.db, job.interaction_id)
    interaction = view.interaction
    if not interaction.thread_ts:
        return
    message = build_history_so_far(
        contact_label(view.contact.name, view.customer_number),
        [(d, author, redaction.shown(text, settings), at) for d, author, text, at
         in queries.conversation_so_far(services.db, interaction.id)],
        queries.previous_holder(services.db, interaction.id))
    services.slack_client(run.team_id).chat_postMessage(
        channel=interaction.desk_channel, thread_ts=interaction.thread_ts, **message)


def retire_card(services: Services, job: jobs.RetireCard, run: ClaimedJob) -> None:
    services.slack_client(run.team_id).chat_update(
        channel=job.channel, ts=job.ts, **build_moved_card(job.new_holder))
