"""The waiting texts an agent may claim, as pure Block Kit: within the blocks given, the
customer's words escaped and shortened, Claim only where the agent may take the text."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from bot.desk.interactions.claiming import WaitingText, WaitingTexts
from bot.slack import ids
from bot.slack.views.claiming import TEXT_SHOWN, waiting_blocks, with_waiting
from tests.fakes.slack.rules import check_blocks

NOW = datetime(2026, 11, 25, 14, 0, tzinfo=UTC)


def _text(n: int, *, text: str = "Where is my parcel?", claimable: bool = True,
          offered_to: str | None = None) -> WaitingText:
    return WaitingText(n, "Support", f"Customer {n}", NOW - timedelta(minutes=10 - n), text,
                       offered_to, claimable)


def _buttons(blocks: list[dict]) -> list[str]:
    return [b["accessory"]["value"] for b in blocks
            if (b.get("accessory") or {}).get("action_id") == ids.CLAIM]


def test_each_waiting_text_says_who_how_long_and_which_queue_with_a_claim_button():
    waiting = WaitingTexts((_text(1), _text(2, offered_to="UB")), 2, True, NOW)
    blocks = waiting_blocks(waiting, 12)
    check_blocks(blocks, 100)
    assert _buttons(blocks) == ["1", "2"]
    first = blocks[1]["text"]["text"]
    assert "*Customer 1*" in first and "waiting 9 minutes" in first and "queue Support" in first
    assert "> Where is my parcel?" in first
    assert "offered to <@UB>, not accepted yet" in blocks[2]["text"]["text"]


def test_customer_words_are_escaped_and_shortened():
    hostile = "<!channel> *free* <https://evil.example|bank> " + "x" * 500
    blocks = waiting_blocks(WaitingTexts((_text(1, text=hostile),), 1, True, NOW), 12)
    shown = blocks[1]["text"]["text"]
    assert "<!channel>" not in shown and "<https://" not in shown
    assert "&lt;!channel&gt;" in shown
    assert shown.endswith("…") and len(shown) < TEXT_SHOWN * 2 + 200


def test_no_claim_button_when_claiming_is_off_or_there_is_no_room_and_the_reason_is_said():
    off = waiting_blocks(WaitingTexts((_text(1, claimable=False),), 1, False, NOW), 12)
    assert _buttons(off) == [] and "does not let agents claim" in json.dumps(off)
    full = waiting_blocks(WaitingTexts((_text(1, claimable=False),), 1, True, NOW), 12)
    assert _buttons(full) == [] and "Finish one to claim another" in json.dumps(full)


def test_the_list_fits_the_room_it_is_given_and_counts_the_rest():
    items = tuple(_text(n) for n in range(10))
    blocks = waiting_blocks(WaitingTexts(items, 25, True, NOW), 6)
    assert len(blocks) == 6
    assert _buttons(blocks) == ["0", "1", "2", "3"]  # the oldest
    assert "21 more waiting" in json.dumps(blocks[-1])
    assert waiting_blocks(WaitingTexts(items, 25, True, NOW), 1) == []


def test_sms_queue_answer_keeps_within_fifty_blocks_with_the_list_after_it():
    report = {"text": "queues", "blocks": [{"type": "divider"}] * 45}
    waiting = WaitingTexts(tuple(_text(n) for n in range(10)), 10, True, NOW)
    answer = with_waiting(report, waiting, 50)
    assert len(answer["blocks"]) == 50 and answer["blocks"][:45] == report["blocks"]
    assert with_waiting(report, None, 50) == report  # not an agent: nothing added
