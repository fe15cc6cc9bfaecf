"""The transfer and consult modals as pure functions: who and which queues they offer."""

from __future__ import annotations

from bot.desk.interactions.consultations import Colleague
from bot.desk.interactions.transfers import QUEUE_TARGET
from bot.slack.views.transfer import (
    COLLEAGUE_ACTION,
    COLLEAGUE_BLOCK,
    OTHER_PERSON_ACTION,
    OTHER_PERSON_BLOCK,
    TARGET_BLOCK,
    build_consult_modal,
    build_transfer_modal,
    chosen_colleague,
)
from tests.fakes.slack.rules import check_blocks, check_modal


def _element(modal: dict, block_id: str) -> dict:
    return next(b for b in modal["blocks"] if b.get("block_id") == block_id)["element"]


def _groups(element: dict) -> list[tuple[str, list[tuple[str, str]]]]:
    return [(g["label"]["text"], [(o["text"]["text"], o["value"]) for o in g["options"]])
            for g in element["option_groups"]]


def _valid(modal: dict) -> None:
    check_modal(modal)
    check_blocks(modal["blocks"], 100)


def test_the_transfer_modal_groups_the_queues_colleagues_and_the_other_queues():
    modal = build_transfer_modal(5, "Sales", [("U2", "Bob")], ["Support", "Billing"])
    _valid(modal)
    assert _groups(_element(modal, TARGET_BLOCK)) == [
        ("Queue Sales", [("Next Ready colleague in Sales", QUEUE_TARGET), ("Bob", "U2")]),
        ("Other queues", [("Queue Support", "queue:Support"), ("Queue Billing", "queue:Billing")]),
    ]


def test_with_one_queue_the_transfer_modal_is_a_plain_list_of_colleagues():
    element = _element(build_transfer_modal(5, "SMS", [("U2", "Bob")], []), TARGET_BLOCK)
    assert "option_groups" not in element
    assert [o["value"] for o in element["options"]] == [QUEUE_TARGET, "U2"]


def test_with_no_ready_colleague_only_the_other_queues_are_offered():
    modal = build_transfer_modal(5, "Sales", [], ["Support"])
    _valid(modal)
    assert [o["value"] for o in _element(modal, TARGET_BLOCK)["options"]] == ["queue:Support"]
    assert "Nobody else in queue Sales is Ready with room" in str(modal["blocks"])


def test_with_no_colleague_and_no_other_queue_the_modal_only_says_so():
    modal = build_transfer_modal(5, "SMS", [], [])
    _valid(modal)
    assert "submit" not in modal
    assert not [b for b in modal["blocks"] if b["type"] == "input"]
    assert "Try again when a colleague goes Ready" in str(modal["blocks"])


def test_the_consult_modal_lists_the_queues_agents_first_and_anyone_else_after():
    modal = build_consult_modal(5, "Sales", [(Colleague("U2", True), "Bob")],
                                [(Colleague("U3", False), "Cy")])
    _valid(modal)
    assert _groups(_element(modal, COLLEAGUE_BLOCK)) == [
        ("Queue Sales", [("Bob (Ready)", "U2")]), ("Other agents", [("Cy", "U3")])]
    assert _element(modal, OTHER_PERSON_BLOCK)["type"] == "users_select"


def test_a_desk_with_no_other_agent_consults_from_the_people_picker_alone():
    modal = build_consult_modal(5, "SMS", [], [])
    _valid(modal)
    picker = next(b for b in modal["blocks"] if b["type"] == "input")
    assert picker["block_id"] == OTHER_PERSON_BLOCK and not picker.get("optional")


def _submitted(agent: str | None = None, someone: str | None = None) -> dict:
    modal = build_consult_modal(5, "Sales", [(Colleague("U2", True), "Bob")], [])
    modal["state"] = {"values": {
        COLLEAGUE_BLOCK: {COLLEAGUE_ACTION: {"type": "static_select", "selected_option":
                                             {"value": agent} if agent else None}},
        OTHER_PERSON_BLOCK: {OTHER_PERSON_ACTION: {"type": "users_select",
                                                   "selected_user": someone}}}}
    return modal


def test_the_consulted_colleague_comes_from_either_picker_but_not_two_people():
    assert chosen_colleague(_submitted(agent="U2")) == ("U2", {})
    assert chosen_colleague(_submitted(someone="U9")) == ("U9", {})
    assert chosen_colleague(_submitted(agent="U2", someone="U2")) == ("U2", {})
    assert chosen_colleague(_submitted(agent="U2", someone="U9"))[0] is None
    assert chosen_colleague(_submitted()) == (None, {COLLEAGUE_BLOCK: "Pick a colleague."})
