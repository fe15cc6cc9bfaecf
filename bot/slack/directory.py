"""People as Slack knows them (users.info), cached briefly: names for modals (which must open
within 3 s) and whether someone is a guest (asked on their first request, then cached)."""

from __future__ import annotations

import logging
import threading
import time

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

log = logging.getLogger(__name__)

TTL_SECONDS = 600
# Keyed by the Web API's address too: desks in one process (tests, the bench) each talk to
# their own Slack, and must not see each other's people.
_cache: dict[tuple[str, str, str], tuple[float, dict]] = {}
_lock = threading.Lock()


def _user(client: WebClient, team_id: str, user_id: str) -> dict | None:
    """The users.info record, or None when Slack could not say (not cached: asked again)."""
    key = (client.base_url, team_id, user_id)
    with _lock:
        hit = _cache.get(key)
    if hit and time.monotonic() - hit[0] < TTL_SECONDS:
        return hit[1]
    try:
        user = client.users_info(user=user_id)["user"]
    except SlackApiError as error:
        log.debug("users.info %s: %s", user_id, error.response.get("error"))
        return None
    with _lock:
        _cache[key] = (time.monotonic(), user)
    return user


def real_name(client: WebClient, team_id: str, user_id: str) -> str | None:
    """The name a customer should read for a person (not their Slack handle); None when Slack
    could not say."""
    user = _user(client, team_id, user_id)
    if user is None:
        return None
    profile = user.get("profile") or {}
    return (profile.get("real_name") or user.get("real_name") or profile.get("display_name")
            or user.get("name") or None)


def display_name(client: WebClient, team_id: str, user_id: str) -> str:
    # For an unknown person the modal still works: the id is what Slack shows for unknowns.
    return real_name(client, team_id, user_id) or user_id


def is_guest(client: WebClient, team_id: str, user_id: str) -> bool:
    """Single- and multi-channel guests (Slack's is_restricted / is_ultra_restricted).

    A person Slack could not be asked about is let through: Slack itself just vouched for them
    by signing their request, and a desk that locks every agent out while users.info is
    rate-limited fails the customers waiting on it. Guests are named by Slack on every
    successful answer, so this fails open only while Slack is not answering at all."""
    user = _user(client, team_id, user_id)
    return bool(user and (user.get("is_restricted") or user.get("is_ultra_restricted")))
