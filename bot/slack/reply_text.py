"""An agent's Slack text as the customer's phone shows it: Slack's markup made plain and each
mention the person's real name. Worked out here, on the Slack side, before a reply's send job
is queued (when the reply is taken in, and again when a spelling correction changes it), so
relaying the reply asks Slack nothing."""

from __future__ import annotations

from collections.abc import Callable

from slack_sdk import WebClient

from bot.slack import directory
from bot.slack.mrkdwn import mentioned_user_ids, to_plain_text

UNKNOWN_PERSON = "a colleague"  # a mention Slack could not name


def in_direct_message(channel: str) -> bool:
    """A thread in an agent's DM with the app (D…), where desk threads also live."""
    return channel.startswith("D")


def plain_text(slack_text: str, real_name: Callable[[str], str | None]) -> str:
    """real_name(user_id): the person's name, or None when Slack could not say; asked only
    for the people mentioned."""
    names = {user_id: real_name(user_id) for user_id in mentioned_user_ids(slack_text)}
    return to_plain_text(slack_text, lambda user_id: names.get(user_id) or UNKNOWN_PERSON)


def names_from(client: WebClient, team_id: str) -> Callable[[str], str | None]:
    """Names as the directory knows them (users.info, cached briefly)."""
    return lambda user_id: directory.real_name(client, team_id, user_id)
