"""/metrics as Prometheus scrapes it: texts in, replies out, failures, queue depth, lag, and
the supervisor's timings (wait before Accept, first response, handle time) per queue."""

from __future__ import annotations

import json
import time
from datetime import timedelta

from prometheus_client.parser import text_string_to_metric_families

from bot.config import Settings
from bot.desk.timings import HANDLE, Timing
from bot.slack import ids
from storage import clock
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


def _travel(desk, seconds: float) -> None:
    clock.travel(timedelta(seconds=seconds))
    desk.runtime.worker.wake()


def _timing(samples, measure: str, queue: str = "SMS") -> dict[str, float]:
    """count, sum, and the cumulative bucket counts this test looks at."""
    name = f"smsdesk_{measure}_seconds"
    return {"count": _value(samples, f"{name}_count", queue=queue),
            "sum": _value(samples, f"{name}_sum", queue=queue),
            **{le: _value(samples, f"{name}_bucket", queue=queue, le=le)
               for le in ("60.0", "120.0", "300.0", "600.0")}}


def test_wait_first_response_and_handle_time_are_histograms_per_queue(desk):
    try:
        desk.customer_texts(CUSTOMER, "Where is my parcel?")  # nobody is Ready: it waits
        _travel(desk, 100)
        card = accept_new_interaction(desk, "+14155550199", "Me too")  # Ready, takes this one
        assert "Where is my parcel?" in json.dumps(card["blocks"])
        _travel(desk, 50)
        desk.agent_writes_in_thread("UAGENT1", card["ts"], "It arrives tomorrow")
        desk.twilio.wait_for(lambda t: t.sent_to(CUSTOMER), 5, "no SMS sent")
        desk.wait_idle()  # page mode: the reply sent is Done
        samples = _scrape(desk)
    finally:
        clock.reset()

    wait = _timing(samples, "wait_before_accept")
    assert wait["count"] == 1 and 100 <= wait["sum"] < 110
    assert (wait["60.0"], wait["120.0"]) == (0, 1)
    first = _timing(samples, "first_response")
    assert first["count"] == 1 and 150 <= first["sum"] < 160
    assert (first["120.0"], first["300.0"]) == (0, 1)
    handle = _timing(samples, "handle")
    assert handle["count"] == 1 and 50 <= handle["sum"] < 60
    assert handle["60.0"] == 1
    # The second customer's text, offered but not accepted yet, measured nothing.
    assert _value(samples, "smsdesk_first_response_seconds_count", queue="other") == 0


def test_a_second_reply_is_no_first_response_and_done_ends_the_handle_time(database_url):
    from tests.harness import BUSINESS_NUMBER, DESK_CHANNEL, start_desk

    settings = Settings(desk_channel=DESK_CHANNEL, session_numbers=(BUSINESS_NUMBER,),
                        session_expiry_minutes=60)
    desk = start_desk(database_url, settings=settings)
    try:
        card = accept_new_interaction(desk, CUSTOMER, "Can I change my delivery address?")
        _travel(desk, 30)
        desk.agent_writes_in_thread("UAGENT1", card["ts"], "Yes: which address?")
        desk.twilio.wait_for(lambda t: len(t.sent_to(CUSTOMER)) == 1, 5, "no SMS sent")
        desk.wait_idle()  # the provider's answer recorded before the clock moves on
        _travel(desk, 200)
        desk.agent_writes_in_thread("UAGENT1", card["ts"], "Done: it goes to 1 Main St")
        desk.twilio.wait_for(lambda t: len(t.sent_to(CUSTOMER)) == 2, 5, "no second SMS")
        desk.wait_idle()
        samples = _scrape(desk)
        assert _timing(samples, "handle")["count"] == 0  # a session stays open after replies
        _travel(desk, 100)
        desk.click("UAGENT1", ids.MARK_DONE, action_value(card, ids.MARK_DONE),
                   channel=DESK_CHANNEL, message_ts=card["ts"])
        desk.wait_idle()
        samples = _scrape(desk)
    finally:
        clock.reset()
        desk.close()

    assert _timing(samples, "wait_before_accept")["count"] == 1
    first = _timing(samples, "first_response")
    assert first["count"] == 1 and 30 <= first["sum"] < 40 and first["60.0"] == 1
    handle = _timing(samples, "handle")
    assert handle["count"] == 1 and 330 <= handle["sum"] < 345
    assert (handle["300.0"], handle["600.0"]) == (0, 1)


def test_a_queue_the_settings_no_longer_name_is_counted_as_other(desk):
    desk.runtime.services.metrics.observe_noted([Timing(HANDLE, "Retired queue", 12.0)])
    samples = _scrape(desk)
    assert _value(samples, "smsdesk_handle_seconds_count", queue="other") == 1
    assert _value(samples, "smsdesk_handle_seconds_count", queue="Retired queue") == 0
