"""Jobs of data protection: deliver a contact's export to the requester's DM, and carry out
an erasure's steps in Slack and at the SMS provider, then report.

Each erasure step records how it ended. What retrying cannot change (Slack's
message_not_found, cant_delete_message, a channel the app left; the provider refusing) is
written down as the step's outcome for the report, never raised: an admin alert or twelve
retries would not make Slack delete it. Rate limits, 5xx and outages are raised, so the
worker paces and retries them as any job.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.desk import jobs
from bot.desk.data_protection import erasure, privacy
from bot.desk.messages import SendError
from bot.services import Services
from bot.slack.views import privacy as views
from storage.clock import utcnow
from storage.outbox import ClaimedJob

log = logging.getLogger(__name__)

SWEEP_PAGES = 20  # of 200 replies: far more than a thread ever holds
# Why Slack keeps a message, in words for the report.
SLACK_REASONS = {
    "cant_delete_message": "Slack lets only its author (or a workspace admin) delete it",
    "channel_not_found": "the channel is gone or the app cannot see it",
    "not_in_channel": "the app is no longer in the channel",
    "is_archived": "the channel is archived",
    "compliance_exports_prevent_deletion": "the workspace's compliance exports prevent it",
}


def _retryable(error: SlackApiError) -> bool:
    status = error.response.status_code
    return status == 429 or status >= 500


def _why(error: SlackApiError) -> str:
    code = error.response.get("error") or str(error.response.status_code)
    return SLACK_REASONS.get(code, f"Slack answered {code}")


def deliver_export(services: Services, job: jobs.DeliverExport, run: ClaimedJob) -> None:
    client = services.slack_client(run.team_id)
    document = privacy.build_export(services.db, run.team_id, job.contact_id, job.user_id)
    if document is None:
        client.chat_postMessage(channel=job.user_id, text=(
            f"Contact #{job.contact_id} no longer exists (erased or merged): nothing to "
            "export."))
        return
    built_at = utcnow()
    dm = client.conversations_open(users=job.user_id)["channel"]["id"]
    uploaded = client.files_upload_v2(
        channel=dm, content=json.dumps(document, indent=2, ensure_ascii=False),
        filename=privacy.export_file_name(document),
        title=f"Contact #{job.contact_id} export",
        initial_comment=views.export_comment(job.contact_id))
    for file_id in _file_ids(uploaded):
        if not privacy.record_export_upload(services.db, run.team_id, job.contact_id,
                                            job.user_id, dm, file_id, built_at):
            # Erased while this was uploading: its deletion never knew of the file.
            _tolerate(("file_not_found", "file_deleted"), client.files_delete, file=file_id)


def _file_ids(uploaded) -> list[str]:
    files = uploaded.get("files") or ([uploaded["file"]] if uploaded.get("file") else [])
    return [f["id"] for f in files if f.get("id")]


def _delete_in_slack(services: Services, run: ClaimedJob, step_id: int,
                     delete: Callable[[WebClient, dict], object], gone: tuple[str, ...]) -> None:
    """One erasure step that deletes something in Slack: deleted, already gone (one of the
    `gone` errors), or refused with Slack's reason; a retryable failure is raised."""
    step = erasure.step(services.db, run.team_id, step_id)
    if step is None or step.state != erasure.PENDING:
        return
    try:
        delete(services.slack_client(run.team_id), step.target)
    except SlackApiError as error:
        if _retryable(error):
            raise
        if error.response.get("error") in gone:
            erasure.finish_step(services.db, run.team_id, step.id, erasure.GONE)
        else:
            erasure.finish_step(services.db, run.team_id, step.id, erasure.REFUSED,
                                _why(error))
        return
    erasure.finish_step(services.db, run.team_id, step.id, erasure.DELETED)


def delete_slack_message(services: Services, job: jobs.DeleteSlackMessage,
                         run: ClaimedJob) -> None:
    _delete_in_slack(services, run, job.step_id,
                     lambda client, target: client.chat_delete(channel=target["channel"],
                                                               ts=target["ts"]),
                     gone=("message_not_found",))


def delete_slack_file(services: Services, job: jobs.DeleteSlackFile, run: ClaimedJob) -> None:
    """A file the app uploaded (a contact's export in someone's DM)."""
    _delete_in_slack(services, run, job.step_id,
                     lambda client, target: client.files_delete(file=target["file"]),
                     gone=("file_not_found", "file_deleted"))


def sweep_thread(services: Services, job: jobs.SweepThread, run: ClaimedJob) -> None:
    """What the app posted in the thread that no row remembers (pictures uploaded as files,
    the history a moved thread starts with, a line posted by a job that raced the erasure):
    its own replies there are deleted, and the files they carry. The card goes next."""
    step = erasure.step(services.db, run.team_id, job.step_id)
    if step is None or step.state != erasure.PENDING:
        return
    client = services.slack_client(run.team_id)
    channel, root = step.target["channel"], step.target["ts"]
    try:
        bot_id = client.auth_test().get("bot_id")
        replies = _replies(client, channel, root)
    except SlackApiError as error:
        if _retryable(error):
            raise
        state = erasure.GONE if error.response.get("error") in (
            "thread_not_found", "message_not_found") else erasure.REFUSED
        erasure.finish_step(services.db, run.team_id, step.id, state,
                            None if state == erasure.GONE else _why(error))
        return
    lines = files = 0
    for reply in replies:
        if reply.get("ts") == root or not bot_id or reply.get("bot_id") != bot_id:
            continue
        for shared in reply.get("files") or []:
            if shared.get("id") and shared.get("mode") != "tombstone":
                files += _tolerate(("file_not_found", "file_deleted"), client.files_delete,
                                   file=shared["id"])
        lines += _tolerate(("message_not_found",), client.chat_delete, channel=channel,
                           ts=reply["ts"])
    erasure.finish_step(services.db, run.team_id, step.id, erasure.DELETED,
                        lines=lines, files=files)


def _replies(client: WebClient, channel: str, root: str) -> list[dict]:
    found, cursor = [], None
    for _ in range(SWEEP_PAGES):
        page = client.conversations_replies(channel=channel, ts=root, limit=200,
                                            **({"cursor": cursor} if cursor else {}))
        found += page.get("messages") or []
        cursor = (page.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            break
    return found


def _tolerate(gone: tuple[str, ...], call, **kwargs) -> int:
    """1 when deleted now; 0 when it was already gone."""
    try:
        call(**kwargs)
    except SlackApiError as error:
        if error.response.get("error") in gone:
            return 0
        raise
    return 1


def delete_provider_message(services: Services, job: jobs.DeleteProviderMessage,
                            run: ClaimedJob) -> None:
    step = erasure.step(services.db, run.team_id, job.step_id)
    if step is None or step.state != erasure.PENDING:
        return
    target, sender = step.target, services.sender
    if target["provider"] == "simulator":
        # The simulator keeps nothing beyond the desk's own database.
        erasure.finish_step(services.db, run.team_id, step.id, erasure.GONE)
        return
    if sender.name != target["provider"]:
        erasure.finish_step(services.db, run.team_id, step.id, erasure.REFUSED,
                            f"the desk no longer sends through {target['provider']}; "
                            "delete it in that provider's console")
        return
    try:
        deleted = sender.delete_message(target["sid"], target.get("media") or [])
    except SendError as error:
        if not error.permanent:
            raise
        erasure.finish_step(services.db, run.team_id, step.id, erasure.REFUSED, str(error))
        return
    erasure.finish_step(services.db, run.team_id, step.id,
                        erasure.DELETED if deleted else erasure.GONE)


def report_erasure(services: Services, job: jobs.ReportErasure, run: ClaimedJob) -> None:
    """The last job of the erasure's lane: every step before it has run (or given up)."""
    report = erasure.report(services.db, run.team_id, job.erasure_id)
    if report is None or report.done:
        return
    if report.requested_by:
        message = views.build_erasure_report(report)
        services.slack_client(run.team_id).chat_postMessage(channel=report.requested_by,
                                                            **message)
    else:
        log.info("erasure %s finished: %s deletions refused or failed", report.erasure_id,
                 len(report.not_removed))
    erasure.mark_done(services.db, run.team_id, report)
