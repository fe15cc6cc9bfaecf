"""Which function runs each outbox job kind."""

from __future__ import annotations

from bot.desk import (
    consultations,
    effects,
    erasure,
    groups,
    offers,
    privacy,
    purge,
    replies,
    retention,
    sessions,
)
from bot.services import Services
from bot.worker import (
    erasure_jobs,
    media_jobs,
    purge_jobs,
    slack_jobs,
    sms_jobs,
    supervision_jobs,
)
from bot.worker.runner import Handler, RetryLater
from storage.outbox import ClaimedJob


def expire_offer(services: Services, job: ClaimedJob) -> None:
    settings = services.settings_for(job.team_id)
    answer = offers.expire_offer(services.db, settings, job.team_id, job.payload["offer_id"])
    services.metrics.observe_accept(answer.waited_seconds)  # an auto-answer accepts here


def recheck_reply(services: Services, job: ClaimedJob) -> None:
    replies.record_agent_reply(services.db, services.settings_for(job.team_id),
                               replies.ThreadReply(**job.payload["reply"]),
                               recheck=job.payload["recheck"])


def expire_session(services: Services, job: ClaimedJob) -> None:
    settings = services.settings_for(job.team_id)
    look_again = sessions.expire_if_due(services.db, settings, job.team_id,
                                        job.payload["interaction_id"])
    if look_again is not None:
        raise RetryLater("session still active", look_again)


HANDLERS: dict[str, Handler] = {
    effects.POST_PREVIEW: slack_jobs.post_preview,
    effects.UPDATE_PREVIEW: slack_jobs.update_preview,
    effects.OPEN_THREAD: slack_jobs.open_thread,
    effects.SYNC_TRANSCRIPT: slack_jobs.sync_transcript,
    effects.POST_HISTORY: slack_jobs.post_history,
    effects.RETIRE_CARD: slack_jobs.retire_card,
    effects.UPDATE_CARD: slack_jobs.update_card,
    effects.SHOW_DELIVERY: slack_jobs.show_delivery,
    effects.POST_COMPOSED: slack_jobs.post_composed,
    effects.NOTIFY_AGENT: slack_jobs.notify_agent,
    effects.PUBLISH_HOME: slack_jobs.publish_home,
    effects.SEND_SMS: sms_jobs.send_sms,
    effects.EXPIRE_OFFER: expire_offer,
    effects.RECHECK_REPLY: recheck_reply,
    effects.EXPIRE_SESSION: expire_session,
    effects.PROCESS_MEDIA: media_jobs.process_media,
    effects.SPELLING_PROMPT: slack_jobs.spelling_prompt,
    consultations.OPEN_CONSULTATION: slack_jobs.open_consultation,
    effects.UPDATE_SUPERVISION: supervision_jobs.update_supervision,
    effects.TELL_SUPERVISORS: supervision_jobs.tell_supervisors,
    groups.REFRESH_GROUPS: supervision_jobs.refresh_groups,
    purge.PURGE_WORKSPACE: purge_jobs.purge_workspace,
    retention.PURGE_EXPIRED: retention.purge_expired,
    privacy.DELIVER_EXPORT: erasure_jobs.deliver_export,
    erasure.DELETE_SLACK_MESSAGE: erasure_jobs.delete_slack_message,
    erasure.DELETE_SLACK_FILE: erasure_jobs.delete_slack_file,
    erasure.SWEEP_THREAD: erasure_jobs.sweep_thread,
    erasure.DELETE_PROVIDER_MESSAGE: erasure_jobs.delete_provider_message,
    erasure.REPORT_ERASURE: erasure_jobs.report_erasure,
}
