"""The Home tab is drawn for people who look at it: views.publish (about 100 calls a minute
for the whole workspace) is not spent on tabs nobody opens."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from bot.slack import ids
from storage import clock
from tests.harness import DESK_CHANNEL, action_value, find_button, has_button

CUSTOMER = "+14155550100"
AGENT = "UAGENT1"
pytestmark = pytest.mark.postgres  # several instances share when each Home was opened


@pytest.fixture(autouse=True)
def _clock_back():
    yield
    clock.reset()


def _publishes(desk) -> int:
    return len(desk.slack.calls_to("views.publish"))


def _home(desk) -> str:
    return json.dumps((desk.slack.home_view(AGENT) or {}).get("blocks", []))


def _one_page_mode_interaction(desk) -> None:
    """Ready, a text, Accept, a reply, the reply delivered: the interaction closes."""
    desk.slash(AGENT, ids.COMMAND_READY)
    desk.wait_idle()
    desk.customer_texts(CUSTOMER, "Where is my parcel?")
    preview = desk.wait_for_preview(AGENT)
    desk.click(AGENT, ids.ACCEPT_OFFER, action_value(preview, ids.ACCEPT_OFFER))
    card = desk.slack.wait_for(lambda s: desk.cards() and desk.cards()[0], 5, "no card")
    desk.wait_idle()
    desk.agent_writes_in_thread(AGENT, card["ts"], "It ships today")
    # The first reply waits for the spelling dictionary, which loads at start.
    sms = desk.twilio.wait_for(lambda t: t.sent_to(CUSTOMER) and t.sent_to(CUSTOMER)[0],
                               30, "no SMS sent")
    desk.slack.wait_for(lambda s: not has_button(s.message(DESK_CHANNEL, card["ts"]),
                                                 ids.MARK_DONE), 5, "card not closed")
    desk.carrier_reports(sms, "delivered")
    desk.wait_idle()


def test_an_agent_who_never_opens_home_costs_no_home_redraws(desk):
    _one_page_mode_interaction(desk)
    assert _publishes(desk) == 0

    # Opened later, the Home tab shows where things stand, in one call.
    desk.opens_home(AGENT)
    desk.slack.wait_for(lambda s: "You are *Ready*" in _home(desk), 5, "Home not drawn")
    desk.wait_idle()
    assert _publishes(desk) == 1
    assert "Where is my parcel" not in _home(desk) and "+1 415-555-0100" not in _home(desk)


def test_an_open_home_tab_is_redrawn_once_per_change_and_shows_the_truth(desk):
    desk.opens_home(AGENT)
    desk.slack.wait_for(lambda s: "Not Ready" in _home(desk), 5, "Home not drawn")
    desk.wait_idle()
    before = _publishes(desk)
    assert before == 1

    desk.slash(AGENT, ids.COMMAND_READY)
    desk.wait_idle()
    assert _publishes(desk) - before <= 1 and "You are *Ready*" in _home(desk)
    before = _publishes(desk)

    desk.customer_texts(CUSTOMER, "Where is my parcel?")
    preview = desk.wait_for_preview(AGENT)
    desk.click(AGENT, ids.ACCEPT_OFFER, action_value(preview, ids.ACCEPT_OFFER))
    card = desk.slack.wait_for(lambda s: desk.cards() and desk.cards()[0], 5, "no card")
    desk.wait_idle()
    assert _publishes(desk) - before <= 1 and "+1 415-555-0100" in _home(desk)
    before = _publishes(desk)

    desk.agent_writes_in_thread(AGENT, card["ts"], "It ships today")
    desk.slack.wait_for(lambda s: not has_button(s.message(DESK_CHANNEL, card["ts"]),
                                                 ids.MARK_DONE), 30, "card not closed")
    desk.wait_idle()
    assert _publishes(desk) - before <= 1
    assert "+1 415-555-0100" not in _home(desk) and "You are *Ready*" in _home(desk)


def test_a_home_tab_opened_longer_ago_than_the_window_waits_to_be_opened_again(desk):
    # [slack] home_viewed_minutes, 10 by default.
    desk.opens_home(AGENT)
    desk.slack.wait_for(lambda s: "Not Ready" in _home(desk), 5, "Home not drawn")
    desk.wait_idle()
    clock.travel(timedelta(minutes=11))

    desk.slash(AGENT, ids.COMMAND_READY)
    desk.wait_idle()
    assert _publishes(desk) == 1 and "You are *Ready*" not in _home(desk)

    desk.opens_home(AGENT)
    desk.slack.wait_for(lambda s: "You are *Ready*" in _home(desk), 5, "Home not redrawn")
    desk.wait_idle()
    assert _publishes(desk) == 2

    # A click on the Home tab, however long it has been open, is someone looking at it.
    clock.travel(timedelta(minutes=11))
    button = find_button(desk.slack.home_view(AGENT), ids.SET_NOT_READY)
    desk.act_on_home(AGENT, {"action_id": ids.SET_NOT_READY, "block_id": "ready",
                             "type": "button", "value": button.get("value", "")})
    desk.slack.wait_for(lambda s: "You are *Ready*" not in _home(desk), 5,
                        "Home not redrawn after its Not Ready button")
