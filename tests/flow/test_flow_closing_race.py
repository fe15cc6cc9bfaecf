"""A customer who writes again while their interaction is closing is not closed away.

Page mode closes an interaction once the agent's reply is sent (with mandatory dispositions,
once the code is set). A text that arrives after the agent's reply but before that close
keeps the interaction open, in the agent's thread, and the thread says so. Both windows are
driven deterministically over HTTP: the fake Twilio holds its answer to the send while the
customer texts, and the code is picked after the customer's text is stored."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import select

from bot.config import Settings
from bot.desk.directory.contacts import create_contact
from bot.slack import ids
from bot.slack.views.disposition import CODE_ACTION, CODE_BLOCK
from storage.models import Interaction, Message
from tests.harness import (
    DESK_CHANNEL,
    accept_new_interaction,
    action_value,
    has_button,
    line_blocks,
    line_text,
    start_desk,
    wait_for_modal,
)

CUSTOMER = "+14155550100"
A = "UAGENT1"
pytestmark = pytest.mark.postgres


# The spelling check is off: loading its dictionary the first time is slow, and these
# replies are not about spelling.
PAGE_MODE = Settings(desk_channel=DESK_CHANNEL, offer_timeout_seconds=30,
                     spelling_enabled=False)


@pytest.fixture
def desk(database_url):
    running = start_desk(database_url, settings=PAGE_MODE)
    yield running
    running.close()


@pytest.fixture
def strict_desk(database_url):
    """Mandatory dispositions: a page-mode reply waits for the code before it closes."""
    running = start_desk(database_url, settings=replace(PAGE_MODE, disposition_mandatory=True))
    yield running
    running.close()


def _open(desk) -> dict:
    with desk.db.transaction() as s:
        create_contact(s, desk.team_id, CUSTOMER, name="Jane Doe")
    return accept_new_interaction(desk, CUSTOMER, "Where is my order?", agent=A)


def _card(desk, card: dict) -> dict:
    return desk.slack.message(DESK_CHANNEL, card["ts"])


def _thread_texts(desk, card: dict) -> list[str]:
    return [str(line_blocks(m)) + line_text(m) for m in desk.slack.thread(DESK_CHANNEL, card["ts"])]


def _wait_for_line(desk, card: dict, words: str) -> None:
    desk.slack.wait_for(lambda s: any(words in line for line in _thread_texts(desk, card)),
                        5, f"no thread line with {words!r}")


def _states(desk) -> list[tuple[str, list[str]]]:
    """Each interaction of the customer, oldest first: its state and what the customer wrote."""
    with desk.db.transaction() as s:
        found = []
        for interaction in s.scalars(select(Interaction).order_by(Interaction.id)):
            texts = s.scalars(select(Message.body).where(
                Message.interaction_id == interaction.id, Message.direction == "inbound")
                .order_by(Message.id)).all()
            found.append((interaction.state, list(texts)))
        return found


def test_a_text_that_arrives_while_the_reply_is_being_sent_keeps_the_interaction_open(desk):
    card = _open(desk)
    answered = desk.twilio.hold_next_answer()
    desk.agent_writes_in_thread(A, card["ts"], "It ships today")
    desk.twilio.wait_for(lambda t: t.sent_to(CUSTOMER), 5, "the reply never reached Twilio")
    # The reply is on its way; the customer writes again before the desk hears it was sent.
    assert desk.customer_texts(CUSTOMER, "Can it come to my office instead?").status_code == 200
    answered.set()

    desk.slack.wait_for(lambda s: "Last reply sent as 1 SMS" in str(_card(desk, card)["blocks"]),
                        5, "the card never said the reply was sent")
    _wait_for_line(desk, card, "Jane Doe wrote again after the reply from <@UAGENT1>, so this "
                               "interaction stays open")
    desk.wait_idle()
    # The follow-up is in the agent's open thread and the card still offers the tools.
    assert any("Can it come to my office instead?" in line for line in _thread_texts(desk, card))
    assert "In progress" in str(_card(desk, card)["blocks"])
    assert has_button(_card(desk, card), ids.MARK_DONE)
    assert _states(desk) == [
        ("accepted", ["Where is my order?", "Can it come to my office instead?"])]

    # The agent answers it: that reply closes the interaction, as page mode does.
    desk.agent_writes_in_thread(A, card["ts"], "Yes, to your office")
    desk.slack.wait_for(lambda s: not has_button(_card(desk, card), ids.MARK_DONE),
                        5, "the answer to the follow-up did not close it")
    # A text after that starts a new interaction, offered as usual.
    desk.customer_texts(CUSTOMER, "Thanks!")
    desk.wait_for_preview(A, count=2)
    assert [state for state, _texts in _states(desk)] == ["done", "offered"]


def test_a_text_after_the_reply_is_not_closed_away_when_the_code_is_set(strict_desk):
    desk = strict_desk
    card = _open(desk)
    interaction_id = int(action_value(card, ids.MARK_DONE))
    desk.agent_writes_in_thread(A, card["ts"], "It ships today")
    _wait_for_line(desk, card, "Reply sent. Set a disposition code to close this interaction.")
    desk.wait_idle()
    # The reply was sent and the interaction waits for the code; the customer writes again.
    assert desk.customer_texts(CUSTOMER, "Can it come to my office instead?").status_code == 200
    desk.wait_idle()

    desk.choose(A, ids.CARD_MENU, f"{ids.MENU_DISPOSITION}:{interaction_id}",
                channel=DESK_CHANNEL, message_ts=card["ts"])
    modal = wait_for_modal(desk, ids.DISPOSITION_VIEW)
    desk.submit_view(A, modal, {CODE_BLOCK: {CODE_ACTION: {
        "type": "static_select", "selected_option": {
            "text": {"type": "plain_text", "text": "Resolved"}, "value": "Resolved"}}}})

    _wait_for_line(desk, card, "Disposition set to Resolved")
    _wait_for_line(desk, card, "Jane Doe wrote again after the last reply, so this interaction "
                               "stays open")
    desk.wait_idle()
    assert any("Can it come to my office instead?" in line for line in _thread_texts(desk, card))
    assert has_button(_card(desk, card), ids.MARK_DONE)
    assert "Needed to close" not in str(_card(desk, card)["blocks"])
    assert "closed by" not in str(_card(desk, card)["blocks"])
    assert _states(desk) == [
        ("accepted", ["Where is my order?", "Can it come to my office instead?"])]

    # The answer to it closes the interaction: the code is set already.
    desk.agent_writes_in_thread(A, card["ts"], "Yes, to your office")
    desk.slack.wait_for(lambda s: not has_button(_card(desk, card), ids.MARK_DONE),
                        5, "the answer to the follow-up did not close it")
    assert _states(desk)[0][0] == "done"
