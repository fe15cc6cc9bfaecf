"""Slack's budget spent on what people wait for: calls one interaction costs."""

from __future__ import annotations

import json

from bot.config import Settings
from bot.config.workspaces import Workspace
from bot.slack import ids
from tests.harness import (
    BUSINESS_NUMBER,
    DESK_CHANNEL,
    accept_new_interaction,
    action_value,
    start_desk,
)

CUSTOMER = "+14155550100"
TEAM = "T0001"  # the fake's workspace, where the agents and the desk channel are


def test_links_to_a_thread_are_built_from_the_workspace_url_not_fetched(tmp_path):
    """chat.getPermalink has a budget of its own (about 100 a minute), and a busy desk spent it
    on every Home tab and preview redraw. A message link is the workspace's URL (auth.test),
    the channel and the ts, so it is built, and the link still opens the thread."""
    desk = start_desk(f"sqlite:///{tmp_path / 'desk.sqlite3'}")
    try:
        card = accept_new_interaction(desk, CUSTOMER, "Where is my parcel?")
        desk.wait_idle()
        expected = (f"https://{desk.team_id.lower()}.slack.com/archives/{DESK_CHANNEL}/"
                    f"p{card['ts'].replace('.', '')}")
        # The accepted preview links to the thread (redrawn once the thread is there).
        desk.slack.wait_for(lambda s: expected in json.dumps(
            desk.previews_for("UAGENT1")[0]["blocks"]), 5, "the preview has no thread link")
        assert desk.slack.calls_to("chat.getPermalink") == []
    finally:
        desk.close()


def _one_page_mode_interaction(desk, number: int = 1) -> None:
    """The `number`-th: a text, Accept, the agent's reply in the thread, the phone has it.
    Slack's requests (a command, a click, a message event) and the jobs that answer them."""
    customer = f"+1415555{number:04d}"
    desk.slash("UAGENT1", ids.COMMAND_READY)
    desk.customer_texts(customer, "Is my order shipped?")
    preview = desk.wait_for_preview("UAGENT1", count=number)
    desk.click("UAGENT1", ids.ACCEPT_OFFER, action_value(preview, ids.ACCEPT_OFFER))
    card = desk.slack.wait_for(lambda s: len(desk.cards()) >= number and desk.cards()[-1], 5,
                               "no card")
    desk.wait_idle()
    desk.agent_writes_in_thread("UAGENT1", card["ts"], "It left this morning")
    desk.twilio.wait_for(lambda t: t.sent_to(customer), 10, "no SMS sent")
    desk.wait_idle()


def test_a_single_token_desk_asks_who_its_token_is_once_in_all(tmp_path):
    """auth.test answers the same for a token every time: start-up, bolt's own check and
    the workspace's address for links share one answer."""
    desk = start_desk(f"sqlite:///{tmp_path / 'desk.sqlite3'}")
    try:
        _one_page_mode_interaction(desk)
        _one_page_mode_interaction(desk, 2)
        assert len(desk.slack.calls_to("auth.test")) == 1
    finally:
        desk.close()


def test_an_oauth_desk_asks_who_a_workspaces_token_is_once_not_per_request(tmp_path):
    """bolt's authorize asked auth.test on every request of an installed workspace (a command,
    each click, each message event): now once per process for the workspace's token."""
    desk = start_desk(f"sqlite:///{tmp_path / 'desk.sqlite3'}", oauth=True,
                      settings=Settings(workspaces=(Workspace(TEAM, Settings(
                          desk_channel=DESK_CHANNEL, business_numbers=(BUSINESS_NUMBER,))),)))
    try:
        assert desk.install_workspace(TEAM).status_code == 200
        installed = len(desk.slack.calls_to("auth.test"))  # bolt's, as it stores the install
        workspace = desk.in_workspace(TEAM)
        _one_page_mode_interaction(workspace)
        _one_page_mode_interaction(workspace, 2)
        assert len(desk.slack.calls_to("auth.test")) - installed <= 1
    finally:
        desk.close()


def test_a_page_mode_interaction_costs_one_channel_post_and_one_card_redraw(tmp_path):
    """A desk channel takes about one post a second. One page-mode interaction (a text,
    Accept, one reply, closed) posts once there: the card, the thread's root, carries the
    customer's first text, and who holds it, what the reply cost and how it closed are the
    card's to say (one redraw), not a thread line each."""
    desk = start_desk(f"sqlite:///{tmp_path / 'desk.sqlite3'}")
    try:
        card = accept_new_interaction(desk, CUSTOMER, "Where is my parcel?")
        assert "Where is my parcel?" in str(card["blocks"]) and "<@UAGENT1>" in str(
            card["blocks"])
        desk.agent_writes_in_thread("UAGENT1", card["ts"], "It ships today.")
        desk.twilio.wait_for(lambda t: t.sent_to(CUSTOMER), 5, "no SMS sent")
        closed = desk.slack.wait_for(
            lambda s: "closed by <@UAGENT1> (reply sent)" in str(
                s.message(DESK_CHANNEL, card["ts"])["blocks"])
            and s.message(DESK_CHANNEL, card["ts"]), 5, "the card never said it closed")
        desk.wait_idle()
        assert "Last reply sent as 1 SMS (GSM-7)" in str(closed["blocks"])
        assert "Where is my parcel?" in str(closed["blocks"])  # the redraw keeps the text

        posts = [c for c in desk.slack.calls_to("chat.postMessage")
                 if c.params.get("channel") == DESK_CHANNEL]
        assert len(posts) == 1, [c.params.get("text") for c in posts]
        # The thread holds the agent's reply alone.
        assert [m["user"] for m in desk.slack.thread(DESK_CHANNEL, card["ts"])] == ["UAGENT1"]
        card_redraws = [c for c in desk.slack.calls_to("chat.update")
                        if c.params.get("ts") == card["ts"]]
        assert len(card_redraws) <= 1
    finally:
        desk.close()


# The budget of one page-mode interaction in a desk channel (README, "Scaling within Slack's
# rate limits"): method -> most calls. Methods not named here cost nothing.
PAGE_MODE_BUDGET = {
    "chat.postMessage": 2,  # the preview in the agent's DM, the card in the desk channel
    "chat.update": 1,  # the card, once it closed (the preview is redrawn via response_url)
    "reactions.add": 2,  # 📤 sent, ✅ delivered
    "auth.test": 1,  # once per token per process
    "users.info": 1,  # the agent's name and guest status, cached
}


def test_one_page_mode_interaction_stays_within_its_slack_budget(tmp_path):
    """Text → Ready agent → Accept → reply → delivered → closed, against the fake Slack: every
    Web API call counted by method, so a change that spends more cannot land unnoticed.
    The agent never opened the Home tab (no views.publish) and no link is fetched."""
    desk = start_desk(f"sqlite:///{tmp_path / 'desk.sqlite3'}")
    try:
        card = accept_new_interaction(desk, CUSTOMER, "Where is my parcel?")
        reply_ts, _ = desk.agent_writes_in_thread("UAGENT1", card["ts"], "It ships today.")
        sms = desk.twilio.wait_for(lambda t: t.sent_to(CUSTOMER) and t.sent_to(CUSTOMER)[0],
                                   10, "no SMS sent")
        desk.wait_idle()
        assert desk.carrier_reports(sms, "delivered").status_code == 204
        desk.slack.wait_for(lambda s: "white_check_mark" in s.reactions(DESK_CHANNEL, reply_ts),
                            5, "delivered not shown")
        desk.wait_idle()

        spent: dict[str, int] = {}
        for call in desk.slack.calls:
            if call.method != "response_url":  # not a Web API method: no budget
                spent[call.method] = spent.get(call.method, 0) + 1
        over = {method: count for method, count in spent.items()
                if count > PAGE_MODE_BUDGET.get(method, 0)}
        assert not over, f"over budget: {over} (all calls: {spent})"
        channel_posts = [c for c in desk.slack.calls_to("chat.postMessage")
                         if c.params.get("channel") == DESK_CHANNEL]
        assert len(channel_posts) == 1
    finally:
        desk.close()
