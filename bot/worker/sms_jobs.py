"""The job that reaches the phone: a shell around the domain's relay_reply (how many tries, the
metrics, the log lines). The reply's text was worked out on the Slack side when it was taken
in, so this job asks Slack nothing."""

from __future__ import annotations

import logging

from bot.desk import jobs, replies
from bot.desk.replies import Relayed
from bot.services import Services
from bot.slack.reply_text import names_from, plain_text
from storage import queries
from storage.outbox import ClaimedJob

log = logging.getLogger(__name__)
SEND_ATTEMPTS = 6


def send_sms(services: Services, job: jobs.SendSms, run: ClaimedJob) -> None:
    _word_if_taken_in_unworded(services, run.team_id, job.message_id)
    result = replies.relay_reply(services.db, services.settings_for(run.team_id),
                                 services.sender, job.message_id,
                                 last_try=run.attempts >= SEND_ATTEMPTS)
    if result.send_failed:
        final = result.outcome is not Relayed.RETRY
        services.metrics.send_failures.labels(services.sender.name, str(final).lower()).inc()
    if result.outcome is Relayed.RETRY:
        raise result.error
    if result.outcome is Relayed.FAILED:
        log.warning("SMS %s not sent: %s", result.message_id, result.error)
    elif result.outcome is Relayed.GAVE_UP and result.send_failed:
        log.warning("SMS %s not sent after %s tries: %s", result.message_id, run.attempts,
                    result.error)
    elif result.outcome is Relayed.ADOPTED:
        log.info("SMS %s was taken by the provider on an earlier try", result.message_id)
    elif result.outcome is Relayed.SENT:
        services.metrics.replies_relayed.labels(services.sender.name).inc()
        log.info("SMS %s sent to %s as %s", result.message_id, result.to_number,
                 result.sent.provider_sid, extra={"interaction_id": result.interaction_id})


def _word_if_taken_in_unworded(services: Services, team_id: str, message_id: int) -> None:
    # A reply taken in by an earlier version of the desk has only its Slack text: worked out
    # here once, as intake does now. Remove once no such job can be waiting.
    message = queries.message(services.db, message_id)
    if message.slack_text and not message.body and not message.provider:
        replies.store_plain_body(services.db, message_id, plain_text(
            message.slack_text, names_from(services.slack_client(team_id), team_id)))
