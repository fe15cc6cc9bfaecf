"""Routing end to end: capacity, fairness, queues by business number, auto-answer."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from bot.config import Settings
from bot.desk.interactions.routing import PREVIEWS_AHEAD
from bot.desk.queues import AgentOverride, Queue
from bot.slack import ids
from bot.worker.pacing import METHOD_LIMITS, Limit, SlackPacer
from storage import clock
from tests.harness import BUSINESS_NUMBER, DESK_CHANNEL, action_value, has_button, start_desk

A, B, C = "UAGENT1", "UAGENT2", "UAGENT3"
SALES_NUMBER = "+15005550009"


def _desk(tmp_path, **settings):
    return start_desk(f"sqlite:///{tmp_path / 'desk.sqlite3'}", agents=(A, B, C),
                      settings=Settings(desk_channel=DESK_CHANNEL, **settings))


@pytest.fixture
def controlled_clock():
    yield clock
    clock.reset()


def _customer(n: int) -> str:
    return f"+1415555{n:04d}"


def _previews(desk, agent) -> int:
    return len(desk.previews_for(agent))


def test_capacity_is_respected_and_the_third_waits_for_a_free_slot(tmp_path):
    desk = _desk(tmp_path, agent_capacity=2)
    try:
        desk.slash(A, ids.COMMAND_READY)
        for n in range(3):
            desk.customer_texts(_customer(n), f"hello {n}")
        desk.slack.wait_for(lambda s: _previews(desk, A) == 2, 5, "two offers expected")
        desk.wait_idle()
        assert _previews(desk, A) == 2  # the third waits

        first = desk.previews_for(A)[0]
        desk.click(A, ids.ACCEPT_OFFER, action_value(first, ids.ACCEPT_OFFER))
        card = desk.slack.wait_for(lambda s: desk.cards() and desk.cards()[0], 5, "no card")
        desk.wait_idle()
        assert _previews(desk, A) == 2  # accepting does not free a slot; Done does
        desk.click(A, ids.MARK_DONE, action_value(card, ids.MARK_DONE), channel=DESK_CHANNEL,
                   message_ts=card["ts"])
        desk.slack.wait_for(lambda s: _previews(desk, A) == 3, 5, "third never offered")
        assert "hello 2" in str(desk.previews_for(A)[2]["blocks"])
    finally:
        desk.close()


def test_offers_go_round_the_ready_agents_fairly(tmp_path):
    desk = _desk(tmp_path, agent_capacity=5)
    try:
        for agent in (A, B, C):  # Ready in this order: A has waited longest
            desk.slash(agent, ids.COMMAND_READY)
            desk.wait_idle()  # three people, not three requests racing in one millisecond
        received = []
        for n in range(6):
            desk.customer_texts(_customer(n), f"hello {n}")
            desk.slack.wait_for(lambda s, n=n: sum(_previews(desk, a) for a in (A, B, C))
                                == n + 1, 5, "offer not made")
            received.append(next(a for a in (A, B, C)
                                 if f"hello {n}" in str(desk.previews_for(a))))
        assert received == [A, B, C, A, B, C]
    finally:
        desk.close()


def test_a_backlog_is_dealt_round_the_agents_going_ready_each_dm_showing_its_share(tmp_path):
    # Slack posts to one DM only so fast (here five a second, three at once): a backlog
    # handed to whoever went Ready first would trickle out of that one DM while the others
    # stayed empty.
    pacer = SlackPacer(per_channel_post=Limit(5.0, 3),
                       method_limits={m: Limit(limit.per_second * 50, limit.burst * 50)
                                      for m, limit in METHOD_LIMITS.items()})
    desk = start_desk(f"sqlite:///{tmp_path / 'desk.sqlite3'}", agents=(A, B, C), pacer=pacer,
                      settings=Settings(desk_channel=DESK_CHANNEL, agent_capacity=30,
                                        offer_timeout_seconds=600))
    try:
        waiting = 24
        for n in range(waiting):
            desk.customer_texts(_customer(n), f"hello {n}")
        desk.wait_idle()
        for agent in (A, B, C):
            desk.slash(agent, ids.COMMAND_READY)
        desk.slack.wait_for(lambda s: sum(_previews(desk, a) for a in (A, B, C)) == waiting,
                            20, "not every waiting text was offered")
        shown = {agent: _previews(desk, agent) for agent in (A, B, C)}
        # Each DM got about a third; the first to go Ready at most its DM's head start more.
        assert max(shown.values()) - min(shown.values()) <= PREVIEWS_AHEAD, shown
        texts = [str(p["blocks"]) for a in (A, B, C) for p in desk.previews_for(a)]
        assert all(sum(bool(re.search(rf"hello {n}\b", t)) for t in texts) == 1
                   for n in range(waiting))
    finally:
        desk.close()


def test_an_agent_override_caps_one_agent(tmp_path):
    desk = _desk(tmp_path, agent_capacity=5, agent_overrides=(AgentOverride(A, capacity=1),))
    try:
        desk.slash(A, ids.COMMAND_READY)
        desk.customer_texts(_customer(1), "one")
        desk.customer_texts(_customer(2), "two")
        desk.wait_for_preview(A)
        desk.wait_idle()
        assert _previews(desk, A) == 1
    finally:
        desk.close()


def test_a_business_number_goes_to_its_queues_members_only(tmp_path):
    queues = (Queue("Support", numbers=(BUSINESS_NUMBER,), members=(A,)),
              Queue("Sales", numbers=(SALES_NUMBER,), members=(B,)))
    desk = _desk(tmp_path, queues=queues)
    try:
        for agent in (A, B):
            desk.slash(agent, ids.COMMAND_READY)
        desk.customer_texts(_customer(1), "support please")
        assert desk.wait_for_preview(A)
        response = desk._twilio_post("/sms/twilio/inbound", {
            "MessageSid": "SM" + "9" * 32, "From": _customer(2), "To": SALES_NUMBER,
            "Body": "I want to buy"})
        assert response.status_code == 200
        sales = desk.wait_for_preview(B)
        assert "I want to buy" in str(sales["blocks"])
        desk.wait_idle()
        assert _previews(desk, A) == 1 and _previews(desk, B) == 1
    finally:
        desk.close()


def test_auto_answer_without_a_preview_opens_the_thread_at_once(tmp_path):
    desk = _desk(tmp_path, queues=(Queue("SMS", auto_answer=True),))
    try:
        desk.slash(A, ids.COMMAND_READY)
        desk.customer_texts(_customer(1), "hi there")
        card = desk.slack.wait_for(lambda s: desk.cards() and desk.cards()[0], 5, "no card")
        assert f"<@{A}>" in str(card["blocks"]) and has_button(card, ids.OPEN_COMPOSE)
        desk.slack.wait_for(lambda s: any("answered for you automatically" in m["text"]
                                          for m in desk.previews_for(A)), 5, "agent not told")
        assert not any(has_button(m, ids.ACCEPT_OFFER) for m in desk.previews_for(A))
    finally:
        desk.close()


@pytest.mark.parametrize("allow_reject", [True, False])
def test_auto_answer_with_a_countdown_accepts_when_it_runs_out(tmp_path, controlled_clock,
                                                               allow_reject):
    desk = _desk(tmp_path, queues=(Queue("SMS", auto_answer=True, auto_answer_preview_seconds=30,
                                         auto_answer_allow_reject=allow_reject),))
    try:
        desk.slash(A, ids.COMMAND_READY)
        desk.customer_texts(_customer(1), "hi there")
        preview = desk.wait_for_preview(A)
        # The countdown is read off the clock when the preview is drawn: a slow machine may
        # draw it a second or two into the 30.
        said = re.search(r"accepted for you in about (\d+) seconds", preview["text"])
        assert said and 25 <= int(said[1]) <= 30, preview["text"]
        # The button says it too, as the seed's "Accept · 25 s".
        assert _accept_label(preview) == f"Accept \u00b7 {said[1]} s"
        assert has_button(preview, ids.REJECT_OFFER) is allow_reject
        assert desk.cards() == []
        if not allow_reject:
            # A forged Reject where the preview offers none changes nothing.
            desk.click(A, ids.REJECT_OFFER, action_value(preview, ids.ACCEPT_OFFER))
            desk.slack.wait_for(lambda s: any("cannot be rejected" in m["text"]
                                              for m in desk.previews_for(A)), 5, "not told")
            assert has_button(desk.slack.message(preview["channel"], preview["ts"]),
                              ids.ACCEPT_OFFER)

        controlled_clock.travel(timedelta(seconds=11))  # the 20-seconds-left tick is due
        desk.runtime.worker.wake()
        def seconds_left(s):
            found = re.search(r"in about (\d+) s", str(s.message(preview["channel"],
                                                                 preview["ts"])["blocks"]))
            return int(found.group(1)) if found else None

        desk.slack.wait_for(lambda s: (seconds_left(s) or 30) < 20, 5,
                            "countdown did not move")
        redrawn = desk.slack.message(preview["channel"], preview["ts"])
        assert _accept_label(redrawn) == f"Accept \u00b7 {seconds_left(desk.slack)} s"
        assert desk.cards() == []

        controlled_clock.travel(timedelta(seconds=20))
        desk.runtime.worker.wake()
        card = desk.slack.wait_for(lambda s: desk.cards() and desk.cards()[0], 5, "no accept")
        assert f"<@{A}>" in str(card["blocks"])
        desk.slack.wait_for(lambda s: "You accepted" in str(
            s.message(preview["channel"], preview["ts"])["blocks"]), 5, "preview not final")
    finally:
        desk.close()


def _accept_label(preview: dict) -> str:
    return next(e["text"]["text"] for b in preview["blocks"] if b["type"] == "actions"
                for e in b["elements"] if e["action_id"] == ids.ACCEPT_OFFER)


def test_the_home_tab_counts_only_what_waits_in_the_agents_own_queues(tmp_path):
    queues = (Queue("Support", numbers=(BUSINESS_NUMBER,), members=(A,)),
              Queue("Sales", numbers=(SALES_NUMBER,), members=(B,)))
    desk = _desk(tmp_path, queues=queues)
    try:
        desk.customer_texts(_customer(1), "anyone?")  # nobody Ready: it waits in Support
        desk.wait_idle()
        for agent, waiting in ((A, 1), (B, 0)):
            desk.event({"type": "app_home_opened", "user": agent, "tab": "home",
                        "channel": "D" + agent[1:], "event_ts": "1.0"})
            desk.slack.wait_for(
                lambda s, agent=agent, waiting=waiting:
                f"Waiting in the queue: *{waiting}*" in str(s.home_view(agent)),
                5, f"{agent} should see {waiting} waiting")
    finally:
        desk.close()



def test_the_home_tab_keeps_up_with_many_held_interactions_of_long_named_contacts(tmp_path):
    # A section holds 3,000 characters: about 27 lines with short names and thread links,
    # ten with names of 200 characters (the longest a contact's name may be). Slack refuses
    # a longer section, and the agent's Home tab would stop updating.
    from bot.desk.directory.contact_editing import NAME_LIMIT
    from bot.desk.directory.contacts import create_contact

    desk = _desk(tmp_path, agent_capacity=12, queues=(Queue("SMS", auto_answer=True),))
    try:
        with desk.db.transaction() as s:
            for n in range(12):
                name = (f"{n:02d} " + "Bartholomew-Smythe " * 11)[:NAME_LIMIT]
                create_contact(s, desk.team_id, _customer(n), name=name)
        desk.slash(A, ids.COMMAND_READY)
        desk.opens_home(A)
        for n in range(12):
            desk.customer_texts(_customer(n), f"hello {n}")
        desk.slack.wait_for(lambda s: len(desk.cards()) == 12, 20, "not all accepted")
        desk.wait_idle(30)
        shown = str(desk.slack.home_view(A)["blocks"])
        assert all(f"{n:02d} Bartholomew-Smythe" in shown for n in range(12))
        assert not [c for c in desk.slack.calls_to("views.publish") if c.failed]
    finally:
        desk.close()
