"""People's names for modals, from users.info, cached briefly (modals must open within 3 s)."""

from __future__ import annotations

import threading
import time

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

TTL_SECONDS = 600
_cache: dict[tuple[str, str], tuple[float, str]] = {}
_lock = threading.Lock()


def display_name(client: WebClient, team_id: str, user_id: str) -> str:
    key = (team_id, user_id)
    with _lock:
        hit = _cache.get(key)
    if hit and time.monotonic() - hit[0] < TTL_SECONDS:
        return hit[1]
    try:
        user = client.users_info(user=user_id)["user"]
    except SlackApiError:
        return user_id  # the modal still works; the id is what Slack shows for unknowns
    profile = user.get("profile") or {}
    name = (profile.get("real_name") or user.get("real_name") or profile.get("display_name")
            or user.get("name") or user_id)
    with _lock:
        _cache[key] = (time.monotonic(), name)
    return name
