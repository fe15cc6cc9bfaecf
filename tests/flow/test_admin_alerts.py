"""When Slack refuses the desk for a reason only an admin can fix, an admin is told how."""

from __future__ import annotations

import logging

from bot.config import Settings
from bot.slack import ids
from tests.harness import action_value, start_desk

CUSTOMER = "+14155550100"
PRIVATE = "CPRIVATE"


def _desk(database_url, admins: tuple[str, ...]):
    desk = start_desk(database_url, agents=("UAGENT1", "UADMIN"),
                      settings=Settings(desk_channel=PRIVATE, admins=admins,
                                        offer_timeout_seconds=30))
    # A private desk channel nobody invited the app to: the app cannot join it itself.
    desk.slack.add_channel(PRIVATE, "sms-desk-private", is_private=True, bot_is_member=False)
    return desk


def _accept(desk) -> None:
    desk.slash("UAGENT1", ids.COMMAND_READY)
    desk.customer_texts(CUSTOMER, "Hello?")
    preview = desk.wait_for_preview("UAGENT1")
    desk.click("UAGENT1", ids.ACCEPT_OFFER, action_value(preview, ids.ACCEPT_OFFER))


def test_an_admin_is_told_once_to_invite_the_app_to_the_desk_channel(database_url):
    desk = _desk(database_url, admins=("UADMIN",))
    try:
        _accept(desk)
        dm = desk.slack.wait_for(lambda s: desk.previews_for("UADMIN"), 5, "no admin DM")[0]
        assert "Slack answered `not_in_channel`" in dm["text"]
        assert f"invite @smsdesk to <#{PRIVATE}>" in dm["text"]
        # The thread job keeps retrying (after about a second, then two...): no second DM.
        desk.slack.wait_for(lambda s: len([c for c in s.calls_to("chat.postMessage")
                                           if c.params.get("channel") == PRIVATE]) >= 2,
                            10, "the job was not retried")
        assert len(desk.previews_for("UADMIN")) == 1

        desk.slack.add_channel(PRIVATE, "sms-desk-private", is_private=True)  # invited now
        desk.slack.wait_for(lambda s: s.messages(PRIVATE), 10, "the card never arrived")
    finally:
        desk.close()


def test_a_revoked_token_is_logged_at_error_with_the_fix(database_url, caplog):
    desk = _desk(database_url, admins=("UADMIN",))
    try:
        with caplog.at_level(logging.ERROR, logger="bot.worker.alerts"):
            desk.slack.fail_next("chat.postMessage", error="token_revoked")
            desk.slash("UAGENT1", ids.COMMAND_READY)
            desk.customer_texts(CUSTOMER, "Hello?")
            desk.slack.wait_for(lambda s: any("token_revoked" in r.getMessage()
                                              for r in caplog.records), 5, "nothing logged")
        record = next(r for r in caplog.records if "token_revoked" in r.getMessage())
        assert record.levelno == logging.ERROR
        assert "reinstall it" in record.getMessage() and "SLACK_BOT_TOKEN" in record.getMessage()
        desk.wait_idle()
        assert desk.previews_for("UADMIN") == []  # a DM could not get out with that token
    finally:
        desk.close()


def test_with_no_admin_configured_the_problem_is_logged_at_error(database_url, caplog):
    desk = _desk(database_url, admins=())
    try:
        with caplog.at_level(logging.ERROR, logger="bot.worker.alerts"):
            _accept(desk)
            desk.slack.wait_for(lambda s: any("not_in_channel" in r.getMessage()
                                              for r in caplog.records), 5, "nothing logged")
        record = next(r for r in caplog.records if "not_in_channel" in r.getMessage())
        assert f"invite @smsdesk to <#{PRIVATE}>" in record.getMessage()
    finally:
        desk.close()


def test_a_forged_click_naming_a_channel_that_does_not_exist_alerts_no_admin(database_url,
                                                                           caplog):
    desk = start_desk(database_url, agents=("UAGENT1", "UADMIN"),
                      settings=Settings(desk_channel="CDESK", admins=("UADMIN",),
                                        offer_timeout_seconds=30))
    desk.slack.add_channel("CDESK", "sms-desk")
    try:
        with caplog.at_level(logging.INFO):
            # Reassign is for supervisors; this agent's click also names a channel that is
            # not there. The refusal still reaches the agent, in their DM.
            response = desk.click("UAGENT1", ids.REASSIGN, "1", channel="CFORGED",
                                  message_ts="1.0")
            assert response.status_code == 200
            told = desk.slack.wait_for(lambda s: desk.previews_for("UAGENT1"), 5,
                                       "the agent was not told")
            desk.wait_idle()
        assert told[0]["text"] == "Only supervisors and admins can reassign interactions."
        assert desk.previews_for("UADMIN") == []  # no ":warning: ... channel_not_found"
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    finally:
        desk.close()
