"""Links to a message, built rather than asked for.

chat.getPermalink has a budget of its own (about 100 calls a minute for the workspace), and a
busy desk asked it for every preview redraw and every Home tab. A link to a message is the
workspace's address (auth.test's `url`, asked once: bot/slack/identity.py) +
/archives/<channel>/p<ts without its dot>, the form Slack's own permalinks take."""

from __future__ import annotations

import logging
import threading

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack import identity

log = logging.getLogger(__name__)

# Keyed by the Web API's address and the team: desks in one process (tests, the bench) each
# talk to their own Slack.
_workspace_urls: dict[tuple[str, str], str] = {}
_lock = threading.Lock()


def message_link(workspace_url: str, channel: str, ts: str) -> str:
    return f"{workspace_url.rstrip('/')}/archives/{channel}/p{ts.replace('.', '')}"


def workspace_url(client: WebClient, team_id: str) -> str | None:
    """https://<workspace>.slack.com/ (asked once), or None when Slack could not say."""
    key = (client.base_url, team_id)
    with _lock:
        known = _workspace_urls.get(key)
    if known:
        return known
    try:
        url = identity.auth_test(client).get("url")
    except SlackApiError as error:
        if error.response.status_code == 429:
            raise
        log.info("auth.test for the workspace's address: %s", error.response.get("error"))
        return None
    if not url:
        return None
    with _lock:
        _workspace_urls[key] = str(url)
    return str(url)


def link_to(client: WebClient, team_id: str, channel: str, ts: str) -> str | None:
    """The message's link; None when the workspace's address is unknown (shown unlinked)."""
    url = workspace_url(client, team_id)
    return message_link(url, channel, ts) if url else None
