"""Posting to a channel the settings name: a public one the app was never invited to is
joined first (channels:join), as an admin would expect; a private one needs an invite."""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError


def post_joining(client: WebClient, channel: str, message: dict) -> dict:
    try:
        return client.chat_postMessage(channel=channel, **message)
    except SlackApiError as error:
        if error.response.get("error") != "not_in_channel":
            raise
        try:
            client.conversations_join(channel=channel)
        except SlackApiError:
            raise error from None  # private: only an invite helps, and admins hear that
        return client.chat_postMessage(channel=channel, **message)
