"""Jobs for supervisors: the live card in the queue's supervisor channel, telling supervisors
when every agent declined, and keeping the user-group cache fresh."""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError

from bot.desk import jobs
from bot.desk.admin import groups
from bot.desk.interactions import supervision, timeline
from bot.desk.replies import held
from bot.services import Services
from bot.slack.views.supervision import SupervisionCardData, build_supervision_card
from bot.worker.channel_posts import post_joining
from bot.worker.runner import RetryLater, write_down
from storage import queries
from storage.models import utcnow
from storage.outbox import ClaimedJob

log = logging.getLogger(__name__)


def _card(services: Services, team_id: str,
          interaction_id: int) -> tuple[str | None, str | None, dict, str | None]:
    """(channel it is in, its ts, the card, the channel it belongs in)."""
    view = queries.supervision_view(services.db, interaction_id, timeline.ACCEPTED)
    i = view.interaction
    settings = services.settings_for(team_id)
    overdue = held.waiting(services.db, i.id, i.agent_user_id,
                           older_than=held.remind_after(settings))
    card = build_supervision_card(SupervisionCardData(
        interaction_id=i.id, queue=i.queue, state=i.state, contact_name=view.contact.name,
        contact_phone=i.customer_number or view.contact.phone,
        business_number=i.business_number, media=i.media,
        mode=i.mode, agent_user_id=i.agent_user_id, offered_to=i.offered_to,
        created_at=i.created_at, accepted_at=view.first_accepted_at, closed_at=i.closed_at,
        closed_by=i.closed_by, disposition=i.disposition, held_replies=overdue.count,
        held_since=overdue.since, held_reasons=overdue.reasons))
    wanted = settings.queue_named(i.queue).supervisor_channel
    return i.supervisor_channel, i.supervisor_ts, card, wanted


def update_supervision(services: Services, job: jobs.UpdateSupervision, run: ClaimedJob
                       ) -> None:
    """Post the card the first time, then edit that same message: one message per interaction."""
    interaction_id = job.interaction_id
    channel, ts, card, wanted = _card(services, run.team_id, interaction_id)
    client = services.slack_client(run.team_id)
    if channel and ts:
        try:
            client.chat_update(channel=channel, ts=ts, **card)
            return
        except SlackApiError as error:
            if error.response.get("error") != "message_not_found":
                raise
            # Someone deleted the card in Slack: post it again below.
    if not wanted:
        return  # the queue has no supervisor channel
    response = post_joining(client, wanted, card)
    write_down(queries.remember_supervision_card, services.db, interaction_id,
               response["channel"], response["ts"])


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

