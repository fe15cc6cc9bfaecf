"""Supervision end to end: the live card in the supervisor channel, /sms-queue, Reassign,
supervisors told when everyone declined, and supervisors defined by a Slack user group."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from bot.config import Settings
from bot.desk.queues import Queue
from bot.slack import ids
from bot.slack.views.disposition import CODE_ACTION, CODE_BLOCK
from bot.slack.views.supervision import AGENT_ACTION, AGENT_BLOCK
from bot.slack.views.transfer import TARGET_ACTION, TARGET_BLOCK
from storage.models import GroupMember, Interaction, Offer
from tests.harness import (
    DESK_CHANNEL,
    action_value,
    has_button,
    line_text,
    start_desk,
)

pytestmark = pytest.mark.postgres

CUSTOMER = "+14155550100"
A, B, SUP = "UAGENT1", "UAGENT2", "USUP"
SUP_CHANNEL = "CSUP"


def _settings(**overrides) -> Settings:
    values = dict(desk_channel=DESK_CHANNEL, offer_timeout_seconds=30,
                  queues=(Queue(name="Support", supervisor_channel=SUP_CHANNEL),),
                  supervisors=(SUP,))
    values.update(overrides)
    return Settings(**values)


def _start(database_url, settings: Settings | None = None, **kwargs):
    desk = start_desk(database_url, settings=settings or _settings(),
                      agents=kwargs.pop("agents", (A, B, SUP)), **kwargs)
    desk.slack.add_channel(SUP_CHANNEL, "sms-supervisors")
    return desk


@pytest.fixture
def team(database_url):
    desk = _start(database_url)
    yield desk
    desk.close()


# --- helpers ----------------------------------------------------------------------------------

def _supervision_card(desk, words: str) -> dict:
    """The one card in the supervisor channel, once it says `words`."""
    def shown(s):
        cards = s.messages(SUP_CHANNEL)
        return next((m for m in cards if m["blocks"] and words in json.dumps(m["blocks"])), None)
    return desk.slack.wait_for(shown, 5, f"no supervisor card saying {words!r}")


def _posts_to(desk, method: str, channel: str) -> int:
    return sum(1 for call in desk.slack.calls_to(method)
               if call.params.get("channel") == channel and not call.failed)


def _modal(desk, callback_id: str, count: int = 1) -> dict:
    def opened(s):
        found = [m for m in s.modals() if m["callback_id"] == callback_id]
        return len(found) >= count and found[count - 1]
    return desk.slack.wait_for(opened, 5, f"no {callback_id} modal #{count}")


def _state(desk, interaction_id: int) -> tuple[str, str | None, str | None]:
    with desk.db.transaction() as s:
        i = s.get(Interaction, interaction_id, populate_existing=True)
        return i.state, i.offered_to, i.agent_user_id


def _only_interaction(desk) -> int:
    with desk.db.transaction() as s:
        return s.scalars(select(Interaction.id)).one()


def _reassign(desk, user_id: str, card: dict, target: str, count: int = 1):
    desk.click(user_id, ids.REASSIGN, action_value(card, ids.REASSIGN), channel=SUP_CHANNEL,
               message_ts=card["ts"])
    modal = _modal(desk, ids.REASSIGN_VIEW, count)
    listed = [o["value"] for b in modal["blocks"] if b["type"] == "input"
              for o in b["element"]["options"]]
    response = desk.submit_view(user_id, modal, {AGENT_BLOCK: {AGENT_ACTION: {
        "type": "static_select", "selected_option": {"value": target}}}})
    return listed, response


def _decline_everything(desk) -> dict:
    """A is the only Ready agent and rejects: the interaction waits in the queue."""
    desk.slash(A, ids.COMMAND_READY)
    desk.customer_texts(CUSTOMER, "Is anyone there?")
    preview = desk.wait_for_preview(A)
    desk.click(A, ids.REJECT_OFFER, action_value(preview, ids.REJECT_OFFER))
    return _supervision_card(desk, "Waiting since")


# --- the live card ------------------------------------------------------------------------------

def test_the_supervisor_card_is_posted_once_and_updated_in_place_through_a_whole_life_cycle(team):
    desk = team
    desk.customer_texts(CUSTOMER, "My parcel is lost")
    card = _supervision_card(desk, "Waiting since")
    assert has_button(card, ids.REASSIGN)
    assert "Support" in json.dumps(card["blocks"])

    desk.slash(A, ids.COMMAND_READY)
    preview = desk.wait_for_preview(A)
    assert _supervision_card(desk, f"Offered to <@{A}>")["ts"] == card["ts"]

    desk.click(A, ids.ACCEPT_OFFER, action_value(preview, ids.ACCEPT_OFFER))
    accepted = _supervision_card(desk, f"In progress with <@{A}>")
    assert "Waiting time" in json.dumps(accepted["blocks"])
    desk_card = desk.slack.wait_for(lambda s: desk.cards() and desk.cards()[0], 5, "no card")

    # Transferred to a colleague, who accepts.
    desk.slash(B, ids.COMMAND_READY)
    desk.click(A, ids.OPEN_TRANSFER, action_value(desk_card, ids.OPEN_TRANSFER),
               channel=DESK_CHANNEL, message_ts=desk_card["ts"])
    transfer = _modal(desk, ids.TRANSFER_VIEW)
    desk.submit_view(A, transfer, {TARGET_BLOCK: {TARGET_ACTION: {
        "type": "static_select", "selected_option": {"value": B}}}})
    _supervision_card(desk, f"Being transferred to <@{B}>")
    offer = desk.wait_for_preview(B)
    desk.click(B, ids.ACCEPT_OFFER, action_value(offer, ids.ACCEPT_OFFER))
    _supervision_card(desk, f"In progress with <@{B}>")

    # A disposition, then Done.
    interaction_id = int(action_value(desk_card, ids.MARK_DONE))
    desk.choose(B, ids.CARD_MENU, f"{ids.MENU_DISPOSITION}:{interaction_id}",
                channel=DESK_CHANNEL, message_ts=desk_card["ts"])
    desk.submit_view(B, _modal(desk, ids.DISPOSITION_VIEW), {CODE_BLOCK: {CODE_ACTION: {
        "type": "static_select", "selected_option": {"value": "Resolved"}}}})
    _supervision_card(desk, "Resolved")
    desk.click(B, ids.MARK_DONE, str(interaction_id), channel=DESK_CHANNEL,
               message_ts=desk_card["ts"])
    done = _supervision_card(desk, f"Done by <@{B}>")
    desk.wait_idle()

    shown = json.dumps(done["blocks"])
    assert "Handling time" in shown and "Waiting time" in shown and "Resolved" in shown
    assert not has_button(done, ids.REASSIGN)
    assert "Done by" in done["text"] and "Handled in" in done["text"]
    assert done["ts"] == card["ts"]
    assert len(desk.slack.messages(SUP_CHANNEL)) == 1
    assert _posts_to(desk, "chat.postMessage", SUP_CHANNEL) == 1
    assert _posts_to(desk, "chat.update", SUP_CHANNEL) >= 6
    # Every step showed in that one message, one edit after another.
    history = " ".join(json.dumps(e["blocks"]) for e in
                       desk.slack.message(SUP_CHANNEL, card["ts"])["edits"])
    for step in ("Waiting since", f"Offered to <@{A}>", f"In progress with <@{A}>",
                 f"Being transferred to <@{B}>", f"In progress with <@{B}>"):
        assert step in history


def test_a_queue_without_a_supervisor_channel_gets_no_card(database_url):
    desk = _start(database_url, _settings(queues=(Queue(name="Support"),)))
    try:
        desk.slash(A, ids.COMMAND_READY)
        desk.customer_texts(CUSTOMER, "hello")
        desk.wait_for_preview(A)
        desk.wait_idle()
        assert desk.slack.messages(SUP_CHANNEL) == []
        with desk.db.transaction() as s:
            assert s.scalars(select(Interaction.supervisor_ts)).one() is None
    finally:
        desk.close()


# --- everyone declined ----------------------------------------------------------------------------

def test_when_everyone_declines_it_waits_and_the_supervisor_channel_is_told(team):
    desk = team
    _decline_everything(desk)
    told = desk.slack.wait_for(
        lambda s: next((m for m in s.messages(SUP_CHANNEL) if "declined" in m["text"]), None),
        5, "supervisors were not told")
    assert "Support" in told["text"]
    assert _state(desk, _only_interaction(desk))[0] == "queued"


def test_with_no_supervisor_channel_each_supervisor_is_told_directly(database_url):
    desk = _start(database_url, _settings(queues=(Queue(name="Support"),)))
    try:
        desk.slash(A, ids.COMMAND_READY)
        desk.customer_texts(CUSTOMER, "Is anyone there?")
        preview = desk.wait_for_preview(A)
        desk.click(A, ids.REJECT_OFFER, action_value(preview, ids.REJECT_OFFER))
        desk.slack.wait_for(lambda s: any("declined" in m["text"] for m in s.messages(SUP)),
                            5, "the supervisor got no DM")
        assert not any("declined" in m["text"] for m in desk.slack.messages(B))
    finally:
        desk.close()


# --- /sms-queue ---------------------------------------------------------------------------

def test_sms_queue_shows_depth_and_oldest_wait_and_only_supervisors_get_reassign(team):
    desk = team
    desk.customer_texts(CUSTOMER, "first")
    desk.customer_texts("+14155550101", "second")
    desk.slash(B, ids.COMMAND_NOT_READY, "training")
    desk.wait_idle()

    answer = desk.slash(A, ids.COMMAND_QUEUE)
    assert answer.status_code == 200
    report = answer.json()
    shown = json.dumps(report["blocks"])
    assert "*Waiting*\\n2" in shown and "Oldest wait" in shown and "since" in shown
    assert "Queue Support: 2 waiting, the oldest for" in report["text"]
    assert ids.REASSIGN not in shown  # an agent sees the numbers, not the controls

    detailed = desk.slash(SUP, ids.COMMAND_QUEUE).json()
    buttons = [b["accessory"]["value"] for b in detailed["blocks"]
               if b.get("accessory", {}).get("action_id") == ids.REASSIGN]
    assert len(buttons) == 2
    assert f"<@{B}> holds 0 of 3 (training)" in json.dumps(detailed["blocks"])
    assert len(detailed["blocks"]) <= 50


def test_sms_queue_stays_within_fifty_blocks_however_much_waits(team):
    desk = team
    for n in range(60):
        desk.customer_texts(f"+1415555{n:04d}", "hello")
    desk.wait_idle(20)
    report = desk.slash(SUP, ids.COMMAND_QUEUE).json()
    assert len(report["blocks"]) == 50
    assert "more waiting or stuck interactions not shown" in json.dumps(report["blocks"])


# --- Reassign ----------------------------------------------------------------------------

def test_a_supervisor_reassigns_a_waiting_interaction_to_a_ready_agent(team):
    desk = team
    card = _decline_everything(desk)
    listed, response = _reassign(desk, SUP, card, A)
    assert listed == [A]  # the queue's Ready agents with room
    assert response.status_code == 200 and not response.content

    second = desk.wait_for_preview(A, count=2)
    desk.click(A, ids.ACCEPT_OFFER, action_value(second, ids.ACCEPT_OFFER))
    _supervision_card(desk, f"In progress with <@{A}>")
    desk_card = desk.slack.wait_for(lambda s: desk.cards() and desk.cards()[0], 5, "no card")
    desk.slack.wait_for(lambda s: any("Reassigned by supervisor" in line_text(m)
                                      for m in s.thread(DESK_CHANNEL, desk_card["ts"])),
                        5, "the thread does not say who reassigned it")


def test_reassigning_an_offered_interaction_withdraws_the_first_preview(team):
    desk = team
    desk.slash(A, ids.COMMAND_READY)
    desk.slash(B, ids.COMMAND_READY)
    desk.customer_texts(CUSTOMER, "hello")
    card = _supervision_card(desk, "Offered to")
    first_agent = _state(desk, _only_interaction(desk))[1]
    other = B if first_agent == A else A
    first = desk.wait_for_preview(first_agent)

    listed, _ = _reassign(desk, SUP, card, other)
    assert listed == [other]  # not the one it is offered to
    desk.wait_for_preview(other)
    desk.slack.wait_for(lambda s: "Taken by someone else" in json.dumps(
        s.message(first["channel"], first["ts"])["blocks"]), 5, "first preview not withdrawn")
    with desk.db.transaction() as s:
        states = dict(s.execute(select(Offer.agent_user_id, Offer.state)).all())
    assert states == {first_agent: "withdrawn", other: "pending"}

    # A late Accept on the withdrawn preview changes nothing.
    desk.click(first_agent, ids.ACCEPT_OFFER, action_value(first, ids.ACCEPT_OFFER))
    desk.wait_idle()
    assert _state(desk, _only_interaction(desk))[:2] == ("offered", other)


def test_a_stuck_interaction_moves_to_the_new_agent_at_once(team):
    desk = team
    desk.slash(A, ids.COMMAND_READY)
    desk.customer_texts(CUSTOMER, "My parcel is lost")
    preview = desk.wait_for_preview(A)
    desk.click(A, ids.ACCEPT_OFFER, action_value(preview, ids.ACCEPT_OFFER))
    desk_card = desk.slack.wait_for(lambda s: desk.cards() and desk.cards()[0], 5, "no card")
    desk.slash(A, ids.COMMAND_NOT_READY, "went home")
    desk.slash(B, ids.COMMAND_READY)
    desk.wait_idle()
    detailed = json.dumps(desk.slash(SUP, ids.COMMAND_QUEUE).json()["blocks"])
    assert "its agent is Not Ready" in detailed  # listed as stuck

    card = _supervision_card(desk, f"In progress with <@{A}>")
    _, response = _reassign(desk, SUP, card, B)
    assert response.status_code == 200 and not response.content
    _supervision_card(desk, f"In progress with <@{B}>")
    desk.slack.wait_for(lambda s: f"<@{B}>" in json.dumps(
        s.message(DESK_CHANNEL, desk_card["ts"])["blocks"]), 5, "desk card not updated")
    # Each note names the people by mention, so Slack shows their names.
    desk.slack.wait_for(lambda s: any(f"Supervisor <@{SUP}> reassigned" in m["text"]
                                      and f"to <@{B}>." in m["text"] for m in s.messages(A)),
                        5, "the old agent was not told who took it")
    desk.slack.wait_for(lambda s: any(f"Supervisor <@{SUP}> assigned you" in m["text"]
                                      and f"from <@{A}>." in m["text"] for m in s.messages(B)),
                        5, "the new agent was not told by whom")

    # From now on B's replies reach the phone.
    desk.agent_writes_in_thread(B, desk_card["ts"], "I am on it")
    sms = desk.twilio.wait_for(lambda t: t.sent, 5, "B's reply was not sent")
    assert sms[0].body == "I am on it"


def test_a_non_supervisors_reassign_click_is_refused_and_nothing_changes(team):
    desk = team
    _decline_everything(desk)
    desk.slash(B, ids.COMMAND_READY)  # the queue offers it to B
    desk.wait_for_preview(B)
    card = _supervision_card(desk, f"Offered to <@{B}>")
    before = _state(desk, _only_interaction(desk))

    desk.click(A, ids.REASSIGN, action_value(card, ids.REASSIGN), channel=SUP_CHANNEL,
               message_ts=card["ts"])
    refusal = desk.slack.wait_for(
        lambda s: next((e for e in s.ephemerals(SUP_CHANNEL) if e["user"] == A), None),
        5, "no refusal")
    assert "Only supervisors" in refusal["text"]
    desk.wait_idle()
    assert not [m for m in desk.slack.modals() if m["callback_id"] == ids.REASSIGN_VIEW]

    # A forged submission is refused by the desk itself.
    forged = desk.submit_view(A, {"callback_id": ids.REASSIGN_VIEW,
                                  "private_metadata": str(_only_interaction(desk))},
                              {AGENT_BLOCK: {AGENT_ACTION: {
                                  "type": "static_select", "selected_option": {"value": A}}}})
    assert forged.json()["errors"][AGENT_BLOCK].startswith("Only supervisors")
    desk.wait_idle()
    assert _state(desk, _only_interaction(desk)) == before
    assert len(desk.previews_for(A)) == 1


# --- roles from user groups ----------------------------------------------------------------------

def test_a_supervisor_by_user_group_is_treated_as_a_supervisor(database_url):
    group_lead = "UGROUPLEAD"
    desk = _start(database_url, _settings(supervisors=(), supervisor_groups=("SSUPERS",)),
                  agents=(A, B, group_lead), user_groups={"SSUPERS": (group_lead,)})
    try:
        def cached(_s):
            with desk.db.transaction() as s:
                return s.scalars(select(GroupMember.user_id).where(
                    GroupMember.group_id == "SSUPERS")).all() == [group_lead]
        desk.slack.wait_for(cached, 5, "the user group was never read")
        card = _decline_everything(desk)

        detailed = desk.slash(group_lead, ids.COMMAND_QUEUE).json()
        assert ids.REASSIGN in json.dumps(detailed["blocks"])
        listed, response = _reassign(desk, group_lead, card, A)
        assert listed == [A] and not response.content
        desk.wait_for_preview(A, count=2)

        # The Home tab shows the queues to the supervisor only.
        for user in (group_lead, B):
            desk.event({"type": "app_home_opened", "user": user, "channel": "D" + user[1:],
                        "tab": "home", "event_ts": "1.0"})
        desk.wait_idle()
        assert "(you supervise)" in json.dumps(desk.slack.home_view(group_lead)["blocks"])
        assert "(you supervise)" not in json.dumps(desk.slack.home_view(B)["blocks"])
    finally:
        desk.close()
