"""Offers end to end: queueing with nobody Ready, timeouts, taken-by-someone-else, Home tab."""

from __future__ import annotations

import pytest

from bot.config import Settings
from bot.slack import ids
from tests.fakes.slack import RESPONSE_URL
from tests.harness import (
    DESK_CHANNEL,
    action_value,
    card_texts,
    find_button,
    has_button,
    in_parallel,
    start_desk,
)

CUSTOMER = "+14155550100"


@pytest.fixture
def quick_desk(tmp_path):
    desk = start_desk(f"sqlite:///{tmp_path / 'desk.sqlite3'}",
                      settings=Settings(desk_channel=DESK_CHANNEL, offer_timeout_seconds=1))
    yield desk
    desk.close()


def test_with_nobody_ready_it_waits_and_is_offered_when_someone_goes_ready(desk):
    assert desk.customer_texts(CUSTOMER, "anyone there?").status_code == 200
    desk.wait_idle()
    assert desk.previews_for("UAGENT1") == []

    desk.click("UAGENT1", ids.SET_READY, "")
    preview = desk.wait_for_preview("UAGENT1")
    assert "anyone there?" in str(preview["blocks"])
    home = desk.slack.wait_for(lambda s: s.home_view("UAGENT1"), 5, "no home tab")
    assert "You are *Ready* for SMS." in str(home["blocks"])
    assert find_button(home, ids.SET_NOT_READY) and not find_button(home, ids.SET_READY)


def test_an_unanswered_offer_times_out_and_goes_to_the_next_agent(quick_desk):
    desk = quick_desk
    desk.slash("UAGENT1", ids.COMMAND_READY)
    desk.customer_texts(CUSTOMER, "hello?")
    first = desk.wait_for_preview("UAGENT1")
    first_value = action_value(first, ids.ACCEPT_OFFER)
    desk.slash("UAGENT2", ids.COMMAND_READY)

    second = desk.wait_for_preview("UAGENT2", timeout=8)
    desk.slack.wait_for(lambda s: "Not answered in time" in str(
        s.message(first["channel"], first["ts"])["blocks"]), 5, "timeout not shown")

    # A late click on the timed-out preview changes nothing and says why.
    desk.click("UAGENT1", ids.ACCEPT_OFFER, first_value)
    desk.slack.wait_for(lambda s: any("no longer offered" in m["text"]
                                      for m in s.messages("UAGENT1")), 5, "no explanation")
    desk.click("UAGENT2", ids.ACCEPT_OFFER, action_value(second, ids.ACCEPT_OFFER))
    card = desk.slack.wait_for(lambda s: desk.cards() and desk.cards()[0], 5, "no card")
    assert "<@UAGENT2>" in str(card["blocks"])


def test_with_everyone_declining_it_waits_in_the_queue(desk):
    desk.slash("UAGENT1", ids.COMMAND_READY)
    desk.customer_texts(CUSTOMER, "hello?")
    preview = desk.wait_for_preview("UAGENT1")
    desk.click("UAGENT1", ids.REJECT_OFFER, action_value(preview, ids.REJECT_OFFER))
    desk.wait_idle()
    assert len(desk.previews_for("UAGENT1")) == 1  # not offered straight back to them

    desk.slash("UAGENT2", ids.COMMAND_READY)
    desk.wait_for_preview("UAGENT2")


def test_not_ready_agents_get_no_offers(desk):
    desk.slash("UAGENT1", ids.COMMAND_READY)
    desk.wait_idle()  # two commands a moment apart may be handled in either order
    response = desk.slash("UAGENT1", ids.COMMAND_NOT_READY, "lunch")
    assert "Not Ready" in response.text and "lunch" in response.text
    desk.customer_texts(CUSTOMER, "hello?")
    desk.wait_idle()
    assert desk.previews_for("UAGENT1") == []

    desk.event({"type": "app_home_opened", "user": "UAGENT1", "channel": "DAGENT1",
                "tab": "home", "event_ts": "1.0"})
    home = desk.slack.wait_for(
        lambda s: "Waiting in the queue: *1*" in str(s.home_view("UAGENT1")) and
        s.home_view("UAGENT1"), 5, "home tab does not show the waiting interaction")
    assert "Not Ready" in str(home["blocks"]) and "lunch" in str(home["blocks"])


def test_a_second_text_before_accept_joins_the_same_preview(desk):
    desk.slash("UAGENT1", ids.COMMAND_READY)
    desk.customer_texts(CUSTOMER, "first")
    preview = desk.wait_for_preview("UAGENT1")
    desk.customer_texts(CUSTOMER, "second")
    desk.slack.wait_for(lambda s: "second" in str(
        s.message(preview["channel"], preview["ts"])["blocks"]), 5, "preview not updated")
    desk.click("UAGENT1", ids.ACCEPT_OFFER, action_value(preview, ids.ACCEPT_OFFER))
    card = desk.slack.wait_for(lambda s: desk.cards() and desk.cards()[0], 5, "no card")
    desk.wait_idle()
    # Both ride on the card, the thread's root, in the order texted.
    assert card_texts(card) == ["first", "second"]
    assert desk.slack.thread(DESK_CHANNEL, card["ts"]) == []
    assert len(desk.cards()) == 1 and len(desk.previews_for("UAGENT1")) == 1
    assert has_button(desk.cards()[0], ids.MARK_DONE)


@pytest.mark.postgres  # a race: on SQLite and PostgreSQL alike
def test_two_accept_clicks_over_http_open_one_thread(desk):
    desk.slash("UAGENT1", ids.COMMAND_READY)
    desk.customer_texts("+14155550100", "race me")
    preview = desk.wait_for_preview("UAGENT1")
    value = action_value(preview, ids.ACCEPT_OFFER)

    responses = in_parallel(2, lambda _: desk.click("UAGENT1", ids.ACCEPT_OFFER, value))
    assert [r.status_code for r in responses] == [200, 200]
    # bolt answers Slack on ack(), before the listener's work: wait for the outcome itself.
    desk.slack.wait_for(lambda s: desk.cards(), 5, "no card")
    desk.wait_idle()
    assert len(desk.cards()) == 1
    assert desk.slack.ephemerals() == []  # a double click needs no "no longer offered"


def _redraws(desk, preview: dict) -> tuple[list, list]:
    """The preview's redraws: through the click's response_url, and with chat.update."""
    through_click = [c for c in desk.slack.calls_to(RESPONSE_URL) if not c.failed]
    updates = [c for c in desk.slack.calls_to("chat.update")
               if c.params.get("channel") == preview["channel"]
               and c.params.get("ts") == preview["ts"]]
    return through_click, updates


def test_accept_redraws_the_preview_through_the_click_and_spends_no_chat_update(desk):
    desk.slash("UAGENT1", ids.COMMAND_READY)
    desk.customer_texts(CUSTOMER, "is it shipped?")
    preview = desk.wait_for_preview("UAGENT1")
    desk.click("UAGENT1", ids.ACCEPT_OFFER, action_value(preview, ids.ACCEPT_OFFER))

    card = desk.slack.wait_for(lambda s: desk.cards() and desk.cards()[0], 5, "no card")
    thread_link = f"/archives/{DESK_CHANNEL}/p{card['ts'].replace('.', '')}"
    shown = desk.slack.wait_for(
        lambda s: thread_link in str(s.message(preview["channel"], preview["ts"])["blocks"])
        and s.message(preview["channel"], preview["ts"]), 5, "the preview never links "
        "to the thread")
    assert "You accepted" in str(shown["blocks"]) and not has_button(shown, ids.ACCEPT_OFFER)
    desk.wait_idle()
    through_click, updates = _redraws(desk, preview)
    # "You accepted" at once, then with the thread's link: two of the click's five uses.
    assert len(through_click) == 2 and updates == []


def test_reject_redraws_the_preview_through_the_click(desk):
    desk.slash("UAGENT1", ids.COMMAND_READY)
    desk.customer_texts(CUSTOMER, "hello?")
    preview = desk.wait_for_preview("UAGENT1")
    desk.click("UAGENT1", ids.REJECT_OFFER, action_value(preview, ids.REJECT_OFFER))

    desk.slack.wait_for(lambda s: "You rejected" in str(
        s.message(preview["channel"], preview["ts"])["blocks"]), 5, "preview not redrawn")
    desk.wait_idle()
    through_click, updates = _redraws(desk, preview)
    assert len(through_click) == 1 and updates == []


def test_a_click_whose_response_url_has_expired_is_redrawn_with_chat_update(desk):
    desk.slack.response_url_lifetime = 0  # the worker came to it after Slack's 30 minutes
    desk.slash("UAGENT1", ids.COMMAND_READY)
    desk.customer_texts(CUSTOMER, "still there?")
    preview = desk.wait_for_preview("UAGENT1")
    desk.click("UAGENT1", ids.ACCEPT_OFFER, action_value(preview, ids.ACCEPT_OFFER))

    desk.slack.wait_for(lambda s: "You accepted" in str(
        s.message(preview["channel"], preview["ts"])["blocks"]), 5, "preview not redrawn")
    desk.wait_idle()
    through_click, updates = _redraws(desk, preview)
    assert through_click == [] and updates
    assert all(c.error == "expired_url" for c in desk.slack.calls_to(RESPONSE_URL))
