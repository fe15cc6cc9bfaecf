"""Jobs that reach the phone: relay an agent's reply through the SMS provider."""

from __future__ import annotations

import logging
from datetime import timedelta

from slack_sdk.errors import SlackApiError

from bot.desk import jobs, replies
from bot.desk.messages import SendError
from bot.services import Services
from bot.slack.mrkdwn import mentioned_user_ids, to_plain_text
from storage import queries
from storage.outbox import ClaimedJob

log = logging.getLogger(__name__)
SEND_ATTEMPTS = 6
# The provider's clock and ours differ a little, and its dates are whole seconds.
LOOKUP_MARGIN = timedelta(minutes=2)


def _names(services: Services, team_id: str, slack_text: str) -> dict[str, str]:
    client = services.slack_client(team_id)
    names: dict[str, str] = {}
    for user_id in mentioned_user_ids(slack_text):
        try:
            user = client.users_info(user=user_id)["user"]
        except SlackApiError as error:
            if error.response.status_code == 429:
                raise
            continue
        profile = user.get("profile") or {}
        # A customer should read a person's name, not their Slack handle.
        names[user_id] = (profile.get("real_name") or user.get("real_name")
                          or profile.get("display_name") or user.get("name") or "a colleague")
    return names


def send_sms(services: Services, job: jobs.SendSms, run: ClaimedJob) -> None:
    message = queries.message(services.db, job.message_id)
    if message.provider_sid or message.delivery_state in ("failed", "delivered"):
        return  # already sent (or given up): a second run must not text the customer twice
    if message.slack_text is not None:
        names = _names(services, run.team_id, message.slack_text)
        body = to_plain_text(message.slack_text, lambda uid: names.get(uid, "a colleague"))
    else:
        body = message.body
    if replies.refuse_if_opted_out(services.db, message.id):
        return
    if message.provider == services.sender.name:
        # An earlier try was made (its answer never came, or it failed): the provider may
        # have the SMS all the same. If so, that is this reply: do not text it twice.
        try:
            taken = services.sender.find_sent(
                from_number=message.from_number, to_number=message.to_number,
                body=message.body,  # what the earlier try sent
                since=message.created_at - LOOKUP_MARGIN)
        except SendError as error:
            if run.attempts >= SEND_ATTEMPTS:
                replies.record_send_gave_up(services.db, message.id, str(error))
                return
            replies.record_send_retry(services.db, message.id, str(error))
            raise
        if replies.adopt_earlier_send(services.db, services.settings_for(run.team_id),
                                      message.id, taken):
            log.info("SMS %s was taken by the provider on an earlier try", message.id)
            return
    replies.save_plain_body(services.db, message.id, body, services.sender.name)
    try:
        result = services.sender.send(from_number=message.from_number,
                                      to_number=message.to_number, body=body)
    except SendError as error:
        final = error.permanent or run.attempts >= SEND_ATTEMPTS
        services.metrics.send_failures.labels(services.sender.name, str(final).lower()).inc()
        if error.permanent:
            log.warning("SMS %s not sent: %s", message.id, error)
            replies.record_send_failure(services.db, message.id, str(error), code=error.code)
            return
        if final:
            log.warning("SMS %s not sent after %s tries: %s", message.id, run.attempts, error)
            replies.record_send_gave_up(services.db, message.id, str(error))
            return
        replies.record_send_retry(services.db, message.id, str(error))
        raise
    services.metrics.replies_relayed.labels(services.sender.name).inc()
    log.info("SMS %s sent to %s as %s", message.id, message.to_number, result.provider_sid,
             extra={"interaction_id": message.interaction_id})
    replies.record_send_result(services.db, services.settings_for(run.team_id), message.id,
                               result)
