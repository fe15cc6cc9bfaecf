"""Claiming from the queue end to end: an agent sees the texts waiting in their queues on
/sms-queue and their Home tab, oldest first, and takes one with Claim; the claim races an
Accept safely, is refused clearly when too late, when the desk turns claiming off, and to
someone outside the text's queue."""

from __future__ import annotations

import json
import time
from collections import Counter

import pytest
from sqlalchemy import select

from bot.config import Settings
from bot.desk.queues import Queue
from bot.slack import ids
from storage.models import Interaction, TimelineEvent
from tests.harness import (
    DESK_CHANNEL,
    action_value,
    find_button,
    has_button,
    in_parallel,
    start_desk,
)

pytestmark = pytest.mark.postgres

A, B = "UAGENT1", "UAGENT2"
FIRST, SECOND = "+14155550100", "+14155550101"


def _settings(**overrides) -> Settings:
    return Settings(**{"desk_channel": DESK_CHANNEL, "offer_timeout_seconds": 30,
                       "agent_capacity": 10, **overrides})


@pytest.fixture
def team(database_url):
    desk = start_desk(database_url, settings=_settings())
    yield desk
    desk.close()


# --- helpers ----------------------------------------------------------------------------

def _claim_buttons(message: dict) -> list[str]:
    """The Claim buttons' values (interaction ids), top to bottom."""
    return [block["accessory"]["value"] for block in message.get("blocks") or []
            if (block.get("accessory") or {}).get("action_id") == ids.CLAIM]


def _click_in_answer(desk, user_id: str, action_id: str, value: str):
    """A click on a button of a slash command's answer, as Slack posts it: the answer is
    ephemeral (`is_ephemeral`, no `message`), in the channel the command was typed in (here
    the desk channel). Its response_url is left out: the fake holds no ephemeral to answer
    through it, and the claim answers with chat.postEphemeral instead."""
    return desk._interactive(
        user_id, "block_actions",
        container={"type": "message", "message_ts": f"{time.time():.6f}",
                   "channel_id": DESK_CHANNEL, "is_ephemeral": True},
        channel={"id": DESK_CHANNEL, "name": "sms-desk"},
        actions=[{"type": "button", "action_id": action_id, "value": value,
                  "block_id": "b", "action_ts": str(time.time())}])


def _told(desk, user_id: str) -> list[str]:
    """What the desk said to this person alone: ephemerals anywhere, and DMs."""
    return [e["text"] for e in desk.slack.ephemerals() if e["user"] == user_id] + \
        [m.get("text") or "" for m in desk.slack.messages(desk.slack.dm_channel(user_id))]


def _wait_told(desk, user_id: str, words: str) -> str:
    return desk.slack.wait_for(
        lambda _s: next((t for t in _told(desk, user_id) if words in t), None), 5,
        f"{user_id} was never told {words!r}")


def _interactions(desk) -> dict[str, Interaction]:
    """Each interaction by its customer's first text."""
    with desk.db.transaction() as s:
        return {i.customer_number: i for i in s.scalars(
            select(Interaction).execution_options(populate_existing=True))}


def _waiting_in_queue(desk, *texts: tuple[str, str]) -> None:
    for number, text in texts:
        desk.customer_texts(number, text)
        time.sleep(0.01)  # distinct arrival times: "oldest first" is by arrival
    desk.wait_idle()


# --- claiming -----------------------------------------------------------------------------

def test_an_agent_claims_the_oldest_waiting_text_from_sms_queue_and_gets_the_thread(team):
    desk = team
    _waiting_in_queue(desk, (FIRST, "Where is my parcel? <!channel> *now*"),
                      (SECOND, "Second in line"))
    by_number = _interactions(desk)
    oldest, newer = by_number[FIRST].id, by_number[SECOND].id

    # A is Not Ready: a claim is pulling one text by hand, which needs room, not Ready.
    answer = desk.slash(A, ids.COMMAND_QUEUE).json()
    shown = json.dumps(answer["blocks"])
    assert "Waiting for an agent" in shown
    assert _claim_buttons(answer) == [str(oldest), str(newer)]  # oldest first
    # The customer's words, escaped: no @channel, no bold they did not mean.
    assert "&lt;!channel&gt;" in shown and "<!channel>" not in shown
    assert "waiting" in shown and "queue SMS" in shown

    _click_in_answer(desk, A, ids.CLAIM, str(oldest))
    card = desk.slack.wait_for(lambda _s: desk.cards() and desk.cards()[0], 5, "no thread")
    assert "Where is my parcel?" in json.dumps(card["blocks"])
    _wait_told(desk, A, f"You claimed SMS interaction #{oldest}")
    desk.wait_idle()
    claimed = _interactions(desk)[FIRST]
    assert (claimed.state, claimed.agent_user_id, claimed.thread_ts) == \
        ("accepted", A, card["ts"])
    assert _interactions(desk)[SECOND].state == "queued"  # the other one still waits
    with desk.db.transaction() as s:
        event = s.scalars(select(TimelineEvent).where(
            TimelineEvent.interaction_id == oldest, TimelineEvent.kind == "accepted")).one()
        assert (event.actor_user_id, event.detail) == (A, "claimed")

    # The agent's reply in the claimed thread reaches the customer, as after an Accept.
    desk.agent_writes_in_thread(A, card["ts"], "On its way today")
    desk.twilio.wait_for(lambda t: any(m.to == FIRST and m.body == "On its way today"
                                       for m in t.sent), 5, "the reply never left")
    again = desk.slash(A, ids.COMMAND_QUEUE).json()
    assert _claim_buttons(again) == [str(newer)]


def test_an_agent_claims_from_the_home_tab_and_the_tab_shows_it_theirs(team):
    desk = team
    _waiting_in_queue(desk, (FIRST, "Hello from the first"), (SECOND, "Hello from the second"))
    oldest = _interactions(desk)[FIRST].id
    desk.opens_home(A)
    home = desk.slack.wait_for(lambda s: (view := s.home_view(A)) and _claim_buttons(view)
                               and view, 5, "no waiting texts on Home")
    assert _claim_buttons(home)[0] == str(oldest)
    assert "Hello from the first" in json.dumps(home["blocks"])

    button = find_button(home, ids.CLAIM)
    desk.act_on_home(A, {"type": "button", "action_id": ids.CLAIM, "block_id": "b",
                         "value": button["value"]})
    desk.slack.wait_for(lambda _s: desk.cards(), 5, "no thread")
    desk.wait_idle()
    assert _interactions(desk)[FIRST].agent_user_id == A
    # Redrawn: the text is now among theirs, and no longer offered for claiming.
    home = desk.slack.wait_for(
        lambda s: (view := s.home_view(A)) and str(oldest) not in _claim_buttons(view)
        and view, 5, "Home still lists the claimed text")
    assert "Your interactions in progress" in json.dumps(home["blocks"])
    assert "Hello from the first" not in json.dumps(home["blocks"]).split("in progress")[0]


def test_a_claim_of_a_text_offered_to_someone_else_withdraws_their_preview(team):
    desk = team
    desk.slash(B, ids.COMMAND_READY)
    desk.customer_texts(FIRST, "Can someone help?")
    preview = desk.wait_for_preview(B)
    interaction_id = _interactions(desk)[FIRST].id
    answer = desk.slash(A, ids.COMMAND_QUEUE).json()
    assert f"offered to <@{B}>" in json.dumps(answer["blocks"])

    _click_in_answer(desk, A, ids.CLAIM, str(interaction_id))
    desk.slack.wait_for(lambda _s: desk.cards(), 5, "no thread")
    redrawn = desk.slack.wait_for(
        lambda s: (m := s.message(s.dm_channel(B), preview["ts"]))
        and f"Taken by <@{A}>" in json.dumps(m["blocks"]) and m, 5, "preview not redrawn")
    assert not has_button(redrawn, ids.ACCEPT_OFFER)
    desk.wait_idle()
    # B's stale Accept afterwards changes nothing, and says who has it.
    desk.click(B, ids.ACCEPT_OFFER, action_value(preview, ids.ACCEPT_OFFER),
               channel=desk.slack.dm_channel(B), message_ts=preview["ts"])
    _wait_told(desk, B, f"<@{A}> took it first")
    desk.wait_idle()
    assert _interactions(desk)[FIRST].agent_user_id == A
    assert len(desk.cards()) == 1


def test_a_claim_racing_an_accept_has_exactly_one_winner_and_one_thread(team):
    desk = team
    desk.slash(B, ids.COMMAND_READY)
    rounds, winners = 5, []
    for n in range(rounds):
        number = f"+1415555020{n}"
        desk.customer_texts(number, f"Race {n}")
        preview = desk.slack.wait_for(lambda s, n=n: next(
            (m for m in desk.previews_for(B) if f"Race {n}" in json.dumps(m["blocks"])),
            None), 5, f"no preview of race {n}")
        offer = action_value(preview, ids.ACCEPT_OFFER)
        interaction_id = _interactions(desk)[number].id

        def act(index: int, preview=preview, offer=offer, interaction_id=interaction_id):
            if index == 0:
                return desk.click(B, ids.ACCEPT_OFFER, offer,
                                  channel=desk.slack.dm_channel(B), message_ts=preview["ts"])
            return _click_in_answer(desk, A, ids.CLAIM, str(interaction_id))

        told_before = {user: Counter(_told(desk, user)) for user in (A, B)}
        responses = in_parallel(2, act)
        assert [r.status_code for r in responses] == [200, 200]
        desk.slack.wait_for(lambda _s, n=n: len(desk.cards()) >= n + 1, 5, "no thread")
        desk.wait_idle()
        won = _interactions(desk)[number]
        assert won.state == "accepted" and won.agent_user_id in (A, B)
        loser = B if won.agent_user_id == A else A
        winners.append(won.agent_user_id)
        # The loser is told who has it; the winner's side is a thread.
        since = told_before[loser]
        desk.slack.wait_for(lambda _s, loser=loser, won=won, since=since: any(
            f"<@{won.agent_user_id}>" in text
            for text in Counter(_told(desk, loser)) - since), 5, "the loser was not told")

    desk.wait_idle()
    held = _interactions(desk)
    assert len(held) == rounds
    # Each customer got exactly one thread, whoever won.
    roots = [c for c in desk.cards()]
    assert len(roots) == rounds
    assert sorted(i.thread_ts for i in held.values()) == sorted(c["ts"] for c in roots)


def test_a_claim_of_a_text_already_taken_is_refused_clearly(team):
    desk = team
    _waiting_in_queue(desk, (FIRST, "Anyone?"))
    interaction_id = _interactions(desk)[FIRST].id
    stale = desk.slash(A, ids.COMMAND_QUEUE).json()
    assert _claim_buttons(stale) == [str(interaction_id)]

    desk.slash(B, ids.COMMAND_READY)
    preview = desk.wait_for_preview(B)
    desk.click(B, ids.ACCEPT_OFFER, action_value(preview, ids.ACCEPT_OFFER))
    desk.slack.wait_for(lambda _s: desk.cards(), 5, "no thread")
    desk.wait_idle()

    _click_in_answer(desk, A, ids.CLAIM, str(interaction_id))  # from the stale list
    told = _wait_told(desk, A, "Too late")
    assert f"<@{B}> took SMS interaction #{interaction_id} first" in told
    desk.wait_idle()
    assert _interactions(desk)[FIRST].agent_user_id == B
    assert len(desk.cards()) == 1


def test_with_claiming_turned_off_there_is_no_button_and_a_forged_claim_is_refused(
        database_url):
    desk = start_desk(database_url, settings=_settings(agents_may_claim=False))
    try:
        _waiting_in_queue(desk, (FIRST, "Waiting here"))
        interaction_id = _interactions(desk)[FIRST].id
        answer = desk.slash(A, ids.COMMAND_QUEUE).json()
        assert "Waiting here" in json.dumps(answer["blocks"])  # listed, not claimable
        assert _claim_buttons(answer) == []
        desk.opens_home(A)
        home = desk.slack.wait_for(lambda s: (v := s.home_view(A)) and "Waiting here"
                                   in json.dumps(v["blocks"]) and v, 5, "no Home")
        assert _claim_buttons(home) == []

        _click_in_answer(desk, A, ids.CLAIM, str(interaction_id))  # forged
        _wait_told(desk, A, "Claiming from the queue is turned off")
        desk.wait_idle()
        waiting = _interactions(desk)[FIRST]
        assert (waiting.state, waiting.agent_user_id) == ("queued", None)
        assert desk.cards() == []
    finally:
        desk.close()


def test_an_agent_outside_the_texts_queue_cannot_claim_it(database_url):
    settings = _settings(queues=(Queue(name="Support", members=(B,)),))
    desk = start_desk(database_url, settings=settings)
    try:
        _waiting_in_queue(desk, (FIRST, "Support please"))
        interaction_id = _interactions(desk)[FIRST].id
        assert _claim_buttons(desk.slash(A, ids.COMMAND_QUEUE).json()) == []
        assert _claim_buttons(desk.slash(B, ids.COMMAND_QUEUE).json()) == [str(interaction_id)]

        _click_in_answer(desk, A, ids.CLAIM, str(interaction_id))  # forged
        _wait_told(desk, A, "You are not an agent of queue Support")
        desk.wait_idle()
        assert _interactions(desk)[FIRST].state == "queued"
        assert desk.cards() == []
    finally:
        desk.close()


def test_a_claimed_text_of_a_dm_threads_queue_opens_in_the_claimers_dm(database_url):
    desk = start_desk(database_url, settings=_settings(queues=(Queue(name="SMS",
                                                                     threads="dm"),)))
    try:
        _waiting_in_queue(desk, (FIRST, "Private please"))
        interaction_id = _interactions(desk)[FIRST].id
        _click_in_answer(desk, A, ids.CLAIM, str(interaction_id))
        card = desk.slack.wait_for(lambda s: next(
            (m for m in s.messages(s.dm_channel(A)) if has_button(m, ids.OPEN_COMPOSE)),
            None), 5, "no thread in the claimer's DM")
        assert "Private please" in json.dumps(card["blocks"])
        assert "in your DM with the app" in _wait_told(desk, A, "You claimed")
        assert desk.cards() == []  # nothing in the desk channel
    finally:
        desk.close()
