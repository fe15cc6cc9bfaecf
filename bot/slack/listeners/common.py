"""What several listener modules share: the check that a clicked button carries a row id, and
how a slash command answers after its ack."""

from __future__ import annotations

import logging
from collections.abc import Callable

from slack_bolt import BoltResponse, Respond

from bot.slack.views.common import row_id_of

log = logging.getLogger(__name__)
REFUSED_VALUE = "This button does not belong to anything on the desk; nothing was changed."


def clicked_row_id(body: dict) -> int:
    return int(body["actions"][0]["value"])


def a_row_id_value(body: dict, next: Callable[[], None]) -> BoltResponse | None:
    """Every button this guards carries the id of an offer, interaction, message or media
    row; a value that is no id was not written by this app, and reaches no listener."""
    value = (body.get("actions") or [{}])[0].get("value")
    if row_id_of(value) is None:
        log.warning("refused a click whose value is not a row id")
        return BoltResponse(status=400, body=REFUSED_VALUE)
    next()
    return None


def answer(respond: Respond, text: str = "", **message: object) -> None:
    """A slash command's answer: every command acks empty at once (no database or Slack work
    before it), and what it has to say follows at the command's response_url, shown only to
    the person who typed it. Slack refusing it (the URL used five times, or 30 minutes old)
    changes nothing the command did; it is logged."""
    sent = respond(text, **message)
    if sent.status_code != 200:
        log.warning("Slack refused a command's answer at its response_url: %s %s",
                    sent.status_code, sent.body)
