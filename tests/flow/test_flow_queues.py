"""A desk with two queues, Support and Sales, two agents each, a number each: the transfer
modal, a transfer to the other queue, consultation, the supervisor cards and /sms-queue."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from bot.config import Settings
from bot.desk.queues import Queue
from bot.slack import ids
from bot.slack.views.transfer import (
    COLLEAGUE_ACTION,
    COLLEAGUE_BLOCK,
    OTHER_PERSON_ACTION,
    OTHER_PERSON_BLOCK,
    REASON_ACTION,
    REASON_BLOCK,
    TARGET_ACTION,
    TARGET_BLOCK,
)
from storage.models import Interaction
from tests.harness import (
    BUSINESS_NUMBER,
    DESK_CHANNEL,
    action_value,
    has_button,
    line_text,
    start_desk,
    wait_for_modal,
)

pytestmark = pytest.mark.postgres

SUPPORT_NUMBER, SALES_NUMBER = BUSINESS_NUMBER, "+15005550009"
# The last letter names them: the fake Slack calls each "Agent <last letter>".
SALES_1, SALES_2 = "USALESA", "USALESB"
SUPPORT_1, SUPPORT_2 = "USUPPORTC", "USUPPORTD"
SUP = "USUPERVISORS"
SUPPORT_SUP, SALES_SUP = "CSUPPORTSUP", "CSALESSUP"
CUSTOMER = "+14155550100"


def _start(database_url, *, support_threads: str = "channel", sales_threads: str = "channel"):
    # Support is the first queue: what a number no queue names, and the old modal, fell back on.
    queues = (Queue("Support", numbers=(SUPPORT_NUMBER,), members=(SUPPORT_1, SUPPORT_2),
                    supervisor_channel=SUPPORT_SUP, threads=support_threads),
              Queue("Sales", numbers=(SALES_NUMBER,), members=(SALES_1, SALES_2),
                    supervisor_channel=SALES_SUP, threads=sales_threads))
    desk = start_desk(database_url, agents=(SALES_1, SALES_2, SUPPORT_1, SUPPORT_2, SUP),
                      settings=Settings(desk_channel=DESK_CHANNEL, offer_timeout_seconds=30,
                                        queues=queues, supervisors=(SUP,),
                                        # Session mode: a reply does not close it.
                                        session_numbers=(SUPPORT_NUMBER, SALES_NUMBER)))
    desk.slack.add_channel(SUPPORT_SUP, "support-supervisors")
    desk.slack.add_channel(SALES_SUP, "sales-supervisors")
    return desk


@pytest.fixture
def desk(database_url):
    desk = _start(database_url)
    yield desk
    desk.close()


# --- helpers ----------------------------------------------------------------------------------

def _sales_interaction_held_by(desk, agent: str) -> dict:
    """A customer texts the Sales number; `agent` accepts. Returns the settled card."""
    desk.slash(agent, ids.COMMAND_READY)
    desk.customer_texts(CUSTOMER, "I want to buy the blue one", To=SALES_NUMBER)
    preview = desk.wait_for_preview(agent)
    desk.click(agent, ids.ACCEPT_OFFER, action_value(preview, ids.ACCEPT_OFFER))
    card = desk.slack.wait_for(lambda s: desk.cards() and desk.cards()[0], 5, "no card")
    desk.wait_idle()
    return card


def _open_transfer(desk, agent: str, card: dict, count: int = 1) -> dict:
    desk.click(agent, ids.OPEN_TRANSFER, action_value(card, ids.OPEN_TRANSFER),
               channel=DESK_CHANNEL, message_ts=card["ts"])
    return wait_for_modal(desk, ids.TRANSFER_VIEW, count)


def _choices(modal: dict) -> list[tuple[str, str]]:
    """(group label, option value) of the target picker, in the order shown."""
    element = next(b for b in modal["blocks"] if b.get("block_id") == TARGET_BLOCK)["element"]
    groups = element.get("option_groups") or [{"label": {"text": ""},
                                                "options": element["options"]}]
    return [(g["label"]["text"], o["value"]) for g in groups for o in g["options"]]


def _option_text(modal: dict, value: str) -> str:
    element = next(b for b in modal["blocks"] if b.get("block_id") == TARGET_BLOCK)["element"]
    options = element.get("options") or [o for g in element["option_groups"]
                                         for o in g["options"]]
    return next(o["text"]["text"] for o in options if o["value"] == value)


def _transfer(desk, agent: str, modal: dict, target: str, reason: str = ""):
    return desk.submit_view(agent, modal, {
        TARGET_BLOCK: {TARGET_ACTION: {"type": "static_select",
                                       "selected_option": {"value": target}}},
        REASON_BLOCK: {REASON_ACTION: {"type": "plain_text_input", "value": reason}}})


def _interaction(desk) -> Interaction:
    with desk.db.transaction() as s:
        row = s.scalars(select(Interaction)).one()
        s.expunge(row)
        return row


def _card_text(desk, card: dict) -> str:
    return json.dumps(desk.slack.message(DESK_CHANNEL, card["ts"])["blocks"])


def _supervisor_card(desk, channel: str, words: str) -> dict:
    def shown(s):
        return next((m for m in s.messages(channel)
                     if m.get("blocks") and words in json.dumps(m["blocks"])), None)
    return desk.slack.wait_for(shown, 5, f"no card in {channel} saying {words!r}")


def _ready(desk, *agents: str) -> None:
    for agent in agents:
        desk.slash(agent, ids.COMMAND_READY)
    desk.wait_idle()


# --- the transfer modal -----------------------------------------------------------------------

def test_the_transfer_modal_lists_the_ready_colleagues_of_the_interactions_queue_and_other_queues(
        desk):
    card = _sales_interaction_held_by(desk, SALES_1)
    _ready(desk, SALES_2, SUPPORT_1)  # both Ready with room; only one is a Sales colleague

    modal = _open_transfer(desk, SALES_1, card)
    values = [value for _, value in _choices(modal)]
    assert SALES_2 in values
    assert SUPPORT_1 not in values and SALES_1 not in values
    assert "queue:Support" in values
    assert "Sales" in _option_text(modal, values[0])  # its own queue, by its name
    assert "SMS" not in json.dumps(modal["blocks"])  # no queue here is called that
    assert _option_text(modal, "queue:Support").startswith("Queue Support")

    # A Support agent is not a Sales colleague, whatever a forged submission says.
    answer = _transfer(desk, SALES_1, modal, SUPPORT_1).json()
    assert answer["response_action"] == "errors"
    assert "not an agent of queue Sales" in answer["errors"][TARGET_BLOCK]
    desk.wait_idle()
    assert desk.previews_for(SUPPORT_1) == []

    # The Sales colleague is offered it, as a transfer.
    assert _transfer(desk, SALES_1, modal, SALES_2).status_code == 200
    assert "is transferring" in desk.wait_for_preview(SALES_2)["text"]


def test_the_next_ready_colleague_option_picks_from_the_interactions_queue(desk):
    card = _sales_interaction_held_by(desk, SALES_1)
    _ready(desk, SUPPORT_1, SALES_2)
    modal = _open_transfer(desk, SALES_1, card)
    own_queue = _choices(modal)[0][1]
    assert _transfer(desk, SALES_1, modal, own_queue).status_code == 200
    desk.wait_for_preview(SALES_2)
    desk.wait_idle()
    assert desk.previews_for(SUPPORT_1) == []


# --- a transfer to another queue --------------------------------------------------------------

def test_a_transfer_to_the_other_queue_frees_the_owner_and_offers_it_to_that_queues_agents(desk):
    card = _sales_interaction_held_by(desk, SALES_1)
    desk.agent_writes_in_thread(SALES_1, card["ts"], "Let me check the stock")
    desk.twilio.wait_for(lambda t: t.sent, 5, "first reply not sent")
    _supervisor_card(desk, SALES_SUP, f"In progress with <@{SALES_1}>")
    _ready(desk, SALES_2, SUPPORT_1)

    modal = _open_transfer(desk, SALES_1, card)
    assert _transfer(desk, SALES_1, modal, "queue:Support", "Asks about a refund").status_code \
        == 200

    # Support's Ready agent is offered it, as any text of Support's line; no Sales agent is.
    preview = desk.wait_for_preview(SUPPORT_1)
    assert has_button(preview, ids.ACCEPT_OFFER)
    assert "I want to buy the blue one" in json.dumps(preview["blocks"])
    assert "Asks about a refund" in json.dumps(preview["blocks"])
    desk.wait_idle()
    assert desk.previews_for(SALES_2) == []
    interaction = _interaction(desk)
    assert (interaction.queue, interaction.state, interaction.offered_to,
            interaction.agent_user_id) == ("Support", "offered", SUPPORT_1, None)

    # The thread says so; the card shows the queue it is in, and no tools for the old owner.
    thread = " ".join(line_text(m) for m in desk.slack.thread(DESK_CHANNEL, card["ts"]))
    assert f"<@{SALES_1}> transferred this to queue Support" in thread
    assert "Asks about a refund" in thread
    shown = _card_text(desk, card)
    assert "*Queue*\\nSupport" in shown and not has_button(
        desk.slack.message(DESK_CHANNEL, card["ts"]), ids.OPEN_COMPOSE)

    # The owner is freed: their words stay internal; their Sales slot is free again.
    desk.agent_writes_in_thread(SALES_1, card["ts"], "One more thing")
    desk.slack.wait_for(lambda s: any("not sent to the customer" in e["text"]
                                      for e in s.ephemerals(DESK_CHANNEL)), 5, "not told")

    # Supervisors: Sales' card says where it went; Support's channel has its own card now.
    _supervisor_card(desk, SALES_SUP, "Moved to queue Support")
    moved = desk.slack.messages(SALES_SUP)[0]
    assert not has_button(moved, ids.REASSIGN)
    support_card = _supervisor_card(desk, SUPPORT_SUP, f"Offered to <@{SUPPORT_1}>")
    assert "*Queue*\\nSupport" in json.dumps(support_card["blocks"])

    desk.click(SUPPORT_1, ids.ACCEPT_OFFER, action_value(preview, ids.ACCEPT_OFFER))
    desk.slack.wait_for(lambda s: has_button(s.message(DESK_CHANNEL, card["ts"]),
                                             ids.OPEN_COMPOSE)
                        and f"<@{SUPPORT_1}>" in _card_text(desk, card), 5,
                        "the card does not show Support's agent")
    _supervisor_card(desk, SUPPORT_SUP, f"In progress with <@{SUPPORT_1}>")
    desk.agent_writes_in_thread(SUPPORT_1, card["ts"], "Support here: the refund is on its way")
    desk.twilio.wait_for(lambda t: len(t.sent) == 2, 5, "Support's reply not sent")
    desk.wait_idle()
    assert [sms.body for sms in desk.twilio.sent] == [
        "Let me check the stock", "Support here: the refund is on its way"]
    assert len(desk.slack.messages(SALES_SUP)) == 1 and len(desk.slack.messages(SUPPORT_SUP)) == 1


def test_a_transfer_to_a_queue_nobody_is_ready_in_waits_in_its_line(desk):
    # A Sales agent rejects first: a decline in Sales is no decline of Support's agents.
    _ready(desk, SALES_2)
    desk.customer_texts(CUSTOMER, "I want to buy the blue one", To=SALES_NUMBER)
    rejected = desk.wait_for_preview(SALES_2)
    desk.click(SALES_2, ids.REJECT_OFFER, action_value(rejected, ids.REJECT_OFFER))
    desk.slash(SALES_2, ids.COMMAND_NOT_READY)
    desk.slash(SALES_1, ids.COMMAND_READY)
    preview = desk.wait_for_preview(SALES_1)
    desk.click(SALES_1, ids.ACCEPT_OFFER, action_value(preview, ids.ACCEPT_OFFER))
    card = desk.slack.wait_for(lambda s: desk.cards() and desk.cards()[0], 5, "no card")
    desk.wait_idle()

    modal = _open_transfer(desk, SALES_1, card)
    assert _transfer(desk, SALES_1, modal, "queue:Support").status_code == 200
    desk.wait_idle()
    interaction = _interaction(desk)
    assert (interaction.queue, interaction.state, interaction.agent_user_id) == (
        "Support", "queued", None)
    assert desk.previews_for(SUPPORT_1) == desk.previews_for(SUPPORT_2) == []
    assert not any("declined" in m["text"] for m in desk.slack.messages(SUPPORT_SUP))

    # /sms-queue counts it in Support's line, not Sales'.
    report = desk.slash(SUP, ids.COMMAND_QUEUE).json()
    assert "Queue Support: 1 waiting" in report["text"]
    assert "Queue Sales: 0 waiting" in report["text"]
    shown = json.dumps(report["blocks"], ensure_ascii=False)
    support, sales = shown.split("*Queue Sales*")
    assert f"<@{SUPPORT_1}>" in support and f"<@{SALES_1}>" not in support
    assert f"<@{SALES_1}>" in sales and f"<@{SUPPORT_1}>" not in sales
    assert f"(#{interaction.id}) · waiting" in support

    # The first Support agent to go Ready is offered it.
    desk.slash(SUPPORT_2, ids.COMMAND_READY)
    offered = desk.wait_for_preview(SUPPORT_2)
    assert has_button(offered, ids.ACCEPT_OFFER)
    desk.wait_idle()
    assert _interaction(desk).offered_to == SUPPORT_2


def _thread_card(desk, channel: str, holder: str) -> dict:
    """The card in `channel` whose tools are `holder`'s (its thread is the conversation)."""
    return desk.slack.wait_for(lambda s: next(
        (m for m in s.messages(channel) if has_button(m, ids.OPEN_COMPOSE)
         and f"<@{holder}>" in json.dumps(m["blocks"])), None), 5, f"no card in {channel}")


def _writes(desk, user: str, channel: str, card: dict, text: str) -> None:
    ts = desk.slack.user_posts(channel, user, text, thread_ts=card["ts"])
    desk.event({"type": "message", "channel": channel, "user": user, "text": text, "ts": ts,
                "thread_ts": card["ts"], "event_ts": ts,
                "channel_type": "im" if channel.startswith("D") else "channel"})


@pytest.mark.parametrize("sales_threads, support_threads", [("dm", "channel"), ("channel", "dm")])
def test_a_transfer_to_a_queue_with_threads_elsewhere_moves_the_thread_to_its_new_agent(
        database_url, sales_threads, support_threads):
    desk = _start(database_url, sales_threads=sales_threads, support_threads=support_threads)
    try:
        where = {"dm": desk.slack.dm_channel, "channel": lambda _user: DESK_CHANNEL}
        sales_home, support_home = where[sales_threads](SALES_1), where[support_threads](SUPPORT_1)
        _ready(desk, SALES_1, SUPPORT_1)
        desk.customer_texts(CUSTOMER, "I want to buy the blue one", To=SALES_NUMBER)
        preview = desk.wait_for_preview(SALES_1)
        desk.click(SALES_1, ids.ACCEPT_OFFER, action_value(preview, ids.ACCEPT_OFFER))
        card = _thread_card(desk, sales_home, SALES_1)
        _writes(desk, SALES_1, sales_home, card, "Let me check the stock")
        desk.twilio.wait_for(lambda t: t.sent, 5, "first reply not sent")

        desk.click(SALES_1, ids.OPEN_TRANSFER, action_value(card, ids.OPEN_TRANSFER),
                   channel=sales_home, message_ts=card["ts"])
        _transfer(desk, SALES_1, wait_for_modal(desk, ids.TRANSFER_VIEW), "queue:Support")
        offer = desk.wait_for_preview(SUPPORT_1)
        desk.click(SUPPORT_1, ids.ACCEPT_OFFER, action_value(offer, ids.ACCEPT_OFFER))

        # The conversation so far is where Support's agent works; the old card says so.
        new_card = _thread_card(desk, support_home, SUPPORT_1)
        desk.wait_idle()
        assert new_card["ts"] != card["ts"]
        thread = json.dumps(desk.slack.thread(support_home, new_card["ts"]), default=str)
        assert "I want to buy the blue one" in thread and "Let me check the stock" in thread
        old_card = desk.slack.message(sales_home, card["ts"])
        assert f"moved to <@{SUPPORT_1}>" in old_card["text"]

        _writes(desk, SUPPORT_1, support_home, new_card, "Support here")
        desk.twilio.wait_for(lambda t: len(t.sent) == 2, 5, "Support's reply not sent")
        assert desk.twilio.sent[1].body == "Support here"
    finally:
        desk.close()


# --- consultation -----------------------------------------------------------------------------

def _consult_modal(desk, agent: str, card: dict, count: int = 1) -> dict:
    desk.choose(agent, ids.CARD_MENU, f"{ids.MENU_CONSULT}:{action_value(card, ids.MARK_DONE)}",
                channel=DESK_CHANNEL, message_ts=card["ts"])
    return wait_for_modal(desk, ids.CONSULT_VIEW, count)


def test_consultation_lists_the_interactions_queue_first_then_the_other_agents(desk):
    card = _sales_interaction_held_by(desk, SALES_1)
    _ready(desk, SUPPORT_1)  # Ready or not, every agent of the desk is listed

    modal = _consult_modal(desk, SALES_1, card)
    element = next(b for b in modal["blocks"] if b.get("block_id") == COLLEAGUE_BLOCK)["element"]
    groups = [(g["label"]["text"], [o["value"] for o in g["options"]])
              for g in element["option_groups"]]
    assert groups[0] == ("Queue Sales", [SALES_2])
    assert groups[1][0] == "Other agents"
    assert sorted(groups[1][1]) == sorted([SUPPORT_1, SUPPORT_2])
    ready_label = next(o["text"]["text"] for g in element["option_groups"]
                       for o in g["options"] if o["value"] == SUPPORT_1)
    assert ready_label == "Agent C (Ready)"

    answer = desk.submit_view(SALES_1, modal, {COLLEAGUE_BLOCK: {COLLEAGUE_ACTION: {
        "type": "static_select", "selected_option": {"value": SALES_2}}}})
    assert answer.status_code == 200 and not answer.content
    desk.slack.wait_for(lambda s: any(f"consulting <@{SALES_2}>" in line_text(m) for m in
                                      s.thread(DESK_CHANNEL, card["ts"])), 5, "no consult line")

    # Someone who is no agent of the desk can still be consulted, from the second picker.
    other = _consult_modal(desk, SALES_1, card, count=2)
    answer = desk.submit_view(SALES_1, other, {OTHER_PERSON_BLOCK: {OTHER_PERSON_ACTION: {
        "type": "users_select", "selected_user": SUP}}})
    assert answer.status_code == 200 and not answer.content
    desk.slack.wait_for(lambda s: any(f"consulting <@{SUP}>" in line_text(m) for m in
                                      s.thread(DESK_CHANNEL, card["ts"])), 5, "no second line")


def test_a_transfer_to_a_queue_nobody_takes_is_announced_to_its_supervisors(desk):
    """The waiting alert counts from the transfer: a text Sales answered at once and later
    sent to Support's line, where nobody is Ready, is as stranded as a new one."""
    from datetime import timedelta

    from storage import clock

    def alerts() -> list[dict]:
        return [m for m in desk.slack.messages(SUPPORT_SUP) if "has waited" in line_text(m)]

    card = _sales_interaction_held_by(desk, SALES_1)
    try:
        clock.travel(timedelta(seconds=300))  # the first wait's timer found it answered
        desk.runtime.worker.wake()
        desk.wait_idle()
        modal = _open_transfer(desk, SALES_1, card)
        assert _transfer(desk, SALES_1, modal, "queue:Support").status_code == 200
        desk.wait_idle()
        assert alerts() == []
        clock.travel(timedelta(seconds=121))
        desk.runtime.worker.wake()
        alert = desk.slack.wait_for(lambda s: alerts() and alerts()[0], 5,
                                    "Support's supervisors were not told of the transfer "
                                    "nobody took")
    finally:
        clock.reset()
    assert ids.REASSIGN in json.dumps(alert["blocks"])
