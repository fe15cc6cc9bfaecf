"""The open interaction's thread: escaping, who relays, retries, edits, Done, failed sends."""

from __future__ import annotations

import pytest

from bot.slack import ids
from tests.harness import (
    DESK_CHANNEL,
    accept_new_interaction,
    action_value,
    has_button,
    line_text,
)

CUSTOMER = "+14155550100"


def _open_interaction(desk, text: str = "hello") -> dict:
    return accept_new_interaction(desk, CUSTOMER, text)


def test_customer_text_cannot_disguise_links_or_ping_anyone(desk):
    hostile = "Pay here <https://evil.example|yourbank.com> <!channel> <@UAGENT2> & <b>"
    card = _open_interaction(desk, hostile)
    preview = desk.previews_for("UAGENT1")[0]
    first_version = preview["edits"][0]  # the preview as offered, before Accept changed it
    # The card, the thread's root, carries the text (its blocks, and its plain text).
    for shown in (str(first_version["blocks"]), first_version["text"], str(preview["blocks"]),
                  str(card["blocks"]), card["text"]):
        assert "<https://evil.example|yourbank.com>" not in shown
        assert "<!channel>" not in shown and "<@UAGENT2>" not in shown
        assert "&lt;https://evil.example|yourbank.com&gt;" in shown
        assert "&lt;!channel&gt;" in shown and "&amp; &lt;b&gt;" in shown


def test_only_the_owners_replies_reach_the_phone(desk):
    card = _open_interaction(desk)
    _ts, response = desk.agent_writes_in_thread("UAGENT2", card["ts"], "I think it's late")
    assert response.status_code == 200
    desk.slack.wait_for(lambda s: any("Internal note" in e["text"] and e["user"] == "UAGENT2"
                                      for e in s.ephemerals(DESK_CHANNEL)), 5, "not marked")
    desk.wait_idle()
    assert desk.twilio.sent == []


def test_a_slack_retry_of_the_reply_event_sends_one_sms(desk):
    card = _open_interaction(desk)
    ts, _ = desk.agent_writes_in_thread("UAGENT1", card["ts"], "On its way",
                                        event_id="EvRETRY1")
    event = {"type": "message", "channel": DESK_CHANNEL, "user": "UAGENT1",
             "text": "On its way", "ts": ts, "thread_ts": card["ts"]}
    assert desk.event(event, event_id="EvRETRY1", retry_num=1).status_code == 200
    assert desk.event(event, event_id="EvRETRY2", retry_num=2).status_code == 200
    desk.twilio.wait_for(lambda t: t.sent, 5, "no SMS")
    desk.wait_idle()
    assert [sms.body for sms in desk.twilio.sent] == ["On its way"]


def test_the_apps_own_posts_never_loop_back_to_the_phone(desk):
    card = _open_interaction(desk)
    desk.event({"type": "message", "subtype": "bot_message", "bot_id": "BBOT",
                "channel": DESK_CHANNEL, "text": "Accepted", "ts": "1700000999.000100",
                "thread_ts": card["ts"]})
    desk.event({"type": "message", "bot_id": "BOTHER", "user": "UOTHERBOT",
                "channel": DESK_CHANNEL, "text": "beep", "ts": "1700000999.000200",
                "thread_ts": card["ts"]})
    desk.wait_idle()
    assert desk.twilio.sent == []


def test_editing_a_relayed_reply_tells_the_agent_it_cannot_be_unsent(desk):
    card = _open_interaction(desk)
    ts, _ = desk.agent_writes_in_thread("UAGENT1", card["ts"], "Your refund is $50")
    desk.twilio.wait_for(lambda t: t.sent, 5, "no SMS")
    desk.event({"type": "message", "subtype": "message_changed", "channel": DESK_CHANNEL,
                "ts": "1700001000.000100", "hidden": True,
                "message": {"user": "UAGENT1", "text": "Your refund is $5", "ts": ts},
                "previous_message": {"user": "UAGENT1", "text": "Your refund is $50", "ts": ts}})
    desk.slack.wait_for(lambda s: any("does not change the SMS" in e["text"]
                                      for e in s.ephemerals(DESK_CHANNEL)), 5, "no warning")


def test_a_reply_after_done_is_not_sent_and_the_agent_is_told(desk):
    card = _open_interaction(desk)
    desk.click("UAGENT1", ids.MARK_DONE, action_value(card, ids.MARK_DONE),
               channel=DESK_CHANNEL, message_ts=card["ts"])
    desk.slack.wait_for(lambda s: not has_button(s.message(DESK_CHANNEL, card["ts"]),
                                                 ids.MARK_DONE), 5, "card not closed")
    desk.agent_writes_in_thread("UAGENT1", card["ts"], "one more thing")
    desk.slack.wait_for(lambda s: any("closed" in e["text"]
                                      for e in s.ephemerals(DESK_CHANNEL)), 5, "no notice")
    desk.wait_idle()
    assert desk.twilio.sent == []
    closed = desk.slack.message(DESK_CHANNEL, card["ts"])
    assert "Done — closed by <@UAGENT1> (marked Done)" in str(closed["blocks"])


def test_a_reply_longer_than_one_sms_carries_is_refused_with_the_count(desk):
    card = _open_interaction(desk)
    too_long = "Your parcel is on its way. " * 60  # 1,620 characters; Twilio takes 1,600
    ts, _ = desk.agent_writes_in_thread("UAGENT1", card["ts"], too_long.strip())
    notice = desk.slack.wait_for(lambda s: next(
        (e for e in s.ephemerals(DESK_CHANNEL) if e["user"] == "UAGENT1"
         and e["thread_ts"] == card["ts"]), None), 5, "no notice")
    assert "1,619 characters" in notice["text"] and "at most 1,600" in notice["text"]
    assert notice["text"].startswith("Not sent")
    desk.wait_idle()
    assert desk.twilio.sent == []
    # The agent's text is not lost: it stays in the thread, and a shorter reply goes out.
    assert desk.slack.message(DESK_CHANNEL, ts)["text"] == too_long.strip()
    desk.agent_writes_in_thread("UAGENT1", card["ts"], "Your parcel is on its way.")
    desk.twilio.wait_for(lambda t: t.sent, 5, "no SMS")
    assert [sms.body for sms in desk.twilio.sent] == ["Your parcel is on its way."]


def test_only_the_owner_can_mark_done(desk):
    card = _open_interaction(desk)
    desk.click("UAGENT2", ids.MARK_DONE, action_value(card, ids.MARK_DONE),
               channel=DESK_CHANNEL, message_ts=card["ts"])
    desk.slack.wait_for(lambda s: any("Only <@UAGENT1>" in e["text"]
                                      for e in s.ephemerals(DESK_CHANNEL)), 5, "no refusal")
    assert has_button(desk.slack.message(DESK_CHANNEL, card["ts"]), ids.MARK_DONE)


def test_an_opted_out_number_fails_at_once_and_the_agent_sees_it(desk):
    card = _open_interaction(desk)
    desk.twilio.fail_next(status=400, code=21610,
                          message="Attempt to send to unsubscribed recipient")
    ts, _ = desk.agent_writes_in_thread("UAGENT1", card["ts"], "Hello?")
    desk.slack.wait_for(lambda s: "x" in s.reactions(DESK_CHANNEL, ts), 5, "no failed mark")
    desk.slack.wait_for(lambda s: any("could not be sent" in line_text(m) for m in
                                      s.thread(DESK_CHANNEL, card["ts"])), 5, "no thread line")
    # Not delivered, so the interaction stays open for another try.
    assert has_button(desk.slack.message(DESK_CHANNEL, card["ts"]), ids.MARK_DONE)


@pytest.mark.parametrize("failures", [1, 2])
def test_a_provider_outage_is_retried_until_the_sms_goes_out(desk, failures, monkeypatch):
    monkeypatch.setattr("bot.worker.runner.backoff",
                        lambda attempts: __import__("datetime").timedelta(milliseconds=50))
    card = _open_interaction(desk)
    desk.twilio.fail_next(times=failures, status=500)
    ts, _ = desk.agent_writes_in_thread("UAGENT1", card["ts"], "Retry me")
    desk.twilio.wait_for(lambda t: len(t.sent) == 1, 10, "never sent")
    desk.slack.wait_for(lambda s: "outbox_tray" in s.reactions(DESK_CHANNEL, ts), 5, "no mark")
    assert [sms.body for sms in desk.twilio.sent] == ["Retry me"]
