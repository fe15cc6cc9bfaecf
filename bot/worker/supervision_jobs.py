"""Jobs for supervisors: the live card in the queue's supervisor channel, telling supervisors
when every agent declined or a text waited too long, and keeping the user-group cache fresh."""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.desk import jobs
from bot.desk.admin import groups
from bot.desk.interactions import supervision, timeline, waiting
from bot.desk.replies import held
from bot.services import Services
from bot.slack.views.supervision import (
    SupervisionCardData,
    build_supervision_card,
    build_waiting_alert,
)
from bot.worker.channel_posts import post_joining
from bot.worker.posted_once import posted_earlier, tagged
from bot.worker.runner import RetryLater, write_down
from storage import queries
from storage.models import utcnow
from storage.outbox import ClaimedJob

log = logging.getLogger(__name__)


def _card(services: Services, team_id: str,
          interaction_id: int) -> tuple[str | None, str | None, SupervisionCardData, str | None]:
    """(channel its card is in, its ts, what the card shows, the channel it belongs in)."""
    view = queries.supervision_view(services.db, interaction_id, timeline.ACCEPTED)
    i = view.interaction
    settings = services.settings_for(team_id)
    overdue = held.waiting(services.db, i.id, i.agent_user_id,
                           older_than=held.remind_after(settings))
    data = SupervisionCardData(
        interaction_id=i.id, queue=i.queue, state=i.state, contact_name=view.contact.name,
        contact_phone=i.customer_number or view.contact.phone,
        business_number=i.business_number, media=i.media,
        mode=i.mode, agent_user_id=i.agent_user_id, offered_to=i.offered_to,
        created_at=i.created_at, accepted_at=view.first_accepted_at, closed_at=i.closed_at,
        closed_by=i.closed_by, disposition=i.disposition, held_replies=overdue.count,
        held_since=overdue.since, held_reasons=overdue.reasons)
    wanted = settings.queue_named(i.queue).supervisor_channel
    return i.supervisor_channel, i.supervisor_ts, data, wanted


def update_supervision(services: Services, job: jobs.UpdateSupervision, run: ClaimedJob
                       ) -> None:
    """Post the card the first time, then edit that same message: one message per interaction
    and supervisor channel. Transferred to a queue supervised elsewhere, its old card says
    where it went and stops there; the new queue's channel gets a card of its own."""
    interaction_id = job.interaction_id
    channel, ts, data, wanted = _card(services, run.team_id, interaction_id)
    client = services.slack_client(run.team_id)
    if channel and ts and channel != wanted:
        _edit(client, channel, ts, build_supervision_card(data, moved_away=True,
                                                          followed_in=wanted))
        if not wanted:
            write_down(queries.remember_supervision_card, services.db, interaction_id,
                       None, None)
            return
        channel = ts = None
    card = build_supervision_card(data)
    if channel and ts and _edit(client, channel, ts, card):
        return
    if not wanted:
        return  # the queue has no supervisor channel
    response = post_joining(client, wanted, card)
    write_down(queries.remember_supervision_card, services.db, interaction_id,
               response["channel"], response["ts"])


def _edit(client: WebClient, channel: str, ts: str, card: dict) -> bool:
    """False when someone deleted the card in Slack."""
    try:
        client.chat_update(channel=channel, ts=ts, **card)
    except SlackApiError as error:
        if error.response.get("error") != "message_not_found":
            raise
        return False
    return True


def tell_supervisors(services: Services, job: jobs.TellSupervisors, run: ClaimedJob) -> None:
    """In the queue's supervisor channel; with none, a DM to each supervisor."""
    queue = services.settings_for(run.team_id).queue_named(job.queue)
    text = job.text
    if queue.supervisor_channel:
        post_joining(services.slack_client(run.team_id), queue.supervisor_channel,
                     {"text": text})
        return
    told = supervision.tell_supervisors_directly(services.db, services.settings_for(run.team_id),
                                                  run.team_id,
                                                 text)
    if not told:
        log.warning("queue %s has no supervisor channel and no supervisors to tell: %s",
                    queue.name, text)


def post_waiting_alert(services: Services, job: jobs.PostWaitingAlert, run: ClaimedJob
                       ) -> None:
    """In the supervisor channel (joined if need be), or a supervisor's DM (`to`: their id)."""
    alert = waiting.alert(services.db, run.team_id, job.interaction_id)
    if alert is None:
        return  # accepted meanwhile: nothing to ask of anyone
    client = services.slack_client(run.team_id)
    key = f"waiting:{job.interaction_id}"
    if run.outcome_unknown and posted_earlier(client, job.to, key):
        return
    post_joining(client, job.to, tagged(build_waiting_alert(alert), key))


def refresh_groups(services: Services, job: jobs.RefreshGroups, run: ClaimedJob) -> None:
    """Read the named user groups into the cache; then run again in REFRESH_EVERY."""
    client = services.slack_client(run.team_id)

    def members_of(group_id: str) -> list[str] | None:
        try:
            return list(client.usergroups_users_list(usergroup=group_id)["users"])
        except SlackApiError as error:
            if error.response.status_code == 429:
                raise  # the worker waits as Slack asks and runs the whole refresh again
            reason = error.response.get("error")
            log.warning("user group %s could not be read: %s", group_id, reason)
            # A group deleted (or mistyped) in the settings has nobody in it; any other
            # failure keeps the members last read until the next refresh.
            return [] if reason == "no_such_subteam" else None

    groups.refresh_groups(services.db, services.settings_for(run.team_id), run.team_id,
                          members_of)
    raise RetryLater("user groups refreshed", utcnow() + groups.REFRESH_EVERY)

