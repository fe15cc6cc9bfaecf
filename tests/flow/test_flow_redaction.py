"""A customer texts a card number: agents see "•••• 4242", never the number, wherever Slack
shows it (preview, thread, contact history); the database keeps it unless redact_in_storage."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select

from bot.config import Settings
from bot.slack import ids
from storage.models import Message
from tests.harness import (
    DESK_CHANNEL,
    accept_new_interaction,
    act_in_view,
    find_button,
    start_desk,
)

pytestmark = pytest.mark.postgres

CUSTOMER = "+14155550100"
A = "UAGENT1"
CARD = "4242 4242 4242 4242"
FIRST = f"Hi, please charge my card {CARD} for the order"
SECOND = "Also my account is ACCT-12345678 and the other card is 4111-1111-1111-1111"


def _desk(database_url, *, in_storage: bool):
    settings = Settings(desk_channel=DESK_CHANNEL, offer_timeout_seconds=30,
                        redact_patterns=(r"ACCT-[0-9]{8}",), redact_in_storage=in_storage)
    return start_desk(database_url, settings=settings)


def _everything_sent_to_slack(desk) -> str:
    return json.dumps([call.params for call in desk.slack.calls], ensure_ascii=False,
                      default=str)


def _assert_never_shown(desk) -> None:
    sent = _everything_sent_to_slack(desk)
    digits_only = re.sub(r"[ \-]", "", sent)
    for secret in ("4242424242424242", "4111111111111111", "ACCT-12345678"):
        assert secret not in digits_only, f"{secret} reached Slack"


def _conversation(desk, card: dict) -> str:
    """The thread as JSON: its root, the card that carries the first texts, and its lines."""
    return json.dumps([desk.slack.message(DESK_CHANNEL, card["ts"]),
                       *desk.slack.thread(DESK_CHANNEL, card["ts"])],
                      ensure_ascii=False, default=str)


def _modal(desk, callback_id: str) -> dict:
    return desk.slack.wait_for(
        lambda s: next((m for m in s.modals() if m["callback_id"] == callback_id), None),
        5, f"no {callback_id} modal")


@pytest.mark.parametrize("in_storage", [False, True], ids=["stored-whole", "stored-masked"])
def test_a_card_number_shows_as_its_last_four_and_storage_follows_the_setting(
        database_url, in_storage):
    desk = _desk(database_url, in_storage=in_storage)
    try:
        card = accept_new_interaction(desk, CUSTOMER, FIRST)
        preview = desk.previews_for(A)[0]
        assert "•••• 4242" in json.dumps(preview, ensure_ascii=False, default=str)

        desk.customer_texts(CUSTOMER, SECOND)
        desk.wait_idle()
        lines = _conversation(desk, card)
        assert "charge my card •••• 4242 for the order" in lines
        assert "my account is •••• and the other card is •••• 1111" in lines
        assert "A card number was masked" in lines, lines  # the agent knows something is hidden
        assert "A card number was masked and sensitive text was masked" in lines

        # The contact's history shows the transcript masked too.
        results = desk.slash(A, ids.COMMAND_CONTACT, "555-0100").json()
        desk.click(A, ids.VIEW_CONTACT, find_button(results, ids.VIEW_CONTACT)["value"])
        modal = _modal(desk, ids.CONTACT_VIEW)
        button = find_button(modal, ids.CONTACT_TRANSCRIPT)
        act_in_view(desk, A, modal, {"type": "button", "action_id": ids.CONTACT_TRANSCRIPT,
                                     "block_id": "b", "value": button["value"]})
        transcript = json.dumps(_modal(desk, ids.CONTACT_TRANSCRIPT_VIEW)["blocks"],
                                ensure_ascii=False)
        assert "•••• 4242" in transcript and "•••• 1111" in transcript

        _assert_never_shown(desk)
        with desk.db.transaction() as s:
            stored = list(s.scalars(select(Message.body).where(
                Message.direction == "inbound").order_by(Message.id)))
        if in_storage:
            assert stored == ["Hi, please charge my card •••• 4242 for the order",
                              "Also my account is •••• and the other card is •••• 1111"]
        else:
            assert stored == [FIRST, SECOND]
    finally:
        desk.close()


def test_with_redaction_off_the_agent_sees_what_the_customer_sent(database_url):
    settings = Settings(desk_channel=DESK_CHANNEL, offer_timeout_seconds=30,
                        redact_cards=False)
    desk = start_desk(database_url, settings=settings)
    try:
        card = accept_new_interaction(desk, CUSTOMER, FIRST)
        lines = _conversation(desk, card)
        assert CARD in lines and "masked" not in lines
    finally:
        desk.close()


def test_a_pattern_that_runs_away_still_stores_the_sms_and_shows_it_masked(database_url,
                                                                          caplog):
    # (a|a)+$ passes the settings' nested-repeat check; a backtracking engine never
    # finishes it on this text. The SMS is stored whole and the agent sees a masked line.
    runaway = "(a|a)+$"
    text = "a" * 30 + "! my pin is 4417"
    settings = Settings(desk_channel=DESK_CHANNEL, offer_timeout_seconds=30,
                        redact_patterns=(runaway,))
    desk = start_desk(database_url, settings=settings)
    try:
        card = accept_new_interaction(desk, CUSTOMER, text)
        desk.wait_idle()
        lines = _conversation(desk, card)
        assert "Sensitive text was masked" in lines
        assert "4417" not in _everything_sent_to_slack(desk)
        with desk.db.transaction() as s:
            assert list(s.scalars(select(Message.body))) == [text]
    finally:
        desk.close()
