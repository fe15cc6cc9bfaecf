"""An agent's Slack message as the customer's phone shows it: read from the message's
rich_text blocks (bot/slack/rich_text.py), or from its text when it has none, with each
mention the person's real name. Worked out here, on the Slack side, before a reply's send
job is queued, so relaying the reply asks Slack nothing."""

from __future__ import annotations

from collections.abc import Callable

from slack_sdk import WebClient

from bot.desk.thread_reply import PhoneText
from bot.slack import directory, mrkdwn, rich_text

UNKNOWN_PERSON = "a colleague"  # a mention Slack could not name


def in_direct_message(channel: str) -> bool:
    """A thread in an agent's DM with the app (D…), where desk threads also live."""
    return channel.startswith("D")


def phone_text(slack_text: str, blocks: list | None,
               real_name: Callable[[str], str | None]) -> PhoneText:
    """What the phone gets of a message event: its rich_text blocks rendered, or, for an
    event without them (an edit from an old client), its text made plain.

    real_name(user_id): the person's name, or None when Slack could not say; asked only for
    the people mentioned."""
    if blocks is not None and rich_text.has_rich_text(blocks):
        names = _names_of(rich_text.mentioned_user_ids(blocks), real_name)
        return rich_text.render(blocks, rich_text.Names(user=names))
    named: list[str] = []
    names = _names_of(mrkdwn.mentioned_user_ids(slack_text), real_name)
    text = mrkdwn.to_plain_text(slack_text, lambda user_id: _noted(names(user_id), named))
    return PhoneText(text, names=tuple(dict.fromkeys(named)))


def plain_text(slack_text: str, real_name: Callable[[str], str | None]) -> str:
    """The phone's text of a Slack text alone (a reply taken in before blocks were kept)."""
    return phone_text(slack_text, None, real_name).text


def names_from(client: WebClient, team_id: str) -> Callable[[str], str | None]:
    """Names as the directory knows them (users.info, cached briefly)."""
    return lambda user_id: directory.real_name(client, team_id, user_id)


def _names_of(user_ids: list[str],
              real_name: Callable[[str], str | None]) -> Callable[[str], str]:
    known = {user_id: real_name(user_id) for user_id in user_ids}
    return lambda user_id: known.get(user_id) or UNKNOWN_PERSON


def _noted(name: str, named: list[str]) -> str:
    named.append(name)
    return name
