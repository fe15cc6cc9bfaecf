"""The supervisor's views as pure functions: the live card, the /sms-queue report, the modal."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.desk.interactions.supervision import (
    AgentLoad,
    QueueReport,
    QueueSummary,
    ReassignForm,
    WaitingItem,
)
from bot.desk.interactions.waiting import WaitingAlert
from bot.slack import ids
from bot.slack.views.supervision import (
    SupervisionCardData,
    build_queue_report,
    build_reassign_modal,
    build_supervision_card,
    build_waiting_alert,
    duration,
    home_queue_lines,
)
from tests.fakes.slack.rules import check_blocks, check_modal

AT = datetime(2026, 11, 25, 14, 0, tzinfo=UTC)


def _card(**overrides) -> SupervisionCardData:
    values = dict(interaction_id=7, queue="Support", state="queued", contact_name="Ann Lee",
                  contact_phone="+14155550100", business_number="+15005550006", media="SMS",
                  mode="page", agent_user_id=None, offered_to=None, created_at=AT,
                  accepted_at=None, closed_at=None, closed_by=None, disposition=None)
    values.update(overrides)
    return SupervisionCardData(**values)


def _buttons(message: dict) -> list[str]:
    found = [e["action_id"] for b in message["blocks"] if b["type"] == "actions"
             for e in b["elements"]]
    found += [b["accessory"]["action_id"] for b in message["blocks"] if "accessory" in b]
    return found


@pytest.mark.parametrize("seconds, words", [
    (0, "0 seconds"), (1, "1 second"), (45, "45 seconds"), (60, "1 minute"),
    (185, "3 minutes 5 seconds"), (3600, "1 hour"), (7440, "2 hours 4 minutes"),
])
def test_durations_are_words_a_screen_reader_says_well(seconds, words):
    assert duration(seconds) == words


def test_a_finished_card_reads_well_aloud_with_waiting_and_handling_time():
    done = _card(state="done", agent_user_id="U1", accepted_at=AT + timedelta(seconds=45),
                 closed_at=AT + timedelta(seconds=45 + 185), closed_by="U1",
                 disposition="Resolved")
    message = build_supervision_card(done)
    assert message["text"] == ("SMS interaction with Ann Lee in queue Support: Done by <@U1>. "
                               "Waited 45 seconds. Handled in 3 minutes 5 seconds. "
                               "Disposition: Resolved.")
    fields = [f["text"] for b in message["blocks"] for f in b.get("fields", [])]
    assert "*Waiting time*\n45 seconds" in fields
    assert "*Handling time*\n3 minutes 5 seconds" in fields
    assert "*Disposition*\nResolved" in fields
    assert _buttons(message) == []
    check_blocks(message["blocks"], 50)


@pytest.mark.parametrize("state, holder, words, reassign", [
    ("queued", {}, "Waiting since <!date^", True),
    ("offered", {"offered_to": "U2"}, "Offered to <@U2>", True),
    ("accepted", {"agent_user_id": "U3"}, "In progress with <@U3>", True),
    ("transferring", {"agent_user_id": "U3", "offered_to": "U4"},
     "Being transferred to <@U4> by <@U3>", False),
    ("expired", {"agent_user_id": "U3"}, "Session expired", True),
    ("done", {"agent_user_id": "U3", "closed_by": "U3"}, "Done by <@U3>", False),
])
def test_each_state_is_said_in_words_and_reassign_is_offered_while_it_can_be_used(
        state, holder, words, reassign):
    message = build_supervision_card(_card(state=state, **holder))
    assert words in message["text"]
    assert (ids.REASSIGN in _buttons(message)) is reassign


@pytest.mark.parametrize("state, offered_to, held, words", [
    ("queued", None, False, "it is waiting in the queue."),
    ("offered", "UAGENT1", True, "it is offered to <@UAGENT1>, who has not answered yet. The "
                                 "customer was texted the holding reply."),
])
def test_a_waiting_alert_says_how_long_and_where_the_text_is_with_a_reassign(
        state, offered_to, held, words):
    alert = WaitingAlert(7, "Support", "<!channel> Ann", "+14155550100", AT, state, offered_to,
                         held, AT + timedelta(seconds=125))
    message = build_waiting_alert(alert)
    assert "has waited 2 minutes 5 seconds in queue Support" in message["text"]
    assert words in message["text"]
    assert "<!channel>" not in str(message)
    assert _buttons(message) == [ids.REASSIGN]
    check_blocks(message["blocks"], 50)


def test_customer_supplied_names_cannot_ping_or_disguise_links():
    message = build_supervision_card(_card(contact_name="<!channel> <http://evil|bank.com>",
                                           disposition="<@U999>"))
    assert "<!channel>" not in str(message) and "<http://evil" not in str(message)
    assert "&lt;!channel&gt;" in message["text"]


def _summary(name: str, items: int, detailed: bool = True) -> QueueSummary:
    agents = (AgentLoad("U1", True, 1, 3), AgentLoad("U2", False, 0, 3, "lunch"))
    waiting = tuple(WaitingItem(100 + n, "queued", f"Customer {n}", AT, None)
                    for n in range(items))
    return QueueSummary(name, items, AT if items else None, agents,
                        waiting if detailed else ())


def test_the_queue_report_for_an_agent_has_numbers_and_no_controls():
    report = QueueReport((_summary("Support", 2, detailed=False),), False,
                         AT + timedelta(minutes=3))
    message = build_queue_report(report)
    assert message["text"] == ("Queue Support: 2 waiting, the oldest for 3 minutes; "
                               "1 agent Ready, 1 Not Ready.")
    assert _buttons(message) == []
    assert "<@U1>" not in str(message["blocks"])


def test_the_queue_report_for_a_supervisor_lists_agents_and_reassign_buttons():
    report = QueueReport((_summary("Support", 2),), True, AT + timedelta(minutes=3))
    message = build_queue_report(report)
    assert _buttons(message) == [ids.REASSIGN, ids.REASSIGN]
    shown = str(message["blocks"])
    assert "<@U1> holds 1 of 3" in shown and "<@U2> holds 0 of 3 (lunch)" in shown


def test_the_queue_report_never_passes_fifty_blocks():
    report = QueueReport(tuple(_summary(f"Queue {n}", 30) for n in range(3)), True, AT)
    message = build_queue_report(report)
    assert len(message["blocks"]) == 50
    check_blocks(message["blocks"], 50)
    assert "more waiting or stuck interactions not shown" in str(message["blocks"][-1])

    many_queues = QueueReport(tuple(_summary(f"Queue {n}", 1) for n in range(40)), True, AT)
    message = build_queue_report(many_queues)
    assert len(message["blocks"]) <= 50
    assert "more queues not shown" in str(message["blocks"][-1])


def _form(**overrides) -> ReassignForm:
    values = dict(interaction_id=7, queue="Support", state="queued", contact="Ann Lee",
                  holder=None, candidates=("U1",))
    values.update(overrides)
    return ReassignForm(**values)


def test_the_reassign_modal_lists_the_ready_agents():
    modal = build_reassign_modal(_form(), [("U1", "Agent One")])
    check_modal(modal)
    assert modal["private_metadata"] == "7" and modal["callback_id"] == ids.REASSIGN_VIEW
    options = [b for b in modal["blocks"] if b["type"] == "input"][0]["element"]["options"]
    assert [(o["value"], o["text"]["text"]) for o in options] == [("U1", "Agent One")]
    assert "get the preview" in modal["blocks"][0]["text"]["text"]


def test_with_nobody_ready_the_reassign_modal_says_so_and_cannot_be_submitted():
    modal = build_reassign_modal(replace(_form(), state="accepted", holder="U3",
                                         candidates=()), [])
    check_modal(modal)
    assert "submit" not in modal
    assert "Nobody in queue Support is Ready" in str(modal["blocks"])
    assert "held by <@U3>" in modal["blocks"][0]["text"]["text"]


def test_the_home_overview_names_each_queue_with_its_depth():
    text = home_queue_lines((_summary("Support", 2), _summary("Sales", 0)),
                            AT + timedelta(minutes=5))
    assert "Support: *2* waiting, the oldest for 5 minutes" in text
    assert "Sales: *0* waiting · 1 Ready" in text


def test_a_card_left_behind_by_a_transfer_to_another_queue_says_where_it_went():
    moved = build_supervision_card(_card(queue="Sales", state="offered", offered_to="U2"),
                                   moved_away=True, followed_in="CSALESSUP")
    assert "Moved to queue Sales, followed in <#CSALESSUP>" in moved["text"]
    assert "Offered to" not in moved["text"]  # that card no longer follows its state
    assert _buttons(moved) == []
    unsupervised = build_supervision_card(_card(queue="<b>"), moved_away=True)
    assert "Moved to queue &lt;b&gt;, which has no supervisor channel" in unsupervised["text"]
    check_blocks(moved["blocks"], 50)
