"""Report jobs: /sms-report's modal filled in with the numbers and the chart, and the daily
digest (its timer, and each queue's post with the chart in its supervisor channel).

A chart reaches Slack as a file (files_upload_v2). A modal shows it with an image block
naming the file (`slack_file`), which needs a file the viewer can see: it is shared into
the requester's DM with the app, where the supervisor also keeps it. Slack finishes a file
upload in the background, and an image block naming a file not yet processed is refused
(`invalid_blocks`), so the modal is asked again a few times before it is shown without
the picture, saying the chart is in the DM.
"""

from __future__ import annotations

import logging
import time
from datetime import date

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.desk import jobs
from bot.desk.reports import digest
from bot.desk.reports.build import build_report
from bot.desk.reports.periods import named_period
from bot.services import Services
from bot.slack import charts
from bot.slack.views.reports import build_digest_text, build_report_failed, build_report_modal
from bot.worker.runner import RetryLater
from storage import outbox
from storage.clock import utcnow
from storage.outbox import ClaimedJob

log = logging.getLogger(__name__)

# Waits before asking Slack again to show a chart it may still be processing.
CHART_READY_WAITS = (0.5, 1.5, 3.0)
CHART_IN_DM = "The chart is in your DM with the app (Slack was still processing it)."


def show_report(services: Services, job: jobs.ShowReport, run: ClaimedJob) -> None:
    client = services.slack_client(run.team_id)
    settings = services.settings_for(run.team_id)
    period = named_period(job.period, settings.report_time_zone, utcnow())
    try:
        report = build_report(services.db, settings, run.team_id, period, job.queue)
    except Exception:
        log.exception("report %s for %s failed", job.period, job.queue or "every queue")
        _update(client, job.view_id, build_report_failed(period.label,
                                                          "the numbers could not be read"))
        return
    chart = charts.render(report, file_tag=job.view_id)
    dm = client.conversations_open(users=job.user_id)["channel"]["id"]
    # A run after a failed one (the modal's update refused, a timeout) shows the chart that
    # run uploaded, rather than leave a second copy in the DM.
    file_id = _posted_file(client, dm, chart.file_name) if run.attempts > 1 else None
    if file_id is None:
        file_id = _file_id(client.files_upload_v2(
            channel=dm, file=chart.png, filename=chart.file_name,
            title=f"SMS report: {period.label}, {job.queue or 'every queue'}",
            alt_txt=chart.alt_text,
            initial_comment=f"Chart of your /sms-report: {period.label}, "
                            f"{job.queue or 'every queue'}"))
    for wait in (0.0, *CHART_READY_WAITS):
        time.sleep(wait)
        try:
            _update(client, job.view_id, build_report_modal(report, file_id, chart.alt_text))
            return
        except SlackApiError as error:
            if error.response.get("error") != "invalid_blocks" or file_id is None:
                raise
    log.warning("Slack did not take the chart %s in the report modal; shown without it",
                file_id)
    _update(client, job.view_id, build_report_modal(report, None, chart.alt_text, CHART_IN_DM))


def _update(client: WebClient, view_id: str, view: dict) -> None:
    try:
        client.views_update(view_id=view_id, view=view)
    except SlackApiError as error:
        if error.response.get("error") == "not_found":
            return  # closed before the numbers came: nothing to show them in
        raise


def _file_id(uploaded) -> str | None:
    files = uploaded.get("files") or ([uploaded["file"]] if uploaded.get("file") else [])
    return next((f["id"] for f in files if f.get("id")), None)


def digest_timer(services: Services, job: jobs.DigestTimer, run: ClaimedJob) -> None:
    """Queue each supervised queue's digest for yesterday, then wait for the next time."""
    with services.db.transaction() as s:
        # Two instances starting at once on SQLite may each have armed one: this is the one.
        others = [timer for timer in outbox.unfinished(s, run.team_id, job.KIND)
                  if timer.id != run.id and timer.state == "pending"]
        outbox.cancel(s, others, "cancelled: another digest timer runs")
    settings = services.settings_for(run.team_id)
    now = utcnow()
    due = digest.next_digest_at(settings, now)
    if due is None:
        return  # digest_at unset since: the timer ends; a start with it set arms a new one
    digest.queue_digests(services.db, settings, run.team_id, now)
    raise RetryLater("digest queued", due)


def post_digest(services: Services, job: jobs.PostDigest, run: ClaimedJob) -> None:
    settings = services.settings_for(run.team_id)
    queue = settings.queue_named(job.queue)
    if queue.name != job.queue or not queue.supervisor_channel:
        log.warning("no digest for queue %s: it has no supervisor channel now", job.queue)
        return
    day, before = digest.compared_periods(date.fromisoformat(job.day),
                                          settings.report_time_zone)
    yesterday = build_report(services.db, settings, run.team_id, day, job.queue)
    week_before = build_report(services.db, settings, run.team_id, before, job.queue)
    chart = charts.render(yesterday, week_before)
    client = services.slack_client(run.team_id)
    channel = queue.supervisor_channel
    if run.outcome_unknown and _posted_file(client, channel, chart.file_name):
        return
    upload = dict(channel=channel, file=chart.png, filename=chart.file_name,
                  title=f"SMS digest: {job.queue}, {day.label}", alt_txt=chart.alt_text,
                  initial_comment=build_digest_text(yesterday, week_before))
    try:
        client.files_upload_v2(**upload)
    except SlackApiError as error:
        if error.response.get("error") != "not_in_channel":
            raise
        client.conversations_join(channel=channel)  # a private one needs an invite: raised
        client.files_upload_v2(**upload)


def _posted_file(client: WebClient, channel: str, file_name: str) -> str | None:
    """The id of a chart an earlier run shared here, if any. Files carry no metadata, so the
    channel's latest messages are read for the chart's name (unique to its report)."""
    try:
        history = client.conversations_history(channel=channel, limit=50)
    except SlackApiError:
        return None
    return next((shared["id"] for message in history.get("messages", [])
                 for shared in message.get("files") or []
                 if shared.get("name") == file_name and shared.get("id")), None)
