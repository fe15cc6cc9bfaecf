"""Slack's budget spent on what people wait for: calls one interaction costs."""

from __future__ import annotations

import json

from tests.harness import DESK_CHANNEL, accept_new_interaction, start_desk

CUSTOMER = "+14155550100"


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
