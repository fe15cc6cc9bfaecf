"""Who a bot token speaks for (auth.test: its workspace, its bot user, the workspace's
address), asked once per process per token.

The answer never changes for a token, and every call of it is counted by Slack: bolt asked it
on every request of an OAuth desk (its authorize), and start-up, bolt's own token check and
the links to messages each asked again. Here start-up, bolt (`remembered_in`, a middleware run
before its authorize) and the links share one answer per token.

A token that stops working is not found out here, and need not be: a workspace that uninstalls
or revokes its tokens leaves the installation store (bolt's authorize then finds no token and
asks nothing), and a call made with a dead token fails by itself. What must see a token's
health now (/readyz, a purge's still-installed check) calls auth.test itself.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable

from slack_bolt import BoltContext
from slack_sdk import WebClient
from slack_sdk.web import SlackResponse

# (the Web API's address, token) -> auth.test's answer. Keyed by address as well: desks in
# one process (tests, the bench) each talk to their own Slack.
_answers: dict[tuple[str, str], SlackResponse] = {}
_lock = threading.Lock()


def auth_test(client: WebClient, token: str | None = None) -> SlackResponse:
    """auth.test for `token` (default: the client's), answered from memory after the first
    time. An error is raised, and not remembered."""
    token = token or client.token or ""
    key = (client.base_url, token)
    with _lock:
        known = _answers.get(key)
    if known is not None:
        return known
    answer = WebClient.auth_test(client, **({"token": token} if token else {}))
    team = answer.get("team_id")
    with _lock:
        # One token per workspace: a rotated token's answer takes the old one's place.
        for stale in [k for k, v in _answers.items()
                      if k[0] == client.base_url and v.get("team_id") == team]:
            del _answers[stale]
        _answers[key] = answer
    return answer


def remembered_in(context: BoltContext, next: Callable[[], None]) -> None:
    """bolt middleware, before its authorize: the request's client (a new one per request,
    bolt's own) answers auth.test from memory, so neither bolt's single-workspace check nor
    its installation-store authorize asks Slack again for a token already known."""
    client = context.client
    client.auth_test = functools.partial(auth_test, client)  # type: ignore[method-assign]
    next()
