"""Slack posts that stay single across a crash between posting and writing the ts down.

A job writes down the ts of each message right after Slack answers; a process killed in
between leaves a message in Slack the database does not know, and the job's next run would
post it again. So every such post carries message metadata naming what it shows (a key like
"message:42"), and a job whose earlier run ended unknown (killed, or its call never
answered: storage.outbox ClaimedJob.outcome_unknown) reads the thread (or the channel's
recent history) for its keys before posting: what is there is adopted, not posted twice.
Other runs read nothing, so the cost is paid only after such a failure.
"""

from __future__ import annotations

from slack_sdk import WebClient

EVENT_TYPE = "smsdesk_post"
READ_PAGE = 200
# A thread is read whole (up to 2,000 lines); a channel's history only its newest 400
# messages: an earlier run died at most a job lease plus a restart ago.
THREAD_PAGES, HISTORY_PAGES = 10, 2


def tagged(message: dict, key: str) -> dict:
    """`message` (chat.postMessage arguments) carrying `key` as metadata."""
    return {**message, "metadata": {"event_type": EVENT_TYPE, "event_payload": {"key": key}}}


class EarlierPosts:
    """What an earlier run of this job may have posted in one place, by key.

    `thread_ts`: look in that thread; else in the channel's newest top-level messages (not
    "since when": our clock and Slack's need not agree)."""

    def __init__(self, client: WebClient, channel: str, *, rerun: bool,
                 thread_ts: str | None = None) -> None:
        self._client, self._channel, self._thread_ts = client, channel, thread_ts
        self._rerun = rerun
        self._found: dict[str, str] | None = None

    def ts_of(self, key: str) -> str | None:
        if not self._rerun:
            return None
        if self._found is None:
            self._found = self._read()
        return self._found.get(key)

    def _read(self) -> dict[str, str]:
        found: dict[str, str] = {}
        cursor = None
        for _ in range(THREAD_PAGES if self._thread_ts else HISTORY_PAGES):
            if self._thread_ts:
                page = self._client.conversations_replies(
                    channel=self._channel, ts=self._thread_ts, include_all_metadata=True,
                    limit=READ_PAGE, cursor=cursor)
            else:
                page = self._client.conversations_history(
                    channel=self._channel, include_all_metadata=True, limit=READ_PAGE,
                    cursor=cursor)
            for message in page.get("messages") or []:
                metadata = message.get("metadata") or {}
                key = (metadata.get("event_payload") or {}).get("key")
                if metadata.get("event_type") == EVENT_TYPE and key:
                    found.setdefault(key, message["ts"])
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                break
        return found


def posted_earlier(client: WebClient, channel: str, key: str) -> tuple[str, str] | None:
    """(channel id, ts) of the top-level message `key` an earlier run posted in `channel`
    (a channel id, or a user id for their DM with the app), if it did."""
    if channel[:1] in ("U", "W"):  # a DM is read by its own id
        channel = client.conversations_open(users=channel)["channel"]["id"]
    ts = EarlierPosts(client, channel, rerun=True).ts_of(key)
    return (channel, ts) if ts else None
