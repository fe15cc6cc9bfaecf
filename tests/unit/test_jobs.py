"""The job catalogue: every kind the desk writes, stored exactly as rows already in the jobs
table hold it (kind, payload, lane, priority, coalescing key), and read back as the same job."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.desk import jobs
from bot.desk.jobs import COSMETIC, CUSTOMER, OFFER
from bot.desk.thread_reply import ThreadReply

REPLY = ThreadReply("T1", "CDESK", "1.1", "1.2", "UAGENT1", "On it", "Ev1")
BLOCKS = [{"type": "rich_text", "block_id": "Xy1", "elements": [
    {"type": "rich_text_section", "elements": [{"type": "text", "text": "On it"}]}]}]

# (job, kind, payload, lane, priority, coalescing key): what the desk wrote before the
# catalogue, so rows written by an earlier version still run and new rows look the same.
STORED = [
    (jobs.PostPreview(5, interaction_id=9), "slack.post_preview", {"offer_id": 5},
     "interaction:9", OFFER, None),
    (jobs.UpdatePreview(5, interaction_id=9, countdown=False, at_once=False),
     "slack.update_preview", {"offer_id": 5, "response_url": None}, "interaction:9", OFFER,
     "preview:5"),
    (jobs.UpdatePreview(5, interaction_id=9, countdown=True, at_once=False),
     "slack.update_preview", {"offer_id": 5, "response_url": None}, None, COSMETIC,
     "preview:5"),
    (jobs.UpdatePreview(5, "https://hooks.slack.com/actions/T1/1/x", interaction_id=9,
                        countdown=False, at_once=True), "slack.update_preview",
     {"offer_id": 5, "response_url": "https://hooks.slack.com/actions/T1/1/x"}, None, OFFER,
     None),
    (jobs.UpdatePreview(5, interaction_id=9, countdown=False, at_once=False, aside=True),
     "slack.update_preview", {"offer_id": 5, "response_url": None}, None, COSMETIC,
     "preview:5"),
    (jobs.ExpireOffer(5), "timer.expire_offer", {"offer_id": 5}, None, CUSTOMER, None),
    (jobs.OpenThread(9), "slack.open_thread", {"interaction_id": 9}, "interaction:9",
     CUSTOMER, None),
    (jobs.PostHistory(9), "slack.post_history", {"interaction_id": 9}, "interaction:9",
     CUSTOMER, None),
    (jobs.SyncTranscript(9), "slack.sync_transcript", {"interaction_id": 9}, "interaction:9",
     CUSTOMER, "transcript:9"),
    (jobs.UpdateCard(9), "slack.update_card", {"interaction_id": 9}, "card:9", OFFER,
     "card:9"),
    (jobs.RetireCard(9, "DAGENT", "1.1", "UNEW"), "slack.retire_card",
     {"interaction_id": 9, "channel": "DAGENT", "ts": "1.1", "new_holder": "UNEW"}, "card:9",
     OFFER, None),
    (jobs.PostComposed(7, interaction_id=9), "slack.post_composed", {"message_id": 7},
     "interaction:9", CUSTOMER, None),
    (jobs.OpenConsultation(9, "UA", "UB"), "slack.open_consultation",
     {"interaction_id": 9, "from_user": "UA", "colleague": "UB"}, "interaction:9", OFFER, None),
    (jobs.SendSms(7, interaction_id=9), "sms.send", {"message_id": 7}, "sms:9", CUSTOMER, None),
    (jobs.ShowDelivery(7, interaction_id=9), "slack.show_delivery", {"message_id": 7},
     "delivery:9", CUSTOMER, "delivery:7"),
    (jobs.RecheckReply(replace(REPLY, blocks=BLOCKS), 2), "timer.recheck_reply",
     {"reply": {"team_id": "T1", "channel": "CDESK", "thread_ts": "1.1", "ts": "1.2",
                "user_id": "UAGENT1", "slack_text": "On it", "event_id": "Ev1",
                "has_files": False, "agent_name": None, "blocks": BLOCKS}, "recheck": 2},
     None, CUSTOMER, None),
    (jobs.CustomEmojiPrompt(7), "slack.custom_emoji_prompt", {"message_id": 7}, None,
     CUSTOMER, None),
    (jobs.SpellingPrompt(7, True), "slack.spelling_prompt", {"message_id": 7, "held": True},
     None, CUSTOMER, None),
    (jobs.ReofferInteraction(9), "timer.reoffer", {"interaction_id": 9}, None, CUSTOMER,
     "reoffer:9"),
    (jobs.WaitingTooLong(9), "timer.waiting_alert", {"interaction_id": 9}, None, CUSTOMER,
     None),
    (jobs.QueueOpens("Support", team_id="T1"), "timer.queue_opens", {"queue": "Support"},
     None, CUSTOMER, "queue_opens:T1:Support"),
    (jobs.PostWaitingAlert(9, "CSUP"), "slack.waiting_alert",
     {"interaction_id": 9, "to": "CSUP"}, None, OFFER, None),
    (jobs.RemindHeldReply(7), "timer.remind_held_reply", {"message_id": 7}, None, CUSTOMER,
     "held_reply:7"),
    (jobs.ExpireSession(9), "timer.expire_session", {"interaction_id": 9}, None, CUSTOMER,
     None),
    (jobs.ProcessMedia(3), "media.process", {"media_id": 3}, None, CUSTOMER, None),
    (jobs.NotifyAgent("UA", "hello", "CDESK", "1.1"), "slack.notify_agent",
     {"user_id": "UA", "text": "hello", "channel": "CDESK", "thread_ts": "1.1",
      "people": None}, None, CUSTOMER, None),
    (jobs.NotifyAgent("UA", "{colleague} took it", people={"colleague": "UB"}),
     "slack.notify_agent", {"user_id": "UA", "text": "{colleague} took it", "channel": None,
                            "thread_ts": None, "people": {"colleague": "UB"}}, None,
     CUSTOMER, None),
    (jobs.PublishHome("UA", team_id="T1"), "slack.publish_home", {"user_id": "UA"},
     "home:T1:UA", COSMETIC, "home:T1:UA"),
    (jobs.PublishHome("UA", team_id="T1", looking=True), "slack.publish_home",
     {"user_id": "UA"}, "home:T1:UA", OFFER, "home:T1:UA"),
    (jobs.UpdateSupervision(9), "slack.update_supervision", {"interaction_id": 9},
     "supervision:9", COSMETIC, "supervision:9"),
    (jobs.TellSupervisors("billing", "everyone declined"), "slack.tell_supervisors",
     {"queue": "billing", "text": "everyone declined"}, None, OFFER, None),
    (jobs.RefreshGroups(), "groups.refresh", {}, None, OFFER, None),
    (jobs.DeliverExport(4, "UADMIN"), "privacy.deliver_export",
     {"contact_id": 4, "user_id": "UADMIN"}, None, OFFER, None),
    (jobs.DeleteSlackMessage(11, erasure_id=2), "privacy.delete_slack_message",
     {"step_id": 11}, "erasure:2", COSMETIC, None),
    (jobs.DeleteSlackFile(11, erasure_id=2), "privacy.delete_slack_file", {"step_id": 11},
     "erasure:2", COSMETIC, None),
    (jobs.SweepThread(11, erasure_id=2), "privacy.sweep_thread", {"step_id": 11},
     "erasure:2", COSMETIC, None),
    (jobs.DeleteProviderMessage(11, erasure_id=2), "privacy.delete_provider_message",
     {"step_id": 11}, "erasure:2", COSMETIC, None),
    (jobs.ReportErasure(2), "privacy.report_erasure", {"erasure_id": 2}, "erasure:2",
     COSMETIC, None),
    (jobs.PurgeWorkspace(jobs.BY_ADMIN), "privacy.purge_workspace", {"reason": "admin"}, None,
     OFFER, None),
    (jobs.PurgeExpired(), "retention.purge", {}, None, COSMETIC, None),
    (jobs.ShowReport("V0123", "USUP", "week", "Billing"), "reports.show",
     {"view_id": "V0123", "user_id": "USUP", "period": "week", "queue": "Billing"}, None,
     OFFER, None),
    (jobs.DigestTimer(), "reports.digest_timer", {}, None, COSMETIC, None),
    (jobs.PostDigest("Billing", "2026-12-05"), "reports.post_digest",
     {"queue": "Billing", "day": "2026-12-05"}, None, COSMETIC, "digest:Billing:2026-12-05"),
]


def test_every_kind_of_the_catalogue_is_stored_as_before():
    assert {job.KIND for job, *_ in STORED} == set(jobs.CATALOGUE)


@pytest.mark.parametrize(("job", "kind", "payload", "lane", "priority", "coalesce_key"),
                         STORED, ids=[type(job).__name__ for job, *_ in STORED])
def test_a_job_is_written_and_read_back_as_the_same_job(job, kind, payload, lane, priority,
                                                         coalesce_key):
    assert (job.KIND, jobs.payload(job), job.lane, job.priority, job.coalesce_key) == (
        kind, payload, lane, priority, coalesce_key)
    decoded = jobs.decode(kind, payload)
    assert type(decoded) is type(job) and jobs.payload(decoded) == payload


def test_a_reply_to_look_at_again_comes_back_as_a_thread_reply():
    decoded = jobs.decode("timer.recheck_reply", jobs.payload(jobs.RecheckReply(REPLY, 1)))
    assert decoded == jobs.RecheckReply(REPLY, 1) and decoded.reply.slack_text == "On it"


def test_an_older_reply_to_look_at_again_without_blocks_is_read_by_its_text():
    stored = {"reply": {"team_id": "T1", "channel": "CDESK", "thread_ts": "1.1", "ts": "1.2",
                        "user_id": "UAGENT1", "slack_text": "On it", "event_id": "Ev1",
                        "has_files": False, "agent_name": None}, "recheck": 2}
    assert jobs.decode("timer.recheck_reply", stored) == jobs.RecheckReply(REPLY, 2)


def test_an_older_preview_redraw_without_a_response_url_is_drawn_with_chat_update():
    assert jobs.decode("slack.update_preview", {"offer_id": 5}).response_url is None


def test_an_older_purge_row_without_a_reason_is_an_uninstalls_purge():
    assert jobs.decode("privacy.purge_workspace", {}).reason == jobs.BY_UNINSTALL


@pytest.mark.parametrize(("kind", "payload", "reason"), [
    ("slack.made_up", {}, "no job kind slack.made_up"),
    ("slack.update_card", {}, "missing ['interaction_id']"),
    ("slack.update_card", {"interaction_id": 1, "extra": 2}, "unknown ['extra']"),
    ("timer.recheck_reply", {"reply": {"team_id": "T1"}, "recheck": 1}, "ThreadReply"),
])
def test_a_row_that_fits_no_job_is_refused_with_the_reason(kind, payload, reason):
    with pytest.raises(jobs.UnreadableJob, match=reason.replace("[", r"\[").replace("]", r"\]")):
        jobs.decode(kind, payload)


def test_a_note_stored_before_it_could_name_people_reads_as_plain_words():
    job = jobs.decode("slack.notify_agent", {"user_id": "UA", "text": "Only {x} here",
                                             "channel": None, "thread_ts": None})
    assert job == jobs.NotifyAgent("UA", "Only {x} here")
