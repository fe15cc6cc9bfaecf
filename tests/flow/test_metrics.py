"""/metrics as Prometheus scrapes it: texts in, replies out, failures, queue depth, lag."""

from __future__ import annotations

import time

from prometheus_client.parser import text_string_to_metric_families

from bot.slack import ids
from tests.harness import accept_new_interaction, action_value

CUSTOMER = "+14155550100"


def _scrape(desk) -> dict[tuple[str, tuple], float]:
    response = desk.http.get(desk.url + "/metrics", headers=desk.ops_headers)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(response.text)
            for sample in family.samples}


def _value(samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_an_inbound_text_and_a_relayed_reply_are_counted(desk):
    before = _scrape(desk)
    assert _value(before, "smsdesk_inbound_sms_total", provider="twilio") == 0
    assert _value(before, "smsdesk_queue_waiting", queue="SMS") == 0

    desk.customer_texts(CUSTOMER, "Where is my parcel?", sid="SM" + "7" * 32)
    desk.customer_texts(CUSTOMER, "Where is my parcel?", sid="SM" + "7" * 32)  # Twilio retried
    samples = _scrape(desk)
    assert _value(samples, "smsdesk_inbound_sms_total", provider="twilio") == 1
    assert _value(samples, "smsdesk_queue_waiting", queue="SMS") == 1  # nobody is Ready

    desk.slash("UAGENT1", ids.COMMAND_READY)
    preview = desk.wait_for_preview("UAGENT1")
    desk.click("UAGENT1", ids.ACCEPT_OFFER, action_value(preview, ids.ACCEPT_OFFER))
    card = desk.slack.wait_for(lambda s: desk.cards() and desk.cards()[0], 5, "no card")
    desk.wait_idle()
    desk.agent_writes_in_thread("UAGENT1", card["ts"], "It arrives tomorrow")
    desk.twilio.wait_for(lambda t: t.sent_to(CUSTOMER), 5, "no SMS sent")
    desk.wait_idle()

    samples = _scrape(desk)
    assert _value(samples, "smsdesk_replies_relayed_total", provider="twilio") == 1
    assert _value(samples, "smsdesk_queue_waiting", queue="SMS") == 0
    assert _value(samples, "smsdesk_offer_accept_seconds_count") == 1
    assert _value(samples, "smsdesk_offer_accept_seconds_bucket", le="+Inf") == 1
    assert _value(samples, "smsdesk_sms_send_failures_total", provider="twilio",
                  final="true") == 0


def test_a_refused_send_and_a_failed_job_are_counted(desk):
    card = accept_new_interaction(desk, CUSTOMER, "Please stop texting me")
    desk.twilio.fail_next(status=400, code=21610, message="Attempt to send to unsubscribed")
    desk.agent_writes_in_thread("UAGENT1", card["ts"], "Sorry to hear that")
    desk.wait_idle()  # the reply's own thread lines are out: the fault is the preview's
    desk.slack.fail_next("chat.postMessage", status=500)
    desk.customer_texts("+14155550199", "A second customer")
    desk.slack.wait_for(
        lambda s: _value(_scrape(desk), "smsdesk_sms_send_failures_total", provider="twilio",
                         final="true") == 1, 5, "refused send not counted")
    desk.slack.wait_for(
        lambda s: _value(_scrape(desk), "smsdesk_jobs_failed_total",
                         kind="slack.post_preview") >= 1, 5, "failed job not counted")


def test_job_lag_is_the_age_of_the_oldest_due_job(desk):
    assert _value(_scrape(desk), "smsdesk_job_lag_seconds") == 0
    desk.runtime.worker.stop()  # nothing takes jobs now
    desk.slash("UAGENT1", ids.COMMAND_READY)
    desk.customer_texts(CUSTOMER, "Anyone there?")
    time.sleep(1.2)
    assert _value(_scrape(desk), "smsdesk_job_lag_seconds") >= 1.0


def test_each_desk_counts_only_its_own_texts(database_url, tmp_path):
    from tests.harness import start_desk

    other = start_desk(f"sqlite:///{tmp_path / 'other.sqlite3'}")
    first = start_desk(database_url)
    try:
        first.customer_texts(CUSTOMER, "hello")
        assert _value(_scrape(first), "smsdesk_inbound_sms_total", provider="twilio") == 1
        assert _value(_scrape(other), "smsdesk_inbound_sms_total", provider="twilio") == 0
    finally:
        first.close()
        other.close()


def test_metrics_are_for_the_bearer_of_the_ops_token_only(desk, database_url, tmp_path):
    from tests.harness import OPS_TOKEN, start_desk

    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": OPS_TOKEN}):
        response = desk.http.get(desk.url + "/metrics", headers=headers)
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"] == "Bearer"
        assert "SMSDESK_OPS_TOKEN" in response.text and "smsdesk_" not in response.text
    assert "smsdesk_queue_waiting" in desk.http.get(desk.url + "/metrics",
                                                    headers=desk.ops_headers).text

    unset = start_desk(f"sqlite:///{tmp_path / 'unset.sqlite3'}", ops_token=None)
    try:
        response = unset.http.get(unset.url + "/metrics",
                                  headers={"Authorization": f"Bearer {OPS_TOKEN}"})
        assert response.status_code == 404 and "set SMSDESK_OPS_TOKEN" in response.text
    finally:
        unset.close()
