"""Which function runs each job of the catalogue (bot/desk/jobs.py), keyed by its type.

A handler is called with the decoded job (its payload, typed) and the claimed row (its
workspace, attempts so far, whether an earlier run's outcome is unknown).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.desk import jobs, replies
from bot.desk.interactions import after_hours, offers, sessions, waiting
from bot.desk.replies import held
from bot.services import Services
from bot.slack import directory, reply_text
from bot.worker import (
    erasure_jobs,
    media_jobs,
    purge_jobs,
    report_jobs,
    retention_jobs,
    slack_jobs,
    sms_jobs,
    supervision_jobs,
)
from bot.worker.runner import RetryLater
from storage.outbox import ClaimedJob

Handler = Callable[[Services, Any, ClaimedJob], None]


def expire_offer(services: Services, job: jobs.ExpireOffer, run: ClaimedJob) -> None:
    answer = offers.expire_offer(services.db, services.settings_for(run.team_id), run.team_id,
                                 job.offer_id)
    services.metrics.observe_accept(answer.waited_seconds)  # an auto-answer accepts here


def reoffer(services: Services, job: jobs.ReofferInteraction, run: ClaimedJob) -> None:
    offers.reoffer(services.db, services.settings_for(run.team_id), run.team_id,
                   job.interaction_id)


def check_waiting(services: Services, job: jobs.WaitingTooLong, run: ClaimedJob) -> None:
    waiting.check(services.db, services.settings_for(run.team_id), run.team_id,
                  job.interaction_id)


def queue_opens(services: Services, job: jobs.QueueOpens, run: ClaimedJob) -> None:
    after_hours.queue_opens(services.db, services.settings_for(run.team_id), run.team_id,
                            job.queue)


def recheck_reply(services: Services, job: jobs.RecheckReply, run: ClaimedJob) -> None:
    # Still taking the reply in: its phone text is worked out here as the listener does.
    reply = job.reply
    replies.record_agent_reply(
        services.db, services.settings_for(run.team_id), reply, recheck=job.recheck,
        phone=reply_text.phone_text(reply.slack_text, reply.blocks, lambda user_id: (
            directory.real_name(services.slack_client(run.team_id), run.team_id, user_id))),
        in_direct_message=reply_text.in_direct_message(reply.channel))


def remind_held_reply(services: Services, job: jobs.RemindHeldReply, run: ClaimedJob) -> None:
    again = held.remind(services.db, services.settings_for(run.team_id), run.team_id,
                        job.message_id)
    if again is not None:
        raise RetryLater("reply still held", again)


def expire_session(services: Services, job: jobs.ExpireSession, run: ClaimedJob) -> None:
    look_again = sessions.expire_if_due(services.db, services.settings_for(run.team_id),
                                        run.team_id,
                                        job.interaction_id)
    if look_again is not None:
        raise RetryLater("session still active", look_again)


HANDLERS: dict[type[jobs.OutboxJob], Handler] = {
    jobs.PostPreview: slack_jobs.post_preview,
    jobs.UpdatePreview: slack_jobs.update_preview,
    jobs.ExpireOffer: expire_offer,
    jobs.ReofferInteraction: reoffer,
    jobs.WaitingTooLong: check_waiting,
    jobs.QueueOpens: queue_opens,
    jobs.OpenThread: slack_jobs.open_thread,
    jobs.PostHistory: slack_jobs.post_history,
    jobs.SyncTranscript: slack_jobs.sync_transcript,
    jobs.UpdateCard: slack_jobs.update_card,
    jobs.RetireCard: slack_jobs.retire_card,
    jobs.PostComposed: slack_jobs.post_composed,
    jobs.OpenConsultation: slack_jobs.open_consultation,
    jobs.SendSms: sms_jobs.send_sms,
    jobs.ShowDelivery: slack_jobs.show_delivery,
    jobs.RecheckReply: recheck_reply,
    jobs.SpellingPrompt: slack_jobs.spelling_prompt,
    jobs.CustomEmojiPrompt: slack_jobs.custom_emoji_prompt,
    jobs.RemindHeldReply: remind_held_reply,
    jobs.ExpireSession: expire_session,
    jobs.ProcessMedia: media_jobs.process_media,
    jobs.NotifyAgent: slack_jobs.notify_agent,
    jobs.PublishHome: slack_jobs.publish_home,
    jobs.UpdateSupervision: supervision_jobs.update_supervision,
    jobs.TellSupervisors: supervision_jobs.tell_supervisors,
    jobs.PostWaitingAlert: supervision_jobs.post_waiting_alert,
    jobs.RefreshGroups: supervision_jobs.refresh_groups,
    jobs.DeliverExport: erasure_jobs.deliver_export,
    jobs.DeleteSlackMessage: erasure_jobs.delete_slack_message,
    jobs.DeleteSlackFile: erasure_jobs.delete_slack_file,
    jobs.SweepThread: erasure_jobs.sweep_thread,
    jobs.DeleteProviderMessage: erasure_jobs.delete_provider_message,
    jobs.ReportErasure: erasure_jobs.report_erasure,
    jobs.PurgeWorkspace: purge_jobs.purge_workspace,
    jobs.PurgeExpired: retention_jobs.purge_expired,
    jobs.ShowReport: report_jobs.show_report,
    jobs.DigestTimer: report_jobs.digest_timer,
    jobs.PostDigest: report_jobs.post_digest,
}


def run_job(services: Services, run: ClaimedJob) -> None:
    """Decode a claimed job and run its handler. Raises jobs.UnreadableJob for a row no
    handler can run (a kind not in the catalogue, a payload that does not fit it)."""
    job = jobs.decode(run.kind, run.payload)
    handler = HANDLERS.get(type(job))
    if handler is None:
        raise jobs.UnreadableJob(f"no handler for job kind {run.kind}")
    handler(services, job, run)
